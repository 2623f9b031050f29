"""Visibility is structural: nothing internal reaches the public side in any form."""

from __future__ import annotations

import pytest

from indexer import Searcher, build_index
from tests.indexer.conftest import tsg

SECRET = "xylophonicus"  # appears only in an internal article
DRAFT_WORD = "quarkwidget"  # appears only in an internal draft

FILES = {
    "public/odbc.md": tsg("P1", "ODBC login timeout on public networks", symptoms="Login timeout expired.",
                          extra="product: SQL Server\ntags: [odbc, timeout]\n"
                                "resolution_codes: [configuration-change]\n"),
    "public/vpn.md": tsg("P2", "VPN drops every few minutes", symptoms="The xylophone tunnel drops.",
                         extra="product: VPN Gateway\ntags: [vpn]\n"),
    "internal/secret.md": tsg(
        "I1", f"Xylophonicus backend failover runbook {SECRET}", audience="internal",
        symptoms=f"The {SECRET} cluster reports login timeout expired during failover.",
        extra="product: Secret Backend\ntags: [secret-tag]\nresolution_codes: [escalated-engineering]\n"
              f"error_codes: [XYLO-{SECRET}-42]\n"),
    "internal/draft.md": tsg("I2", f"Draft about {DRAFT_WORD} sizing", audience="internal", status="draft",
                             symptoms=f"{DRAFT_WORD} runs out of memory."),
    "internal/review.md": tsg("I3", "Public article still in review", audience="public", status="review",
                              symptoms="reviewonlyterm appears here."),
}


@pytest.fixture
def planted(corpus) -> Searcher:
    articles, root = corpus(FILES)
    build_index(articles, root)
    with Searcher(root) as searcher:
        yield searcher


def _everything_public(searcher: Searcher, query: str) -> str:
    """Every public output for a query, flattened to one lowercase string."""
    page = searcher.search(query, limit=50, explain=True)
    suggestion = searcher.suggest(query, query * 3, limit=50)
    parts = [repr(page.as_dict()), repr(suggestion.as_dict()),
             repr(searcher.autocomplete(query)), repr(searcher.facet_values()),
             repr(searcher.list_articles(limit=100))]
    return " ".join(parts).lower()


@pytest.mark.parametrize("query", [SECRET, SECRET[:-1] + "x", SECRET[:5], "xylophonic", f"{SECRET} login",
                                   "secret backend", "secret-tag", f"XYLO-{SECRET}-42", "failover runbook",
                                   DRAFT_WORD, "reviewonlyterm", "", "login timeout"])
def test_public_side_never_shows_internal_words(planted: Searcher, query: str) -> None:
    page = planted.search(query, limit=50)
    assert all(h.id.startswith("P") for h in page.hits)
    assert page.total == len(page.hits) <= 2
    assert all(h["id"].startswith("P") for h in planted.autocomplete(query))
    assert all(h.id.startswith("P") for h in planted.suggest(query, query).hits)
    flat = _everything_public(planted, query)
    leaks = (SECRET, DRAFT_WORD, "secret backend", "secret-tag", "escalated-engineering", "reviewonlyterm",
             "'i1'", "'i2'", "'i3'", "failover")
    for word in leaks:
        if word.strip("'") in query.lower():
            continue  # a query's own words are echoed back (query, terms); that is not a leak
        assert word not in flat, f"{word!r} leaked for query {query!r}"


def test_public_counts_and_facets_come_from_public_articles_only(planted: Searcher) -> None:
    page = planted.search("login timeout")
    assert [h.id for h in page.hits] == ["P1"] and page.total == 1
    assert {f.value for f in page.facets["product"]} == {"SQL Server"}
    facets = planted.facet_values()
    assert {f.value for f in facets["product"]} == {"SQL Server", "VPN Gateway"}
    assert {f.value for f in facets["resolution_code"]} == {"configuration-change"}
    assert planted.list_articles()[0] == 2
    assert planted.stats("public")["doc_count"] == 2


