"""`kb cases` end to end through Click's runner, against a real SQLite file."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from cli import main
from kb.articles import load_knowledge_base
from kb.lint import lint
from tests.conftest import article_text


@pytest.fixture
def articles(make_kb):
    return make_kb({"identity/kb0001.md": article_text("id: KB0001\ntitle: Outlook password prompts")})


@pytest.fixture
def kb(db_url, articles):
    """Run `kb ARGS --db URL --articles DIR` (options only where the command takes them)."""
    runner = CliRunner()
    takes_articles = {"import", "link", "close", "capture"}

    def run(*args: str):
        extra = ["--db", db_url] + (["--articles", str(articles)] if args[1] in takes_articles else [])
        return runner.invoke(main, [*args, *extra], catch_exceptions=False)

    return run


def test_import_reports_bad_rows_and_exits_1(kb, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(textwrap.dedent("""\
        title,severity,status,resolution_code,articles
        VPN drops,B,,,
        ,C,,,
        Outlook prompts,A,closed,solved-existing-article,KB0002
        Outlook prompts again,A,closed,solved-existing-article,KB0001
        """), encoding="utf-8")
    result = kb("cases", "import", str(path))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"{path}: line 3: title: or 'description' is required: give at least one of them" in lines
    assert f"{path}: line 4: articles: 'KB0002' is not an article; did you mean 'KB0001'?" in lines
    assert ("Loaded 2 case(s) (CAS-000001 to CAS-000002) from lines 2, 5; 2 bad row(s) (lines 3-4); "
            "0 already imported.") in lines

    listed = kb("cases", "list", "--json")
    assert [c["title"] for c in json.loads(listed.output)] == ["Outlook prompts again", "VPN drops"]


def test_import_of_a_clean_file_exits_0(kb, tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text('{"title": "A"}\n{"title": "B"}\n', encoding="utf-8")
    result = kb("cases", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "Loaded 2 case(s)" in result.output


def test_list_show_link_close_and_capture(kb, tmp_path, articles):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"title": "Outlook prompts for a password", "description": "Every 5 minutes.",
                                "owner": "alice"}) + "\n" + json.dumps({"title": "Disk full"}) + "\n")
    assert kb("cases", "import", str(path)).exit_code == 0
    assert "CAS-000001  new" in kb("cases", "list").output

    refused = kb("cases", "close", "CAS-000001", "--code", "solved-existing-article")
    assert refused.exit_code == 1
    assert "[rule: requires_article]" in refused.output
    typo = kb("cases", "close", "1", "--code", "configuraton-change")
    assert "Did you mean 'configuration-change'?" in typo.output and typo.exit_code == 1

    missing = kb("cases", "link", "1", "KB0010")
    assert missing.exit_code == 1 and "No article 'KB0010'" in missing.output
    assert kb("cases", "link", "1", "KB0001", "--solved").exit_code == 0
    closed = kb("cases", "close", "1", "--code", "solved-existing-article", "--notes", "Followed KB0001.")
    assert closed.exit_code == 0 and "Closed CAS-000001 as solved-existing-article." in closed.output

    shown = kb("cases", "show", "CAS-000001")
    assert "Status: Closed" in shown.output and "KB0001  solved it" in shown.output
    assert json.loads(kb("cases", "show", "1", "--json").output)["links"][0]["solved"] is True
    assert kb("cases", "show", "CAS-999").exit_code == 1

    refused = kb("cases", "capture", "1")
    assert refused.exit_code == 1 and "[rule: capture]" in refused.output
    closed = kb("cases", "close", "2", "--code", "configuration-change", "--notes", "Moved logs.")
    assert closed.exit_code == 0
    captured = kb("cases", "capture", "2", "--type", "tsg")
    assert captured.exit_code == 0, captured.output
    assert "Wrote draft KB0002" in captured.output
    assert [p for p in lint(load_knowledge_base(articles)) if p.is_error] == []
    assert "KB0002  solved it" in kb("cases", "show", "2").output


def test_bug_reference_option(kb, tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"title": "Crash on save"}\n')
    kb("cases", "import", str(path))
    assert "[rule: requires_bug_reference]" in kb("cases", "close", "1", "--code", "product-bug-filed").output
    assert kb("cases", "close", "1", "--code", "product-bug-filed", "--bug-ref", "BUG-9").exit_code == 0


def test_db_url_comes_from_kb_db(monkeypatch, db_url, tmp_path, articles):
    monkeypatch.setenv("KB_DB", db_url)
    path = tmp_path / "c.jsonl"
    path.write_text('{"title": "From env"}\n')
    runner = CliRunner()
    assert runner.invoke(main, ["cases", "import", str(path), "--articles", str(articles)]).exit_code == 0
    assert "From env" in runner.invoke(main, ["cases", "list"]).output


def test_missing_articles_folder_is_a_clear_error(kb, tmp_path, db_url):
    path = tmp_path / "c.jsonl"
    path.write_text('{"title": "A"}\n')
    result = CliRunner().invoke(main, ["cases", "import", str(path), "--db", db_url, "--articles",
                                       str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "No articles folder" in result.output
