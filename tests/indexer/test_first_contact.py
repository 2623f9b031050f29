"""A team's first `kb index`: an empty folder, an existing tree as it is, a broken save.

Nothing here may crash or print a traceback, every page with a title must be findable by
it, and a save that hides an article must hide it even when the file also has an error.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from indexer import Searcher, build_index
from kb.articles import load_knowledge_base
from tests.indexer.conftest import tsg, write
from tests.trees import LAYOUTS, OFFICEDOCS, copy_tree


def ids(searcher: Searcher, query: str, **kwargs) -> list[str]:
    return [h.id for h in searcher.search(query, limit=10, **kwargs).hits]


# -- an empty or all-broken knowledge base ---------------------------------------------------------

def test_an_empty_articles_folder_indexes_with_exit_0(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    result = CliRunner().invoke(main, ["index", "--articles", str(articles), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "0 articles" in result.output
    with Searcher(tmp_path / "ix", check_interval=0) as s:
        assert s.search("anything").total == 0
        assert s.suggest("", "printer offline").hits == []
        assert s.list_articles(audience="internal") == (0, [])
    # Indexing again (incremental, then a rebuild) stays quiet too.
    assert build_index(articles, tmp_path / "ix").internal_count == 0
    assert build_index(articles, tmp_path / "ix", rebuild=True).errors == []


def test_an_all_broken_knowledge_base_reports_and_exits_1_without_a_traceback(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    write(articles, "a.md", "---\ntitle: [unclosed\n---\n")
    write(articles, "b.md", b"\xff\xfe not text".decode("latin-1"))
    result = CliRunner().invoke(main, ["index", "--articles", str(articles), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "a.md" in result.output


def test_an_unexpected_failure_is_one_message_and_a_log_not_a_traceback(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    write(articles, "a.md", tsg("A1", "Fine"))
    root = tmp_path / "ix"
    (root / "CURRENT" / "in-the-way").mkdir(parents=True)  # the pointer file can't be replaced
    result = CliRunner().invoke(main, ["index", "--articles", str(articles), "--index", str(root)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "kb index stopped: IsADirectoryError" in result.output
    assert "last good index keeps serving" in result.output
    assert "Traceback" in (root / "kb-index-error.log").read_text()


def test_a_damaged_index_is_rebuilt_not_fatal(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    write(articles, "a.md", tsg("A1", "Fine article"))
    root = tmp_path / "ix"
    build_index(articles, root)
    for toc in root.glob("gen-*/internal/*.toc"):
        toc.write_bytes(b"x")
    report = build_index(articles, root)
    assert report.rebuilt and any("could not be read" in n for n in report.notices)
    with Searcher(root, check_interval=0) as s:
        assert ids(s, "fine article") == ["A1"]


# -- a save that narrows visibility ------------------------------------------------------------

PUBLIC = {"odbc.md": tsg("A1", "ODBC login timeout", symptoms="Login timeout expired (HYT00).")}


@pytest.mark.parametrize("broken", [
    # audience narrowed, YAML broken on another line
    "---\nid: A1\ntitle: ODBC login timeout\ntype: tsg\naudience: internal\ntags: [odbc\n---\n## Symptoms\n",
    # status narrowed, title removed by mistake
    "---\nid: A1\ntype: tsg\naudience: public\nstatus: archived\n---\nno title here\n",
    # status narrowed to a draft, the id now clashes with another article
    "---\nid: A2\ntitle: ODBC login timeout\naudience: public\nstatus: draft\n---\nBody\n",
    # front matter so broken nothing can be read
    "---\nid: A1\ntitle: ODBC: login: timeout: [\n",
])
def test_a_save_that_narrows_visibility_takes_effect_even_with_an_error(corpus, broken: str) -> None:
    files = {**PUBLIC, "other.md": tsg("A2", "Unrelated article about printers")}
    articles, root = corpus(files)
    build_index(articles, root)
    with Searcher(root, check_interval=0) as s:
        assert ids(s, "login timeout") == ["A1"]
    write(articles, "odbc.md", broken)
    report = build_index(articles, root)
    assert report.kept == ["odbc.md"] and report.errors
    with Searcher(root, check_interval=0) as s:
        assert ids(s, "login timeout") == [], "the article must leave the public index"
        assert s.get_article("A1") is None
        kept = s.get_article("A1", audience="internal", statuses=("published", "draft", "review", "archived"))
        assert kept is not None and "HYT00" in kept.body, "staff keep the last good version"
    # The next full rebuild keeps it hidden too.
    build_index(articles, root, rebuild=True)
    with Searcher(root, check_interval=0) as s:
        assert ids(s, "login timeout") == []


def test_a_broken_save_that_keeps_it_public_stays_public(corpus) -> None:
    articles, root = corpus(PUBLIC)
    build_index(articles, root)
    write(articles, "odbc.md", "---\nid: A1\ntitle: ODBC login timeout\naudience: public\ntags: [x\n---\n")
    report = build_index(articles, root)
    assert report.kept == ["odbc.md"]
    with Searcher(root, check_interval=0) as s:
        assert ids(s, "login timeout") == ["A1"]


def test_a_broken_save_never_widens_visibility(corpus) -> None:
    articles, root = corpus({"odbc.md": tsg("A1", "ODBC login timeout", audience="internal")})
    build_index(articles, root)
    write(articles, "odbc.md", "---\nid: A1\ntitle: ODBC login timeout\naudience: public\ntags: [x\n---\n")
    build_index(articles, root)
    with Searcher(root, check_interval=0) as s:
        assert ids(s, "login timeout") == []
        assert ids(s, "login timeout", audience="internal") == ["A1"]


def test_an_unknown_audience_or_status_value_never_publishes(corpus) -> None:
    articles, root = corpus({"a.md": tsg("A1", "ODBC login timeout", audience="pubic"),
                             "b.md": tsg("A2", "Printer offline error", status="publishd")})
    report = build_index(articles, root)
    assert not report.errors and report.internal_count == 2
    with Searcher(root, check_interval=0) as s:
        assert s.search("login timeout").total == 0 and s.search("printer offline").total == 0
        assert ids(s, "printer offline", audience="internal") == ["A2"]


def test_a_file_that_stops_being_an_article_leaves_the_index(corpus) -> None:
    articles, root = corpus(PUBLIC)
    build_index(articles, root)
    write(articles, "odbc.md", "Just a note now, with no front matter and no heading.\n")
    report = build_index(articles, root)
    assert report.deleted == ["A1"] and report.skipped == ["odbc.md"] and not report.errors
    assert "skipped" in report.summary()


# -- existing trees ------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("mapped", [False, True], ids=["as-it-is", "mapped"])
def test_every_page_of_a_tree_is_findable_by_its_own_title(tmp_path: Path, layout: str, mapped: bool) -> None:
    articles = copy_tree(layout, tmp_path / layout, mapping=mapped)
    report = build_index(articles, tmp_path / "ix", embed=False)
    assert report.errors == [] or (layout == "docusaurus" and not mapped)
    kb = load_knowledge_base(articles)
    with Searcher(tmp_path / "ix", check_interval=0) as s:
        for article in kb.articles.values():
            statuses = ("published", "draft", "review", "archived")
            found = ids(s, article.title, audience="internal", statuses=statuses)
            assert found[:1] == [article.id], (article.title, found)


def test_the_microsoft_learn_tree_mapped_is_public_and_typed(tmp_path: Path) -> None:
    articles = copy_tree("mslearn", tmp_path / "mslearn")
    report = build_index(articles, tmp_path / "ix", embed=False)
    assert (report.internal_count, report.public_count) == (4, 4)
    with Searcher(tmp_path / "ix", check_interval=0) as s:
        page = s.search("CAA20004 type:tsg")
        assert [h.id for h in page.hits] == ["Teams.meetings.cant-join-meeting-error-caa20004"]
        assert {f.value for f in s.facet_values()["product"]} == {"Outlook", "Teams"}


@pytest.mark.slow
def test_officedocs_indexes_as_it_is_and_every_title_finds_its_article(tmp_path: Path) -> None:
    if not (OFFICEDOCS / "Outlook").is_dir():
        pytest.skip(f"real data absent: {OFFICEDOCS} (see ../shared/data/README.md)")
    started = time.perf_counter()
    report = build_index(OFFICEDOCS, tmp_path / "ix", embed=False)
    seconds = time.perf_counter() - started
    assert report.errors == [], [str(p) for p in report.errors[:5]]
    kb = load_knowledge_base(OFFICEDOCS)
    assert report.internal_count == len(kb.articles) > 900
    missed = []
    with Searcher(tmp_path / "ix", check_interval=0) as s:
        for article in kb.articles.values():
            found = ids(s, article.title, audience="internal")
            if article.id not in found:
                missed.append((article.title, found[:3]))
    assert missed == [], missed[:5]
    warned = {p.path for p in report.problems}
    print(f"\nofficedocs-dev as it is: {report.internal_count} indexed, {len(report.skipped)} skipped, "
          f"{len(warned)} files with warnings ({len(report.problems)} warnings), {seconds:.1f} s")


@pytest.mark.slow
def test_officedocs_with_the_documented_mapping_has_types_products_and_dates(tmp_path: Path) -> None:
    import shutil

    from tests.trees import documented_mapping

    if not (OFFICEDOCS / "Outlook").is_dir():
        pytest.skip(f"real data absent: {OFFICEDOCS} (see ../shared/data/README.md)")
    articles = shutil.copytree(OFFICEDOCS, tmp_path / "officedocs")  # read-only data: the mapping goes in a copy
    (articles / "kb.yaml").write_text(documented_mapping("Microsoft Learn"), encoding="utf-8")
    report = build_index(articles, tmp_path / "ix", embed=False)
    assert report.errors == [] and report.public_count == report.internal_count > 900
    warned = sorted({(p.rule, p.field) for p in report.problems})
    assert warned == [], warned[:10]
    kb = load_knowledge_base(articles)
    types = {a.type for a in kb.articles.values()}
    assert {"tsg", "reference"} <= types <= {"tsg", "reference", "how-to"}
    assert {a.product for a in kb.articles.values()} == {"Office", "Outlook", "Teams", "Viva"}
    assert all(a.updated is not None for a in kb.articles.values())
    with Searcher(tmp_path / "ix", check_interval=0) as s:
        facets = {f.value: f.count for f in s.facet_values()["type"]}
        assert facets["tsg"] > 900


def test_kb_index_prints_a_warning_repeated_in_many_files_once(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    for n in range(6):
        write(articles, f"a{n}.md", f"---\ntitle: Article number {n}\nms.topic: troubleshooting\n---\nBody {n}\n")
    write(articles, "b.md", "---\ntitle: Other\nweight: 3\n---\nBody\n")
    write(articles, "broken.md", "---\ntitle: [x\n---\n")
    result = CliRunner().invoke(main, ["index", "--articles", str(articles), "--index", str(tmp_path / "ix")])
    lines = result.stderr.splitlines()
    topic = [line for line in lines if "ms.topic" in line]
    assert len(topic) == 1 and "and 5 more file(s) with this warning" in topic[0]
    assert len([line for line in lines if "weight" in line]) == 1
    assert any("broken.md" in line and "not valid YAML" in line for line in lines), "errors are all shown"
