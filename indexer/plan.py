"""A parsed query as the engine's query trees: what to match, where, and what may boost it.

* every *unit* (a word, a quoted phrase, or a synonym group) is searched in each field of
  :data:`~indexer.ranking.FIELD_WEIGHTS`;
* an identifier matches whole or by all of its parts (``System.IO.IOException`` finds
  ``IOException`` and vice versa), the whole form scoring a little higher;
* boosters are optional extras: an exact error code (``error_code`` field, found by trying
  word n-grams of the query), the query being the title, the query as a phrase in the
  title, joined pairs like ``http503``, and runs of a pasted message's words.

How much each counts, and how tiers and boosters make a page, is :mod:`indexer.ranking`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from whoosh import query as wq

from indexer.analyzers import Word, code_tokens, name_pieces, query_words, subwords, title_key
from indexer.engine.query_tree import boosted
from indexer.query import Clause, ParsedQuery
from indexer.ranking import (
    EXACT_CODE_BOOST,
    EXACT_TITLE_BOOST,
    FIELD_WEIGHTS,
    FUZZY_FIELDS,
    MAX_RUNS,
    MIN_SENTENCE_WORDS,
    PAIR_BOOST,
    RUN_BOOST,
    RUN_LENGTH,
    TITLE_PHRASE_BOOST,
    TITLE_PHRASE_SLOP,
    WHOLE_BONUS,
)
from indexer.synonyms import Synonyms

PAIR_FIELDS = ("content",)
MAX_CODE_NGRAM = 6  # longest error code, in tokens, looked up exactly
MAX_CODE_LOOKUPS = 400
MAX_FUZZY_WORDS = 6


@dataclass(frozen=True)
class Unit:
    """One element of the query that the all-terms query requires.

    ``alternatives`` are word sequences that satisfy it: one for a plain word or a quoted
    phrase, several for a synonym group. A sequence of more than one word is a phrase.
    """

    label: str
    alternatives: tuple[tuple[Word, ...], ...]
    fuzzy: bool = False  # a word the index does not know: matched within one or two edits
    # The first alternative is unquoted words (a synonym matched across them): they must all
    # occur, in any field, but not necessarily as a phrase.
    loose: bool = False

    @property
    def words(self) -> tuple[Word, ...]:
        return self.alternatives[0]

    def terms(self) -> list[str]:
        """Index terms this unit can match (a lone part of a compound never matches alone)."""
        return [t for alt in self.alternatives for w in alt for t in matchable_terms(w)]

    def query(self, fields: Mapping[str, float]) -> wq.Query:
        if self.fuzzy:
            subs = [fuzzy_term(name, self.words[0].parts[0], weight) for name, weight in fields.items()]
            return subs[0] if len(subs) == 1 else wq.Or(subs)
        alternatives = self.alternatives
        subs = []
        if self.loose and len(self.words) > 1:
            subs.append(wq.And([Unit(w.raw, ((w,),)).query(fields) for w in self.words]))
            alternatives = alternatives[1:]
        subs += [alternative_query(alt, name, weight)
                 for name, weight in fields.items() for alt in alternatives]
        return subs[0] if len(subs) == 1 else wq.Or(subs)


def matchable_terms(word: Word) -> tuple[str, ...]:
    """The terms a word matches by (see :func:`word_query`)."""
    if word.whole is not None and len(set(word.parts)) < 2:
        return (word.whole,)
    return word.terms


def fuzzy_term(fieldname: str, text: str, boost: float = 1.0) -> wq.Query:
    """``text`` within one edit (up to six letters) or two, sharing the first letter."""
    maxdist = 1 if len(text) <= 6 else 2
    return wq.FuzzyTerm(fieldname, text, boost=boost, maxdist=maxdist, prefixlength=1, constantscore=False)


def is_fuzzable(word: Word) -> bool:
    """Plain words of four letters or more can be typo-corrected; codes and numbers never."""
    return word.whole is None and len(word.parts) == 1 and word.parts[0].isalpha() and len(word.parts[0]) >= 4


def word_query(word: Word, fieldname: str, boost: float = 1.0) -> wq.Query:
    """A word in one field: its whole form, or all of its parts.

    A compound with a single meaningful part ("sign-in" -> "sign", "x64" -> "64") only
    matches whole: its lone part would match far more than was meant.
    """
    distinct = list(dict.fromkeys(word.parts))
    if word.whole is not None and len(distinct) < 2:
        distinct = []
    parts: list[wq.Query] = [wq.Term(fieldname, p) for p in distinct]
    by_parts = parts[0] if len(parts) == 1 else wq.And(parts) if parts else None
    if word.whole is None:
        assert by_parts is not None
        return boosted(by_parts, boost)
    if by_parts is None:
        return wq.Term(fieldname, word.whole, boost=WHOLE_BONUS * boost)
    whole = wq.Term(fieldname, word.whole, boost=WHOLE_BONUS)
    return wq.Or([whole, by_parts], boost=boost)


def alternative_query(words: tuple[Word, ...], fieldname: str, boost: float = 1.0) -> wq.Query:
    """One word, or several words as a phrase over their parts, in one field."""
    if len(words) == 1:
        return word_query(words[0], fieldname, boost)
    stream = [p for w in words for p in w.parts]
    if len(stream) == 1:
        return wq.Term(fieldname, stream[0], boost=boost)
    return wq.Phrase(fieldname, stream, slop=1, boost=boost)


@dataclass
class Plan:
    """Everything the search layer needs to run one query."""

    units: list[Unit] = field(default_factory=list)
    excluded: list[Unit] = field(default_factory=list)
    boosters: list[wq.Query] = field(default_factory=list)
    exact_codes: list[str] = field(default_factory=list)
    exact_title: bool = False
    title_key: str = ""
    synonyms_used: list[tuple[str, ...]] = field(default_factory=list)
    fields: Mapping[str, float] = field(default_factory=lambda: dict(FIELD_WEIGHTS))
    unit_weights: list[float] = field(default_factory=list)
    kind: str = ""  # the query's kind (:mod:`indexer.query_kind`), set by the search
    runs: list[tuple[str, ...]] = field(default_factory=list)  # the pasted-message runs of words
    # A sentence whose content words make a single run: found whole, it is quoted (:mod:`indexer.message_runs`).
    whole_run: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.units and not self.exact_codes

    def terms(self) -> list[str]:
        """Analysed terms of the positive units, in order, without repeats."""
        return list(dict.fromkeys(t for u in self.units for t in u.terms()))

    def strong_terms(self) -> set[str]:
        """The term naming each query word as a whole (for snippet weighting)."""
        return {w.whole or w.parts[0] for u in self.units for alt in u.alternatives for w in alt
                if w.parts or w.whole}

    def unit_queries(self, fields: Mapping[str, float] | None = None) -> list[wq.Query]:
        fields = fields or self.fields
        weights = self.unit_weights or [1.0] * len(self.units)
        return [boosted(u.query(fields), w) if w != 1.0 else u.query(fields)
                for u, w in zip(self.units, weights, strict=True)]

    def any_term(self) -> wq.Query:
        """Documents with at least one unit or an exact error code, plus boosters."""
        core = self.core_any()
        return self._with_boosters(core) if self.units else self._boosters_alone()

    def core_all(self) -> wq.Query:
        """The units alone, all required (no boosters): the cheap query to rank a tier by."""
        subs = self.unit_queries()
        if not subs:
            return self._boosters_alone()
        return subs[0] if len(subs) == 1 else wq.And(subs)

    def core_any(self) -> wq.Query:
        """The units alone, any of them (no boosters)."""
        subs = self.unit_queries()
        if self.exact_codes:
            subs.append(self.code_query())
        if not subs:
            return wq.NullQuery
        return subs[0] if len(subs) == 1 else wq.Or(subs)

    def booster_query(self) -> wq.Query | None:
        """Every booster (exact codes, exact title, title phrase, pairs), for scoring candidates."""
        boosters = list(self.boosters)
        if self.exact_codes:
            boosters.append(self.code_query())
        if not boosters:
            return None
        return boosters[0] if len(boosters) == 1 else wq.Or(boosters)

    def field_query(self, fieldname: str) -> wq.Query | None:
        """The units searched in one field only (for explanations)."""
        if fieldname not in self.fields:
            return None
        subs = self.unit_queries({fieldname: self.fields[fieldname]})
        return wq.Or(subs) if subs else None

    def exclusion(self) -> wq.Query | None:
        if not self.excluded:
            return None
        subs = [u.query({name: 1.0 for name in self.fields}) for u in self.excluded]
        return subs[0] if len(subs) == 1 else wq.Or(subs)

    def code_query(self) -> wq.Query:
        subs = [wq.Term("error_code", c, boost=EXACT_CODE_BOOST) for c in self.exact_codes]
        return subs[0] if len(subs) == 1 else wq.Or(subs)

    def identifiers(self) -> list[str]:
        """The whole terms of the query's identifiers (:func:`identifiers`)."""
        return identifiers(w for u in self.units for w in u.words)

    def whole_query(self) -> wq.Query | None:
        """The query's identifiers whole, in any field; None when it has none."""
        subs = [wq.Term(name, whole) for whole in self.identifiers() for name in self.fields]
        return (subs[0] if len(subs) == 1 else wq.Or(subs)) if subs else None

    def fuzzy_query(self) -> wq.Query | None:
        """Typo-tolerant fallback when nothing matched: any longer plain word, approximately."""
        words = [w for u in self.units for w in u.words if is_fuzzable(w)]
        subs = [fuzzy_term(name, w.parts[0], weight) for w in words[:MAX_FUZZY_WORDS]
                for name, weight in FUZZY_FIELDS.items()]
        if not subs:
            return None
        return wq.Or(subs)

    def _boosters_alone(self) -> wq.Query:
        return self.code_query() if self.exact_codes else wq.NullQuery

    def _with_boosters(self, core: wq.Query) -> wq.Query:
        boosters = list(self.boosters)
        if self.exact_codes:
            boosters.append(self.code_query())
        if not boosters:
            return core
        return wq.AndMaybe(core, boosters[0] if len(boosters) == 1 else wq.Or(boosters))


