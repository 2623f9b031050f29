"""Sign-in attempts (and other limited writes), kept in the database so every server process
counts the same attempts.

``kb serve`` runs several processes, often on several machines; counters in memory would
give an attacker one full allowance per process. One row per attempt and key (a name at an
address, or the address alone), with the wall-clock time. An attempt is recorded *before*
its password is checked, atomically with the check of the limit, so parallel guesses can't
all slip in under it; a correct password removes its own rows again, so what stays are the
failures (and attempts still being checked). Rows older than the limiter's window are
deleted as new attempts arrive; only rows of the same kinds (the text before the first ':'),
since limits with other windows share the table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from kb.db import metadata, register_migration, take_turns

MAX_KEY_LENGTH = 300

login_failures = sa.Table(
    "login_failures", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # "user:<name>|<address>" or "addr:<address>", cut to MAX_KEY_LENGTH.
    sa.Column("key", sa.String(MAX_KEY_LENGTH), nullable=False),
    sa.Column("at", sa.Float, nullable=False),  # seconds since the epoch
    sa.Index("ix_login_failures_key_at", "key", "at"),
)

register_migration(310, "failed sign-ins shared by server processes",
                   lambda conn: metadata.create_all(conn, tables=[login_failures]))

# Decides, from the earlier attempts' times per key, how many seconds to wait (0: go ahead).
Verdict = Callable[[dict[str, list[float]]], float]


class DatabaseFailures:
    """Attempt times per key in ``login_failures`` (the storage behind a login limiter)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def recent(self, key: str, since: float) -> list[float]:
        """Times of the key's recorded attempts after ``since``, oldest first."""
        with self.engine.connect() as conn:
            return self._times(conn, [key[:MAX_KEY_LENGTH]], since, ())[key[:MAX_KEY_LENGTH]]

    @staticmethod
    def _times(conn: Connection, keys: list[str], since: float,
               exclude: Sequence[int]) -> dict[str, list[float]]:
        table = login_failures.c
        query = sa.select(table.key, table.at).where(table.key.in_(keys), table.at > since).order_by(table.at)
        if exclude:
            query = query.where(table.id.not_in(list(exclude)))
        times: dict[str, list[float]] = {key: [] for key in keys}
        for row in conn.execute(query):
            times[row.key].append(row.at)
        return times

    def reserve(self, keys: list[str], at: float, since: float,
                verdict: Verdict) -> tuple[list[int] | None, float]:
        """Record an attempt under every key unless ``verdict`` says to wait, as one atomic step.

        :returns: (the recorded rows, 0) when allowed, else (None, seconds to wait); a
            refused attempt is not recorded, so waiting out the window is enough.
        """
        keys = [k[:MAX_KEY_LENGTH] for k in keys]
        with self.engine.connect() as conn:
            with conn.begin() as transaction:
                take_turns(conn, *keys)  # parallel attempts on these keys count one after another
                ids = [conn.execute(login_failures.insert().values(key=k, at=at)).inserted_primary_key[0]
                       for k in keys]
                wait = verdict(self._times(conn, keys, since, ids))
                if wait > 0:
                    transaction.rollback()
                    return None, wait
            # Forget attempts too old to matter, outside the ordered part; only of these keys'
            # kinds, as other limits with longer windows share the table.
            kinds = sorted({k.split(":", 1)[0] for k in keys})
            same_kind = sa.or_(*(login_failures.c.key.startswith(kind + ":", autoescape=True) for kind in kinds))
            with conn.begin():
                conn.execute(login_failures.delete().where(login_failures.c.at <= since, same_kind))
        return ids, 0.0

    def release(self, handle: list[int]) -> None:
        """Forget a recorded attempt (its password was right)."""
        with self.engine.begin() as conn:
            conn.execute(login_failures.delete().where(login_failures.c.id.in_(handle)))

    def clear(self, key: str) -> None:
        """Forget every attempt under a key."""
        with self.engine.begin() as conn:
            conn.execute(login_failures.delete().where(login_failures.c.key == key[:MAX_KEY_LENGTH]))
