"""Accounts, passwords, API tokens and sessions in a real database (SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from kb import users
from kb.cli import main
from kb.db import api_tokens, apply_migrations, current_version, engine_for
from kb.errors import KBError
from tests.conftest import new_database
from tests.databases import BACKEND_PARAMS


@pytest.fixture(params=BACKEND_PARAMS)
def db_url(request, tmp_path):
    return new_database(request, request.param, tmp_path)


@pytest.fixture
def engine(db_url):
    return engine_for(db_url)


def test_migrations_apply_once(engine):
    assert current_version(engine) >= 1
    assert apply_migrations(engine) == []


def test_passwords_are_stored_hashed(engine):
    users.add_user(engine, "alice", "engineer", "correct horse battery")
    with engine.connect() as conn:
        stored = conn.execute(sa.select(users.users.c.password_hash)).scalar_one()
    assert "correct horse" not in stored
    assert users.authenticate(engine, "alice", "correct horse battery").role == "engineer"
    assert users.authenticate(engine, "alice", "wrong password!") is None
    assert users.authenticate(engine, "nobody", "correct horse battery") is None


@pytest.mark.parametrize("name,role,password,message", [
    ("bob", "engineer", "short", "too short"),
    ("bob", "wizard", "long enough pass", "Unknown role"),
    ("bad name", "engineer", "long enough pass", "User names"),
])
def test_bad_accounts_are_refused(engine, name, role, password, message):
    with pytest.raises(KBError, match=message):
        users.add_user(engine, name, role, password)


def test_duplicate_user_is_refused(engine):
    users.add_user(engine, "carol", "author", "long enough pass")
    with pytest.raises(KBError, match="already exists"):
        users.add_user(engine, "carol", "author", "long enough pass")


def test_tokens_authenticate_until_revoked(engine):
    users.add_user(engine, "dave", "engineer", "long enough pass")
    token = users.create_token(engine, "dave")
    assert users.user_for_token(engine, token).name == "dave"
    assert users.user_for_token(engine, token + "x") is None
    assert users.user_for_token(engine, "") is None
    assert users.revoke_tokens(engine, "dave") == 1
    assert users.user_for_token(engine, token) is None


def test_cli_creates_users_and_tokens_without_a_terminal(db_url):
    runner = CliRunner()
    result = runner.invoke(main, ["users", "add", "erin", "--role", "engineer", "--password-stdin", "--db", db_url],
                           input="a long secret pass\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["tokens", "create", "erin", "--db", db_url])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert users.user_for_token(engine_for(db_url), token).name == "erin"


def test_cli_refuses_a_weak_password_with_a_clear_message(db_url):
    result = CliRunner().invoke(main, ["users", "add", "frank", "--password-stdin", "--db", db_url], input="abc\n")
    assert result.exit_code == 1
    assert "Password too short" in result.output


def test_token_use_is_recorded_at_most_once_a_minute(db_url):
    engine = engine_for(db_url)
    users.add_user(engine, "tina", "engineer", "a long secret pass")
    token = users.create_token(engine, "tina")

    def last_used():
        with engine.connect() as conn:
            return conn.execute(sa.select(api_tokens.c.last_used_at)).scalar()

    assert users.user_for_token(engine, token).name == "tina"
    first = last_used()
    assert first is not None
    assert users.user_for_token(engine, token).name == "tina"
    assert last_used() == first  # no write for a use within the minute
    with engine.begin() as conn:
        conn.execute(api_tokens.update().values(last_used_at=first - timedelta(minutes=2)))
    users.user_for_token(engine, token)
    assert last_used() > first - timedelta(minutes=2)