def fuzz_unknown_words(plan: Plan, known: Callable[[str], bool],
                       correct: Callable[[str], list[str]]) -> bool:
    """Let plain words the index does not contain match their likely corrections.

    :param known: does the index contain this (stemmed) term in a searched field?
    :param correct: corrections of a raw lowercased word from the index's vocabulary.
    Returns True if any word was replaced.
    """
    changed = False
    for i, unit in enumerate(plan.units):
        if len(unit.alternatives) != 1 or len(unit.words) != 1 or not is_fuzzable(unit.words[0]) \
                or known(unit.words[0].parts[0]):
            continue
        fixes = [words for c in correct(unit.words[0].raw.lower()) if (words := tuple(query_words(c)))]
        if fixes:
            plan.units[i] = Unit(unit.label, tuple(fixes))
        else:
            plan.units[i] = Unit(unit.label, unit.alternatives, fuzzy=True)
        changed = True
    return changed


def clause_units(clauses: Iterable[Clause],
                 synonyms: Synonyms | None) -> tuple[list[Unit], list[tuple[str, ...]]]:
    """Analyse clauses into units, folding synonym matches among plain words into groups."""
    units: list[Unit] = []
    used: list[tuple[str, ...]] = []
    run: list[Word] = []

    def flush() -> None:
        matches = synonyms.match(run) if synonyms else []
        i = 0
        for m in matches:
            units.extend(Unit(w.raw, ((w,),)) for w in run[i:m.start])
            original = tuple(run[m.start:m.end])
            keys = [w.key for w in original]
            alternatives = (original, *(a for a in m.alternatives if [w.key for w in a] != keys))
            units.append(Unit(" ".join(w.raw for w in original), alternatives, loose=True))
            used.append(m.group)
            i = m.end
        units.extend(Unit(w.raw, ((w,),)) for w in run[i:])
        run.clear()

    for clause in clauses:
        words = query_words(clause.text)
        if not words:
            continue
        if clause.phrase and len(words) > 1:
            flush()
            units.append(Unit(clause.text, (tuple(words),)))
        else:
            run.extend(words)
    flush()
    return units, used


