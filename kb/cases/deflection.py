"""Self-service deflection: every step of the public contact-support flow, and the rate it adds up to.

A customer's ticket draft is a *session* (a random id the form carries). Its steps:

- ``suggestions_shown``: articles suggested for what they typed (ids, possibly none);
- ``article_clicked``: they opened one;
- ``solved``: they answered "this solved my problem" on it; the ticket ends there;
- ``submitted``: they sent the ticket anyway and it became a case.

**Outcome of a session:** *submitted* if it has a ``submitted`` event (even after a
``solved``: the article didn't really solve it), else *deflected* if it has ``solved``,
else *abandoned*. **Deflection rate** = deflected / (deflected + submitted). Abandoned
drafts are left out: nobody knows whether they found their answer or gave up.
"""

from __future__ import annotations

import json
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kb.cases.schema import deflection_events
from kb.cases.store import clean_article_id
from kb.db import utcnow
from kb.errors import KBError

SUGGESTIONS_SHOWN, ARTICLE_CLICKED = "suggestions_shown", "article_clicked"
SOLVED, SUBMITTED = "solved", "submitted"
KINDS = (SUGGESTIONS_SHOWN, ARTICLE_CLICKED, SOLVED, SUBMITTED)
DEFLECTED, ABANDONED = "deflected", "abandoned"
MAX_SHOWN = 50
_SESSION = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class DeflectionError(KBError):
    """An event the flow can't record (unknown step, bad session id, missing article)."""


@dataclass(frozen=True)
class Event:
    session_id: str
    kind: str
    article_ids: tuple[str, ...]
    case_id: int | None
    query: str | None
    created_at: datetime


def new_session_id() -> str:
    """A fresh, unguessable ticket-draft id."""
    return secrets.token_urlsafe(16)


def is_session_id(value: object) -> bool:
    return isinstance(value, str) and bool(_SESSION.match(value))


def record_event(engine: Engine, session_id: str, kind: str, *, article_ids: Iterable[str] = (),
                 case_id: int | None = None, query: str | None = None, at: datetime | None = None) -> None:
    """Record one step of a ticket draft.

    :param article_ids: the suggestions shown, or the one article clicked or that solved it.
    :param case_id: the case a ``submitted`` draft became.
    :param query: what the customer had typed (truncated), for gap reports.
    :raises DeflectionError: for an unknown step, a malformed session or missing ids.
    """
    if kind not in KINDS:
        raise DeflectionError(f"'{kind}' is not a contact-flow step; use one of {', '.join(KINDS)}.")
    if not is_session_id(session_id):
        raise DeflectionError("The ticket draft id is missing or malformed; start the form again.")
    try:
        ids = list(dict.fromkeys(clean_article_id(a) for a in article_ids))[:MAX_SHOWN]
    except KBError as exc:
        raise DeflectionError(str(exc)) from None
    values: dict = {"session_id": session_id, "kind": kind, "created_at": at or utcnow(),
                    # PostgreSQL refuses NUL in text; it is no part of what the customer meant.
                    "query": (query or "").replace("\x00", "").strip()[:500] or None}
    if kind == SUGGESTIONS_SHOWN:
        values["article_ids"] = json.dumps(ids)
    elif kind in (ARTICLE_CLICKED, SOLVED):
        if len(ids) != 1:
            raise DeflectionError(f"A '{kind}' step names exactly one article.")
        values["article_id"] = ids[0]
    else:
        if case_id is None:
            raise DeflectionError("A 'submitted' step names the case it created.")
        values["case_id"] = case_id
    with engine.begin() as conn:
        conn.execute(deflection_events.insert().values(**values))


def session_events(engine: Engine, session_id: str) -> list[Event]:
    """A draft's steps in order."""
    query = (sa.select(deflection_events).where(deflection_events.c.session_id == session_id)
             .order_by(deflection_events.c.created_at, deflection_events.c.id))
    with engine.connect() as conn:
        return [_event(r) for r in conn.execute(query)]


