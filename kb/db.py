"""The database: SQLAlchemy Core tables and numbered migrations.

SQLite is the embedded default; SQL stays portable (Core expressions, no SQLite-only
syntax) so a team can point ``--db`` at PostgreSQL. Each migration is applied once, in
order, and recorded in ``schema_migrations``; add new ones at the end, never edit old ones.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from kb import settings
from kb.errors import KBError

metadata = sa.MetaData()


def utcnow() -> datetime:
    """Timestamps are stored as naive UTC, which every database handles the same way."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


schema_migrations = sa.Table(
    "schema_migrations", metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(80), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.String(300), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
)

api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # Only a hash of the token is kept: a leaked database doesn't leak working tokens.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("label", sa.String(80), nullable=False, default=""),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_used_at", sa.DateTime),
    sa.Column("revoked", sa.Boolean, nullable=False, default=False),
)

Migration = tuple[int, str, Callable[[Connection], None]]


def _create(*tables: sa.Table) -> Callable[[Connection], None]:
    return lambda conn: metadata.create_all(conn, tables=list(tables))


# Other modules append their migrations through ``register_migration`` at import time.
MIGRATIONS: list[Migration] = [
    (1, "users and API tokens", _create(users, api_tokens)),
]


def register_migration(version: int, description: str, apply: Callable[[Connection], None]) -> None:
    """Add a migration; versions are unique and applied in ascending order."""
    if any(v == version for v, _, _ in MIGRATIONS):
        return
    MIGRATIONS.append((version, description, apply))
    MIGRATIONS.sort(key=lambda m: m[0])


# Modules that own tables register their migrations when imported; list them here.
TABLE_MODULES: tuple[str, ...] = ("kb.activity", "kb.cases.schema", "kb.logins", "kb.answers.feedback")


def _load_feature_tables() -> None:
    """Import the modules that own tables so their migrations are registered."""
    import importlib

    for name in TABLE_MODULES:
        importlib.import_module(name)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def resolve_url(url: str | None = None) -> str:
    """The database URL: explicit, else KB_DB, else an SQLite file in the instance folder."""
    return settings.get("db_url", url)


def engine_for(url: str | None = None, *, migrate: bool = True) -> Engine:
    """A shared engine for a URL, with the schema migrated to the latest version."""
    url = resolve_url(url)
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            if migrate:
                apply_migrations(engine)
            _engines[url] = engine
        return engine


def _create_engine(url: str) -> Engine:
    try:
        sa_url = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise KBError(f"'{url}' is not a database URL; use e.g. sqlite:///instance/kb.sqlite3") from None
    if sa_url.get_backend_name() == "sqlite":
        if sa_url.database and sa_url.database != ":memory:":
            Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return sa.create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise KBError(f"The database driver for '{sa_url.get_backend_name()}' is not installed ({exc.name}).") from None


def apply_migrations(engine: Engine) -> list[int]:
    """Apply pending migrations, each in its own transaction; returns the versions applied."""
    _load_feature_tables()
    applied: list[int] = []
    with engine.begin() as conn:
        metadata.create_all(conn, tables=[schema_migrations])
    for version, description, apply in MIGRATIONS:
        try:
            with engine.begin() as conn:
                if _is_applied(conn, version):
                    continue
                apply(conn)
                conn.execute(schema_migrations.insert().values(version=version, description=description,
                                                               applied_at=utcnow()))
                applied.append(version)
        except sa.exc.DBAPIError:
            # Another process (a second server worker) applied it at the same moment: fine,
            # as long as it is recorded now.
            with engine.connect() as conn:
                if not _is_applied(conn, version):
                    raise
    return applied


def _is_applied(conn: Connection, version: int) -> bool:
    return conn.execute(sa.select(schema_migrations.c.version)
                        .where(schema_migrations.c.version == version)).first() is not None


def current_version(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.max(schema_migrations.c.version))).scalar() or 0


def dispose_all() -> None:
    """Close every shared engine (tests and server shutdown)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
