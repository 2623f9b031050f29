"""Phrase evidence from stored text, with positions counted exactly as the index counts them.

Whoosh keeps positions inside its posting blocks, which cost a block decode per word and
document to read. For the few documents whose phrase evidence can still change a page
(the best candidates of a tier, titles), analysing the stored text is cheaper: one pass
over a document's text finds the positions of every word of every phrase of the query at
once (:func:`term_positions`), and each phrase is then a check over those positions
(:func:`has_phrase`). :func:`indexer.analyzers.token_positions` gives each raw token's
terms and width exactly as the index analyzer does (a property test compares them).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from indexer.analyzers import TOKEN_RE, token_positions


def term_positions(text: str, wanted: Collection[str]) -> dict[str, list[int]]:
    """Positions of the ``wanted`` terms in ``text``, as the index would number them."""
    found: dict[str, list[int]] = {}
    pos = 0
    for raw in TOKEN_RE.findall(text):
        width, terms, _whole = token_positions(raw)
        for offset, term in terms:
            if term in wanted:
                at = found.get(term)
                if at is None:
                    found[term] = [pos + offset]
                else:
                    at.append(pos + offset)
        pos += width
    return found


def has_phrase(positions: dict[str, list[int]], words: Sequence[str], slop: int) -> bool:
    """Whether ``words`` occur in order, each at most ``slop`` positions after the one before."""
    if any(w not in positions for w in words):
        return False
    ends = positions[words[0]]
    for word in words[1:]:
        ends = [p for p in positions[word] if any(0 < p - e <= slop for e in ends)]
        if not ends:
            return False
    return True


def text_has_phrase(text: str, words: Sequence[str], slop: int) -> bool:
    """Whether analysed ``words`` occur in order in ``text`` (see :func:`has_phrase`)."""
    return has_phrase(term_positions(text, set(words)), words, slop)
