"""The database: SQLAlchemy Core tables and numbered migrations.

SQLite is the embedded default; PostgreSQL (through psycopg 3) serves teams that run
several servers on one database. SQL stays portable (Core expressions, no SQLite-only
syntax), and the test suite runs every database test on both. Each migration is applied
once, in order, and recorded in ``schema_migrations``; add new ones at the end, never edit
old ones.
"""

from __future__ import annotations

import contextlib
import threading
import urllib.parse
import zlib
from collections.abc import Callable, Iterator
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

# Sign-in sessions live on the server, so ending one (sign-out, password change, disabled
# account) ends it on every server at once; the cookie only carries the random key.
user_sessions = sa.Table(
    "user_sessions", metadata,
    # SHA-256 of the key in the cookie: a leaked database doesn't give working sessions.
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False, index=True),
)

Migration = tuple[int, str, Callable[[Connection], None]]


def _create(*tables: sa.Table) -> Callable[[Connection], None]:
    return lambda conn: metadata.create_all(conn, tables=list(tables))


# Other modules append their migrations through ``register_migration`` at import time.
MIGRATIONS: list[Migration] = [
    (1, "users and API tokens", _create(users, api_tokens)),
    (2, "sign-in sessions kept on the server", _create(user_sessions)),
]


def register_migration(version: int, description: str, apply: Callable[[Connection], None]) -> None:
    """Add a migration; versions are unique and applied in ascending order.

    Registering the same migration again (a module imported twice) changes nothing; two
    different migrations claiming one version is a programming error, raised at import.
    """
    for known, known_description, _ in MIGRATIONS:
        if known == version:
            if known_description != description:
                raise RuntimeError(f"Migration {version} is registered twice: '{known_description}' and "
                                   f"'{description}'. Give the new one an unused version.")
            return
    MIGRATIONS.append((version, description, apply))
    MIGRATIONS.sort(key=lambda m: m[0])


# Modules that own tables register their migrations when imported; list them here.
TABLE_MODULES: tuple[str, ...] = (
    "kb.activity", "kb.cases.schema", "kb.logins", "kb.kcs.schema", "kb.answers.feedback", "kb.throttle")


def _load_feature_tables() -> None:
    """Import the modules that own tables so their migrations are registered."""
    import importlib

    for name in TABLE_MODULES:
        importlib.import_module(name)


