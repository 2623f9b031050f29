"""The help center shows validated public articles only, unless the mapping file says otherwise;
search prefers validated, fresh articles by a small, explained factor."""

from datetime import date, timedelta

from indexer import Searcher, build_index
from indexer.ranking import CONFIDENCE_FACTORS, STALE_FACTOR, multiplier, trust
from tests.kcs.conftest import front

TODAY = date(2026, 11, 1)


def public_ids(index) -> set[str]:
    with Searcher(index) as searcher:
        _total, hits = searcher.list_articles(audience="public", statuses=("published",), limit=50)
    return {h.id for h in hits}


def test_not_validated_public_articles_stay_out_of_the_help_center_until_the_mapping_lets_them_in(make_kb, tmp_path):
    root = make_kb({
        "a.md": front("A", "Validated how-to", audience="public", confidence="validated"),
        "b.md": front("B", "Published before confidence was tracked", audience="public"),
        "c.md": front("C", "Captured, not validated", audience="public", confidence="not-validated"),
    })
    index = tmp_path / "index"
    build_index(root, index, embed=False)
    assert public_ids(index) == {"A", "B"}
    with Searcher(index) as searcher:  # engineers still find it, with its confidence
        assert searcher.get_article("C", audience="internal", statuses=("published",)) is not None
    (root / "kb.yaml").write_text("help_center: published\n", encoding="utf-8")
    build_index(root, index, embed=False)  # nothing changed in the articles: the policy alone
    assert public_ids(index) == {"A", "B", "C"}
    (root / "kb.yaml").write_text("help_center: validated\n", encoding="utf-8")
    build_index(root, index, embed=False)
    assert public_ids(index) == {"A", "B"}


def test_validating_an_article_publishes_it_to_the_help_center_on_the_next_index(make_kb, tmp_path):
    root = make_kb({"c.md": front("C", "Captured", audience="public", confidence="not-validated")})
    index = tmp_path / "index"
    build_index(root, index, embed=False)
    assert public_ids(index) == set()
    (root / "c.md").write_text(front("C", "Captured", audience="public", confidence="validated"), encoding="utf-8")
    build_index(root, index, embed=False)
    assert public_ids(index) == {"C"}


def test_the_trust_factor_is_modest_and_named_in_the_explanation():
    fresh = trust("validated", (TODAY - timedelta(days=10)).isoformat(), (TODAY + timedelta(days=90)).isoformat(),
                  TODAY)
    stale = trust("not-validated", "2024-01-01", (TODAY - timedelta(days=1)).isoformat(), TODAY)
    assert fresh == {"confidence": 1.0}
    assert stale == {"confidence": CONFIDENCE_FACTORS["not-validated"], "freshness": STALE_FACTOR}
    high, _ = multiplier(0, 0, 0, None, fresh)
    low, parts = multiplier(0, 0, 0, None, stale)
    assert 0.85 <= low < high == 1.0 and high / low < 1.15
    assert set(parts) == {"reuse", "confidence", "freshness"}
