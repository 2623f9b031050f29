"""A field's words, grouped for near-miss lookups: typo matching and "did you mean".

Whoosh finds the words within a few edits of a typo by walking the field's whole term list
in Python, computing an edit distance for every word with the same first letter: at
100,000 articles a body field has over half a million words, and one unknown word in a
pasted message cost a second. Here each segment's words are read once (the segment never
changes while it exists) and grouped by first letter and length; only the groups a word
could be within reach of are compared, by rapidfuzz's edit distances in C++.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA


class Vocabulary:
    """The words of one field in one segment, grouped by (first letter, length)."""

    def __init__(self, words: Iterable[str]):
        groups: dict[tuple[str, int], list[str]] = defaultdict(list)
        for word in words:
            if word:
                groups[(word[0], len(word))].append(word)
        self._groups = dict(groups)

    def near(self, word: str, allowed: int) -> list[tuple[str, int]]:
        """(word, distance) for every word within ``allowed`` edits of ``word`` that starts
        with the same letter (people rarely mistype the first one), ``word`` itself included.

        An edit is an insertion, deletion or substitution of a letter, or a swap of two
        neighbours ("obdc" for "odbc"), as Whoosh's fuzzy terms count them."""
        if not word:
            return []
        found = []
        for length in range(max(1, len(word) - allowed), len(word) + allowed + 1):
            group = self._groups.get((word[0], length))
            if group:
                found.extend((candidate, int(dist)) for candidate, dist, _ in
                             process.extract(word, group, scorer=OSA.distance, score_cutoff=allowed, limit=None))
        return found


def near(vocabularies: Iterable[Vocabulary], word: str, allowed: int) -> dict[str, int]:
    """:meth:`Vocabulary.near` over several segments: each word once, with its distance."""
    found: dict[str, int] = {}
    for vocabulary in vocabularies:
        for candidate, dist in vocabulary.near(word, allowed):
            found[candidate] = dist
    return found
