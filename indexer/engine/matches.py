"""A query's matches over an index version: sorted document ids with scores, or dense arrays.

Most of what a search evaluates is selective: a rare word, an error code, the handful of
documents with every word of a title. Those stay *sparse*, sorted ids and their scores,
and cost in proportion to their length. Common words and wide OR queries become *dense*,
a match mask and a score per document of the version, where numpy's whole-array
operations are cheapest. Every operation takes either form and picks the cheaper result;
scores are summed in single precision in the same order either way, so both forms give
the same numbers. Scores are zeroed outside a mask by multiplying by it: the same numbers
as ``np.where`` (scores are finite and not negative), at a tenth of its cost on masks
without long runs.
"""

from __future__ import annotations

import numpy as np

SCORE = np.float32
# A result with more matches than size / DENSE_FRACTION is kept dense.
DENSE_FRACTION = 16
_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_SCORES = np.zeros(0, dtype=SCORE)


class Matches:
    """Documents a query matches and their scores. Never modified once made."""

    __slots__ = ("size", "_ids", "_scores", "_mask", "_score", "fields")

    def __init__(self, size: int, *, ids: np.ndarray | None = None, scores: np.ndarray | None = None,
                 mask: np.ndarray | None = None, score: np.ndarray | None = None,
                 fields: dict[str, np.ndarray] | None = None):
        self.size = size
        self._ids, self._scores = ids, scores
        self._mask, self._score = mask, score
        self.fields = fields  # dense score per field, when an explanation asked for it

    @classmethod
    def none(cls, size: int) -> Matches:
        return cls(size, ids=_EMPTY_IDS, scores=_EMPTY_SCORES)

    @classmethod
    def sparse(cls, size: int, ids: np.ndarray, scores: np.ndarray) -> Matches:
        """From sorted, unique ids (kept sparse unless they cover much of the version)."""
        if len(ids) * DENSE_FRACTION > size:
            mask = np.zeros(size, dtype=bool)
            mask[ids] = True
            score = np.zeros(size, dtype=SCORE)
            score[ids] = scores
            return cls(size, mask=mask, score=score)
        return cls(size, ids=ids, scores=scores)

    @property
    def is_sparse(self) -> bool:
        return self._ids is not None

    @property
    def ids(self) -> np.ndarray:
        """Matching documents, ascending."""
        if self._ids is None:
            self._ids = np.flatnonzero(self._mask)
        return self._ids

    @property
    def scores(self) -> np.ndarray:
        """Scores of :attr:`ids`, in the same order."""
        if self._scores is None:
            self._scores = self._score[self.ids]
        return self._scores

    @property
    def mask(self) -> np.ndarray:
        """``mask[d]``: whether document ``d`` matches (dense)."""
        if self._mask is None:
            self._mask = np.zeros(self.size, dtype=bool)
            self._mask[self._ids] = True
        return self._mask

    @property
    def score(self) -> np.ndarray:
        """``score[d]``: document ``d``'s score, 0 where it does not match (dense)."""
        if self._score is None:
            self._score = np.zeros(self.size, dtype=SCORE)
            self._score[self._ids] = self._scores
        return self._score

    def count(self) -> int:
        return len(self._ids) if self._ids is not None else int(np.count_nonzero(self._mask))

    def any(self) -> bool:
        return self.count() > 0

    def at(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(matches, scores) at the documents ``docs``: whether each matches and its score (0 if not)."""
        if self._ids is None:
            return self._mask[docs], self._score[docs]
        if not len(self._ids):
            return np.zeros(len(docs), dtype=bool), np.zeros(len(docs), dtype=SCORE)
        found, where = self._locate(docs)
        return found, self._scores[where] * found

    def has(self, docs: np.ndarray, *, ascending: bool = False) -> np.ndarray:
        """Whether each of ``docs`` matches: :meth:`at` without the scores. With ``ascending``
        (``docs`` sorted, each once), far fewer matches than ``docs`` are looked up among them
        instead: the cost follows the shorter list."""
        if self._ids is None:
            return self._mask[docs]
        ids = self._ids
        if not ascending or len(ids) * 4 >= len(docs):
            return self._locate(docs)[0]
        found = np.zeros(len(docs), dtype=bool)
        where = np.searchsorted(docs, ids)
        inside = where < len(docs)
        where = where[inside]
        found[where[docs[where] == ids[inside]]] = True
        return found

    def _locate(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Whether each of ``docs`` is among the (sparse) ids, and where it is (or 0)."""
        ids = self._ids
        if not len(ids):
            return np.zeros(len(docs), dtype=bool), np.zeros(len(docs), dtype=np.intp)
        where = np.searchsorted(ids, docs)
        where[where == len(ids)] = 0
        return ids[where] == docs, where

    def times(self, boost: float) -> Matches:
        fields = None if self.fields is None else {k: v * boost for k, v in self.fields.items()}
        if self._ids is not None:
            return Matches(self.size, ids=self._ids, scores=self._scores * boost, fields=fields)
        return Matches(self.size, mask=self._mask, score=self._score * boost, fields=fields)

    def only(self, keep: np.ndarray) -> Matches:
        """These matches restricted to a dense mask ``keep``."""
        if self._mask is None:  # sparse (dense matches may have their ids listed too)
            inside = keep[self._ids]
            return Matches(self.size, ids=self._ids[inside], scores=self._scores[inside],
                           fields=_masked_fields(self.fields, keep))
        mask = self._mask & keep
        return Matches(self.size, mask=mask, score=self._score * mask,
                       fields=_masked_fields(self.fields, keep))


def _masked_fields(fields, keep):
    return None if fields is None else {k: v * keep for k, v in fields.items()}


def all_of(parts: list[Matches], dense: bool = False) -> Matches:
    """Documents every part matches, scored by the sum of the parts' scores."""
    size = parts[0].size
    if not dense and any(p.is_sparse for p in parts):
        base = min((p for p in parts if p.is_sparse), key=lambda p: len(p.ids))
        ids = base.ids
        keep = np.ones(len(ids), dtype=bool)
        for p in parts:
            if p is not base and len(ids):
                found, _ = p.at(ids)
                keep &= found
        ids = ids[keep]
        score = np.zeros(len(ids), dtype=SCORE)
        for p in parts:  # in the parts' order, as the dense sum
            score += p.scores[keep] if p is base else p.at(ids)[1]
        return Matches(size, ids=ids, scores=score)
    mask = parts[0].mask.copy()
    for p in parts[1:]:
        mask &= p.mask
    fields = _sum_fields(parts, mask)
    if not dense and fields is None and np.count_nonzero(mask) * DENSE_FRACTION <= size:
        # Few documents have every part: add up their scores alone (same parts, same order).
        ids = np.flatnonzero(mask)
        score = parts[0].score[ids]
        for p in parts[1:]:
            score += p.score[ids]
        return Matches(size, ids=ids, scores=score)
    score = parts[0].score.copy()
    for p in parts[1:]:
        score += p.score
    score *= mask
    return Matches(size, mask=mask, score=score, fields=fields)


def any_of(parts: list[Matches], dense: bool = False) -> Matches:
    """Documents any part matches, scored by the sum of the scores of the parts that match."""
    size = parts[0].size
    if not dense and all(p.is_sparse for p in parts) and sum(len(p.ids) for p in parts) * DENSE_FRACTION <= size:
        ids = _union(parts)
        score = np.zeros(len(ids), dtype=SCORE)
        for p in parts:
            score[np.searchsorted(ids, p.ids)] += p.scores
        return Matches(size, ids=ids, scores=score)
    # Start from a copy of a dense first or second part (a word's dense matches, then its few
    # title matches): one copy instead of zeros and a sum. The first two of a sum commute,
    # so every score still adds up in the parts' order.
    first = next((p for p in parts[:2] if not p.is_sparse), None)
    mask = first.mask.copy() if first is not None else np.zeros(size, dtype=bool)
    score = first.score.copy() if first is not None else np.zeros(size, dtype=SCORE)
    for p in parts:
        if p is first:
            continue
        if p.is_sparse:
            mask[p.ids] = True
            score[p.ids] += p.scores
        else:
            mask |= p.mask
            score += p.score
    return Matches(size, mask=mask, score=score, fields=_sum_fields(parts, None))


def _union(parts: list[Matches]) -> np.ndarray:
    """The sorted, distinct ids of sparse parts: ``np.unique`` of them, 5-20 times faster for
    these lengths. Each part is sorted already, which a stable (merge) sort uses: it only
    merges the parts."""
    ids = np.concatenate([p.ids for p in parts])
    ids.sort(kind="stable")
    if len(ids) > 1:
        first = np.empty(len(ids), dtype=bool)
        first[0] = True
        np.not_equal(ids[1:], ids[:-1], out=first[1:])
        ids = ids[first]
    return ids


def _sum_fields(parts: list[Matches], mask: np.ndarray | None) -> dict[str, np.ndarray] | None:
    if not any(p.fields is not None for p in parts):
        return None
    out: dict[str, np.ndarray] = {}
    for p in parts:
        for name, part in (p.fields or {}).items():
            out[name] = out[name] + part if name in out else part.copy()
    if mask is not None:
        out = {k: v * mask for k, v in out.items()}
    return out
