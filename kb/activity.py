"""What readers do with the knowledge base: searches they run and votes they cast.

Two tables, both append-mostly:

* ``search_log`` records every search (query, audience, total, time) so insight pages can
  later show what people look for and what finds nothing.
* ``article_feedback`` records "was this helpful?" votes with an optional comment; the
  counts feed search ranking through :func:`signals`.

Searches arrive on every request, so :class:`SearchLog` buffers them and writes in
batches: one INSERT per search would serialise a busy server on SQLite's write lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from kb.db import metadata, register_migration, take_turns, utcnow
from kb.errors import KBError

MAX_QUERY_LENGTH = 1000
MAX_COMMENT_LENGTH = 2000

search_log = sa.Table(
    "search_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    # Truncated to MAX_QUERY_LENGTH: the log is for insight, not for replaying huge bodies.
    sa.Column("query", sa.String(MAX_QUERY_LENGTH), nullable=False),
    sa.Column("audience", sa.String(20), nullable=False),
    # "search", "suggest" or "help": which screen or endpoint ran it.
    sa.Column("kind", sa.String(20), nullable=False, default="search"),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("took_ms", sa.Float, nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
)

article_feedback = sa.Table(
    "article_feedback", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("article_id", sa.String(100), nullable=False, index=True),
    sa.Column("helpful", sa.Boolean, nullable=False),
    sa.Column("comment", sa.Text, nullable=False, default=""),
    # Null for anonymous readers of the help center; a signed-in user keeps one vote per article.
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.Column("at", sa.DateTime, nullable=False),
)

# A version far from the core's low numbers, so a colleague's migration can't collide with it.
register_migration(300, "search log and article feedback",
                   lambda conn: metadata.create_all(conn, tables=[search_log, article_feedback]))


# Kinds of search_log rows that are searches (engineer search, the help center's). Answers to
# questions are logged beside them with kinds of their own (kb/answers/feedback.py), so reports
# about searches read only these.
SEARCH_KINDS = ("search", "help")


@dataclass(frozen=True)
class SearchRecord:
    """One search as the log stores it."""

    query: str
    audience: str
    total: int
    took_ms: float
    kind: str = "search"
    user_id: int | None = None
    at: datetime | None = None

    def row(self) -> dict:
        # PostgreSQL refuses NUL in text (SQLite keeps it): a pasted NUL is no part of what was sought.
        query = self.query.replace("\x00", "")[:MAX_QUERY_LENGTH]
        return {"query": query, "audience": self.audience, "kind": self.kind,
                "total": int(self.total), "took_ms": float(self.took_ms), "user_id": self.user_id,
                "at": self.at or utcnow()}


def record_searches(engine: Engine, records: Iterable[SearchRecord]) -> int:
    """Write search records in one transaction; returns how many were written."""
    rows = [r.row() for r in records]
    if rows:
        with engine.begin() as conn:
            conn.execute(search_log.insert(), rows)
    return len(rows)


class SearchLog:
    """A thread-safe buffer in front of ``search_log``.

    Records are written when ``max_batch`` are waiting or the oldest has waited
    ``max_delay`` seconds (checked on each new record), and on :meth:`flush`. The request
    that crosses a threshold does the write; nothing runs in the background.
    """

    def __init__(self, engine: Engine, *, max_batch: int = 50, max_delay: float = 2.0,
                 background: bool = False):
        self.engine = engine
        self.max_batch = max_batch
        self.max_delay = max_delay
        # In a server, a due batch is written by a short-lived thread, so the request that
        # crossed the threshold never waits for the database's write lock.
        self.background = background
        self._pending: list[SearchRecord] = []
        self._oldest = 0.0
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # one write at a time; flush() waits for a running one
        self._writing = False

    def record(self, record: SearchRecord) -> None:
        """Queue a search; write the batch if it is full or old enough."""
        record = record if record.at else SearchRecord(**{**record.__dict__, "at": utcnow()})
        with self._lock:
            if not self._pending:
                self._oldest = time.monotonic()
            self._pending.append(record)
            due = len(self._pending) >= self.max_batch or time.monotonic() - self._oldest >= self.max_delay
            start_writer = due and self.background and not self._writing
            if start_writer:
                self._writing = True
        if start_writer:
            threading.Thread(target=self._write_in_background, name="kb-search-log", daemon=True).start()
        elif due and not self.background:
            self.flush()

    def _write_in_background(self) -> None:
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - the log is for insight; a failed write must not kill anything
            logging.getLogger(__name__).warning("could not write the search log", exc_info=True)
        finally:
            with self._lock:
                self._writing = False

    def flush(self) -> int:
        """Write everything waiting; returns how many records were written.

        Waits for a batch a background writer is writing, so that after ``flush()`` every
        search recorded before it is in the database."""
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            return record_searches(self.engine, batch)


def recent_searches(engine: Engine, *, limit: int = 50, audience: str | None = None) -> list[dict]:
    """The latest searches, newest first (for insight pages and tests)."""
    query = sa.select(search_log).order_by(search_log.c.id.desc()).limit(limit)
    if audience:
        query = query.where(search_log.c.audience == audience)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def top_queries(engine: Engine, *, limit: int = 20, zero_results: bool = False) -> list[tuple[str, int]]:
    """Most frequent queries, optionally only those that found nothing (content gaps)."""
    count = sa.func.count().label("n")
    query = sa.select(sa.func.lower(search_log.c.query).label("q"), count).group_by("q")
    if zero_results:
        query = query.where(search_log.c.total == 0)
    query = query.order_by(count.desc(), "q").limit(limit)
    with engine.connect() as conn:
        return [(r.q, r.n) for r in conn.execute(query)]


def record_feedback(engine: Engine, article_id: str, helpful: bool, comment: str = "",
                    user_id: int | None = None) -> None:
    """Store a vote; a signed-in user's new vote on an article replaces their previous one."""
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise KBError(f"Comments are limited to {MAX_COMMENT_LENGTH} characters.")
    if "\x00" in comment:
        raise KBError("Comments must not contain NUL characters.")
    with engine.begin() as conn:
        if user_id is not None:
            # Two votes of one user at once take turns, so the second replaces the first.
            take_turns(conn, f"vote:{user_id}:{article_id}")
            conn.execute(article_feedback.delete().where(article_feedback.c.article_id == article_id,
                                                         article_feedback.c.user_id == user_id))
        conn.execute(article_feedback.insert().values(article_id=article_id, helpful=bool(helpful),
                                                      comment=comment, user_id=user_id, at=utcnow()))


