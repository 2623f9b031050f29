"""`kb report` and /authoring/report: the content-health findings that are not lint errors.

Three lists an author or knowledge manager works through:

* **stale** articles: review_by is past, or the last update is long ago;
* **orphans**: no other article links to them (body links, ``related``, ``superseded_by``)
  and no case was ever linked to them;
* **unanswered searches**: the queries people run most that found nothing, or almost
  nothing, according to the search log.

Usage data comes from the database (the case store's links and the search log). When a
source is missing (no database yet, or a table that doesn't exist), the report treats
it as empty and says so in ``notes``, instead of failing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from kb.articles import KnowledgeBase

STALE_AFTER_DAYS = 365
LOW_RESULTS = 2  # a search showing at most this many results found no good answer
SEARCH_WINDOW_DAYS = 90
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class StaleArticle:
    """An article past its review date or not updated for a long time, and why."""

    id: str
    title: str
    path: str
    status: str
    reasons: tuple[str, ...]
    review_by: str | None = None
    updated: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class OrphanArticle:
    """An article nothing links to and no case used."""

    id: str
    title: str
    path: str
    status: str
    owner: str | None = None


@dataclass(frozen=True)
class UnansweredSearch:
    """A query (lower-cased, trimmed) that never showed more than a few results."""

    query: str
    searches: int  # how many times it was searched in the window
    best_total: int  # the most results it ever showed
    last_searched: str


@dataclass
class Report:
    """The three lists, the date they are computed for, and notes about missing data."""

    today: str
    articles: int
    stale: list[StaleArticle] = field(default_factory=list)
    orphans: list[OrphanArticle] = field(default_factory=list)
    unanswered: list[UnansweredSearch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The report as plain JSON-friendly types."""
        return asdict(self)

    def to_json(self) -> str:
        """The report as indented JSON (what ``kb report --format json`` prints)."""
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        """The report as plain text, one finding per line, sections with counts."""
        lines = [f"Content health report for {self.articles} articles, {self.today}", ""]
        lines.append(f"Stale articles ({len(self.stale)}):")
        lines += [f"  {a.id:10} {a.path}: {'; '.join(a.reasons)}" for a in self.stale] or ["  none"]
        lines += ["", f"Orphans: nothing links to them and no case used them ({len(self.orphans)}):"]
        lines += [f"  {a.id:10} {a.path}: {a.title}" for a in self.orphans] or ["  none"]
        lines += ["", f"Most-searched terms with no good answer ({len(self.unanswered)}):"]
        lines += [f"  {u.searches:5}x  {u.query!r} (best: {u.best_total} result"
                  f"{'s' if u.best_total != 1 else ''}, last {u.last_searched})"
                  for u in self.unanswered] or ["  none"]
        if self.notes:
            lines += ["", "Notes:"] + [f"  - {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def stale_articles(kb: KnowledgeBase, today: date,
                   stale_after_days: int = STALE_AFTER_DAYS) -> list[StaleArticle]:
    """Articles (not archived) past review_by or not updated in ``stale_after_days``, oldest first."""
    limit = today - timedelta(days=stale_after_days)
    found = []
    for a in kb.articles.values():
        if a.status == "archived":
            continue
        reasons = []
        if a.review_by and a.review_by < today:
            reasons.append(f"review was due on {a.review_by.isoformat()}")
        if a.updated and a.updated < limit:
            reasons.append(f"last updated {a.updated.isoformat()}, {(today - a.updated).days} days ago")
        if reasons:
            found.append(StaleArticle(a.id, a.title, a.path, a.status, tuple(reasons),
                                      a.review_by.isoformat() if a.review_by else None,
                                      a.updated.isoformat() if a.updated else None, a.owner))
    # Oldest first: the earliest of its review and update dates (ISO dates sort as text).
    found.sort(key=lambda s: (min(d for d in (s.review_by, s.updated) if d), s.id))
    return found


def inbound_links(kb: KnowledgeBase) -> dict[str, set[str]]:
    """``{article id: ids of the other, non-archived articles that point at it}``."""
    inbound: dict[str, set[str]] = defaultdict(set)
    for a in kb.articles.values():
        if a.status == "archived":
            continue
        targets = {target for target, _, _ in a.outline.links} | set(a.related)
        if a.superseded_by:
            targets.add(a.superseded_by)
        for target in targets - {a.id}:
            inbound[target].add(a.id)
    return inbound


