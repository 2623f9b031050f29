"""A query's matches answer the same in their sparse and dense forms."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from indexer.engine.matches import Matches, all_of, any_of

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


def _reference(parts: list[dict[int, float]], every: bool) -> dict[int, np.float32]:
    """Documents every (or any) part matches, their scores summed in single precision in
    the parts' order."""
    docs = set.intersection(*map(set, parts)) if every else set().union(*parts)
    out = {}
    for d in docs:
        total = np.float32(0)
        for part in parts:
            if d in part:
                total = np.float32(total + np.float32(part[d]))
        out[d] = total
    return out


_SCORE = st.floats(2.0 ** -20, 2.0 ** 20, width=32)
_PART = st.tuples(st.dictionaries(st.integers(0, SIZE - 1), _SCORE, max_size=SIZE), st.booleans())


@settings(max_examples=300, deadline=None)
@given(st.lists(_PART, min_size=1, max_size=5))
# Three scores whose single-precision sum depends on the order they are added in.
@example([({0: 2.4265429973602295}, False), ({0: 2.9179861545562744}, False), ({0: 2.174499988555908}, True)])
def test_all_of_and_any_of_sum_each_documents_scores_in_the_parts_order_whatever_their_forms(parts) -> None:
    matches = []
    for scores, dense in parts:
        ids = np.array(sorted(scores), dtype=np.int64)
        values = np.array([scores[d] for d in sorted(scores)], dtype=np.float32)
        sparse = Matches(SIZE, ids=ids, scores=values)
        matches.append(Matches(SIZE, mask=sparse.mask, score=sparse.score) if dense else sparse)
    plain = [scores for scores, _ in parts]
    for combine, every in ((all_of, True), (any_of, False)):
        expected = _reference(plain, every)
        for result in (combine(matches), combine(matches, dense=True)):
            assert result.ids.tolist() == sorted(expected)
            assert result.scores.tolist() == [float(expected[d]) for d in sorted(expected)]
            assert result.mask.tolist() == [d in expected for d in range(SIZE)]
