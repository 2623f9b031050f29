"""Insight reports: what cases, self-service and searches say about the knowledge base.

Each report is a :class:`Report`: plain rows (for CSV and tables), headline numbers, and
the data for one SVG chart. Every report function takes a :class:`Scope`, so the web can
build any of them by name from :data:`REPORTS`. Definitions are in each docstring and in
the report's ``note``, which the pages show beside the chart.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kb import activity
from kb.cases import charts
from kb.cases.deflection import deflection_by_period, deflection_stats, period_start
from kb.cases.rules import CLOSED, DONE
from kb.cases.schema import case_links, cases
from kb.cases.store import format_case_id
from kb.cases.text import tfidf, tokenize, top_terms
from kb.model import Article

CHART_ROWS = 20  # bars per chart; the CSV has every row
GAP_TERMS = 6  # distinctive terms that describe a case for gap clustering
GAP_JACCARD = 0.25  # cases whose term sets overlap this much are the same gap


@dataclass(frozen=True)
class Scope:
    """What a report reads: the database, the articles (id -> Article), today, and a time window."""

    engine: Engine
    articles: Mapping[str, Article] = field(default_factory=dict)
    today: date = field(default_factory=date.today)
    since: datetime | None = None
    bucket: str = "week"  # day, week or month, for reports over time


@dataclass
class Report:
    """Rows for a CSV, headline numbers, and one chart.

    ``chart`` is "bar" (``bars`` holds (label, value) pairs), "line" (``x`` labels and
    ``series`` of values) or "none".
    """

    name: str
    title: str
    note: str
    columns: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)
    summary: dict[str, object] = field(default_factory=dict)
    chart: str = "bar"
    bars: list[tuple[str, float]] = field(default_factory=list)
    x: list[str] = field(default_factory=list)
    series: dict[str, list[float | None]] = field(default_factory=dict)
    percent: bool = False

    def to_csv(self) -> str:
        """The rows as CSV. Cells that a spreadsheet would run as a formula are quoted with a
        leading apostrophe: titles and queries come from customers."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_csv_cell(v) for v in row])
        return out.getvalue()

    def svg(self, width: int = charts.WIDTH) -> str:
        """The report's chart as an SVG string, drawn ``width`` units wide."""
        if self.chart == "line":
            return charts.line_chart(self.x, self.series, title=self.title, percent=self.percent, width=width)
        if self.chart == "bar":
            return charts.bar_chart(self.bars[:CHART_ROWS], title=self.title, percent=self.percent,
                                    width=width)
        return ""


def _csv_cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return "" if value is None else value


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


MAX_POINTS = 400  # periods a line chart draws; a longer range keeps its latest periods


def _next_period(day: date, bucket: str) -> date:
    if bucket == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=7 if bucket == "week" else 1)


def timeline(values: Mapping[str, object], bucket: str, empty: object = None) -> tuple[list[str], list]:
    """(every period from the first to the last, the value of each): periods with no data get
    ``empty`` (None leaves a gap in a rate's line, 0 is right for a count), so a quiet spell
    is drawn as the time it was rather than as one step between its neighbours.

    :param values: ``{period start (ISO date): value}``.
    """
    if not values:
        return [], []
    days = sorted(date.fromisoformat(k) for k in values)
    periods, day = [], days[0]
    while day <= days[-1]:
        periods.append(day.isoformat())
        day = _next_period(day, bucket)
    periods = periods[-MAX_POINTS:]
    return periods, [values.get(p, empty) for p in periods]


def _line(scope: Scope, series: Mapping[str, Mapping[str, object]], empty: object = None) -> dict:
    """``x`` and ``series`` for a line chart over every period the series span."""
    spanned = {period: True for values in series.values() for period in values}
    x, _ = timeline(spanned, scope.bucket)
    return {"x": x, "series": {name: [values.get(p, empty) for p in x] for name, values in series.items()}}


def _title(scope: Scope, article_id: str) -> str:
    article = scope.articles.get(article_id)
    return article.title if article else ""


