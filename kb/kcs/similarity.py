"""How alike two texts are, by words and by meaning: what duplicates and gap topics share.

**Words.** Each text is a title and a body. Both become sublinear tf-idf vectors
(:mod:`kb.cases.text`), each normalised on its own, and are added with equal weight before
the sum is normalised again: a long pasted log or a templated report can't drown the few
words of a title, and a title can't hide a body that says something else. Only the
body's :data:`BODY_TERMS` most distinctive terms are kept. Measured on SeaMonkey's judged
duplicate reports, normalising the two fields apart is what lifts words from 1 to 25 of 46
pairs among the 500 best (``bench/duplicates.py``).

**Meaning.** Unit vectors from the sentence encoder, passed in by the caller (the domain
never imports the search engine); texts without one are compared by words alone.

**Together.** ``similarity = (words + meaning) / 2``. For ranking pairs across a whole
collection, each article's *typical* neighbourliness is subtracted (:func:`hub_adjusted`,
"cross-domain similarity local scaling", Conneau et al. 2018): some texts (short, generic,
templated) are close to everything, and without the correction their pairs crowd the top.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from kb.cases.text import idf, tokenize

BODY_TERMS = 20  # distinctive terms of a body kept in its word vector
NEIGHBOURS = 10  # nearest neighbours per text that pair candidates and the hub correction use
# A term in more than this share of the texts (and more than MIN_DF_CAP of them) doesn't propose
# candidates: it would make everyone everyone's candidate. It still counts in the cosine.
MAX_DF_SHARE = 0.2
MIN_DF_CAP = 50


@dataclass(frozen=True)
class Text:
    """One thing to compare: an id, a title and a body (plus exact codes, when known)."""

    id: str
    title: str
    body: str = ""
    codes: tuple[str, ...] = ()


class WordSpace:
    """Sparse tf-idf vectors of a collection of texts, and their nearest neighbours by words."""

    def __init__(self, texts: Sequence[Text], *, body_terms: int = BODY_TERMS):
        self.size = len(texts)
        titles = [tokenize(t.title) for t in texts]
        bodies = [tokenize(t.body) for t in texts]
        df: Counter[str] = Counter()
        for title, body in zip(titles, bodies, strict=True):
            df.update(set(title) | set(body))
        self.df = df
        self.vectors: list[dict[str, float]] = []
        for title, body in zip(titles, bodies, strict=True):
            weights = _unit(self._weights(title))
            body_weights = self._weights(body)
            if body_terms and len(body_weights) > body_terms:
                body_weights = dict(sorted(body_weights.items(), key=lambda kv: (-kv[1], kv[0]))[:body_terms])
            for term, w in _unit(body_weights).items():
                weights[term] = weights.get(term, 0.0) + w
            self.vectors.append(_unit(weights))

    def _weights(self, tokens: list[str]) -> dict[str, float]:
        counts = Counter(tokens)
        return {t: (1 + math.log(n)) * idf(self.df[t], self.size) for t, n in counts.items()}

    def cosine(self, i: int, j: int) -> float:
        a, b = self.vectors[i], self.vectors[j]
        if len(a) > len(b):
            a, b = b, a
        return sum(w * b.get(t, 0.0) for t, w in a.items())

    def shared_terms(self, i: int, j: int, k: int = 5) -> list[str]:
        """The terms that contribute most to the two texts' likeness."""
        a, b = self.vectors[i], self.vectors[j]
        both = {t: a[t] * b[t] for t in a.keys() & b.keys()}
        return [t for t, _ in sorted(both.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]

    def neighbours(self, k: int = NEIGHBOURS) -> list[list[tuple[int, float]]]:
        """Each text's ``k`` nearest others by words, as (index, cosine), best first."""
        postings: dict[str, list[tuple[int, float]]] = {}
        for i, vector in enumerate(self.vectors):
            for term, w in vector.items():
                postings.setdefault(term, []).append((i, w))
        limit = max(MIN_DF_CAP, int(MAX_DF_SHARE * self.size))
        arrays = {t: (np.fromiter((d for d, _ in p), np.int64, len(p)), np.fromiter((w for _, w in p), np.float64, len(p)))
                  for t, p in postings.items() if len(p) >= 2}
        out: list[list[tuple[int, float]]] = []
        for i, vector in enumerate(self.vectors):
            terms = [t for t in vector if t in arrays and len(arrays[t][0]) <= limit]
            if not terms:
                out.append([])
                continue
            docs = np.concatenate([arrays[t][0] for t in terms])
            weights = np.concatenate([arrays[t][1] * vector[t] for t in terms])
            order = np.argsort(docs, kind="stable")
            docs, weights = docs[order], weights[order]
            starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
            ids, sums = docs[starts], np.add.reduceat(weights, starts)
            keep = ids != i
            ids, sums = ids[keep], sums[keep]
            best = np.argsort(-sums, kind="stable")[:k]
            # Candidates come from the informative terms; their score is the full cosine.
            found = sorted(((int(j), self.cosine(i, int(j))) for j in ids[best]), key=lambda p: (-p[1], p[0]))
            out.append(found)
        return out


def meaning_neighbours(matrix: np.ndarray, present: np.ndarray, k: int = NEIGHBOURS,
                       block: int = 1024) -> list[list[tuple[int, float]]]:
    """Each row's ``k`` nearest other rows by cosine (rows are unit vectors; absent rows: none)."""
    n = matrix.shape[0]
    out: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    rows = np.flatnonzero(present)
    if len(rows) < 2:
        return out
    sub = matrix[rows]
    take = min(k, len(rows) - 1)
    for start in range(0, len(rows), block):
        sims = sub[start:start + block] @ sub.T
        for r in range(sims.shape[0]):
            sims[r, start + r] = -np.inf
        part = np.argpartition(-sims, take - 1, axis=1)[:, :take]
        for r in range(sims.shape[0]):
            picked = sorted(((int(rows[c]), float(sims[r, c])) for c in part[r]), key=lambda p: (-p[1], p[0]))
            out[int(rows[start + r])] = picked
    return out


def vector_matrix(texts: Sequence[Text], vectors: Mapping[str, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray]:
    """(unit vectors, row has a vector) in the order of ``texts``; zeros where none is given."""
    vectors = vectors or {}
    dims = next((len(v) for v in vectors.values()), 1)
    matrix = np.zeros((len(texts), dims), np.float32)
    present = np.zeros(len(texts), bool)
    for i, text in enumerate(texts):
        v = vectors.get(text.id)
        if v is not None:
            norm = float(np.linalg.norm(v))
            if norm > 0:
                matrix[i] = np.asarray(v, np.float32) / norm
                present[i] = True
    return matrix, present


def combined(words: float, meaning: float | None) -> float:
    """The similarity of two texts: the mean of words and meaning, or words alone."""
    return words if meaning is None else (words + meaning) / 2


def hub_adjusted(score: float, typical_a: float, typical_b: float) -> float:
    """A pair's score minus half of each text's typical similarity to its nearest neighbours."""
    return score - (typical_a + typical_b) / 2


def _unit(weights: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {t: w / norm for t, w in weights.items()} if norm else {}
