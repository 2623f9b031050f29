"""Insight pages: numbers from a known set of events, server-side SVG charts and CSV at the same URL."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from kb import activity
from kb.cases import deflection as d
from kb.cases import store
from kb.db import utcnow
from kb.resolution_codes import load_taxonomy
from tests.conftest import TAXONOMY
from tests.web.helpers import DRAFT_ID, DRAFT_SECRET, INTERNAL_ID, LINKS_ID, soup
from web.insights import REPORTS


@pytest.fixture
def events(engine):
    """Three closed cases (one solved by LINKS_ID), three drafts (two deflected), four searches."""
    taxonomy = load_taxonomy(TAXONOMY)[0]
    now = utcnow() - timedelta(days=1)
    solved = store.create_case(engine, title="Spooler stops", at=now)
    store.link_article(engine, solved.id, LINKS_ID, solved=True, at=now)
    store.close_case(engine, taxonomy, solved.id, "solved-existing-article", at=now)
    for title in ("VPN tunnel drops at rekey", "<script>alert(1)</script> VPN tunnel drops"):
        case = store.create_case(engine, title=title, at=now)
        store.close_case(engine, taxonomy, case.id, "configuration-change", at=now)
    for n, last in enumerate((d.SOLVED, d.SOLVED, d.SUBMITTED)):
        sid = f"insight-draft-{n}"
        d.record_event(engine, sid, d.SUGGESTIONS_SHOWN, article_ids=[LINKS_ID], at=now)
        if last == d.SOLVED:
            d.record_event(engine, sid, d.SOLVED, article_ids=[LINKS_ID], at=now)
        else:
            d.record_event(engine, sid, d.SUBMITTED, case_id=solved.id, at=now)
    searches = (("spooler", 4), ("spooler", 4), ("vpn rekey", 0), ("=HYPERLINK(1)", 0))
    activity.record_searches(engine, [activity.SearchRecord(q, "public", n, 3.0, at=now)
                                      for q, n in searches])
    activity.record_feedback(engine, LINKS_ID, True)


@pytest.fixture
def engineer(client, login):
    login("engineer")
    return client


def summary(html, report: str) -> dict[str, str]:
    return {s["data-key"]: s.text for s in html.select(f"#{report} .summary strong")}


def test_staff_only(client, login):
    assert client.get("/insights").status_code == 302
    login("customer")
    assert client.get("/insights/reuse.csv").headers["Location"].endswith("/help")


def test_overview_numbers_and_charts(engineer, events):
    response = engineer.get("/insights")
    assert response.status_code == 200
    html = soup(response)
    assert summary(html, "deflection")["deflection_rate"] == "67%"
    assert summary(html, "link-rate") == {"closed": "3", "with_article": "1", "solved_by_article": "1",
                                          "link_rate": "33%"}
    assert summary(html, "gaps")["groups"] == "1"
    assert summary(html, "zero-result-searches")["zero_result_searches"] == "2"
    svgs = html.select("section.insight svg")
    assert len(svgs) == len(REPORTS) and not html.select("svg script")
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_report_table_and_csv_at_the_same_url(engineer, events):
    html = soup(engineer.get("/insights/reuse"))
    rows = [[td.text for td in tr.select("td")] for tr in html.select(".insight-table tbody tr")]
    assert rows[0][:3] == [LINKS_ID, "Print spooler stops after a driver update", "1"]
    response = engineer.get("/insights/reuse.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="kb-reuse.csv"'
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0] == ["article_id", "title", "reuse_count", "related_links"]
    assert table[1][0] == LINKS_ID and table[1][2] == "1"
    zero = engineer.get("/insights/zero-result-searches.csv").get_data(as_text=True)
    assert "'=hyperlink(1)" in zero  # a formula in a customer's query stays text in a spreadsheet


def test_a_reports_page_shows_rates_as_percentages_and_the_csv_keeps_fractions(engineer, events):
    html = soup(engineer.get("/insights/deflection?window=all"))
    rates = [tr.select("td")[-1].text for tr in html.select(".insight-table tbody tr")]
    assert rates == ["67%"]
    text = engineer.get("/insights/deflection.csv?window=all").get_data(as_text=True)
    table = list(csv.reader(io.StringIO(text)))
    assert float(table[1][-1]) == pytest.approx(2 / 3, abs=1e-3)


def test_a_reports_page_draws_its_chart_for_the_page_and_for_a_phone(engineer, events):
    html = soup(engineer.get("/insights/searches?window=all"))
    wide, narrow = (html.select_one(f".insight-page .chart-{kind} svg") for kind in ("wide", "narrow"))
    widths = [float(svg["viewbox"].split()[2]) for svg in (wide, narrow)]
    assert widths[0] > 2 * widths[1], "the wide chart is drawn wider, so its text keeps its size"
    assert wide.select("text") and narrow.select("text")


def test_every_report_has_a_page_and_a_csv(engineer, events):
    from kb.cases.insights import REPORTS

    for name in REPORTS:
        assert engineer.get(f"/insights/{name}?bucket=day&window=all").status_code == 200, name
        assert engineer.get(f"/insights/{name}.csv").status_code == 200, name
    assert engineer.get("/insights/no-such-report").status_code == 404
    assert engineer.get("/insights/reuse.json").status_code == 404


def test_engineers_dont_see_draft_titles(client, login, engine, events):
    """Reports name only articles the reader may see: a draft's title stays hidden from engineers."""
    case = store.create_case(engine, title="Connector setup")
    store.link_article(engine, case.id, DRAFT_ID, solved=True)
    store.close_case(engine, load_taxonomy(TAXONOMY)[0], case.id, "solved-existing-article")
    login("engineer")
    as_engineer = client.get("/insights/reuse.csv").get_data(as_text=True)
    assert DRAFT_ID in as_engineer and DRAFT_SECRET not in as_engineer.lower()
    assert INTERNAL_ID in client.get("/insights/never-used.csv").get_data(as_text=True)  # internal, published
    login("author")
    assert DRAFT_SECRET in client.get("/insights/reuse.csv").get_data(as_text=True).lower()