def _event(r) -> Event:
    ids = tuple(json.loads(r.article_ids)) if r.article_ids else ((r.article_id,) if r.article_id else ())
    return Event(r.session_id, r.kind, ids, r.case_id, r.query, r.created_at)


def outcome(kinds: Iterable[str]) -> str:
    """A session's outcome from the kinds of its events (see the module docstring)."""
    kinds = set(kinds)
    if SUBMITTED in kinds:
        return SUBMITTED
    return DEFLECTED if SOLVED in kinds else ABANDONED


def session_outcome(engine: Engine, session_id: str) -> str:
    """Whether a draft was deflected, submitted or is still open (abandoned)."""
    return outcome(e.kind for e in session_events(engine, session_id))


@dataclass(frozen=True)
class DeflectionStats:
    sessions: int
    deflected: int
    submitted: int
    abandoned: int

    @property
    def rate(self) -> float | None:
        """deflected / (deflected + submitted); None before any draft has ended."""
        ended = self.deflected + self.submitted
        return round(self.deflected / ended, 4) if ended else None


def _sessions(engine: Engine, since: datetime | None,
              until: datetime | None) -> dict[str, tuple[datetime, set]]:
    """``{session: (first step time, kinds)}`` for drafts that started in [since, until)."""
    c = deflection_events.c
    query = sa.select(c.session_id, c.kind, sa.func.min(c.created_at)).group_by(c.session_id, c.kind)
    if since is not None:
        query = query.where(c.created_at >= since)
    sessions: dict[str, tuple[datetime, set]] = {}
    with engine.connect() as conn:
        for session_id, kind, first in conn.execute(query):
            start, kinds = sessions.get(session_id, (first, set()))
            kinds.add(kind)
            sessions[session_id] = (min(start, first), kinds)
    if until is not None:
        sessions = {s: v for s, v in sessions.items() if v[0] < until}
    return sessions


def _stats(outcomes: Iterable[str]) -> DeflectionStats:
    counts = Counter(outcomes)
    return DeflectionStats(sum(counts.values()), counts[DEFLECTED], counts[SUBMITTED], counts[ABANDONED])


def deflection_stats(engine: Engine, *, since: datetime | None = None,
                     until: datetime | None = None) -> DeflectionStats:
    """Sessions and their outcomes, for drafts started in [since, until)."""
    return _stats(outcome(kinds) for _, kinds in _sessions(engine, since, until).values())


def period_start(moment: datetime | date, bucket: str) -> date:
    """The first day of the day, ISO week (Monday) or month that ``moment`` falls in."""
    day = moment.date() if isinstance(moment, datetime) else moment
    if bucket == "day":
        return day
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    raise KBError(f"Unknown period '{bucket}'; use day, week or month.")


def deflection_by_period(engine: Engine, *, bucket: str = "week", since: datetime | None = None,
                         until: datetime | None = None) -> list[tuple[date, DeflectionStats]]:
    """Outcomes per period of the drafts' start, oldest first."""
    period_start(date.today(), bucket)  # validate the bucket before querying
    grouped: dict[date, list[str]] = defaultdict(list)
    for start, kinds in _sessions(engine, since, until).values():
        grouped[period_start(start, bucket)].append(outcome(kinds))
    return [(period, _stats(outcomes)) for period, outcomes in sorted(grouped.items())]


def article_outcomes(engine: Engine) -> dict[str, dict[str, int]]:
    """Per article: how often it was shown, clicked and marked as solving the problem."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(("shown", "clicked", "solved"), 0))
    label = {SUGGESTIONS_SHOWN: "shown", ARTICLE_CLICKED: "clicked", SOLVED: "solved"}
    query = sa.select(deflection_events).where(deflection_events.c.kind.in_(label))
    with engine.connect() as conn:
        for r in conn.execute(query):
            for article_id in _event(r).article_ids:
                counts[article_id][label[r.kind]] += 1
    return dict(counts)
