"""Facet counts: exact over any set of matches, whichever way they are counted."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from indexer import Searcher
from indexer.engine.matches import Matches
from indexer.facets import FACET_FIELDS, MAX_FACET_VALUES, ValueTable


def _values(stored: dict, name: str) -> list[str]:
    """A document's values of one facet, as the index keeps them (tags lowercased)."""
    raw = stored.get(FACET_FIELDS[name]) or ""
    if name == "tag":
        return [t.strip().lower() for t in raw.split(",") if t.strip()]
    if name == "resolution_code":
        return [c.strip() for c in raw.split(",") if c.strip()]
    return [raw] if raw else []


def _expected(stored: list[dict], docs: list[int]) -> dict[str, list[tuple[str, int]]]:
    out = {}
    for name in FACET_FIELDS:
        counts = Counter(v for d in docs for v in set(_values(stored[d], name)))
        out[name] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))[:MAX_FACET_VALUES]
    return out


@pytest.fixture(scope="module")
def version(sample_index):
    with Searcher(sample_index) as s, s._versions.use("internal") as ctx:
        stored = [ctx.searcher.stored_fields(d) for d in range(ctx.searcher.doc_count_all())]
        yield ctx.view.facets, stored


def test_the_sample_holds_values_counted_by_bitset_and_by_pairs(version) -> None:
    facets, _stored = version
    table = facets._every_value().table
    assert len(table.frequent) and len(table.rare), "both ways of counting must be exercised"


@pytest.mark.parametrize("share", [0.0, 0.02, 0.1, 0.5, 0.9, 1.0])
def test_counts_over_a_mask_equal_each_documents_own_values(version, share: float) -> None:
    facets, stored = version
    rng = np.random.default_rng(int(share * 100))
    mask = rng.random(len(stored)) < share
    got = {name: [(f.value, f.count) for f in found] for name, found in facets.counts(mask).items()}
    assert got == _expected(stored, np.flatnonzero(mask).tolist())


@pytest.mark.parametrize("count", [1, 3, 8, 40])
def test_counts_over_a_few_matches_equal_those_over_the_same_mask(version, count: int) -> None:
    facets, stored = version
    rng = np.random.default_rng(count)
    ids = np.sort(rng.choice(len(stored), size=min(count, len(stored)), replace=False))
    sparse = Matches.sparse(len(stored), ids, np.ones(len(ids)))
    got = {name: [(f.value, f.count) for f in found] for name, found in facets.counts(sparse).items()}
    assert got == _expected(stored, ids.tolist())


def test_a_value_table_counts_bitsets_and_pairs_alike() -> None:
    # Value 0 is in every other document (a bitset), 1 in three of them, 2 in one (pairs).
    size = 200
    groups = [np.arange(0, size, 2), np.array([1, 64, 199]), np.array([63])]
    docs = np.concatenate(groups).astype(np.int32)
    starts = np.cumsum([0, *(len(g) for g in groups[:-1])])
    table = ValueTable(["even", "few", "one"], docs, starts, size)
    assert table.frequent.tolist() == [0] and table.rare.tolist() == [1, 2]
    mask = np.zeros(size, dtype=bool)
    mask[[0, 1, 2, 63, 64, 65, 198, 199]] = True
    words = np.packbits(np.append(mask, np.zeros(56, dtype=bool)), bitorder="little").view(np.uint64)
    assert table.count(mask, words).tolist() == [4, 3, 1]