def orphan_articles(kb: KnowledgeBase, used_on_cases: set[str]) -> list[OrphanArticle]:
    """Articles (not archived) that no other article links to and no case used."""
    inbound = inbound_links(kb)
    return [OrphanArticle(a.id, a.title, a.path, a.status, a.owner)
            for a in sorted(kb.articles.values(), key=lambda a: a.path)
            if a.status != "archived" and not inbound.get(a.id) and a.id not in used_on_cases]


def build_report(kb: KnowledgeBase, *, engine=None, today: date | None = None,
                 stale_after_days: int = STALE_AFTER_DAYS, low_results: int = LOW_RESULTS,
                 window_days: int = SEARCH_WINDOW_DAYS, limit: int = DEFAULT_LIMIT) -> Report:
    """The content-health report for a loaded knowledge base.

    :param engine: the database (search log, cases); None means "no usage data".
    :param low_results: searches that showed at most this many results count as unanswered.
    :param window_days: only searches from the last ``window_days`` days count.
    :param limit: the most findings kept per list (0: no limit).
    """
    today = today or date.today()
    report = Report(today=today.isoformat(), articles=len(kb.articles))
    used, note = used_on_cases(engine)
    if note:
        report.notes.append(note)
    searches, note = unanswered_searches(engine, low_results=low_results,
                                         since=datetime.combine(today - timedelta(days=window_days),
                                                                datetime.min.time()))
    if note:
        report.notes.append(note)
    cut = (lambda items: items[:limit]) if limit else (lambda items: items)
    report.stale = cut(stale_articles(kb, today, stale_after_days))
    report.orphans = cut(orphan_articles(kb, used))
    report.unanswered = cut(searches)
    return report


def used_on_cases(engine) -> tuple[set[str], str | None]:
    """Ids of articles linked to any case (solved or related), and a note if unknown."""
    if engine is None:
        return set(), "no database: case usage counted as zero"
    try:
        import sqlalchemy as sa

        from kb.cases.schema import case_links
    except ImportError:
        return set(), "the case store is not installed: case usage counted as zero"
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(sa.select(case_links.c.article_id).distinct())}, None
    except Exception as exc:  # noqa: BLE001  (a report must not fail for want of usage data)
        return set(), f"case links could not be read ({type(exc).__name__}): case usage counted as zero"


def unanswered_searches(engine, *, low_results: int = LOW_RESULTS,
                        since: datetime | None = None) -> tuple[list[UnansweredSearch], str | None]:
    """Queries whose every search showed at most ``low_results`` results, most searched first."""
    if engine is None:
        return [], "no database: no search log to read"
    try:
        import sqlalchemy as sa

        # Ticket texts and questions answered are not "terms": only typed searches count.
        from kb.activity import SEARCH_KINDS, search_log
    except ImportError:
        return [], "the search log is not installed: no unanswered searches to show"
    query_text = sa.func.lower(sa.func.trim(search_log.c.query)).label("q")
    best = sa.func.max(search_log.c.total).label("best")
    count = sa.func.count().label("n")
    stmt = (sa.select(query_text, count, best, sa.func.max(search_log.c.at).label("last"))
            .where(search_log.c.kind.in_(SEARCH_KINDS), sa.func.trim(search_log.c.query) != "")
            .group_by(query_text).having(best <= low_results).order_by(count.desc(), query_text))
    if since is not None:
        stmt = stmt.where(search_log.c.at >= since)
    try:
        with engine.connect() as conn:
            rows = conn.execute(stmt).all()
    except Exception as exc:  # noqa: BLE001
        return [], f"the search log could not be read ({type(exc).__name__}): no unanswered searches to show"
    return [UnansweredSearch(r.q, int(r.n), int(r.best), _iso(r.last)) for r in rows], None


def _iso(value) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value or "")


def engine_if_exists(db_url: str | None):
    """The database engine, or None when it is an SQLite file that doesn't exist yet.

    A report reads usage data; it must not create an empty database as a side effect.
    """
    from kb.db import engine_for, resolve_url

    url = resolve_url(db_url)
    if url.startswith("sqlite:///") and not url.endswith(":memory:") \
            and not Path(url[len("sqlite:///"):]).exists():
        return None
    return engine_for(url)