def _fold(value):
    return value.lower() if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # SQLite's own lower() folds only A-Z; PostgreSQL's (and Python's) fold every letter.
    # Title searches and query reports lower() in SQL, so both backends must agree.
    dbapi_connection.create_function("lower", 1, _fold, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


_engines: dict[str, Engine] = {}
_migrated: set[str] = set()  # URLs whose schema this process has brought up to date
_engines_lock = threading.Lock()


def resolve_url(url: str | None = None) -> str:
    """The database URL: explicit, else KB_DB, else an SQLite file in the instance folder."""
    return settings.get("db_url", url)


# Schemes people write for PostgreSQL, and the driver kb installs for them (SQLAlchemy's
# default for a bare ``postgresql://`` is psycopg2, which kb does not ship).
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def _sqlalchemy_url(url: str) -> sa.engine.URL:
    try:
        sa_url = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise KBError(f"'{url}' is not a database URL; use e.g. sqlite:///instance/kb.sqlite3 or "
                      "postgresql://USER@HOST/DATABASE") from None
    if sa_url.drivername in _POSTGRES_SCHEMES:
        sa_url = sa_url.set(drivername="postgresql+psycopg")
    return sa_url


def display_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return urllib.parse.unquote(_sqlalchemy_url(url).render_as_string(hide_password=True))
    except KBError:
        return url


def engine_for(url: str | None = None, *, migrate: bool = True) -> Engine:
    """A shared engine for a URL, with the schema migrated to the latest version.

    :raises KBError: for a malformed URL, a missing driver or a database that can't be reached.
    """
    url = resolve_url(url)
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = _create_engine(url)
        if migrate and url not in _migrated:
            with _reporting_failures(engine):
                apply_migrations(engine)
            _migrated.add(url)
        return engine


@contextlib.contextmanager
def _reporting_failures(engine: Engine) -> Iterator[None]:
    """Turn a connection that failed into a KBError naming the database (password hidden)."""
    try:
        yield
    except sa.exc.OperationalError as exc:
        text = str(getattr(exc, "orig", None) or exc).strip()
        reason = text.splitlines()[0] if text else type(exc).__name__
        url = display_url(engine.url.render_as_string(hide_password=False))
        raise KBError(f"Can't use the database at {url}: {reason}. Check the URL (--db or KB_DB), "
                      "that the server is running and that the user may connect.") from None


def _create_engine(url: str) -> Engine:
    sa_url = _sqlalchemy_url(url)
    if sa_url.get_backend_name() == "sqlite":
        if sa_url.database and sa_url.database != ":memory:":
            Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(sa_url, connect_args={"check_same_thread": False, "timeout": 10})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return sa.create_engine(sa_url, pool_pre_ping=True)
    except (ModuleNotFoundError, sa.exc.NoSuchModuleError) as exc:
        name = getattr(exc, "name", None) or sa_url.drivername
        raise KBError(f"The database driver for '{sa_url.get_backend_name()}' is not installed ({name}). "
                      "kb supports SQLite and PostgreSQL.") from None


def take_turns(conn: Connection, *names: str) -> None:
    """Make transactions that take turns on the same names run one at a time, until this one ends.

    Call it first in a transaction, before any other statement. PostgreSQL: a
    transaction-scoped advisory lock per name, in sorted order, so two transactions never
    wait on each other crosswise. SQLite: ``BEGIN IMMEDIATE``, which takes the database's
    single write lock at once (SQLite orders every writer, so the names don't matter);
    without it, SQLite's transaction would begin only at the first write, after the reads
    that decided what to write.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        for name in sorted(set(names)):
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(zlib.crc32(name.encode()))))


def apply_migrations(engine: Engine) -> list[int]:
    """Apply pending migrations, each in its own transaction; returns the versions applied.

    Several server processes may start at once: each migration runs while holding
    :func:`take_turns`, and is skipped when another process applied it meanwhile.
    """
    _load_feature_tables()
    with engine.connect() as conn:  # the usual case, nothing to do, costs one read
        done = _applied_versions(conn)
    applied: list[int] = []
    for version, description, apply in MIGRATIONS:
        if version in done:
            continue
        with engine.begin() as conn:
            take_turns(conn, "kb-migrations")
            metadata.create_all(conn, tables=[schema_migrations])
            if _is_applied(conn, version):
                continue
            apply(conn)
            conn.execute(schema_migrations.insert().values(version=version, description=description,
                                                           applied_at=utcnow()))
            applied.append(version)
    return applied


def _applied_versions(conn: Connection) -> set[int]:
    if not sa.inspect(conn).has_table(schema_migrations.name):
        return set()
    return set(conn.execute(sa.select(schema_migrations.c.version)).scalars())


def pending_migrations(engine: Engine) -> list[tuple[int, str]]:
    """(version, description) of every migration not yet applied, oldest first.

    :raises KBError: when the database can't be reached.
    """
    _load_feature_tables()
    with _reporting_failures(engine), engine.connect() as conn:
        done = _applied_versions(conn)
    return [(version, description) for version, description, _ in MIGRATIONS if version not in done]


def latest_version() -> int:
    """The version the newest migration brings a database to."""
    _load_feature_tables()
    return MIGRATIONS[-1][0]


def _is_applied(conn: Connection, version: int) -> bool:
    return conn.execute(sa.select(schema_migrations.c.version)
                        .where(schema_migrations.c.version == version)).first() is not None


def current_version(engine: Engine) -> int:
    """The newest migration applied to the database (0 for an empty one).

    :raises KBError: when the database can't be reached.
    """
    with _reporting_failures(engine), engine.connect() as conn:
        return max(_applied_versions(conn), default=0)


def upgrade(engine: Engine) -> list[int]:
    """:func:`apply_migrations` for operators: a database that can't be reached is a KBError."""
    with _reporting_failures(engine):
        return apply_migrations(engine)


def dispose_engine(url: str) -> None:
    """Close the shared engine of one URL and forget it (before its database is dropped)."""
    with _engines_lock:
        engine = _engines.pop(resolve_url(url), None)
        _migrated.discard(resolve_url(url))
    if engine is not None:
        engine.dispose()


def dispose_all() -> None:
    """Close every shared engine (tests and server shutdown)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _migrated.clear()
