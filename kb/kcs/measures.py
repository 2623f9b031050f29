"""The KCS measures, as insight reports: one chart each, and its rows as CSV.

Link rate is the case workspace's own report (:func:`kb.cases.insights.link_rate`); the
others are here. Definitions, which each report's note repeats beside its chart:

* **reuse rate**: of the closed cases solved by an article, the share solved by a *known*
  one. An article is *new* for the case it was captured from (knowledge capture writes the
  case's id into the draft), and for the first case it solved when nothing shows it existed
  before that case was opened (no ``updated`` or ``validated_at`` date before it); it is
  *known* for every other case. **New vs known** shows both per period.
* **participation**: per engineer, the cases they linked an article to, the new articles
  (first solutions) among them, the flags they raised and the tasks they closed.
* **flag and task aging**: open tasks by age, and how long closed ones took.
* **validated share**: of the articles readers can use (published or in review), the
  share an approver validated (:mod:`kb.kcs.confidence`).
* **capture to publication**: days from a captured article's first case to its
  validation (its publication in KCS terms); those still waiting are listed with their age.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime
from statistics import median

import sqlalchemy as sa

from kb.cases.deflection import period_start
from kb.cases.insights import Report, Scope
from kb.cases.rules import CLOSED
from kb.cases.schema import case_links, cases
from kb.cases.store import format_case_id
from kb.db import utcnow
from kb.kcs import tasks as task_store
from kb.kcs.confidence import LABELS, LEVELS, NOT_VALIDATED, VALIDATED, confidence_of
from kb.kcs.schema import flags, tasks

AGE_BUCKETS = ((7, "0-7 days"), (30, "8-30 days"), (90, "31-90 days"), (None, "over 90 days"))


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def first_solutions(scope: Scope) -> dict[str, tuple[int, datetime]]:
    """``{article_id: (case id, linked at)}``: the first case each article solved."""
    query = (sa.select(case_links.c.article_id, case_links.c.case_id, case_links.c.linked_at)
             .where(case_links.c.solved.is_(True)).order_by(case_links.c.linked_at, case_links.c.case_id))
    first: dict[str, tuple[int, datetime]] = {}
    with scope.engine.connect() as conn:
        for article_id, case_id, at in conn.execute(query):
            first.setdefault(article_id, (case_id, at))
    return first


def _solved_closed(scope: Scope) -> list[tuple[int, datetime, datetime, tuple[str, ...]]]:
    """(case id, opened at, closed at, articles that solved it) for closed cases in the window."""
    query = (sa.select(cases.c.id, cases.c.created_at, cases.c.closed_at, case_links.c.article_id)
             .join(case_links, case_links.c.case_id == cases.c.id)
             .where(cases.c.status == CLOSED, case_links.c.solved.is_(True)))
    if scope.since is not None:
        query = query.where(cases.c.closed_at >= scope.since)
    grouped: dict[int, tuple[datetime, datetime, list[str]]] = {}
    with scope.engine.connect() as conn:
        for case_id, opened_at, closed_at, article_id in conn.execute(query):
            grouped.setdefault(case_id, (opened_at, closed_at, []))[2].append(article_id)
    return [(cid, opened, closed, tuple(ids))
            for cid, (opened, closed, ids) in sorted(grouped.items(), key=lambda kv: kv[1][1])]


def _is_new(scope: Scope, article_id: str, case_id: int, opened: datetime,
            first: dict[str, tuple[int, datetime]]) -> bool:
    """Whether the article was new for this case (see the module docstring)."""
    article = scope.articles.get(article_id)
    if article is not None and f"Captured from case {format_case_id(case_id)}" in article.body:
        return True
    if first.get(article_id, (None,))[0] != case_id:
        return False
    dates = (article.updated, article.validated_at) if article is not None else ()
    return not any(d and d < opened.date() for d in dates)


def new_vs_known(scope: Scope) -> Report:
    """Closed cases solved by a new article vs a known one, per period, and the reuse rate."""
    first = first_solutions(scope)
    grouped: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for case_id, opened, closed_at, solved_by in _solved_closed(scope):
        is_new = any(_is_new(scope, a, case_id, opened, first) for a in solved_by)
        grouped[period_start(closed_at, scope.bucket)][0 if is_new else 1] += 1
    rows = [(p.isoformat(), new, known, _ratio(known, new + known)) for p, (new, known) in sorted(grouped.items())]
    new_total, known_total = sum(r[1] for r in rows), sum(r[2] for r in rows)
    return Report(
        "new-vs-known", "New vs known: what solved closed cases",
        "Closed cases solved by a new article (captured from the case, or first used on it) or by a known one "
        "(reused). Reuse rate = known / (new + known).",
        ("period", "new", "known", "reuse_rate"), rows,
        summary={"new": new_total, "known": known_total, "reuse_rate": _ratio(known_total, new_total + known_total)},
        chart="line", x=[r[0] for r in rows],
        series={"new": [r[1] for r in rows], "known": [r[2] for r in rows]})


def reuse_rate(scope: Scope) -> Report:
    """The reuse rate per period (the share of solved closed cases solved by a known article)."""
    base = new_vs_known(scope)
    return Report(
        "reuse-rate", "Reuse rate", "Of the closed cases an article solved, the share solved by a known "
        "article (one that had solved an earlier case).", ("period", "new", "known", "reuse_rate"), base.rows,
        summary={"reuse_rate": base.summary["reuse_rate"], "cases": base.summary["new"] + base.summary["known"]},
        chart="line", x=base.x, series={"reuse rate": [r[3] for r in base.rows]}, percent=True)


def participation(scope: Scope) -> Report:
    """Per engineer: links made, new articles among them, flags raised, tasks closed."""
    first = first_solutions(scope)
    counts: dict[str, Counter] = defaultdict(Counter)
    since = scope.since
    linked: dict[str, set[int]] = defaultdict(set)
    created: dict[str, set[str]] = defaultdict(set)
    with scope.engine.connect() as conn:
        links = (sa.select(case_links.c.linked_by, case_links.c.case_id, case_links.c.article_id,
                           case_links.c.linked_at, case_links.c.solved, cases.c.created_at)
                 .join(cases, cases.c.id == case_links.c.case_id).where(case_links.c.linked_by.is_not(None)))
        for who, case_id, article_id, at, solved, opened in conn.execute(links):
            if since is None or at >= since:
                linked[who].add(case_id)  # cases, not links: a merge copies links, not work
                if solved and _is_new(scope, article_id, case_id, opened, first):
                    created[who].add(article_id)
        for who in linked:
            counts[who]["links"] = len(linked[who])
            counts[who]["new_articles"] = len(created[who])
        for who, at in conn.execute(sa.select(flags.c.user_name, flags.c.created_at)
                                    .where(flags.c.user_name.is_not(None))):
            if since is None or at >= since:
                counts[who]["flags"] += 1
        for who, at in conn.execute(sa.select(tasks.c.resolved_by, tasks.c.resolved_at)
                                    .where(tasks.c.resolved_by.is_not(None), tasks.c.resolved_by != "kb")):
            if since is None or at >= since:
                counts[who]["tasks_closed"] += 1
    rows = sorted(((who, c["links"], c["new_articles"], c["flags"], c["tasks_closed"]) for who, c in counts.items()),
                  key=lambda r: (-(r[1] + r[3] + r[4]), r[0]))
    return Report(
        "participation", "Participation per engineer",
        "Cases each engineer linked an article to, the new articles among them (an article's first solved "
        "case), the flags they raised and the tasks they closed.",
        ("engineer", "links", "new_articles", "flags", "tasks_closed"), rows,
        summary={"engineers": len(rows), "links": sum(r[1] for r in rows), "flags": sum(r[3] for r in rows)},
        bars=[(r[0], r[1] + r[3] + r[4]) for r in rows])


def _bucket(days: int) -> str:
    for limit, label in AGE_BUCKETS:
        if limit is None or days <= limit:
            return label
    return AGE_BUCKETS[-1][1]


def task_aging(scope: Scope) -> Report:
    """Open tasks by kind and age, and the median days closed tasks took."""
    now = utcnow()
    found = task_store.list_tasks(scope.engine, status=None, limit=10_000)
    rows = []
    by_age: Counter = Counter()
    for kind in task_store.KINDS:
        mine = [t for t in found if t.kind == kind]
        open_ages = [t.age_days(now) for t in mine if t.is_open]
        for age in open_ages:
            by_age[_bucket(age)] += 1
        took = [t.age_days() for t in mine if not t.is_open]
        buckets = Counter(_bucket(a) for a in open_ages)
        rows.append((kind, len(open_ages), *(buckets[label] for _, label in AGE_BUCKETS), max(open_ages, default=0),
                     len(took), median(took) if took else None))
    open_total = sum(r[1] for r in rows)
    return Report(
        "task-aging", "Flag and task aging", "Open tasks by how long they have waited, per kind (flags are the "
        "'flag' kind), and how many days closed tasks took (median).",
        ("kind", "open", *(label for _, label in AGE_BUCKETS), "oldest_open_days", "closed", "median_days_to_close"),
        rows, summary={"open": open_total, "closed": sum(r[-2] for r in rows),
                       "oldest_open_days": max((r[-3] for r in rows), default=0)},
        bars=[(label, by_age[label]) for _, label in AGE_BUCKETS])


def validated_share(scope: Scope) -> Report:
    """Articles by KCS confidence; the share validated among those readers can use."""
    levels = Counter(confidence_of(a) for a in scope.articles.values())
    usable = levels[VALIDATED] + levels[NOT_VALIDATED]
    rows = [(level, LABELS[level], levels[level]) for level in LEVELS]
    return Report(
        "validated-share", "Validated share of the knowledge base",
        "Articles by KCS confidence. Validated share = validated / (validated + not validated): the articles "
        "readers can use that an approver checked.",
        ("confidence", "label", "articles"), rows,
        summary={"validated": levels[VALIDATED], "not_validated": levels[NOT_VALIDATED],
                 "validated_share": _ratio(levels[VALIDATED], usable)},
        bars=[(r[1], r[2]) for r in rows])


def capture_to_publication(scope: Scope) -> Report:
    """Days from each captured article's first case to its validation (or how long it has waited)."""
    first = first_solutions(scope)
    rows = []
    for article_id, (case_id, linked_at) in sorted(first.items(), key=lambda kv: kv[1][1]):
        article = scope.articles.get(article_id)
        if article is None or article.validated_at is None and confidence_of(article) == VALIDATED:
            continue  # unknown here, or published before kb tracked validation: not a capture
        captured = linked_at.date()
        if article.validated_at and article.validated_at >= captured:
            rows.append((article_id, article.title, captured, article.validated_at,
                         (article.validated_at - captured).days, "published"))
        elif article.validated_at is None:
            rows.append((article_id, article.title, captured, None, (scope.today - captured).days,
                         LABELS[confidence_of(article)].lower()))
    done = [r[4] for r in rows if r[3] is not None]
    return Report(
        "capture-to-publication", "Time from capture to publication",
        "Days from an article's first case (when it was captured) to its validation; articles not validated yet "
        "show how long they have waited.",
        ("article_id", "title", "captured", "validated", "days", "state"), rows,
        summary={"published": len(done), "waiting": len(rows) - len(done),
                 "median_days": median(done) if done else None},
        bars=[(f"{r[0]} {r[1]}", r[4]) for r in rows])


# Report name (used in URLs) -> builder, in the order the insight pages show them.
MEASURES: dict[str, Callable[[Scope], Report]] = {
    "reuse-rate": reuse_rate,
    "new-vs-known": new_vs_known,
    "participation": participation,
    "task-aging": task_aging,
    "validated-share": validated_share,
    "capture-to-publication": capture_to_publication,
}
