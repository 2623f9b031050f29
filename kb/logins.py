"""Failed sign-ins (and other limited writes), kept in the database so every server process
counts the same attempts.

``kb serve`` runs several processes; counters in memory would give an attacker one full
allowance per process. One row per failure and key (a name at an address, or the address
alone), with the wall-clock time; rows older than the limiter's window are deleted as new
failures arrive.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kb.db import metadata, register_migration

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


class DatabaseFailures:
    """Failure times per key in ``login_failures`` (the storage behind a login limiter)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def recent(self, key: str, since: float) -> list[float]:
        """Times of the key's failures after ``since``, oldest first."""
        with self.engine.connect() as conn:
            table = login_failures.c
            rows = conn.execute(sa.select(table.at).where(table.key == key[:MAX_KEY_LENGTH], table.at > since)
                                .order_by(table.at))
            return [row.at for row in rows]

    def add(self, keys: list[str], at: float, forget_before: float) -> None:
        """Record a failure under each key, and forget failures too old to matter.

        Only keys of the same kinds (the text before the first ':') are forgotten: limits
        with other windows share the table.
        """
        kinds = sorted({k.split(":", 1)[0] for k in keys})
        same_kind = sa.or_(*(login_failures.c.key.startswith(kind + ":", autoescape=True) for kind in kinds))
        with self.engine.begin() as conn:
            conn.execute(login_failures.insert(), [{"key": k[:MAX_KEY_LENGTH], "at": at} for k in keys])
            conn.execute(login_failures.delete().where(login_failures.c.at <= forget_before, same_kind))

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(login_failures.delete().where(login_failures.c.key == key[:MAX_KEY_LENGTH]))
