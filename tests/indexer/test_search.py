"""Ranking, snippets, facets, pagination, suggestions, autocomplete and explanations."""

from __future__ import annotations

import shutil
import threading
import time
from contextlib import contextmanager
from datetime import date

import pytest
from bs4 import BeautifulSoup

from indexer import Searcher, Signals, build_index
from indexer.search import MAX_QUERY_UNITS
from tests.indexer.conftest import tsg


def ranked(searcher: Searcher, query: str, **kwargs) -> list[str]:
    return [h.id for h in searcher.search(query, limit=20, **kwargs).hits]


GIZMO = "product: Gizmo\n"


@pytest.fixture
def small(corpus):
    """A small corpus built so that each ranking rule decides one pair of articles."""
    files = {
        # all-terms vs some-terms: B has "alpha" in its title, but only A has both words
        "a.md": tsg("A", "Notes on several things", symptoms="alpha and beta both fail here."),
        "b.md": tsg("B", "Alpha alpha alpha", symptoms="alpha alpha alpha only."),
        # exact error code: both mention 0x8007000e, only D declares it
        "c.md": tsg("C", "Memory trouble in the worker", symptoms="Error 0x8007000e is logged, and more."),
        "d.md": tsg("D", "Worker runs out of memory", symptoms="The worker stops; see 0x8007000e.",
                    extra="error_codes: [\"0x8007000E\"]\n"),
        # exact title
        "e.md": tsg("E", "Printer spooler crashes", symptoms="Printer spooler crashes, spooler crashes."),
        "f.md": tsg("F", "Printer spooler crashes after driver update", symptoms="Spooler."),
        # helpfulness and reuse
        "g.md": tsg("G", "Gizmo calibration drift", symptoms="gizmo drifts", extra=GIZMO),
        "h.md": tsg("H", "Gizmo calibration drift recurring", symptoms="gizmo drifts", extra=GIZMO),
        # snippets must be escaped
        "x.md": tsg("X", "Script injection sample", symptoms="<script>alert('boom')</script> & <b>bold</b>",
                    extra="tags: [security, html]\nupdated: 2026-10-01\n"),
    }
    articles, root = corpus(files)
    build_index(articles, root)
    with Searcher(root) as searcher:
        yield searcher


def test_all_terms_rank_above_some_terms(small: Searcher) -> None:
    page = small.search("alpha beta")
    assert [h.id for h in page.hits][:2] == ["A", "B"]
    assert not page.relaxed and page.total == 2


def test_relaxed_when_no_article_has_every_term(small: Searcher) -> None:
    page = small.search("alpha gizmo")
    assert page.relaxed and page.total >= 3


def test_exact_error_code_is_boosted(small: Searcher) -> None:
    assert ranked(small, "0x8007000E")[:2] == ["D", "C"]
    page = small.search("8007000e", explain=True)
    assert page.hits[0].id == "D"


def test_exact_title_is_boosted(small: Searcher) -> None:
    assert ranked(small, "printer spooler crashes")[0] == "E"
    assert ranked(small, "Printer spooler crashes after driver update")[0] == "F"


def test_signals_give_a_modest_boost(corpus) -> None:
    articles, root = corpus({
        "g.md": tsg("G", "Gizmo calibration drift", symptoms="gizmo drifts"),
        "h.md": tsg("H", "Gizmo calibration drift", symptoms="gizmo drifts"),
        "k.md": tsg("K", "Gizmo calibration drift gizmo calibration", symptoms="gizmo calibration drift"),
    })
    build_index(articles, root)
    signals = {"H": Signals(reuse_count=50, helpful=20, unhelpful=0), "K": Signals(unhelpful=30)}
    with Searcher(root, signals=lambda: signals) as searcher:
        page = searcher.search("gizmo calibration drift", explain=True)
        order = [h.id for h in page.hits]
        assert order.index("H") < order.index("G")
        h = page.hits[order.index("H")]
        assert 1.0 < h.explanation["multiplier"] <= 1.25 and h.reuse_count == 50


def test_case_boosts_change_suggestion_order(small: Searcher) -> None:
    plain = small.suggest("gizmo calibration drift", "the gizmo drifts after a while")
    assert {h.id for h in plain.hits[:2]} == {"G", "H"}
    loser = plain.hits[1].id
    boosted = small.suggest("gizmo calibration drift", "the gizmo drifts after a while", boosts={loser: 3.0})
    assert boosted.hits[0].id == loser


def test_snippets_are_escaped_html_with_marks(small: Searcher) -> None:
    hit = small.search("alert boom").hits[0]
    assert hit.id == "X"
    soup = BeautifulSoup(hit.snippet, "html.parser")
    assert {tag.name for tag in soup.find_all(True)} == {"mark"}
    assert "<script>" in soup.get_text() and "<b>" in soup.get_text()
    assert [m.get_text() for m in soup.find_all("mark")] == ["alert", "boom"]