def exact_code_candidates(text: str, limit: int = MAX_CODE_LOOKUPS) -> list[str]:
    """Word n-grams of ``text`` that could be an error code, as ``error_code`` terms.

    >>> exact_code_candidates("Login timeout expired")[:4]
    ['login', 'login timeout', 'login timeout expired', 'timeout']
    """
    tokens = code_tokens(text)
    out: dict[str, None] = {}
    for i in range(len(tokens)):
        for j in range(i + 1, min(len(tokens), i + MAX_CODE_NGRAM) + 1):
            out[" ".join(tokens[i:j])] = None
            if len(out) >= limit:
                return list(out)
    return list(out)


def build_plan(parsed: ParsedQuery, synonyms: Synonyms | None, has_code, title_exists) -> Plan:
    """Plan a search-box query.

    :param has_code: callable(term) -> bool: does the index know this exact error code?
    :param title_exists: callable(key) -> bool: is this the key of an indexed title?
    """
    plan = Plan()
    plan.units, plan.synonyms_used = clause_units(parsed.positive, synonyms)
    plan.excluded, _ = clause_units(parsed.negative, None)
    text = parsed.text
    plan.exact_codes = [c for c in exact_code_candidates(text) if has_code(c)]
    add_title_boosters(plan, text, title_exists)
    pairs = {w.pair for u in plan.units for w in u.words if w.pair}
    for pair in sorted(pairs):
        terms = [wq.Term(f, pair) for f in PAIR_FIELDS]
        booster = boosted(terms[0], PAIR_BOOST) if len(terms) == 1 else wq.Or(terms, boost=PAIR_BOOST)
        plan.boosters.append(booster)
    return plan


