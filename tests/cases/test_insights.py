"""Insight numbers from a known set of cases, links, drafts, searches and votes; CSV and SVG output."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date, datetime

import pytest

from kb import activity
from kb.cases import charts, insights, store
from kb.cases import deflection as d
from kb.model import Article

WEEK1, WEEK2 = datetime(2026, 3, 2, 10), datetime(2026, 3, 9, 10)
TODAY = date(2026, 3, 12)


def article(article_id: str, title: str, **fields) -> Article:
    return Article(id=article_id, title=title, body="", path=f"{article_id}.md", **fields)


ARTICLES = {a.id: a for a in (
    article("KB0001", "Outlook password prompts", product="Outlook"),
    article("KB0002", "Mailbox move checklist", product="Outlook"),
    article("KB0003", "Printer spooler basics", product="Windows"),
    article("KB0004", "Never linked anywhere", product="Windows"),
    article("KB0005", "A draft", status="draft"),
    article("KB0006", "Overdue review", review_by=date(2026, 3, 1), owner="alice"),
    article("KB0007", "Archived and overdue", status="archived", review_by=date(2026, 1, 1)),
)}


@pytest.fixture
def scope(engine, taxonomy, closed_case):
    """Five closed cases (two with articles), one resolved, one open; drafts, searches and votes."""
    closed_case("Outlook password prompt", solved_by=("KB0001",), at=WEEK1)
    related = store.create_case(engine, title="Mailbox move question", at=WEEK1)
    store.link_article(engine, related.id, "KB0002", at=WEEK1)
    store.close_case(engine, taxonomy, related.id, "advisory-answered", at=WEEK1)
    closed_case("VPN tunnel drops at rekey", "The VPN tunnel drops when the rekey timer fires.", at=WEEK2)
    closed_case("VPN tunnel drops every hour", "Tunnel drops hourly, rekey timer suspected.", at=WEEK2)
    closed_case("Printer spooler crash", "Spooler service crashes on a bad driver.", at=WEEK2)
    resolved = store.create_case(engine, title="Outlook prompt again", at=WEEK2)
    store.link_article(engine, resolved.id, "KB0001", solved=True, at=WEEK2)
    store.resolve_case(engine, taxonomy, resolved.id, "solved-existing-article", at=WEEK2)
    open_case = store.create_case(engine, title="Printer offline", at=WEEK2)
    store.link_article(engine, open_case.id, "KB0003", at=WEEK2)

    for n, kind in enumerate((d.SOLVED, d.SOLVED, d.SUBMITTED, None), start=1):
        sid = f"draft-{n:04d}"
        d.record_event(engine, sid, d.SUGGESTIONS_SHOWN, article_ids=["KB0001"], at=WEEK1)
        if kind == d.SOLVED:
            d.record_event(engine, sid, kind, article_ids=["KB0001"], at=WEEK1)
        elif kind == d.SUBMITTED:
            d.record_event(engine, sid, kind, case_id=open_case.id, at=WEEK1)

    activity.record_searches(engine, [
        activity.SearchRecord("vpn drops", "internal", 3, 5.0, at=WEEK1),
        activity.SearchRecord("VPN drops ", "public", 0, 5.0, at=WEEK2),
        activity.SearchRecord("=cmd|' /C calc'!A0", "public", 0, 5.0, at=WEEK2),
        activity.SearchRecord("printer", "internal", 2, 5.0, at=WEEK2),
    ])
    for helpful in (True, True, False):
        activity.record_feedback(engine, "KB0001", helpful)
    activity.record_feedback(engine, "KB0003", False)
    return insights.Scope(engine, ARTICLES, today=TODAY, bucket="week")


def test_deflection_report(scope):
    report = insights.deflection(scope)
    assert report.summary == {"sessions": 4, "deflected": 2, "submitted": 1, "abandoned": 1,
                              "deflection_rate": 0.6667}
    assert report.rows == [("2026-03-02", 4, 2, 1, 1, 0.6667)]


def test_link_rate_report(scope):
    report = insights.link_rate(scope)
    assert report.summary == {"closed": 5, "with_article": 2, "solved_by_article": 1, "link_rate": 0.4}
    assert report.rows == [("2026-03-02", 2, 2, 1, 1.0), ("2026-03-09", 3, 0, 0, 0.0)]


def test_reuse_and_never_used(scope):
    reuse = insights.reuse(scope)
    assert reuse.rows == [("KB0001", "Outlook password prompts", 2, 0),
                          ("KB0002", "Mailbox move checklist", 0, 1)]
    assert reuse.bars == [("KB0001 Outlook password prompts", 2)]
    unused = insights.never_used(scope)
    assert [r[0] for r in unused.rows] == ["KB0006", "KB0004"]  # drafts and archived articles are left out
    assert unused.summary == {"never_used": 2, "published": 5}


def test_gaps_group_similar_cases_closed_without_an_article(scope):
    report = insights.gaps(scope)
    assert report.summary == {"cases_without_article": 3, "groups": 2}
    terms, count, ids, example = report.rows[0]
    assert (count, ids, example) == (2, "CAS-000003 CAS-000004", "VPN tunnel drops at rekey")
    assert set(terms.split()) == {"drops", "tunnel", "vpn"}
    assert report.rows[1][1:] == (1, "CAS-000005", "Printer spooler crash")


def test_search_reports(scope):
    top = insights.top_searches(scope)
    assert top.rows[0] == ("vpn drops", 2, 1)
    zero = insights.zero_result_searches(scope)
    assert sorted(zero.rows) == [("=cmd|' /c calc'!a0", 1), ("vpn drops", 1)]
    over_time = insights.searches_over_time(scope)
    assert over_time.rows == [("2026-03-02", 1, 0, 0.0), ("2026-03-09", 3, 2, 0.6667)]


def test_helpfulness_and_review_overdue(scope):
    votes = insights.helpfulness(scope)
    assert votes.rows == [("KB0001", "Outlook password prompts", 2, 1, 0.6667),
                          ("KB0003", "Printer spooler basics", 0, 1, 0.0)]
    overdue = insights.review_overdue(scope)
    assert overdue.rows == [("KB0006", "Overdue review", "alice", date(2026, 3, 1), 11)]


def test_every_report_builds_a_chart_and_a_csv(scope):
    for name, build in insights.REPORTS.items():
        report = build(scope)
        assert report.name == name
        parsed = list(csv.reader(io.StringIO(report.to_csv())))
        assert tuple(parsed[0]) == report.columns and len(parsed) == len(report.rows) + 1
        ET.fromstring(report.svg())  # well-formed XML


def test_csv_neutralises_formulas(scope):
    text = insights.zero_result_searches(scope).to_csv()
    assert "'=cmd|" in text and "\n=cmd" not in text


def test_charts_escape_labels_and_handle_no_data():
    svg = charts.bar_chart([("<script>alert(1)</script>", 3), ("a & b", 1)], title='"quoted" <title>')
    root = ET.fromstring(svg)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert root.get("aria-label") == '"quoted" <title>'
    line = charts.line_chart(["w1", "w2", "w3"], {"rate": [0.5, None, 1.0]}, title="Rate", percent=True)
    assert "100%" in line and ET.fromstring(line) is not None
    assert "No data yet" in charts.bar_chart([], title="Empty")
    assert "No data yet" in charts.line_chart([], {}, title="Empty")


def test_a_quiet_spell_is_drawn_as_the_time_it_was():
    from kb.cases.insights import timeline

    x, values = timeline({"2026-01-05": 0.5, "2026-03-02": 1.0}, "week")
    assert x[0] == "2026-01-05" and x[-1] == "2026-03-02" and len(x) == 9
    assert values[0] == 0.5 and values[-1] == 1.0 and values[1:-1] == [None] * 7
    months, counts = timeline({"2025-11-01": 3, "2026-02-01": 1}, "month", empty=0)
    assert months == ["2025-11-01", "2025-12-01", "2026-01-01", "2026-02-01"] and counts == [3, 0, 0, 1]


def test_chart_labels_fit_inside_the_chart():
    import html
    import re

    long = "KB0002 SQLSTATE 08001 'Error Locating Server/Instance Specified' when connecting"
    svg = charts.bar_chart([(long, 12), ("short", 3)], title="Reuse")
    width = float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1))
    for x, attrs, text in re.findall(r'<text x="([\d.]+)"([^>]*)>([^<]*)</text>', svg):
        if "text-anchor" not in attrs:
            drawn = len(html.unescape(text)) * charts.TEXT * charts.CHAR
            assert float(x) >= 0 and float(x) + drawn <= width + 1, text
    assert "KB0002" in svg, "the start of a label (its id) is never cut"
    line = charts.line_chart([f"2026-{m:02d}-01" for m in range(1, 13)], {"rate": [0.5] * 12}, title="Rate",
                             percent=True)
    ends = re.findall(r'text-anchor="(start|end)"[^>]*>(2026-\d\d-01)<', line)
    assert ("start", "2026-01-01") in ends and ("end", "2026-12-01") in ends, "first and last dates fit"


@pytest.mark.parametrize("points", [2, 3, 4, 5, 9, 30, 200])
def test_time_axis_labels_never_overlap(points):
    import re
    from datetime import date, timedelta

    days = [(date(2026, 1, 5) + timedelta(weeks=k)).isoformat() for k in range(points)]
    svg = charts.line_chart(days, {"searches": list(range(points))}, title="Searches")
    spans = []
    for x, anchor, text in re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)"[^>]*>(\d{4}-\d\d-\d\d)<',
                                      svg):
        width = len(text) * charts.SMALL * charts.CHAR
        start = {"start": float(x), "end": float(x) - width, "middle": float(x) - width / 2}[anchor]
        spans.append((start, start + width))
    spans.sort()
    assert len(spans) >= (2 if points > 1 else 1)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), spans
    assert spans[0][0] >= 0 and spans[-1][1] <= charts.WIDTH


@pytest.mark.parametrize("peak", [1, 3, 7, 9, 10])
def test_a_chart_of_counts_labels_its_axis_with_whole_numbers(peak):
    import re

    svg = charts.line_chart(["2026-01-05", "2026-01-12"], {"searches": [0, peak]}, title="Searches")
    ticks = re.findall(r'text-anchor="end"[^>]*>([\d.,%]+)<', svg)
    assert ticks and all("." not in t for t in ticks), ticks
    rates = charts.line_chart(["2026-01-05", "2026-01-12"], {"rate": [0.25, 0.5]}, title="Rate", percent=True)
    assert re.findall(r'text-anchor="end"[^>]*>([\d.,%]+)<', rates) == ["0%", "50%", "100%"]