def test_facets_filters_and_query_syntax(small: Searcher) -> None:
    page = small.search("gizmo")
    assert {(f.value, f.count) for f in page.facets["product"]} == {("Gizmo", 2)}
    assert page.facets["type"][0].value == "tsg"
    assert ranked(small, "drift", product="gizmo")[:2] and ranked(small, "drift", product="nothing") == []
    assert ranked(small, "script", tag="HTML") == ["X"]
    assert ranked(small, "script tag:security type:tsg") == ["X"]
    assert ranked(small, "script type:how-to") == []
    assert ranked(small, "gizmo -recurring") == ["G"]
    assert ranked(small, 'gizmo -"drift recurring"') == ["G"]


def test_pagination_is_consistent(sample) -> None:
    everything = [h.id for h in sample.search("error", audience="internal", limit=100).hits]
    assert len(everything) > 12
    pages = [sample.search("error", audience="internal", limit=5, offset=o) for o in range(0, 15, 5)]
    assert [h.id for p in pages for h in p.hits] == everything[:15]
    assert all(p.total == len(everything) for p in pages)
    past = sample.search("error", audience="internal", limit=5, offset=5000)
    assert past.hits == [] and past.total == len(everything)


def test_empty_query_browses_everything_by_title(sample) -> None:
    page = sample.search("", audience="internal", limit=100)
    titles = [h.title.casefold() for h in page.hits]
    assert titles == sorted(titles) and page.total == len(titles)
    assert sample.search("😀", audience="internal").total == page.total


def test_did_you_mean_and_fuzzy_matching(sample) -> None:
    page = sample.search("deadlok victim", audience="internal")
    assert page.did_you_mean == "deadlock victim"
    assert page.fuzzy and page.hits[0].id == "KB0007"
    assert sample.search("deadlock victim", audience="internal").did_you_mean is None


def test_synonyms_find_articles_without_the_word(sample) -> None:
    page = sample.search("bsod", audience="internal")
    assert page.hits[0].id == "KB0013"


def test_long_queries_use_key_terms(sample) -> None:
    words = ("we see login timeout expired every morning when the app connects through odbc to sql server "
             "the firewall team says nothing changed but users keep calling the helpdesk about it")
    page = sample.search(words, audience="internal", explain=True)
    assert len(words.split()) > MAX_QUERY_UNITS
    assert page.notice and "distinctive terms" in page.notice
    assert page.hits[0].id == "KB0001"


def test_overlong_query_is_shortened_with_a_notice(sample) -> None:
    page = sample.search("odbc login timeout " + "x" * 5000, audience="internal")
    assert page.notice and "shortened" in page.notice


def test_explanations_show_fields_terms_and_boosts(sample) -> None:
    hit = sample.search("ORA-12154", audience="internal", explain=True).hits[0]
    ex = hit.explanation
    assert ex["tier"] == "all terms"
    assert "title" in ex["fields"] and "ora-12154" in ex["fields"]["title"]["terms"]
    assert ex["exact_error_codes"] == ["ora-12154"]
    assert ex["score"] == pytest.approx(hit.score, rel=1e-3)
    assert sample.search("ORA-12154", audience="internal").hits[0].explanation is None


def test_suggest_uses_codes_and_key_terms(sample) -> None:
    description = ("Hello, since this morning our reporting service cannot connect to the database. "
                   "The log shows ORA-12154: TNS:could not resolve the connect identifier specified. "
                   "We restarted the server twice and it did not help. Please advise. " * 20)
    page = sample.suggest("Reporting service cannot connect", description, audience="internal")
    assert page.hits[0].id == "KB0005"
    assert "ora-12154" in page.query and len(page.terms) <= 40


def test_suggest_respects_product_as_a_boost(sample) -> None:
    title = "certificate error when connecting"
    sql = sample.suggest(title, "The connection fails with a certificate trust error.", audience="internal",
                         product="sql server")
    assert sql.hits[0].product == "SQL Server"
    other = sample.suggest(title, "The connection fails with a certificate trust error.", audience="internal",
                           product="Windows Server")
    assert other.total == sql.total  # a boost, not a filter


def test_autocomplete_prefers_titles_that_start_with_the_prefix(sample) -> None:
    rows = sample.autocomplete("odbc", audience="internal")
    assert rows and all("odbc" in r["title"].lower() for r in rows)
    assert rows[0]["title"].lower().startswith("odbc")
    assert sample.autocomplete("sign-in lo", audience="internal")[0]["id"] == "KB0016"
    assert sample.autocomplete("o") == [] and sample.autocomplete("") == []


def test_get_article_is_rebuilt_from_stored_fields(sample) -> None:
    article = sample.get_article("KB0001")
    assert article.title.startswith("ODBC 'Login timeout expired'")
    assert article.type == "tsg" and "odbc" in article.tags and isinstance(article.updated, date)
    assert "## Symptoms" in article.body
    assert sample.get_article("nope") is None and sample.get_article("") is None


