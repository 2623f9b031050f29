"""Owned tasks: the work the knowledge loop hands to an article's owner.

A task has a *kind* (where it came from), an *owner* (a user or a team) and a *subject
key* while it is open: the article flagged, the pair of duplicates, the gap topic. Raising
a task whose subject already has an open task folds into it (``events`` counts how many
flags or signals it carries) instead of opening another, so ten customers flagging one
article make one task with ten flags. Resolving records what was done: ``done`` with a note
or the commit that fixed it, or ``dismissed`` with the reason.

Queues are sorted by *impact*: how much the article is read and reused, so the owner
fixes first what most people rely on (:func:`impact`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kb.db import utcnow
from kb.errors import KBError, NotFound
from kb.kcs.schema import tasks

FLAG, REVIEW, HELPFULNESS, VALIDATE, GAP, DUPLICATE = "flag", "review", "helpfulness", "validate", "gap", "duplicate"
KINDS = {
    FLAG: "flagged by a reader",
    REVIEW: "past its review date",
    HELPFULNESS: "readers say it doesn't help",
    VALIDATE: "reused on cases but not validated",
    GAP: "a draft written for a knowledge gap",
    DUPLICATE: "probably says the same as another article",
}
OPEN, DONE, DISMISSED = "open", "done", "dismissed"
STATUSES = (OPEN, DONE, DISMISSED)
MAX_NOTE = 2000
MAX_FIXED_IN = 64
# One reuse (a case the article solved) weighs as much as this many views in a task's impact.
VIEWS_PER_REUSE = 10


class TaskError(KBError):
    """A task change the rules refuse (closing a closed task, dismissing without a reason);
    ``field`` names what to fix."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Task:
    """One task as stored."""

    id: int
    kind: str
    status: str
    subject: str
    article_id: str | None
    other_article_id: str | None
    topic_id: str | None
    title: str
    detail: str
    owner: str | None
    owner_source: str | None
    events: int
    created_at: datetime
    created_by: str | None
    updated_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None
    fixed_in: str | None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    def age_days(self, now: datetime | None = None) -> int:
        """Whole days since it was raised (until it was resolved, for a closed task)."""
        end = self.resolved_at or now or utcnow()
        return max(0, (end - self.created_at).days)

    @property
    def article_ids(self) -> tuple[str, ...]:
        return tuple(a for a in (self.article_id, self.other_article_id) if a)

    def as_dict(self) -> dict:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, datetime) else value
        out["age_days"] = self.age_days()
        return out


_COLUMNS = tuple(f.name for f in fields(Task))


def _task(row) -> Task:
    m = row._mapping
    return Task(**{name: m[name] for name in _COLUMNS})


def raise_task(engine: Engine, *, kind: str, key: str, title: str, detail: str = "",
               article_id: str | None = None, other_article_id: str | None = None, topic_id: str | None = None,
               owner: str | None = None, owner_source: str | None = None, created_by: str | None = None,
               at: datetime | None = None, fold: bool = True, reopen: bool = True) -> tuple[Task | None, bool]:
    """Open a task for ``key``, or fold this event into the open one; returns (task, created).

    :param key: the subject ("flag:KB0042"); at most one open task per key.
    :param fold: count this event on the open task (a new flag); False leaves it as it is (a
        sweep that finds the same overdue review again).
    :param reopen: open a new task when the subject's last one was closed; False keeps a
        dismissed duplicate pair dismissed (then the answer is ``(None, False)``).
    """
    if kind not in KINDS:
        raise TaskError("kind", f"'{kind}' is not a task kind; use one of {', '.join(KINDS)}")
    now = at or utcnow()
    for _attempt in range(3):
        with engine.begin() as conn:
            row = conn.execute(sa.select(tasks).where(tasks.c.open_key == key)).first()
            if row is not None:
                if fold:
                    conn.execute(tasks.update().where(tasks.c.id == row.id)
                                 .values(events=tasks.c.events + 1, updated_at=now))
                return _task(conn.execute(sa.select(tasks).where(tasks.c.id == row.id)).one()), False
            if not reopen and conn.execute(sa.select(tasks.c.id).where(tasks.c.subject == key)).first():
                return None, False
        try:
            with engine.begin() as conn:
                result = conn.execute(tasks.insert().values(
                    kind=kind, status=OPEN, subject=key, open_key=key, article_id=article_id, other_article_id=other_article_id,
                    topic_id=topic_id, title=title[:300], detail=detail or "", owner=owner, owner_source=owner_source,
                    events=1, created_at=now, created_by=created_by, updated_at=now))
                task_id = result.inserted_primary_key[0]
                return _task(conn.execute(sa.select(tasks).where(tasks.c.id == task_id)).one()), True
        except sa.exc.IntegrityError:
            continue  # another process opened it between our look and our insert: fold into theirs
    raise KBError(f"Could not open or update the task for {key}; try again.")


def get_task(engine: Engine, task_id: int | str) -> Task:
    """A task by id; NotFound for an unknown or malformed id."""
    number = _task_number(task_id)
    with engine.connect() as conn:
        row = conn.execute(sa.select(tasks).where(tasks.c.id == number)).first()
    if row is None:
        raise NotFound(f"No task {task_id}. List tasks with `kb tasks list`.")
    return _task(row)


