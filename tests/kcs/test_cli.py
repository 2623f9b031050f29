"""The loop on the command line: `kb report duplicates`, `kb report gaps` and `kb tasks`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import main
from kb.kcs import tasks as t
from tests.conftest import article_text

JAM = "Duplex scans stop halfway and the scanner reports a feeder jam although no paper is stuck."
FILES = {
    "scan/a.md": article_text('id: KB0001\ntitle: "Scanner reports a feeder jam during duplex scans"\n'
                              "error_codes: [SC-0042]", f"## Symptoms\n\n{JAM} Error SC-0042.\n"),
    "scan/b.md": article_text('id: KB0002\ntitle: "Feeder jam reported while scanning both sides"\n'
                              "error_codes: [SC-0042]", f"## Symptoms\n\n{JAM} The panel shows SC-0042.\n"),
    "mail/c.md": article_text('id: KB0003\ntitle: "Outlook asks for the password again and again"',
                              "## Symptoms\n\nOutlook keeps prompting for credentials after a password change.\n"),
    "vpn/d.md": article_text('id: KB0004\ntitle: "VPN tunnel drops every few minutes on Wi-Fi"',
                             "## Symptoms\n\nThe VPN client disconnects every five minutes.\n"),
}


@pytest.fixture
def articles(make_kb):
    return make_kb(FILES)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_report_duplicates_prints_the_documented_json_most_likely_first(articles, tmp_path):
    result = run("report", "duplicates", "--articles", str(articles), "--index", str(tmp_path / "no-index"),
                 "--limit", "2", "--json")
    assert result.exit_code == 0, result.output
    pairs = json.loads(result.stdout)["pairs"]
    assert len(pairs) == 2
    assert {pairs[0]["a"], pairs[0]["b"]} == {"KB0001", "KB0002"}
    assert all(isinstance(p["score"], float) and p["why"] for p in pairs)
    assert pairs[0]["score"] >= pairs[1]["score"]
    assert any("SC-0042" in reason for reason in pairs[0]["why"])


def test_report_duplicates_says_when_it_compares_by_words_alone(articles, tmp_path):
    result = run("report", "duplicates", "--articles", str(articles), "--index", str(tmp_path / "no-index"))
    assert result.exit_code == 0
    assert "words only" in result.stderr
    assert "KB0001  KB0002" in result.stdout.splitlines()[0]


def test_tasks_are_listed_and_resolved_once_with_a_clear_refusal_after(engine, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"  # the engine fixture's database
    task, _ = t.raise_task(engine, kind=t.FLAG, key="flag:KB0001", title="Check the scanner article",
                           article_id="KB0001", owner="scan-team")
    listed = json.loads(run("tasks", "list", "--db", db_url, "--owner", "scan-team", "--json").stdout)["tasks"]
    assert [x["id"] for x in listed] == [task.id]
    done = run("tasks", "resolve", str(task.id), "--db", db_url, "--fixed-in", "ab12cd3", "--by", "ana")
    assert done.exit_code == 0 and f"Task {task.id} done." in done.stdout
    again = CliRunner().invoke(main, ["tasks", "resolve", str(task.id), "--db", db_url,
                                                      "--note", "again"])
    assert again.exit_code != 0 and "Traceback" not in again.output + again.stderr
    assert "already" in again.output + again.stderr
    assert run("tasks", "list", "--db", db_url).stdout.strip() == "No tasks."


def test_report_gaps_without_a_database_says_so(articles, tmp_path):
    result = run("report", "gaps", "--articles", str(articles), "--db", f"sqlite:///{tmp_path / 'none.sqlite3'}")
    assert result.exit_code == 0 and "No database yet" in result.stdout
