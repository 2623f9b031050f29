"""Tasks the knowledge base raises by itself: review dates, helpfulness trends, reuse, duplicates.

:func:`sweep` looks at every article and raises the tasks that are due, and closes the
ones the files show were handled (a review date moved forward, an article validated or
archived). It is idempotent: running it again opens nothing new, and a task its owner
dismissed stays dismissed. The web app runs it now and then when a queue is opened;
``kb tasks refresh`` runs it from cron.

* **review**: ``review_by`` has passed (one task per article and due date);
* **helpfulness**: in the last :data:`TREND_DAYS` days at least :data:`TREND_MIN_VOTES`
  readers said "no" and more said "no" than "yes" (votes counted from the close of the
  article's last helpfulness task, so a fixed article starts again from zero);
* **validate**: a not-validated article solved :data:`VALIDATE_AFTER_REUSES` cases or more
  (KCS: reuse is review, so the article is due for an approver's look);
* **duplicate**: a pair whose similarity (words and meaning) is at least
  :data:`DUPLICATE_TASK_SCORE` (:mod:`kb.kcs.duplicates`), when the caller passes pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kb.activity import article_feedback
from kb.db import utcnow
from kb.kcs import tasks as task_store
from kb.kcs.confidence import NOT_VALIDATED, confidence_of
from kb.kcs.policy import Policy
from kb.model import Article

TREND_DAYS = 30
TREND_MIN_VOTES = 3
VALIDATE_AFTER_REUSES = 2
DUPLICATE_TASK_SCORE = 0.8
CLOSED_BY = "kb"


@dataclass
class SweepReport:
    """What a sweep opened and closed (task ids by kind)."""

    opened: dict[str, list[int]] = field(default_factory=dict)
    closed: dict[str, list[int]] = field(default_factory=dict)

    def _add(self, into: dict[str, list[int]], task: task_store.Task | None) -> None:
        if task is not None:
            into.setdefault(task.kind, []).append(task.id)

    @property
    def summary(self) -> str:
        opened = sum(map(len, self.opened.values()))
        closed = sum(map(len, self.closed.values()))
        return f"{opened} task(s) opened, {closed} closed"


def review_key(article: Article) -> str:
    return f"review:{article.id}:{article.review_by.isoformat() if article.review_by else ''}"


def sweep(engine: Engine, articles: Iterable[Article], policy: Policy, *, today: date | None = None,
          reuse: Mapping[str, int] | None = None, duplicates: Iterable | None = None,
          now: datetime | None = None) -> SweepReport:
    """Raise the tasks that are due and close those the knowledge base shows were handled.

    :param reuse: ``{article_id: cases solved}`` (the case store's reuse counts).
    :param duplicates: pairs from :func:`kb.kcs.duplicates.find_duplicates`, best first.
    """
    today = today or date.today()
    now = now or utcnow()
    report = SweepReport()
    current = {a.id: a for a in articles}
    reuse = reuse or {}

    def raise_(article: Article, kind: str, key: str, title: str, detail: str, **extra) -> None:
        owner, source = policy.owner_for(article)
        task, created = task_store.raise_task(engine, kind=kind, key=key, title=title, detail=detail,
                                              article_id=article.id, owner=owner, owner_source=source,
                                              created_by=CLOSED_BY, at=now, fold=False, reopen=False, **extra)
        if created:
            report._add(report.opened, task)

    for article in current.values():
        if article.status in ("archived", "draft"):
            continue
        if article.review_by and article.review_by < today:
            raise_(article, task_store.REVIEW, review_key(article), f"Review “{article.title}”",
                   f"The review was due on {article.review_by.isoformat()}: check it is still right, then "
                   "move review_by forward.")
        reused = reuse.get(article.id, 0)
        if confidence_of(article) == NOT_VALIDATED and reused >= VALIDATE_AFTER_REUSES:
            raise_(article, task_store.VALIDATE, f"validate:{article.id}", f"Validate “{article.title}”",
                   f"It solved {reused} cases but no approver has validated it.")
    for article_id, (no, yes) in negative_trends(engine, now=now).items():
        article = current.get(article_id)
        if article is None or article.status in ("archived", "draft"):
            continue
        raise_(article, task_store.HELPFULNESS, f"helpfulness:{article.id}", f"Improve “{article.title}”",
               f"In the last {TREND_DAYS} days {no} of {no + yes} readers said it didn't help.")
    for pair in duplicates or ():
        if pair.similarity < DUPLICATE_TASK_SCORE:
            continue
        first, second = current.get(pair.a), current.get(pair.b)
        if first is None or second is None:
            continue
        raise_(first, task_store.DUPLICATE, duplicate_key(pair.a, pair.b),
               f"Merge “{first.title}” and “{second.title}”?", "; ".join(pair.why),
               other_article_id=second.id)
    _close_handled(engine, current, today, report)
    return report


def duplicate_key(a: str, b: str) -> str:
    first, second = sorted((a, b))
    return f"duplicate:{first}|{second}"


def _close_handled(engine: Engine, current: Mapping[str, Article], today: date, report: SweepReport) -> None:
    """Close open sweep tasks whose cause is gone from the files."""
    for task in task_store.list_tasks(engine, status=task_store.OPEN):
        article = current.get(task.article_id or "")
        note = None
        if task.kind in (task_store.REVIEW, task_store.VALIDATE, task_store.HELPFULNESS,
                         task_store.DUPLICATE) and article is None:
            note = f"{task.article_id} is no longer in the knowledge base."
        elif article is None:
            continue
        elif article.status == "archived" and task.kind != task_store.GAP:
            note = f"{article.id} was archived" + (f" (superseded by {article.superseded_by})."
                                                   if article.superseded_by else ".")
        elif task.kind == task_store.REVIEW and task.subject != review_key(article) \
                and (article.review_by is None or article.review_by >= today):
            moved = article.review_by.isoformat() if article.review_by else "no date"
            note = f"Reviewed: review_by moved to {moved}."
        elif task.kind == task_store.VALIDATE and confidence_of(article) != NOT_VALIDATED:
            note = f"Validated{f' by {article.validated_by}' if article.validated_by else ''}."
        elif task.kind == task_store.DUPLICATE and current.get(task.other_article_id or "") is not None \
                and current[task.other_article_id].status == "archived":
            note = f"{task.other_article_id} was archived."
        if note:
            report._add(report.closed, task_store.close_for(engine, task.subject, note, by=CLOSED_BY))


def negative_trends(engine: Engine, *, now: datetime | None = None) -> dict[str, tuple[int, int]]:
    """``{article_id: (no, yes)}`` of recent votes, for articles whose readers turned against them.

    Votes count from the close of the article's last helpfulness task, if later: a fixed
    article starts again from zero.
    """
    now = now or utcnow()
    start = now - timedelta(days=TREND_DAYS)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(article_feedback.c.article_id, article_feedback.c.helpful,
                                      article_feedback.c.at)).all()
        closed = dict(conn.execute(
            sa.select(task_store.tasks.c.article_id, sa.func.max(task_store.tasks.c.resolved_at))
            .where(task_store.tasks.c.kind == task_store.HELPFULNESS, task_store.tasks.c.resolved_at.is_not(None))
            .group_by(task_store.tasks.c.article_id)).all())
    recent: dict[str, list[int]] = {}
    for article_id, helpful, at in rows:
        since = closed.get(article_id)
        if at < start or (since is not None and at <= since):
            continue
        recent.setdefault(article_id, [0, 0])[1 if helpful else 0] += 1
    return {article_id: (no, yes) for article_id, (no, yes) in recent.items()
            if no >= TREND_MIN_VOTES and no > yes}
