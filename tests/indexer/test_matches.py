"""A query's matches answer the same in their sparse and dense forms."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.engine.matches import Matches

SIZE = 64


@settings(max_examples=200, deadline=None)
@given(st.sets(st.integers(0, SIZE - 1), max_size=SIZE), st.lists(st.integers(0, SIZE - 1), max_size=20))
def test_membership_and_scores_at_any_documents_are_the_same_sparse_or_dense(members, asked) -> None:
    ids = np.array(sorted(members), dtype=np.int64)
    scores = (ids + 1).astype(np.float32)
    sparse = Matches(SIZE, ids=ids, scores=scores)
    dense = Matches(SIZE, mask=sparse.mask, score=sparse.score)
    docs = np.array(sorted(asked), dtype=np.int64)
    expected = np.isin(docs, ids)
    for form in (sparse, dense):
        found, score = form.at(docs)
        assert found.tolist() == expected.tolist()
        assert form.has(docs).tolist() == expected.tolist()
        distinct = np.unique(docs)
        assert form.has(distinct, ascending=True).tolist() == np.isin(distinct, ids).tolist()
        assert score.tolist() == np.where(expected, docs + 1, 0).astype(np.float32).tolist()