def deflection(scope: Scope) -> Report:
    """Deflection rate per period of the drafts' start (see :mod:`kb.cases.deflection`)."""
    periods = deflection_by_period(scope.engine, bucket=scope.bucket, since=scope.since)
    overall = deflection_stats(scope.engine, since=scope.since)
    rows = [(p.isoformat(), s.sessions, s.deflected, s.submitted, s.abandoned, s.rate) for p, s in periods]
    return Report(
        "deflection", "Self-service deflection rate",
        "Ticket drafts solved by an article, out of drafts that ended (solved or submitted as a case).",
        ("period", "sessions", "deflected", "submitted", "abandoned", "deflection_rate"), rows,
        summary={"sessions": overall.sessions, "deflected": overall.deflected, "submitted": overall.submitted,
                 "abandoned": overall.abandoned, "deflection_rate": overall.rate},
        chart="line", percent=True, **_line(scope, {"deflection rate": {r[0]: r[5] for r in rows}}))


def _closed_cases(engine: Engine, since: datetime | None) -> list[tuple[int, datetime, bool, bool]]:
    """(case id, closed at, has any link, has a solved link) for closed cases."""
    any_solved = sa.func.max(sa.case((case_links.c.solved.is_(True), 1), else_=0)).label("solved")
    linked = sa.select(case_links.c.case_id, any_solved).group_by(case_links.c.case_id).subquery()
    query = (sa.select(cases.c.id, cases.c.closed_at, linked.c.case_id.is_not(None).label("linked"),
                       sa.func.coalesce(linked.c.solved, 0).label("solved"))
             .select_from(cases.outerjoin(linked, linked.c.case_id == cases.c.id))
             .where(cases.c.status == CLOSED).order_by(cases.c.closed_at))
    if since is not None:
        query = query.where(cases.c.closed_at >= since)
    with engine.connect() as conn:
        return [(r.id, r.closed_at, bool(r.linked), bool(r.solved)) for r in conn.execute(query)]


def link_rate(scope: Scope) -> Report:
    """Link rate = closed cases with at least one linked article / closed cases, per period closed."""
    closed = _closed_cases(scope.engine, scope.since)
    grouped: dict[date, list[tuple[bool, bool]]] = defaultdict(list)
    for _, closed_at, linked, solved in closed:
        grouped[period_start(closed_at, scope.bucket)].append((linked, solved))
    rows = []
    for period, flags in sorted(grouped.items()):
        with_article = sum(linked for linked, _ in flags)
        rows.append((period.isoformat(), len(flags), with_article, sum(s for _, s in flags),
                     _ratio(with_article, len(flags))))
    total_linked = sum(c[2] for c in closed)
    return Report(
        "link-rate", "Link rate of closed cases",
        "Closed cases that link at least one article, out of all closed cases; 'solved' counts links "
        "marked as the article that solved the case.",
        ("period", "closed", "with_article", "solved_by_article", "link_rate"), rows,
        summary={"closed": len(closed), "with_article": total_linked,
                 "solved_by_article": sum(c[3] for c in closed),
                 "link_rate": _ratio(total_linked, len(closed))},
        chart="line", percent=True, **_line(scope, {"link rate": {r[0]: r[4] for r in rows}}))


def _link_counts(engine: Engine) -> dict[str, tuple[int, int]]:
    """``{article_id: (reuse count, related links)}`` over resolved and closed cases."""
    solved = sa.func.count(sa.distinct(sa.case((case_links.c.solved.is_(True), case_links.c.case_id))))
    related = sa.func.count(sa.distinct(sa.case((case_links.c.solved.is_(False), case_links.c.case_id))))
    query = (sa.select(case_links.c.article_id, solved.label("solved"), related.label("related"))
             .join(cases, cases.c.id == case_links.c.case_id).where(cases.c.status.in_(DONE))
             .group_by(case_links.c.article_id))
    with engine.connect() as conn:
        return {r.article_id: (int(r.solved), int(r.related)) for r in conn.execute(query)}


def reuse(scope: Scope) -> Report:
    """Reuse per article: distinct resolved or closed cases it solved (see :mod:`kb.cases.store`)."""
    counts = _link_counts(scope.engine)
    rows = sorted(((aid, _title(scope, aid), solved, related) for aid, (solved, related) in counts.items()
                   if solved or related), key=lambda r: (-r[2], -r[3], r[0]))
    return Report(
        "reuse", "Article reuse",
        "Resolved or closed cases each article solved; related links are counted apart.",
        ("article_id", "title", "reuse_count", "related_links"), rows,
        summary={"articles_reused": sum(1 for r in rows if r[2]), "solved_links": sum(r[2] for r in rows)},
        bars=[(f"{r[0]} {r[1]}".strip(), r[2]) for r in rows if r[2]])