def test_list_articles_by_title_and_by_date(small: Searcher) -> None:
    total, hits = small.list_articles(limit=3)
    assert total == 9 and [h.title for h in hits] == sorted((h.title for h in hits), key=str.casefold)
    total, hits = small.list_articles(sort="updated", limit=1)
    assert hits[0].id == "X"
    assert small.list_articles(product="Gizmo")[0] == 2


def test_stats_describe_the_index(sample) -> None:
    stats = sample.stats()
    assert stats["doc_count"] >= 40 and stats["generation"] >= 1 and stats["schema_version"] >= 1
    assert sample.stats("public")["doc_count"] < stats["doc_count"]


def test_searcher_is_safe_to_share_between_threads(sample) -> None:
    from concurrent.futures import ThreadPoolExecutor

    queries = ["odbc login timeout", "ORA-12154", "bsod", "vpn drops", "0x80070005"] * 8
    expected = {q: [h.id for h in sample.search(q, audience="internal").hits] for q in set(queries)}
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda q: (q, [h.id for h in sample.search(q, audience="internal").hits]),
                                queries))
    assert all(expected[q] == got for q, got in results)


def test_a_rebuilt_index_is_warmed_while_the_old_one_serves(corpus) -> None:
    articles, root = corpus({"a.md": tsg("A1", "Printer offline", symptoms="The spooler stops.")})
    build_index(articles, root)
    with Searcher(root, check_interval=0, warm_new_generations=True) as s:
        assert [h.id for h in s.search("spooler", audience="internal").hits] == ["A1"]
        (articles / "a.md").write_text(tsg("A1", "Printer offline", symptoms="The queue stops."), encoding="utf-8")
        build_index(articles, root, rebuild=True)
        # The search that notices the new generation is still answered by the old one.
        assert [h.id for h in s.search("spooler", audience="internal").hits] == ["A1"]
        assert s._versions.wait_warm(timeout=30)
        with s._versions.use("internal") as ctx:
            assert ctx.view.pointer.generation == 2
            # Served only once warm: every segment's vocabulary was read before any search.
            assert all("vocabulary:content" in data.columns for *_, data in ctx.engine.leaves)
        assert [h.id for h in s.search("queue", audience="internal").hits] == ["A1"]
        assert s.search("spooler", audience="internal").total == 0


def test_edits_to_the_served_generation_are_searchable_at_once_even_when_warming(corpus) -> None:
    articles, root = corpus({"a.md": tsg("A1", "Printer offline", symptoms="The spooler stops.")})
    build_index(articles, root)
    with Searcher(root, check_interval=0, warm_new_generations=True) as s:
        s.search("spooler", audience="internal")
        (articles / "b.md").write_text(tsg("B1", "Scanner offline", symptoms="The scanner stops."), encoding="utf-8")
        build_index(articles, root)
        assert [h.id for h in s.search("scanner", audience="internal").hits] == ["B1"]


def _generation_served(versions, audience: str = "internal") -> int:
    with versions.use(audience) as ctx:
        return ctx.view.pointer.generation


@contextmanager
def _slow_warming(corpus, check_interval: float):
    """(articles, root, versions) of a one-article index whose new generations stay warming
    until the test ends."""
    from indexer.versions import Versions

    articles, root = corpus({"a.md": tsg("A1", "Printer offline", symptoms="The spooler stops.")})
    build_index(articles, root)
    release = threading.Event()
    versions = Versions(root, check_interval=check_interval, warm=lambda ctx: release.wait(30))
    try:
        yield articles, root, versions
    finally:
        release.set()
        versions.wait_warm(30)
        versions.close()


def test_a_rebuilt_index_still_warming_serves_once_its_time_is_up(corpus) -> None:
    from indexer.versions import MAX_WARM_SECONDS

    with _slow_warming(corpus, check_interval=0) as (articles, root, versions):
        assert _generation_served(versions) == 1
        build_index(articles, root, rebuild=True)
        assert _generation_served(versions) == 1  # warming: the old one serves
        time.sleep(MAX_WARM_SECONDS + 0.1)
        assert _generation_served(versions) == 2  # still warming, but its time is up


def test_a_rebuilt_index_serves_at_once_when_the_old_ones_files_are_gone(corpus) -> None:
    from indexer.layout import read_pointer

    with _slow_warming(corpus, check_interval=3600) as (articles, root, versions):
        old = read_pointer(root).path(root)
        with versions.use("internal") as busy:  # holds the old version's only open searcher
            assert busy.view.pointer.generation == 1
            build_index(articles, root, rebuild=True)
            shutil.rmtree(old)  # a copy tool removed the old generation (rsync --delete)
            with versions.use("internal") as ctx:  # no searcher can be opened on the old one
                assert ctx.view.pointer.generation == 2  # so the new one serves, still cold
                assert ctx.searcher.doc_count() == 1
