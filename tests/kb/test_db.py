"""Migrations, `kb db upgrade` and `kb db check`, on an SQLite file and on a PostgreSQL server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cli import main
from kb import db
from kb.errors import KBError
from tests.conftest import new_database
from tests.databases import BACKEND_PARAMS


@pytest.fixture(params=BACKEND_PARAMS)
def empty_db_url(request, tmp_path):
    """A database with no tables yet: a new SQLite file, or an empty PostgreSQL database."""
    return new_database(request, request.param, tmp_path, empty=True)


def kb(*args: str):
    return CliRunner().invoke(main, list(args))


def tables(url: str) -> set[str]:
    engine = sa.create_engine(db._sqlalchemy_url(url), poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_check_reports_pending_migrations_then_upgrade_applies_them_once(empty_db_url):
    result = kb("db", "check", "--db", empty_db_url)
    assert result.exit_code == 1
    assert "is at version 0" in result.output and "Run `kb db upgrade`" in result.output
    assert "users and API tokens" in result.output
    assert tables(empty_db_url) == set()  # checking changes nothing

    result = kb("db", "upgrade", "--db", empty_db_url)
    assert result.exit_code == 0, result.output
    assert f"to {db.latest_version()}: applied {len(db.MIGRATIONS)} migration(s)" in result.output
    assert {"users", "user_sessions", "cases", "login_failures", "search_log"} <= tables(empty_db_url)

    result = kb("db", "check", "--db", empty_db_url, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["pending"] == [] and report["version"] == report["latest"] == db.latest_version()
    assert report["backend"] in ("sqlite", "postgresql")
    assert "up to date" in kb("db", "upgrade", "--db", empty_db_url).output


def test_servers_starting_together_apply_each_migration_once(empty_db_url, tmp_path):
    """Four processes upgrade one empty database at the same moment: all succeed, nothing twice."""
    kb_script = Path(sys.executable).parent / "kb"
    runs = [subprocess.Popen([str(kb_script), "db", "upgrade", "--db", empty_db_url], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for _ in range(4)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, outputs
    engine = sa.create_engine(db._sqlalchemy_url(empty_db_url), poolclass=sa.NullPool)
    with engine.connect() as conn:
        versions = list(conn.execute(sa.select(db.schema_migrations.c.version)).scalars())
    engine.dispose()
    assert sorted(versions) == [version for version, _, _ in db.MIGRATIONS]


def test_an_unreachable_database_is_a_clear_error(tmp_path):
    url = f"postgresql://kb:secret-password@/kb?host={tmp_path}/no-server-here"
    for command in (["db", "check"], ["db", "upgrade"], ["users", "list"]):
        result = kb(*command, "--db", url)
        assert result.exit_code == 1, result.output
        assert "Can't use the database at postgresql+psycopg://kb:***@/kb" in result.output
        assert "secret-password" not in result.output
        assert "Traceback" not in result.output


def test_a_bare_postgresql_url_uses_the_installed_driver(postgres):
    url = postgres.create_database()
    try:
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        assert "up to date" in kb("db", "check", "--db", plain).output
        assert db.engine_for(plain).dialect.driver == "psycopg"
    finally:
        db.dispose_engine(url.replace("postgresql+psycopg://", "postgresql://"))
        postgres.drop_database(url)


@pytest.mark.parametrize("url,message", [
    ("not a url", "is not a database URL"),
    ("mysql://kb@localhost/kb", "driver for 'mysql' is not installed"),
])
def test_unsupported_urls_are_refused_with_the_supported_forms(url, message):
    with pytest.raises(KBError, match=message):
        db.engine_for(url)


def test_two_migrations_cannot_claim_one_version():
    version, description, apply = db.MIGRATIONS[0]
    db.register_migration(version, description, apply)  # the same one again: nothing changes
    with pytest.raises(RuntimeError, match=f"Migration {version} is registered twice"):
        db.register_migration(version, "something else entirely", apply)