def never_used(scope: Scope) -> Report:
    """Published articles that no case ever linked (solved or related, open or closed)."""
    with scope.engine.connect() as conn:
        linked = set(conn.execute(sa.select(case_links.c.article_id).distinct()).scalars())
    unused = sorted((a for a in scope.articles.values() if a.status == "published" and a.id not in linked),
                    key=lambda a: (a.product or "", a.id))
    rows = [(a.id, a.title, a.type, a.audience, a.product or "", a.updated) for a in unused]
    by_product = Counter(a.product or "(no product)" for a in unused)
    return Report(
        "never-used", "Articles never used",
        "Published articles not linked to any case yet: candidates to improve, merge or retire.",
        ("article_id", "title", "type", "audience", "product", "updated"), rows,
        summary={"never_used": len(rows),
                 "published": sum(1 for a in scope.articles.values() if a.status == "published")},
        bars=sorted(by_product.items(), key=lambda kv: (-kv[1], kv[0])))


def gap_clusters(engine: Engine, *, terms: int = GAP_TERMS,
                 threshold: float = GAP_JACCARD) -> list[tuple[list[str], list[tuple[int, str]]]]:
    """Closed cases with no linked article, grouped by their distinctive terms.

    Each case is described by its top tf-idf terms (weighted against every done case, so
    product names common to all cases don't glue unrelated ones); cases whose term sets have
    a Jaccard overlap of at least ``threshold`` join one group (single link). Returns
    ``(shared terms, [(case id, title)])`` per group, biggest first.
    """
    linked = sa.select(case_links.c.case_id)
    with engine.connect() as conn:
        done = conn.execute(sa.select(cases.c.id, cases.c.title, cases.c.description, cases.c.status,
                                      cases.c.id.in_(linked).label("linked"))
                            .where(cases.c.status.in_(DONE)).order_by(cases.c.id)).all()
    tokens = {r.id: tokenize(r.title) * 2 + tokenize(r.description or "") for r in done}
    df: Counter[str] = Counter()
    for toks in tokens.values():
        df.update(set(toks))
    gaps = [r for r in done if r.status == CLOSED and not r.linked]
    described = {r.id: set(top_terms(tfidf(tokens[r.id], df, len(done)), terms)) for r in gaps}
    parent = {cid: cid for cid in described}

    def root(cid: int) -> int:
        while parent[cid] != cid:
            parent[cid] = parent[parent[cid]]
            cid = parent[cid]
        return cid

    postings: dict[str, list[int]] = defaultdict(list)
    for cid, words in described.items():
        for word in words:
            postings[word].append(cid)
    shared: Counter[tuple[int, int]] = Counter()
    for members in postings.values():
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                shared[(a, b)] += 1
    for (a, b), n in shared.items():
        if n / len(described[a] | described[b]) >= threshold:
            parent[root(a)] = root(b)
    groups: dict[int, list[int]] = defaultdict(list)
    for cid in described:
        groups[root(cid)].append(cid)
    titles = {r.id: r.title for r in gaps}
    out = []
    for members in groups.values():
        counts = Counter(w for cid in members for w in described[cid])
        label = [w for w, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:3]
        out.append((label, [(cid, titles[cid]) for cid in sorted(members)]))
    out.sort(key=lambda g: (-len(g[1]), g[1][0][0]))
    return out


def gaps(scope: Scope) -> Report:
    """Knowledge gaps: closed cases without an article, grouped by similar text."""
    groups = gap_clusters(scope.engine)
    rows = [(" ".join(label), len(members), " ".join(format_case_id(c) for c, _ in members[:20]),
             members[0][1]) for label, members in groups]
    return Report(
        "gaps", "Knowledge gaps: cases closed without an article",
        "Closed cases with no linked article, grouped when their most distinctive words overlap. Big groups "
        "are the articles to write next.",
        ("terms", "cases", "case_ids", "example_title"), rows,
        summary={"cases_without_article": sum(len(m) for _, m in groups), "groups": len(groups)},
        bars=[(f"{r[0]} ({r[3]})", r[1]) for r in rows])


def _searches(scope: Scope):
    """(total, at) of every search in the window, for reports over time."""
    log = activity.search_log
    query = sa.select(log.c.total, log.c.at).where(log.c.kind.in_(activity.SEARCH_KINDS))
    if scope.since is not None:
        query = query.where(log.c.at >= scope.since)
    with scope.engine.connect() as conn:
        return conn.execute(query).all()


