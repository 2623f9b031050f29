"""`kb report`: stale articles, orphans and searches with no good answer."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from click.testing import CliRunner

from cli import main
from kb.activity import SearchRecord, record_searches
from kb.articles import load_knowledge_base
from kb.cases import store
from kb.db import engine_for
from kb.report import build_report, engine_if_exists
from tests.conftest import article_text, new_database
from tests.databases import BACKEND_PARAMS

TODAY = date(2026, 11, 23)

FILES = {
    "hub.md": article_text("id: HUB\ntitle: Hub\nrelated: [REL, OVERDUE, ANCIENT, BOTH, FRESH]",
                           "See [a](kb:LINKED) and [b](kb:SUPER#sec-x).\n"),
    "linked.md": article_text("id: LINKED\ntitle: Linked from the hub"),
    "rel.md": article_text("id: REL\ntitle: Related from the hub"),
    "super.md": article_text("id: SUPER\ntitle: The replacement"),
    "old.md": article_text("id: OLD\ntitle: Old one\nstatus: archived\nsuperseded_by: SUPER",
                           "Links from archived articles don't count: [x](kb:ALONE)\n"),
    "alone.md": article_text("id: ALONE\ntitle: Nobody links here\nupdated: 2026-10-01"),
    "cased.md": article_text("id: CASED\ntitle: Only used on a case"),
    "self.md": article_text("id: SELF\ntitle: Links only to itself", "[me](kb:SELF)\n"),
    "overdue.md": article_text("id: OVERDUE\ntitle: Overdue\nreview_by: 2026-01-31"),
    "ancient.md": article_text("id: ANCIENT\ntitle: Ancient\nupdated: 2023-05-01"),
    "both.md": article_text("id: BOTH\ntitle: Both\nupdated: 2020-01-01\nreview_by: 2021-01-01"),
    "fresh.md": article_text("id: FRESH\ntitle: Fresh\nupdated: 2026-11-01\nreview_by: 2027-11-01"),
    "archived-stale.md": article_text("id: GONE\ntitle: Gone\nstatus: archived\nreview_by: 2020-01-01"),
}


@pytest.fixture(params=BACKEND_PARAMS)
def db_url(request, tmp_path):
    """Case links and the search log on SQLite and on PostgreSQL: the report reads both."""
    return new_database(request, request.param, tmp_path)


@pytest.fixture
def engine(db_url):
    return engine_for(db_url)


@pytest.fixture
def kb(make_kb):
    return load_knowledge_base(make_kb(FILES))


def _search(query: str, total: int, *, kind: str = "search", at: datetime = datetime(2026, 11, 20)):
    return SearchRecord(query=query, audience="internal", total=total, took_ms=3.0, kind=kind, at=at)


def test_stale_articles(kb):
    stale = build_report(kb, today=TODAY).stale
    assert [s.id for s in stale] == ["BOTH", "ANCIENT", "OVERDUE"]  # oldest first; archived left out
    both = stale[0]
    assert len(both.reasons) == 2 and "review was due on 2021-01-01" in both.reasons
    assert "last updated 2023-05-01" in stale[1].reasons[0]


def test_stale_threshold_is_configurable(kb):
    assert "ALONE" in {s.id for s in build_report(kb, today=TODAY, stale_after_days=30).stale}


def test_orphans_without_usage_data(kb):
    report = build_report(kb, today=TODAY)
    assert {o.id for o in report.orphans} == {"HUB", "ALONE", "CASED", "SELF"}
    assert any("case usage counted as zero" in n for n in report.notes)


def test_a_case_link_means_used(kb, engine):
    case = store.create_case(engine, title="Printer", description="It jams")
    store.link_article(engine, case.id, "CASED", solved=False)
    report = build_report(kb, engine=engine, today=TODAY)
    assert {o.id for o in report.orphans} == {"HUB", "ALONE", "SELF"}
    assert report.notes == []


def test_unanswered_searches(kb, engine):
    record_searches(engine, [
        _search("vpn drops", 0), _search("VPN drops ", 0), _search("vpn drops", 1),
        _search("printer jam", 0),
        _search("outlook", 0), _search("outlook", 12),  # found something once: answered
        _search("ignored suggestion text", 0, kind="suggest"),
        _search("too old", 0, at=datetime(2026, 1, 1)),
        _search("plenty", 7),
    ])
    unanswered = build_report(kb, engine=engine, today=TODAY).unanswered
    assert [(u.query, u.searches, u.best_total) for u in unanswered] == [("vpn drops", 3, 1),
                                                                         ("printer jam", 1, 0)]
    strict = build_report(kb, engine=engine, today=TODAY, low_results=0).unanswered
    assert [u.query for u in strict] == ["printer jam"]
    longer = build_report(kb, engine=engine, today=TODAY, window_days=400).unanswered
    assert "too old" in {u.query for u in longer}


def test_limit(kb):
    assert len(build_report(kb, today=TODAY, limit=1).orphans) == 1
    assert len(build_report(kb, today=TODAY, limit=0).orphans) == 4


def test_text_and_json(kb):
    report = build_report(kb, today=TODAY)
    text = report.to_text()
    assert "Stale articles (3):" in text and "BOTH" in text and "Orphans" in text and "none" in text
    data = json.loads(report.to_json())
    assert data["today"] == "2026-11-23" and data["stale"][0]["id"] == "BOTH"
    assert {"stale", "orphans", "unanswered", "notes", "articles"} <= set(data)


def test_missing_sqlite_database_is_not_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'nope.sqlite3'}"
    assert engine_if_exists(url) is None
    assert not (tmp_path / "nope.sqlite3").exists()


def test_cli_report(make_kb, tmp_path, db_url, engine):
    root = make_kb(FILES)
    db = db_url
    record_searches(engine, [_search("vpn drops", 0, at=datetime.now())])
    result = CliRunner().invoke(main, ["report", "--articles", str(root), "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [u["query"] for u in data["unanswered"]] == ["vpn drops"]
    assert "HUB" in {o["id"] for o in data["orphans"]}
    text = CliRunner().invoke(main, ["report", "--articles", str(root), "--db", f"sqlite:///{tmp_path}/none.db"])
    assert text.exit_code == 0 and "no database" in text.stdout
