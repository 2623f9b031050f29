"""Flag it: anyone who can see an article can say what is wrong with it.

A flag has a reason (:data:`REASONS`) and an optional comment, and comes from the
engineer's article page, a case (while reusing the article), the help center ("this
didn't help") or the API. It becomes a task for the article's owner, or joins the open
task that article already has (:func:`kb.kcs.tasks.raise_task`), so the owner sees one
task with every flag on it.

The caller checks that the flagger may see the article (a hidden article must answer like
a missing one) and limits anonymous flags; this module only records.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kb.db import utcnow
from kb.kcs import tasks as task_store
from kb.kcs.policy import Policy
from kb.kcs.schema import flags
from kb.model import Article

REASONS = {
    "outdated": "Outdated",
    "incorrect": "Incorrect",
    "unclear": "Unclear",
    "missing-information": "Missing information",
    "duplicate": "Duplicate",
    "other": "Other",
}
SOURCES = {"article": "the article page", "case": "a case", "help": "the help center", "api": "the API"}
MAX_COMMENT = 2000


class FlagError(task_store.TaskError):
    """A flag that can't be recorded; ``field`` names the value to fix."""


@dataclass(frozen=True)
class Flag:
    """One flag as stored."""

    id: int
    article_id: str
    reason: str
    comment: str
    source: str
    case_id: int | None
    user_name: str | None
    task_id: int | None
    created_at: datetime

    @property
    def reason_label(self) -> str:
        return REASONS.get(self.reason, self.reason)

    def as_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["created_at"] = self.created_at.isoformat()
        return out


_COLUMNS = tuple(f.name for f in fields(Flag))


def clean_reason(value: object) -> str:
    """A reason from :data:`REASONS`, written any reasonable way ("Missing information")."""
    text = "-".join(str(value or "").strip().lower().replace("_", " ").split())
    if text not in REASONS:
        raise FlagError("reason", f"'{str(value or '')[:40]}' is not a reason; use one of {', '.join(REASONS)}.")
    return text


def clean_comment(value: object) -> str:
    """The comment, trimmed, within :data:`MAX_COMMENT` and free of NUL characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FlagError("comment", "The comment must be text.")
    text = value.replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise FlagError("comment", "The comment contains a NUL character.")
    if len(text) > MAX_COMMENT:
        raise FlagError("comment", f"The comment is {len(text):,} characters; the limit is {MAX_COMMENT:,}.")
    return text


def flag_article(engine: Engine, article: Article, reason: object, comment: object = "", *, source: str,
                 policy: Policy, user_name: str | None = None, case_id: int | None = None,
                 at: datetime | None = None) -> tuple[Flag, task_store.Task]:
    """Record a flag on a visible article and raise (or join) the owner's task for it.

    :raises FlagError: an unknown reason, a comment too long, an unknown source.
    """
    reason = clean_reason(reason)
    comment = clean_comment(comment)
    if source not in SOURCES:
        raise FlagError("source", f"'{source}' is not a flag source; use one of {', '.join(SOURCES)}.")
    now = at or utcnow()
    owner, owner_source = policy.owner_for(article)
    task, _created = task_store.raise_task(
        engine, kind=task_store.FLAG, key=f"flag:{article.id}", title=f"Check “{article.title}”",
        detail=f"{REASONS[reason]}: {comment}" if comment else REASONS[reason], article_id=article.id,
        owner=owner, owner_source=owner_source, created_by=user_name, at=now)
    with engine.begin() as conn:
        result = conn.execute(flags.insert().values(
            article_id=article.id, reason=reason, comment=comment, source=source, case_id=case_id,
            user_name=user_name, task_id=task.id, created_at=now))
        row = conn.execute(sa.select(flags).where(flags.c.id == result.inserted_primary_key[0])).one()
    return _flag(row), task


def _flag(row) -> Flag:
    m = row._mapping
    return Flag(**{name: m[name] for name in _COLUMNS})


def flags_for_task(engine: Engine, task_id: int) -> list[Flag]:
    """The flags folded into a task, oldest first."""
    query = sa.select(flags).where(flags.c.task_id == task_id).order_by(flags.c.created_at, flags.c.id)
    with engine.connect() as conn:
        return [_flag(r) for r in conn.execute(query)]


def flags_for_article(engine: Engine, article_id: str, *, limit: int = 50) -> list[Flag]:
    """An article's latest flags, newest first."""
    query = (sa.select(flags).where(flags.c.article_id == article_id)
             .order_by(flags.c.created_at.desc(), flags.c.id.desc()).limit(limit))
    with engine.connect() as conn:
        return [_flag(r) for r in conn.execute(query)]


def all_flags(engine: Engine, *, since: datetime | None = None) -> list[Flag]:
    """Every flag (in a window), oldest first: for gap topics and measures."""
    query = sa.select(flags).order_by(flags.c.created_at, flags.c.id)
    if since is not None:
        query = query.where(flags.c.created_at >= since)
    with engine.connect() as conn:
        return [_flag(r) for r in conn.execute(query)]


def reason_counts(engine: Engine, *, since: datetime | None = None) -> Counter:
    """How many flags gave each reason."""
    return Counter(f.reason for f in all_flags(engine, since=since))
