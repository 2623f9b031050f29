#!/usr/bin/env python3
"""Retrieval metrics with binary relevance, and latency percentiles, for kb benchmarks.

Why hand-written: the benchmarks must run with the standard library only, and the exact
definitions (cut-offs, ideal DCG, what AP divides by) matter when comparing runs, so they
are spelled out here once.

Every metric takes `ranked` (result ids, best first) and `relevant` (a collection of the
relevant ids). A repeated id in `ranked` is dropped after its first position (the
later results move up), so a buggy duplicate cannot earn credit twice.
"""

from __future__ import annotations

import math
from typing import Collection, Iterable, Sequence

__all__ = ["success_at_1", "mrr_at_k", "ndcg_at_k", "recall_at_k", "average_precision", "percentile", "mean"]


def _dedup(ranked: Iterable[str], k: int | None) -> list[str]:
    seen, out = set(), []
    for item in ranked:
        if item not in seen:
            seen.add(item)
            out.append(item)
            if k is not None and len(out) >= k:
                break
    return out


def success_at_1(ranked: Sequence[str], relevant: Collection[str]) -> float:
    """1.0 if the first result is relevant, else 0.0."""
    return 1.0 if ranked and ranked[0] in relevant else 0.0


def mrr_at_k(ranked: Sequence[str], relevant: Collection[str], k: int = 10) -> float:
    """Reciprocal rank of the first relevant result within the top k (0.0 if none)."""
    for pos, item in enumerate(_dedup(ranked, k), 1):
        if item in relevant:
            return 1.0 / pos
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Collection[str], k: int = 10) -> float:
    """nDCG@k: gain 1 per relevant result discounted by log2(rank + 1); the ideal ranking
    puts min(|relevant|, k) relevant results first. 0.0 when nothing is relevant."""
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(pos + 1) for pos, item in enumerate(_dedup(ranked, k), 1) if item in relevant)
    ideal = sum(1.0 / math.log2(pos + 1) for pos in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int = 10) -> float:
    """Share of the relevant items found in the top k. 0.0 when nothing is relevant."""
    if not relevant:
        return 0.0
    return sum(1 for item in _dedup(ranked, k) if item in relevant) / len(relevant)


def average_precision(ranked: Sequence[str], relevant: Collection[str], k: int | None = None) -> float:
    """Mean of precision@i over the ranks i (within the top k, if given) that hold a relevant
    result, divided by the total number of relevant items (TREC convention: relevant items
    that were never retrieved count as zero precision)."""
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for pos, item in enumerate(_dedup(ranked, k), 1):
        if item in relevant:
            hits += 1
            total += hits / pos
    return total / len(relevant)


def mean(values: Iterable[float]) -> float:
    """Arithmetic mean; 0.0 for no values (an empty benchmark should not crash the report)."""
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def percentile(values: Iterable[float], p: float) -> float:
    """p-th percentile (0-100) with linear interpolation between closest ranks (the method
    numpy calls 'linear'), e.g. percentile(latencies, 95). NaN for no values."""
    data = sorted(values)
    if not data:
        return math.nan
    if not 0 <= p <= 100:
        raise ValueError("p must be within 0..100")
    pos = (len(data) - 1) * p / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def _self_check() -> None:
    """Compare against values worked out by hand."""

    def close(a: float, b: float) -> bool:
        return abs(a - b) < 1e-9

    ranked = ["d3", "d1", "d7", "d2", "d9"]
    rel = {"d1", "d2", "d5"}
    # first relevant at rank 2
    assert success_at_1(ranked, rel) == 0.0 and success_at_1(["d1"], rel) == 1.0
    assert close(mrr_at_k(ranked, rel, 10), 0.5)
    assert mrr_at_k(ranked, rel, 1) == 0.0
    # DCG = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677 = 1.061607
    # IDCG (3 relevant) = 1 + 1/log2(3) + 1/log2(4) = 1 + 0.630930 + 0.5 = 2.130930
    assert close(ndcg_at_k(ranked, rel, 10), (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3) + 0.5))
    assert abs(ndcg_at_k(ranked, rel, 10) - 0.498189) < 1e-6  # 1.061607 / 2.130930
    # k=2: DCG = 1/log2(3); IDCG capped at 2 items = 1 + 1/log2(3)
    assert abs(ndcg_at_k(ranked, rel, 2) - 0.386853) < 1e-6
    assert ndcg_at_k(["d1", "d2", "d5"], rel, 10) == 1.0
    # recall: 2 of 3 found in top 5, 1 of 3 in top 2
    assert close(recall_at_k(ranked, rel, 5), 2 / 3) and close(recall_at_k(ranked, rel, 2), 1 / 3)
    # AP = (1/2 + 2/4) / 3 = 1/3; with k=2 only the hit at rank 2 counts: (1/2) / 3
    assert close(average_precision(ranked, rel), 1 / 3)
    assert close(average_precision(ranked, rel, k=2), 1 / 6)
    # a repeated id is dropped from the list: d2 counts at rank 2, so AP = (1/1 + 2/2) / 2
    assert close(average_precision(["d1", "d1", "d2"], {"d1", "d2"}), 1.0)
    assert close(recall_at_k(["d1", "d1"], {"d1", "d2"}, 2), 0.5)
    assert ndcg_at_k([], rel) == 0.0 and recall_at_k(ranked, set()) == 0.0
    # percentiles of 1..10: p50 = 5.5, p95 = 9.55, p0 = 1, p100 = 10
    data = list(range(10, 0, -1))
    assert close(percentile(data, 50), 5.5) and close(percentile(data, 95), 9.55)
    assert percentile(data, 0) == 1 and percentile(data, 100) == 10 and percentile([7], 95) == 7
    assert math.isnan(percentile([], 50)) and mean([]) == 0.0 and close(mean([1, 2]), 1.5)


if __name__ == "__main__":
    _self_check()
    print("metrics self-check passed")
