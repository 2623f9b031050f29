"""Query trees rewritten without deep copies: the very trees Whoosh's own rewrites give."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from indexer.engine.query_tree import boosted, normalized
from indexer.plan import build_plan
from indexer.query import parse_query
from indexer.synonyms import Synonyms

BOOSTS = st.sampled_from([1.0, 1.0, 0.5, 2.0, 3.0])
TERMS = st.builds(wq.Term, st.sampled_from(["content", "title"]), st.sampled_from(["vpn", "dns", "ora", "12154"]),
                  boost=BOOSTS)
LEAVES = st.one_of(TERMS, st.just(wq.NullQuery),
                   st.builds(lambda w, b: wq.Phrase("content", w, boost=b), st.lists(st.sampled_from(["a", "b"]),
                                                                                     min_size=1, max_size=3), BOOSTS))
TREES = st.recursive(LEAVES, lambda children: st.one_of(
    st.builds(lambda c, b: wq.And(c, boost=b), st.lists(children, min_size=0, max_size=4), BOOSTS),
    st.builds(lambda c, b: wq.Or(c, boost=b), st.lists(children, min_size=0, max_size=4), BOOSTS),
    st.builds(lambda a, b: wq.AndMaybe(a, b), children, children),
), max_leaves=14)


@settings(max_examples=400, deadline=None)
@given(TREES)
def test_normalized_trees_equal_whooshs_normalize(q) -> None:
    assert normalized(q) == q.normalize()


@settings(max_examples=200, deadline=None)
@given(TREES)
def test_normalizing_leaves_the_tree_it_was_given_unchanged(q) -> None:
    before = repr(q)
    normalized(q)
    assert repr(q) == before


def test_plans_of_real_queries_normalize_as_whoosh_does() -> None:
    for text in ["odbc login timeout expired", "ORA-12154 tns could not resolve", '"access denied" share',
                 "sign-in loop x64 System.IO.IOException", "outlook keeps asking for password after update"]:
        plan = build_plan(parse_query(text), Synonyms(), lambda _code: False, lambda _key: False)
        for q in [plan.core_all(), plan.core_any(), plan.any_term(), *plan.unit_queries()]:
            assert normalized(q) == q.normalize(), text


def test_a_new_boost_copies_the_node_and_leaves_the_original() -> None:
    child = wq.Term("content", "vpn")
    q = wq.Or([child, wq.Term("title", "vpn")], boost=1.5)
    again = boosted(q, 3.0)
    assert again.boost == 3.0 and q.boost == 1.5 and again.subqueries == q.subqueries
    assert boosted(q, 1.5) is q
