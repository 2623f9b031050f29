"""`kb index`, `kb search` and `kb suggest` from the command line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import indexer
from cli import main
from indexer import SearchPage
from kb.errors import IndexBusy
from tests.indexer.conftest import tsg, write


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_index_then_search(runner: CliRunner, corpus) -> None:
    articles, root = corpus({"a.md": tsg("A1", "ODBC login timeout", symptoms="Login timeout expired.")})
    result = runner.invoke(main, ["index", "--articles", str(articles), "--index", str(root)])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.stdout
    result = runner.invoke(main, ["search", "login", "timeout", "--index", str(root), "--explain"])
    assert result.exit_code == 0, result.output
    assert "A1" in result.stdout and "why:" in result.stdout
    result = runner.invoke(main, ["search", "login", "--index", str(root), "--json", "--audience", "public"])
    page = json.loads(result.stdout)
    assert page["hits"][0]["id"] == "A1" and page["total"] == 1


def test_index_reports_broken_files_and_exits_nonzero(runner: CliRunner, corpus) -> None:
    articles, root = corpus({"a.md": tsg("A1", "Fine article")})
    assert runner.invoke(main, ["index", "--articles", str(articles), "--index", str(root)]).exit_code == 0
    write(articles, "a.md", "---\ntitle: [broken\n---\n")
    result = runner.invoke(main, ["index", "--articles", str(articles), "--index", str(root)])
    assert result.exit_code == 1
    assert "a.md" in result.stderr and "kept its last good version" in result.stderr


def test_strict_index_refuses(runner: CliRunner, corpus) -> None:
    articles, root = corpus({"a.md": "---\ntitle: x\nbogus: 1\n---\n"})
    result = runner.invoke(main, ["index", "--strict", "--articles", str(articles), "--index", str(root)])
    assert result.exit_code == 1 and "Nothing written" in result.stdout
    assert not indexer.index_exists(root)


def test_search_without_an_index_is_a_clean_error(runner: CliRunner, tmp_path) -> None:
    result = runner.invoke(main, ["search", "x", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "Run `kb index` first" in result.stderr and "Traceback" not in result.output


def test_busy_index_is_a_clean_error(runner: CliRunner, monkeypatch, tmp_path) -> None:
    def busy(*args, **kwargs):
        raise IndexBusy("The index at X is being updated by another `kb index`; try again.")

    monkeypatch.setattr(indexer, "build_index", busy)
    result = runner.invoke(main, ["index", "--articles", str(tmp_path), "--index", str(tmp_path)])
    assert result.exit_code == 1 and "another `kb index`" in result.stderr


class FakeSearcher:
    calls: list[tuple[str, tuple, dict]] = []

    def __init__(self, root, **kwargs):
        self.root = root

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def _page(self) -> SearchPage:
        return SearchPage(query="q", total=0, hits=[], facets={}, did_you_mean="odbc", offset=0, limit=10,
                          took_ms=1.0)

    def search(self, query, **kwargs):
        self.calls.append(("search", (query,), kwargs))
        return self._page()

    def suggest(self, title, description="", **kwargs):
        self.calls.append(("suggest", (title, description), kwargs))
        return self._page()


def test_search_options_reach_the_api(runner: CliRunner, monkeypatch, tmp_path) -> None:
    FakeSearcher.calls = []
    monkeypatch.setattr(indexer, "Searcher", FakeSearcher)
    result = runner.invoke(main, ["search", "obdc", "-oracle", "--index", str(tmp_path), "--type", "tsg",
                                  "--product", "SQL Server", "--audience", "internal", "--status", "draft",
                                  "--status", "published", "--limit", "5", "--offset", "10"])
    assert result.exit_code == 0, result.output
    assert "Did you mean: odbc" in result.stdout
    name, args, kwargs = FakeSearcher.calls[0]
    assert (name, args) == ("search", ("obdc -oracle",))
    assert kwargs == {"audience": "internal", "statuses": ("draft", "published"), "type": "tsg",
                      "product": "SQL Server", "tag": None, "limit": 5, "offset": 10, "explain": False}


def test_suggest_reads_the_description_file(runner: CliRunner, monkeypatch, tmp_path) -> None:
    FakeSearcher.calls = []
    monkeypatch.setattr(indexer, "Searcher", FakeSearcher)
    result = runner.invoke(main, ["suggest", "--title", "Cannot connect", "--description-file", "-",
                                  "--product", "SQL Server", "--index", str(tmp_path)],
                           input="ORA-12154 since this morning\n")
    assert result.exit_code == 0, result.output
    name, args, kwargs = FakeSearcher.calls[0]
    assert args == ("Cannot connect", "ORA-12154 since this morning\n")
    assert kwargs["product"] == "SQL Server" and kwargs["limit"] == 5


def test_suggest_on_the_sample(runner: CliRunner, sample_index, tmp_path) -> None:
    ticket = tmp_path / "ticket.txt"
    ticket.write_text("Since the upgrade users get 'The certificate chain was issued by an authority that is "
                      "not trusted' when the app connects through ODBC Driver 18.", encoding="utf-8")
    result = runner.invoke(main, ["suggest", "--title", "ODBC connections fail after upgrade",
                                  "--description-file", str(ticket), "--index", str(sample_index), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["hits"][0]["id"] == "KB0004"


def test_suggest_explains_the_blend_of_words_and_meaning(runner: CliRunner, sample_index, tmp_path) -> None:
    ticket = tmp_path / "ticket.txt"
    ticket.write_text("The app cannot reach the database since the driver update; the certificate is not trusted.",
                      encoding="utf-8")
    args = ["suggest", "--title", "ODBC connections fail after upgrade", "--description-file", str(ticket),
            "--index", str(sample_index), "--explain"]
    human = runner.invoke(main, args)
    assert human.exit_code == 0, human.output
    assert "by meaning:" in human.output and "similarity" in human.output
    hits = json.loads(runner.invoke(main, [*args, "--json"]).stdout)["hits"]
    for hit in hits:
        ex, m = hit["explanation"], hit["explanation"]["meaning"]
        expected = m["words_score"] / m["best_words_score"] + m["weight"] * m["similarity"]
        assert ex["score"] == pytest.approx(expected, abs=1e-3) == pytest.approx(hit["score"], abs=1e-3)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_search_explains_how_the_query_was_read_and_both_parts_of_each_score(runner: CliRunner,
                                                                              sample_index) -> None:
    question = ["search", "--index", str(sample_index), "--explain",
                "why does outlook keep prompting me for my password"]
    human = runner.invoke(main, question)
    assert human.exit_code == 0, human.output
    assert "query kind question (words 1 + meaning 1)" in human.output and "by meaning:" in human.output
    page = json.loads(runner.invoke(main, [*question, "--json"]).stdout)
    assert page["kind"] == "question"
    for hit in page["hits"]:
        m = hit["explanation"]["meaning"]
        assert hit["score"] == pytest.approx(m["words_score"] / m["best_words_score"] + m["weight"] * m["similarity"],
                                             abs=1e-3)
    code = runner.invoke(main, ["search", "--index", str(sample_index), "--explain", "0x80070005"])
    assert "query kind code (words only)" in code.output and "by meaning:" not in code.output


def test_answer_quotes_and_cites_or_says_why_not(runner: CliRunner, sample_index) -> None:
    args = ["answer", "Users get access denied 0x80070005 on the file share", "--index", str(sample_index)]
    human = runner.invoke(main, args)
    assert human.exit_code == 0, human.output
    assert "KB0009" in human.output and "Resolution" in human.output and "Why:" in human.output
    data = json.loads(runner.invoke(main, [*args, "--json", "--explain"]).stdout)
    assert data["abstained"] is False and data["answer"]["article"] == "KB0009"
    assert data["answer"]["anchor"] == "sec-resolution" and data["considered"]
    off = json.loads(runner.invoke(main, ["answer", "best temperature to bake sourdough bread", "--index",
                                          str(sample_index), "--json"]).stdout)
    assert off["abstained"] is True and "answer" not in off
    assert "No answer" in runner.invoke(main, ["answer", "best temperature to bake sourdough bread",
                                               "--index", str(sample_index)]).output


def test_a_long_index_shows_a_bar_for_the_files_then_one_for_the_meaning_vectors(runner: CliRunner, corpus) -> None:
    from cli.index import PROGRESS_MIN_FILES

    files = {f"f{n:03}.md": tsg(f"A{n}", f"Printer queue {n} stops", symptoms=f"Spooler {n} stops.")
             for n in range(PROGRESS_MIN_FILES + 10)}
    articles, root = corpus(files)
    result = runner.invoke(main, ["index", "--articles", str(articles), "--index", str(root)])
    assert result.exit_code == 0, result.output
    # Off a terminal a bar shows only its label; each phase has its own (with its own length).
    assert result.stderr.split() == ["Indexing", "Meaning", "vectors"]
