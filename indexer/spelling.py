"""'Did you mean' and typo matching: corrections drawn from the index's own vocabulary.

Suggestions come from the unstemmed ``spell`` field of the index being searched, so the
public index can only ever suggest words that occur in public articles. Only words the
index does not contain are corrected, which keeps the common case (every word known) to
one dictionary lookup per word.

Candidates are vocabulary words with the same first letter within :func:`max_edits` by
Damerau distance (a swap of neighbours, "obdc", is one edit), ranked by distance, then by
how many articles use the word (:mod:`indexer.engine.vocabulary` finds them).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable

import numpy as np

from indexer.analyzers import STOP_WORDS, fold, query_words
from indexer.engine import Evaluation
from indexer.engine.vocabulary import Vocabulary, near
from indexer.plan import build_plan
from indexer.query import Clause, ParsedQuery
from kb.visibility import index_is_filtered

SPELL_FIELD = "spell"
_WORD = re.compile(r"[^\W_]+")  # the spell field's tokens: runs of letters and digits


def max_edits(word: str) -> int:
    """Edits allowed for a word of this length: none below four letters, one up to six, else two."""
    return 0 if len(word) < 4 else 1 if len(word) <= 6 else 2


def vocabulary(ctx) -> list[Vocabulary]:
    """The spelling vocabulary of a search's index version, one group per segment."""
    return ctx.engine.vocabularies(SPELL_FIELD, ctx.searcher)


def corrections(reader, words: list[Vocabulary], word: str, limit: int = 2,
                accept: Callable[[str], bool] | None = None) -> list[str]:
    """Vocabulary words within :func:`max_edits` of a lowercased ``word``, best first.

    :param accept: whether a candidate may be proposed at all; the best candidates that
        pass it are returned (an index shared by readers who see different articles
        checks here that the reader can find the word).
    """
    allowed = max_edits(word)
    if not allowed:
        return []
    found = sorted((dist, -reader.doc_frequency(SPELL_FIELD, candidate), candidate)
                   for candidate, dist in near(words, word, allowed).items() if dist)
    best = (c for _, _, c in found)
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


def correct(reader, words: list[Vocabulary], text: str, known: Callable[[str], bool] | None = None,
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
        found = corrections(reader, words, low, limit=1, accept=accept)
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
    words = vocabulary(ctx)

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
        fixed = None if clause.negated else correct(reader, words, clause.text, known, accept)
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
