"""Allowances per client, kept in the database so every server process draws on the same one.

Anonymous readers may write (helpfulness votes, contact-form cases) and ask for costly
work (scoring explanations, long result lists). Each such action takes one unit from an
allowance: at most ``count`` within ``window`` seconds under one key (a client's address,
or an address and an article). Counters in a process's memory would hand an abuser one
full allowance per process and per server, so every unit is a row here, with the time it
was taken and the time it stops counting.

Taking units is one atomic step per key set: parallel requests take turns
(:func:`kb.db.take_turns`), so none can slip past a full allowance. Either every key has
room and a unit is recorded under each, or nothing is recorded and the caller learns which
key was full and how long until it has room again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kb.db import metadata, register_migration, take_turns

MAX_KEY_LENGTH = 300

allowance_units = sa.Table(
    "allowance_units", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # "<allowance>:<client>" or "<allowance>:<client>|<subject>", cut to MAX_KEY_LENGTH.
    sa.Column("key", sa.String(MAX_KEY_LENGTH), nullable=False),
    sa.Column("at", sa.Float, nullable=False),  # seconds since the epoch
    # When the unit stops counting (at + its allowance's window): old rows are deleted by it,
    # whatever allowance they belong to.
    sa.Column("expires", sa.Float, nullable=False, index=True),
    sa.Index("ix_allowance_units_key_at", "key", "at"),
)

register_migration(410, "allowances per client shared by server processes",
                   lambda conn: metadata.create_all(conn, tables=[allowance_units]))


@dataclass(frozen=True)
class Allowance:
    """At most ``count`` units within ``window`` seconds per key."""

    name: str
    count: int
    window: float

    def key(self, *parts: str) -> str:
        return f"{self.name}:{'|'.join(parts)}"[:MAX_KEY_LENGTH]


@dataclass(frozen=True)
class Grant:
    """Units taken (their rows), so that an action that then fails can give them back."""

    ids: tuple[int, ...]


@dataclass(frozen=True)
class Refusal:
    """Why units were not taken: the key whose allowance is used up, and seconds until it has room."""

    key: str
    wait: int


class Allowances:
    """Take units from allowances kept in ``allowance_units``.

    :param engine: the database every server process shares.
    :param clock: wall-clock seconds, so that processes on different machines agree.
    """

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time):
        self.engine = engine
        self.clock = clock

    def take(self, wanted: Mapping[str, Allowance]) -> Grant | Refusal:
        """Take one unit under every key (``{key: its allowance}``), or none at all.

        :returns: a :class:`Grant` when every key had room (the units are recorded), else
            the :class:`Refusal` of the first key, in the given order, that had none.
        """
        now = self.clock()
        keys = {key[:MAX_KEY_LENGTH]: allowance for key, allowance in wanted.items()}
        table = allowance_units.c
        with self.engine.connect() as conn:
            with conn.begin():
                take_turns(conn, *keys)  # parallel requests on these keys count one after another
                for key, allowance in keys.items():
                    since = now - allowance.window
                    times = list(conn.execute(sa.select(table.at).where(table.key == key, table.at > since)
                                              .order_by(table.at.desc()).limit(allowance.count)).scalars())
                    if len(times) >= allowance.count:
                        # Room again once the oldest of the last ``count`` units leaves the window.
                        wait = max(1, math.ceil(times[-1] + allowance.window - now))
                        return Refusal(key, wait)
                ids = tuple(conn.execute(allowance_units.insert().values(
                    key=key, at=now, expires=now + allowance.window)).inserted_primary_key[0]
                    for key, allowance in keys.items())
            with conn.begin():  # forget units that no longer count, outside the ordered part
                conn.execute(allowance_units.delete().where(table.expires <= now))
        return Grant(ids)

    def give_back(self, grant: Grant) -> None:
        """Return the units of an action that did not happen after all (e.g. refused input)."""
        with self.engine.begin() as conn:
            conn.execute(allowance_units.delete().where(allowance_units.c.id.in_(grant.ids)))

    def used(self, key: str, allowance: Allowance) -> int:
        """Units taken under ``key`` that still count (for tests and operators)."""
        since = self.clock() - allowance.window
        table = allowance_units.c
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).where(table.key == key[:MAX_KEY_LENGTH],
                                                                  table.at > since)).scalar_one()