def add_title_boosters(plan: Plan, text: str, title_exists) -> None:
    """Boost the query being the title, its words as a phrase in the title, and runs of its
    words found word for word in the content (pasted messages)."""
    key = title_key(text)
    if key and title_exists(key):
        plan.exact_title = True
        plan.title_key = key
        plan.boosters.append(wq.Term("title_key", key, boost=EXACT_TITLE_BOOST))
    words = [w for u in plan.units for w in u.words]
    stream = [p for w in words for p in w.parts]
    if 2 <= len(stream) <= 12:
        plan.boosters.append(wq.Phrase("title", stream, slop=TITLE_PHRASE_SLOP, boost=TITLE_PHRASE_BOOST))
    # A pasted message occurs word for word in the article that explains it: every run of
    # its words found as a phrase in the content adds a little.
    # A sentence of few content words ("Error with preview in a browser") is one run, whole.
    sentence = len(stream) == RUN_LENGTH and len(text.split()) >= MIN_SENTENCE_WORDS
    plan.runs = word_runs(words, single=sentence)[:MAX_RUNS]
    plan.whole_run = sentence and bool(plan.runs)
    add_run_booster(plan, plan.runs)


def word_runs(words: Iterable[Word], *, single: bool = False) -> list[tuple[str, ...]]:
    """Every run of :data:`RUN_LENGTH` consecutive analysed words, in order, without repeats.

    Runs inside one identifier (the parts of System.IO.IOException) are left out: the
    identifier matches whole. Text of exactly one run has none, unless ``single``.
    """
    owned = [(p, i) for i, w in enumerate(words) for p in w.parts]
    if len(owned) < RUN_LENGTH or (len(owned) == RUN_LENGTH and not single):
        return []
    runs = (tuple(p for p, _ in owned[i:i + RUN_LENGTH]) for i in range(len(owned) - RUN_LENGTH + 1)
            if owned[i][1] != owned[i + RUN_LENGTH - 1][1])
    return list(dict.fromkeys(runs))


def add_run_booster(plan: Plan, runs: list[tuple[str, ...]]) -> None:
    """Boost the content phrases ``runs`` (of a pasted message's words), and remember them."""
    plan.runs = runs
    if runs:
        plan.boosters.append(wq.Or([wq.Phrase("content", list(run), slop=1) for run in runs], boost=RUN_BOOST))


def identifiers(words: Iterable[Word]) -> list[str]:
    """The whole terms of the identifiers among ``words``: words with several parts
    (``System.IO.IOException``, ``ERROR_ACCESS_DENIED``), each once."""
    return list(dict.fromkeys(w.whole for w in words if w.whole is not None and len(set(w.parts)) > 1))


def names_shortened(parsed: ParsedQuery) -> ParsedQuery | None:
    """The query with each name of worded pieces (``System.Runtime.InteropServices.COMException``,
    ``ERROR_ACCESS_DENIED``) without its first piece, or None when no name can be shortened.

    A name that no article has, whole or with all its parts, is most often a class or a
    constant under a namespace or prefix the articles do not write: the pieces at its end
    say what it is. A name is shortened down to two pieces, or to its last piece when that is
    a name itself (``COMException``); codes with a number (``ORA-12154``) are left as typed.
    """
    clauses, shortened = [], False
    for clause in parsed.clauses:
        rest = None if clause.phrase or clause.negated else _without_first_piece(clause.text)
        clauses.append(Clause(rest) if rest else clause)
        shortened = shortened or bool(rest)
    if not shortened:
        return None
    return ParsedQuery(raw=parsed.raw, clauses=clauses, filters=parsed.filters, notice=parsed.notice)


MAX_NAME_PIECES = 12  # longer runs of dotted words are not a name someone pasted


def _without_first_piece(text: str) -> str | None:
    pieces = name_pieces(text)
    if not 2 <= len(pieces) <= MAX_NAME_PIECES or not all(p.isalpha() for p in pieces):
        return None  # a word, a code (ORA-12154) or no name at all: nothing to shorten
    if len(pieces) == 2 and len(subwords(pieces[1])) < 2:
        return None  # one plain word would be left (ACCESS_DENIED: not DENIED)
    return text[text.index(pieces[1], len(pieces[0])):]
