"""Duplicates found for you: pairs of articles that probably say the same thing, with why.

Every article is compared with its nearest neighbours by words and by meaning
(:mod:`kb.kcs.similarity`), never with every other article, so the report scales to large
knowledge bases: candidates are each article's :data:`~kb.kcs.similarity.NEIGHBOURS`
nearest by either measure. A candidate pair's similarity is the mean of the two; pairs
are ranked by that similarity less each article's typical likeness to its neighbours (the
"hub" correction), so a short generic article that resembles everything doesn't crowd the
list. Shared exact error codes are reported and lift a pair by :data:`CODE_BONUS` each.

Archived articles are left out, and so is a pair where one already supersedes the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from kb.kcs.similarity import (
    NEIGHBOURS,
    Text,
    WordSpace,
    combined,
    hub_adjusted,
    meaning_neighbours,
    vector_matrix,
)
from kb.model import Article

CODE_BONUS = 0.1  # per shared exact error code, at most two
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class Pair:
    """Two articles that probably say the same thing; ``score`` orders the list."""

    a: str
    b: str
    score: float  # similarity, less the two articles' typical likeness to their neighbours
    similarity: float  # mean of words and meaning (0..1), plus the shared-code bonus
    words: float
    meaning: float | None
    codes: tuple[str, ...]
    terms: tuple[str, ...]

    @property
    def why(self) -> list[str]:
        """The reasons, strongest evidence first, as short sentences."""
        out = []
        if self.codes:
            out.append("shared error codes: " + ", ".join(self.codes))
        if self.terms:
            out.append(f"similar words ({self.words:.2f}): " + ", ".join(self.terms))
        if self.meaning is not None:
            out.append(f"similar meaning ({self.meaning:.2f})")
        return out

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "score": round(self.score, 4), "why": self.why,
                "similarity": round(self.similarity, 4), "words": round(self.words, 4),
                "meaning": None if self.meaning is None else round(self.meaning, 4),
                "error_codes": list(self.codes), "terms": list(self.terms)}


def texts_of(articles: Iterable[Article]) -> list[Text]:
    """The articles a duplicate report compares (archived ones left out), as texts."""
    return [Text(a.id, a.title, a.outline.text, tuple(a.error_codes))
            for a in sorted(articles, key=lambda a: a.id) if a.status != "archived"]


def find_duplicates(texts: Sequence[Text], *, vectors: Mapping[str, np.ndarray] | None = None,
                    limit: int = DEFAULT_LIMIT, neighbours: int = NEIGHBOURS,
                    superseded: Mapping[str, str] | None = None) -> list[Pair]:
    """The ``limit`` most likely duplicate pairs among ``texts``, most likely first.

    :param vectors: ``{id: unit vector}`` from the sentence encoder; without one a text is
        compared by words alone.
    :param superseded: ``{old id: replacement id}``; such pairs are already merged.
    """
    if len(texts) < 2:
        return []
    words = WordSpace(texts)
    matrix, present = vector_matrix(texts, vectors)
    by_words = words.neighbours(neighbours)
    by_meaning = meaning_neighbours(matrix, present, neighbours)
    codes = [{c.casefold(): c for c in t.codes} for t in texts]
    scores: dict[tuple[int, int], tuple[float, float, float | None]] = {}
    for i in range(len(texts)):
        for j, _ in by_words[i] + by_meaning[i]:
            key = (i, j) if i < j else (j, i)
            if key in scores:
                continue
            w = words.cosine(*key)
            m = float(matrix[key[0]] @ matrix[key[1]]) if present[key[0]] and present[key[1]] else None
            shared = len(codes[key[0]].keys() & codes[key[1]].keys())
            scores[key] = (combined(w, m) + CODE_BONUS * min(shared, 2), w, m)
    typical = np.zeros(len(texts))
    best: dict[int, list[float]] = {}
    for (i, j), (s, _w, _m) in scores.items():
        best.setdefault(i, []).append(s)
        best.setdefault(j, []).append(s)
    for i, values in best.items():
        typical[i] = float(np.mean(sorted(values, reverse=True)[:neighbours]))
    merged = {(a, b) for a, b in (superseded or {}).items()}
    ranked = sorted(((hub_adjusted(s, typical[i], typical[j]), s, i, j) for (i, j), (s, _, _) in scores.items()
                     if (texts[i].id, texts[j].id) not in merged and (texts[j].id, texts[i].id) not in merged),
                    key=lambda r: (-r[0], -r[1], texts[r[2]].id, texts[r[3]].id))
    pairs = []
    for score, s, i, j in ranked[:limit] if limit else ranked:
        _, w, m = scores[(i, j)]
        shared = tuple(codes[i][c] for c in sorted(codes[i].keys() & codes[j].keys()))
        pairs.append(Pair(texts[i].id, texts[j].id, score, s, w, m, shared, tuple(words.shared_terms(i, j))))
    return pairs
