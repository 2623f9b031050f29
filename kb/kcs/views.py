"""Article views, counted per article and day: how much readers rely on an article.

A task's impact weighs the views of its article (:func:`kb.kcs.tasks.impact`). Views
arrive on every page load, so :class:`ViewCounter` adds them up in memory and writes
the totals at most every ``max_delay`` seconds (or ``max_batch`` views), one row per
article and day: a busy help center costs a handful of writes a minute, not one per view.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kb.db import utcnow
from kb.kcs.schema import article_views

log = logging.getLogger(__name__)
IMPACT_DAYS = 90


def add_views(engine: Engine, counts: Counter) -> None:
    """Add ``{(article_id, day): views}`` to the stored totals."""
    table = article_views.c
    for (article_id, day), views in sorted(counts.items()):
        for _attempt in range(3):
            try:
                with engine.begin() as conn:
                    updated = conn.execute(article_views.update()
                                           .where(table.article_id == article_id, table.day == day)
                                           .values(views=table.views + views)).rowcount
                    if not updated:
                        conn.execute(article_views.insert().values(article_id=article_id, day=day, views=views))
                break
            except sa.exc.IntegrityError:
                continue  # another process inserted the day's row first: add to it


def views_since(engine: Engine, since: date | None = None) -> dict[str, int]:
    """``{article_id: views}`` since a day (default: the last :data:`IMPACT_DAYS` days)."""
    since = since or (utcnow().date() - timedelta(days=IMPACT_DAYS))
    query = (sa.select(article_views.c.article_id, sa.func.sum(article_views.c.views))
             .where(article_views.c.day >= since).group_by(article_views.c.article_id))
    with engine.connect() as conn:
        return {article_id: int(n or 0) for article_id, n in conn.execute(query)}


class ViewCounter:
    """A thread-safe tally of views in front of the table, written in the background."""

    def __init__(self, engine: Engine, *, max_batch: int = 200, max_delay: float = 10.0,
                 background: bool = True):
        self.engine = engine
        self.max_batch = max_batch
        self.max_delay = max_delay
        self.background = background
        self._pending: Counter = Counter()
        self._since = time.monotonic()
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._writing = False

    def view(self, article_id: str) -> None:
        """Count one view of an article today; write the tally when it is due."""
        with self._lock:
            if not self._pending:
                self._since = time.monotonic()
            self._pending[(article_id, utcnow().date())] += 1
            due = sum(self._pending.values()) >= self.max_batch or time.monotonic() - self._since >= self.max_delay
            start = due and self.background and not self._writing
            if start:
                self._writing = True
        if start:
            threading.Thread(target=self._write_in_background, name="kb-article-views", daemon=True).start()
        elif due and not self.background:
            self.flush()

    def _write_in_background(self) -> None:
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - counting views must never break a page
            log.warning("could not write article views", exc_info=True)
        finally:
            with self._lock:
                self._writing = False

    def flush(self) -> None:
        """Write everything counted so far."""
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, Counter()
            if batch:
                add_views(self.engine, batch)