def _vote_counts(conn: Connection, where=None) -> dict[str, tuple[int, int]]:
    helpful = sa.func.sum(sa.case((article_feedback.c.helpful.is_(True), 1), else_=0))
    unhelpful = sa.func.sum(sa.case((article_feedback.c.helpful.is_(True), 0), else_=1))
    query = sa.select(article_feedback.c.article_id, helpful.label("yes"), unhelpful.label("no")) \
        .group_by(article_feedback.c.article_id)
    if where is not None:
        query = query.where(where)
    return {r.article_id: (int(r.yes or 0), int(r.no or 0)) for r in conn.execute(query)}


def signals(engine: Engine) -> dict[str, tuple[int, int]]:
    """Helpfulness per article: ``{article_id: (helpful, unhelpful)}`` for ranking."""
    with engine.connect() as conn:
        return _vote_counts(conn)


def feedback_counts(engine: Engine, article_id: str) -> tuple[int, int]:
    """(helpful, unhelpful) votes of one article."""
    with engine.connect() as conn:
        return _vote_counts(conn, article_feedback.c.article_id == article_id).get(article_id, (0, 0))


def feedback_comments(engine: Engine, article_id: str, *, limit: int = 20) -> list[dict]:
    """Latest non-empty comments on an article, newest first (shown to authors)."""
    query = (sa.select(article_feedback.c.helpful, article_feedback.c.comment, article_feedback.c.at)
             .where(article_feedback.c.article_id == article_id, article_feedback.c.comment != "")
             .order_by(article_feedback.c.id.desc()).limit(limit))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
