"""'Did you mean' and typo matching: corrections drawn from the index's own vocabulary.

Suggestions come from the unstemmed ``spell`` field of the index being searched, so the
public index can only ever suggest words that occur in public articles. Only words the
index does not contain are corrected, which keeps the common case (every word known) to
one dictionary lookup per word.

Whoosh's edit-distance automaton counts a swap of two letters ("obdc") as two edits; the
candidates it finds are re-ranked here by true Damerau distance (a swap is one edit), then
by how many articles use the word.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable

import numpy as np

from indexer.analyzers import STOP_WORDS, fold, query_words
from indexer.engine import Evaluation
from indexer.plan import build_plan
from indexer.query import Clause, ParsedQuery
from kb.visibility import index_is_filtered

SPELL_FIELD = "spell"
_WORD = re.compile(r"[^\W_]+")  # the spell field's tokens: runs of letters and digits


def damerau(a: str, b: str) -> int:
    """Edit distance where an insertion, deletion, substitution or swap of neighbours costs one.

    >>> damerau("obdc", "odbc"), damerau("timout", "timeout"), damerau("abc", "abc")
    (1, 1, 0)
    """
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def max_edits(word: str) -> int:
    """Edits allowed for a word of this length: none below four letters, one up to six, else two."""
    return 0 if len(word) < 4 else 1 if len(word) <= 6 else 2


def corrections(reader, word: str, limit: int = 2, accept: Callable[[str], bool] | None = None) -> list[str]:
    """Vocabulary words within :func:`max_edits` of a lowercased ``word``, best first.

    :param accept: whether a candidate may be proposed at all; the best candidates that
        pass it are returned (an index shared by readers who see different articles
        checks here that the reader can find the word).
    """
    allowed = max_edits(word)
    if not allowed:
        return []
    found = []
    for candidate in reader.terms_within(SPELL_FIELD, word, min(allowed + 1, 2), prefix=1):
        dist = damerau(word, candidate)
        if 0 < dist <= allowed:
            found.append((dist, -reader.doc_frequency(SPELL_FIELD, candidate), candidate))
    best = (c for _, _, c in sorted(found))
    if accept is not None:
        best = (c for c in best if accept(c))
    return list(itertools.islice(best, limit))


def spelled_in(reader, word: str, docs) -> bool:
    """Whether a vocabulary word occurs in one of ``docs`` (a boolean mask by document number)."""
    if not is_known(reader, word):
        return False
    return any(docs[d] for d in reader.postings(SPELL_FIELD, word).all_ids())


def is_known(reader, word: str) -> bool:
    return (SPELL_FIELD, word) in reader


def correct(reader, text: str, known: Callable[[str], bool] | None = None,
            accept: Callable[[str], bool] | None = None) -> str | None:
    """``text`` with unknown words replaced by their best correction, or None if nothing changed.

    :param known: whether the index knows a lowercased word some other way (the spelling
        vocabulary covers titles, headings, tags and symptoms, not every body word).
    :param accept: whether a correction may be proposed (see :func:`corrections`); every
        corrected word is checked on its own, so one visible word can't carry a hidden one.
    """
    changed = False

    def fix(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group(0)
        if not 3 <= len(word) <= 30 or not word.isalpha():
            return word  # codes and numbers are matched exactly, never "corrected"
        low = fold(word.lower())
        if low in STOP_WORDS or is_known(reader, low) or (known is not None and known(low)):
            return word
        found = corrections(reader, low, limit=1, accept=accept)
        if not found:
            return word
        changed = True
        return found[0].upper() if word.isupper() and len(word) > 1 else found[0]

    fixed = _WORD.sub(fix, text)
    return fixed if changed else None


def did_you_mean(ctx, parsed: ParsedQuery, visible: np.ndarray, audience: str) -> str | None:
    """The query with unknown words corrected from this index's vocabulary, or None.

    :param ctx: the search's :class:`~indexer.versions.Context`.
    :param visible: the documents this reader may see; on the internal index (whose
        vocabulary includes drafts) a correction is offered only if it finds one of them.
    """
    reader = ctx.reader

    def known(word: str) -> bool:
        return any(("content", w.parts[0]) in reader for w in query_words(word) if w.parts)

    accept = None
    if index_is_filtered(audience):
        # The vocabulary includes drafts and articles in review: each correction must be a
        # word this reader can find, not merely sit beside one.
        accept = functools.partial(spelled_in, reader, docs=visible)
    changed = False
    clauses = []
    for clause in parsed.clauses:
        fixed = None if clause.negated else correct(reader, clause.text, known, accept)
        changed = changed or fixed is not None
        clauses.append(Clause(fixed or clause.text, clause.phrase, clause.negated))
    if not changed:
        return None
    suggestion = ParsedQuery(raw="", clauses=clauses, filters=parsed.filters)
    if index_is_filtered(audience):
        plan = build_plan(suggestion, ctx.synonyms, ctx.view.has_code, lambda key: False)
        if plan.is_empty:
            return None
        ev = Evaluation(ctx.engine, ctx.searcher)
        queries = plan.unit_queries() + ([plan.code_query()] if plan.exact_codes else [])
        if not any(ev.run(q).only(visible).any() for q in queries):
            return None
    return suggestion.display()
