"""Insight pages at /insights: what cases, self-service and searches say about the knowledge base.

Charts are drawn on the server as SVG (:mod:`kb.cases.charts`): no script, no CDN. Every
report is also a table at /insights/<name> and a CSV at /insights/<name>.csv. Staff only:
the reports name internal articles and quote customers' words.
"""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from pathlib import Path

from flask import Blueprint, Response, g, render_template, request
from markupsafe import Markup

from kb.articles import KnowledgeBase, load_knowledge_base
from kb.cases import charts
from kb.cases.insights import REPORTS as CASE_REPORTS
from kb.cases.insights import Report, Scope
from kb.db import utcnow
from kb.kcs.measures import MEASURES
from kb.visibility import Reader
from web.auth import staff_required
from web.services import services

bp = Blueprint("insights", __name__)

# Every report by name: the case workspace's, then the knowledge loop's KCS measures.
REPORTS = {**CASE_REPORTS, **MEASURES}

BUCKETS = ("day", "week", "month")
WINDOWS = {"30": 30, "90": 90, "365": 365, "all": None}  # days back, chosen on the page
TABLE_ROWS = 500
ARTICLES_TTL_SECONDS = 60.0  # reports read every article's metadata; re-read the folder at most this often
_NAMES = ", ".join(f"'{name}'" for name in REPORTS)

_kb_cache: dict[str, tuple[float, KnowledgeBase]] = {}
_kb_lock = threading.Lock()


def knowledge_base(root: Path) -> KnowledgeBase:
    """The articles folder, loaded at most once per :data:`ARTICLES_TTL_SECONDS`."""
    key = str(root.resolve())
    with _kb_lock:
        cached = _kb_cache.get(key)
        if cached and time.monotonic() - cached[0] < ARTICLES_TTL_SECONDS:
            return cached[1]
    kb = load_knowledge_base(root)
    with _kb_lock:
        _kb_cache[key] = (time.monotonic(), kb)
    return kb


def visible_articles(reader: Reader) -> dict:
    """Articles the reader may see (engineers don't see drafts or reviews), by id."""
    kb = knowledge_base(services().articles_dir)
    return {aid: a for aid, a in kb.articles.items() if a.status in reader.filter_statuses}


def _options() -> tuple[str, str]:
    bucket = request.args.get("bucket", "week")
    window = request.args.get("window", "90")
    return (bucket if bucket in BUCKETS else "week"), (window if window in WINDOWS else "90")


def _scope() -> Scope:
    bucket, window = _options()
    days = WINDOWS[window]
    return Scope(services().engine, visible_articles(g.reader), today=date.today(),
                 since=utcnow() - timedelta(days=days) if days else None, bucket=bucket)


def _chart(report: Report, wide: bool = False) -> Markup:
    """The report's SVG; every label in it was escaped when it was drawn. A ``wide`` one is
    drawn for a whole page's width, so its text keeps the size of the narrow one's."""
    return Markup(report.svg(charts.WIDE if wide else charts.WIDTH))


@bp.route("/insights")
@staff_required
def overview():
    """Every report's headline numbers and chart on one page."""
    scope = _scope()
    bucket, window = _options()
    reports = [build(scope) for build in REPORTS.values()]
    return render_template("insights/overview.html", reports=reports, chart=_chart, bucket=bucket,
                           window=window, buckets=BUCKETS, windows=WINDOWS)


@bp.route(f"/insights/<any({_NAMES}):name>")
@staff_required
def report(name: str):
    """One report: chart, headline numbers and its rows as a table."""
    bucket, window = _options()
    built = REPORTS[name](_scope())
    return render_template("insights/report.html", report=built, chart=_chart, rows=built.rows[:TABLE_ROWS],
                           bucket=bucket, window=window, buckets=BUCKETS, windows=WINDOWS)


@bp.route(f"/insights/<any({_NAMES}):name>.csv")
@staff_required
def report_csv(name: str):
    """One report's rows as CSV, for a spreadsheet."""
    built = REPORTS[name](_scope())
    return Response(built.to_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="kb-{name}.csv"'})