def open_task_for(engine: Engine, key: str) -> Task | None:
    """The open task of a subject, if there is one."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(tasks).where(tasks.c.open_key == key)).first()
    return _task(row) if row is not None else None


def _task_number(task_id: int | str) -> int:
    text = str(task_id).strip().upper().removeprefix("T-").removeprefix("#")
    if not text.isdigit() or not 0 < int(text) < 2**31:
        raise NotFound(f"'{str(task_id)[:40]}' is not a task id; task ids are numbers.")
    return int(text)


def _where(*, owners: Iterable[str] | None, status: str | None, kind: str | None, article_id: str | None,
           unassigned: bool) -> list:
    where = []
    if owners is not None:
        names = [o for o in owners if o]
        where.append(tasks.c.owner.in_(names) if names else sa.false())
    if unassigned:
        where.append(tasks.c.owner.is_(None))
    if status:
        where.append(tasks.c.status == status)
    if kind:
        where.append(tasks.c.kind == kind)
    if article_id:
        where.append(sa.or_(tasks.c.article_id == article_id, tasks.c.other_article_id == article_id))
    return where


def list_tasks(engine: Engine, *, owners: Iterable[str] | None = None, status: str | None = OPEN,
               kind: str | None = None, article_id: str | None = None, unassigned: bool = False,
               limit: int = 1000) -> list[Task]:
    """Tasks oldest first, filtered by owner (any of ``owners``), status, kind or article."""
    query = (sa.select(tasks).where(*_where(owners=owners, status=status, kind=kind, article_id=article_id,
                                            unassigned=unassigned))
             .order_by(tasks.c.created_at, tasks.c.id).limit(max(1, min(limit, 10_000))))
    with engine.connect() as conn:
        return [_task(r) for r in conn.execute(query)]


def owners_with_tasks(engine: Engine) -> list[tuple[str, int]]:
    """``(owner, open tasks)`` for every owner with open tasks, most first."""
    count = sa.func.count().label("n")
    query = (sa.select(tasks.c.owner, count).where(tasks.c.status == OPEN, tasks.c.owner.is_not(None))
             .group_by(tasks.c.owner).order_by(count.desc(), tasks.c.owner))
    with engine.connect() as conn:
        return [(r.owner, int(r.n)) for r in conn.execute(query)]


def resolve_task(engine: Engine, task_id: int | str, *, status: str = DONE, note: str | None = None,
                 fixed_in: str | None = None, by: str | None = None, at: datetime | None = None) -> Task:
    """Close an open task: ``done`` (with a note or the commit that fixed it) or ``dismissed``
    (with the reason).

    :raises TaskError: the task is already closed, or what was done isn't said.
    """
    note = (note or "").strip() or None
    fixed_in = (fixed_in or "").strip() or None
    if status not in (DONE, DISMISSED):
        raise TaskError("status", f"A task is closed as '{DONE}' or '{DISMISSED}', not '{status}'.")
    if note and len(note) > MAX_NOTE:
        raise TaskError("note", f"The note is {len(note):,} characters; the limit is {MAX_NOTE:,}.")
    if fixed_in and len(fixed_in) > MAX_FIXED_IN:
        raise TaskError("fixed_in", f"'fixed_in' names a commit or change in at most {MAX_FIXED_IN} characters.")
    if status == DISMISSED and not note:
        raise TaskError("note", "Say why the task is dismissed (a note), so the reporter's concern is answered.")
    if status == DONE and not (note or fixed_in):
        raise TaskError("note", "Say what was done: a note, or the commit that fixed it (fixed_in).")
    task = get_task(engine, task_id)
    now = at or utcnow()
    with engine.begin() as conn:
        changed = conn.execute(tasks.update().where(tasks.c.id == task.id, tasks.c.status == OPEN).values(
            status=status, open_key=None, note=note, fixed_in=fixed_in, resolved_by=by, resolved_at=now,
            updated_at=now)).rowcount
    if not changed:
        raise TaskError("status", f"Task {task.id} is already {get_task(engine, task.id).status}.")
    return get_task(engine, task.id)


def last_closed(engine: Engine, key: str) -> Task | None:
    """The most recently closed task of a subject."""
    query = (sa.select(tasks).where(tasks.c.subject == key, tasks.c.status != OPEN)
             .order_by(tasks.c.resolved_at.desc(), tasks.c.id.desc()).limit(1))
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return _task(row) if row is not None else None


def close_for(engine: Engine, key: str, note: str, *, by: str = "kb") -> Task | None:
    """Close the open task of a subject as done, when the knowledge base shows it was handled."""
    task = open_task_for(engine, key)
    if task is None:
        return None
    try:
        return resolve_task(engine, task.id, status=DONE, note=note, by=by)
    except TaskError:
        return None  # somebody closed it first


def impact(task: Task, views: Mapping[str, int], reuse: Mapping[str, int]) -> int:
    """How much the task's articles are relied on: views, plus ``VIEWS_PER_REUSE`` per reuse."""
    return sum(views.get(a, 0) + VIEWS_PER_REUSE * reuse.get(a, 0) for a in task.article_ids) + task.events


def by_impact(found: Iterable[Task], views: Mapping[str, int], reuse: Mapping[str, int]) -> list[Task]:
    """Highest impact first; among equals, the oldest first."""
    return sorted(found, key=lambda t: (-impact(t, views, reuse), t.created_at, t.id))


def aging(engine: Engine, *, now: datetime | None = None) -> list[tuple[str, int, int, float | None]]:
    """Per kind: (kind, open tasks, closed tasks, median days to close)."""
    now = now or utcnow()
    with engine.connect() as conn:
        rows = conn.execute(sa.select(tasks.c.kind, tasks.c.status, tasks.c.created_at, tasks.c.resolved_at)).all()
    out = []
    for kind in KINDS:
        mine = [r for r in rows if r.kind == kind]
        closed = sorted((r.resolved_at - r.created_at).total_seconds() / 86400 for r in mine if r.resolved_at)
        median = round(closed[len(closed) // 2], 1) if closed else None
        out.append((kind, sum(1 for r in mine if r.status == OPEN), len(closed), median))
    return out