def test_public_did_you_mean_and_autocomplete_use_the_public_vocabulary(planted: Searcher) -> None:
    page = planted.search("xylophonicux")
    assert page.total == 0 or all(h.id.startswith("P") for h in page.hits)
    assert page.did_you_mean is None or SECRET not in page.did_you_mean
    assert planted.autocomplete("xylo") == []
    assert planted.autocomplete("odbc lo") == [{"id": "P1", "title": "ODBC login timeout on public networks"}]


def test_public_cannot_fetch_internal_articles(planted: Searcher) -> None:
    assert planted.get_article("I1") is None
    assert planted.get_article("I3") is None
    assert planted.get_article("P1").title.startswith("ODBC")


def test_engineers_see_published_and_authors_also_drafts(planted: Searcher) -> None:
    engineer = {"audience": "internal", "statuses": ("published",)}
    author = {"audience": "internal", "statuses": ("draft", "review", "published")}
    assert [h.id for h in planted.search(SECRET, **engineer).hits] == ["I1"]
    assert planted.search(DRAFT_WORD, **engineer).total == 0
    assert [h.id for h in planted.search(DRAFT_WORD, **author).hits] == ["I2"]
    assert [h.id for h in planted.search("reviewonlyterm", **author).hits] == ["I3"]
    assert planted.get_article("I2", **engineer) is None
    assert planted.get_article("I2", **author).status == "draft"
    assert planted.autocomplete("draft about", **engineer) == []
    assert planted.autocomplete("draft about", **author)[0]["id"] == "I2"
    # An engineer is not steered towards a word that only a draft contains.
    assert DRAFT_WORD not in (planted.search(DRAFT_WORD[:-1] + "x", **engineer).did_you_mean or "")
    total, hits = planted.list_articles(**engineer)
    assert total == 3 and {h.id for h in hits} == {"P1", "P2", "I1"}
    facets = planted.facet_values(**engineer)
    assert sum(f.count for f in facets["type"]) == 3


def test_no_statuses_means_nothing_visible(planted: Searcher) -> None:
    assert planted.search("login", audience="internal", statuses=()).total == 0
    assert planted.search("", audience="internal", statuses=()).hits == []
    assert planted.get_article("I1", audience="internal", statuses=()) is None
    assert planted.autocomplete("odbc", audience="internal", statuses=()) == []


def test_status_filter_in_the_query_cannot_widen_visibility(planted: Searcher) -> None:
    assert planted.search(f"{DRAFT_WORD} status:draft", audience="internal").total == 0
    assert planted.search(f"{DRAFT_WORD} status:draft").total == 0


def test_unknown_audience_is_a_programming_error(planted: Searcher) -> None:
    with pytest.raises(ValueError, match="audience"):
        planted.search("x", audience="everyone")


@pytest.mark.parametrize("visible_word", ["vpn", "odbc", "login timeout"])
def test_did_you_mean_never_corrects_a_word_into_one_only_hidden_articles_contain(planted: Searcher,
                                                                                  visible_word: str) -> None:
    # A visible word beside the typo used to be enough for the whole suggestion to pass.
    engineer = {"audience": "internal", "statuses": ("published",)}
    typo = DRAFT_WORD[:3] + DRAFT_WORD[4:]  # one letter dropped: "quawidget"-like
    for audience in (engineer, {"audience": "internal", "statuses": ("published", "review")}):
        page = planted.search(f"{visible_word} {typo}", **audience)
        assert DRAFT_WORD not in (page.did_you_mean or ""), page.did_you_mean
    author = {"audience": "internal", "statuses": ("draft", "review", "published")}
    assert DRAFT_WORD in (planted.search(f"{visible_word} {typo}", **author).did_you_mean or "")
    # Review articles are hidden from engineers the same way.
    assert "reviewonlyterm" not in (planted.search(f"{visible_word} reviewonlyterx", **engineer).did_you_mean
                                    or "")