def _query_counts(scope: Scope, *, zero_only: bool = False) -> list[tuple[str, int, int]]:
    """(query, searches, zero-result searches), grouped in SQL with case and outer spaces folded."""
    log = activity.search_log
    text = sa.func.lower(sa.func.trim(log.c.query))
    zero = sa.func.sum(sa.case((log.c.total == 0, 1), else_=0))
    query = (sa.select(text.label("q"), sa.func.count().label("n"), zero.label("z"))
             .where(log.c.kind.in_(activity.SEARCH_KINDS)).group_by(text))
    if scope.since is not None:
        query = query.where(log.c.at >= scope.since)
    if zero_only:
        query = query.where(log.c.total == 0)
    with scope.engine.connect() as conn:
        rows = [(r.q, int(r.n), int(r.z or 0)) for r in conn.execute(query)]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def top_searches(scope: Scope) -> Report:
    """Most frequent searches, with how often each found nothing."""
    rows = _query_counts(scope)
    return Report("top-searches", "Top searches", "Searches by how often they were run, all audiences.",
                  ("query", "searches", "zero_results"), rows,
                  summary={"searches": sum(r[1] for r in rows), "distinct": len(rows)},
                  bars=[(r[0], r[1]) for r in rows])


def zero_result_searches(scope: Scope) -> Report:
    """Searches that found nothing, most frequent first: content to write or synonyms to add."""
    rows = [(q, n) for q, n, _ in _query_counts(scope, zero_only=True)]
    return Report("zero-result-searches", "Searches with no results",
                  "Queries that returned nothing: write the article, or add the reader's word as a synonym.",
                  ("query", "searches"), rows, summary={"zero_result_searches": sum(n for _, n in rows)},
                  bars=list(rows))


def searches_over_time(scope: Scope) -> Report:
    """Searches and zero-result searches per period."""
    grouped: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for total, at in _searches(scope):
        slot = grouped[period_start(at, scope.bucket)]
        slot[0] += 1
        slot[1] += total == 0
    rows = [(p.isoformat(), n, z, _ratio(z, n)) for p, (n, z) in sorted(grouped.items())]
    return Report("searches", "Searches over time", "Searches run per period and how many found nothing.",
                  ("period", "searches", "zero_results", "zero_result_rate"), rows,
                  summary={"searches": sum(r[1] for r in rows), "zero_results": sum(r[2] for r in rows)},
                  chart="line", **_line(scope, {"searches": {r[0]: r[1] for r in rows},
                                                "zero results": {r[0]: r[2] for r in rows}}, empty=0))


def helpfulness(scope: Scope) -> Report:
    """"Was this helpful?" votes per article, most voted first."""
    votes = activity.signals(scope.engine)
    rows = sorted(((aid, _title(scope, aid), yes, no, _ratio(yes, yes + no))
                   for aid, (yes, no) in votes.items()), key=lambda r: (-(r[2] + r[3]), r[0]))
    return Report("helpfulness", "Helpfulness votes",
                  "Readers' votes per article; the bar is the share of votes that said it helped.",
                  ("article_id", "title", "helpful", "unhelpful", "helpful_share"), rows,
                  summary={"helpful": sum(r[2] for r in rows), "unhelpful": sum(r[3] for r in rows)},
                  bars=[(f"{r[0]} {r[1]}".strip(), r[4] or 0.0) for r in rows], percent=True)


def review_overdue(scope: Scope) -> Report:
    """Articles whose ``review_by`` date has passed, most overdue first (archived ones excluded)."""
    late = sorted((a for a in scope.articles.values()
                   if a.review_by and a.review_by < scope.today and a.status != "archived"),
                  key=lambda a: (a.review_by, a.id))
    rows = [(a.id, a.title, a.owner or "", a.review_by, (scope.today - a.review_by).days) for a in late]
    return Report("review-overdue", "Articles past their review date",
                  "Articles whose review_by date has passed; their owners should check them.",
                  ("article_id", "title", "owner", "review_by", "days_overdue"), rows,
                  summary={"overdue": len(rows)}, bars=[(f"{r[0]} {r[1]}", r[4]) for r in rows])


# Report name (used in URLs) -> builder, in the order the insight pages show them.
REPORTS: dict[str, Callable[[Scope], Report]] = {
    "deflection": deflection,
    "link-rate": link_rate,
    "reuse": reuse,
    "never-used": never_used,
    "gaps": gaps,
    "searches": searches_over_time,
    "top-searches": top_searches,
    "zero-result-searches": zero_result_searches,
    "helpfulness": helpfulness,
    "review-overdue": review_overdue,
}
