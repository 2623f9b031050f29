"""Accounts, passwords, API tokens and sessions in a real database (SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cli import main
from kb import users
from kb.db import api_tokens, apply_migrations, current_version, engine_for, user_sessions
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


# --- sign-in sessions --------------------------------------------------------------------------

def test_a_session_lives_on_the_server_until_it_ends(engine):
    user = users.add_user(engine, "sam", "engineer", "long enough pass")
    key = users.start_session(engine, user.id, timedelta(hours=1))
    assert users.session_user(engine, key) == user
    with engine.connect() as conn:
        stored = conn.execute(sa.select(user_sessions.c.key_hash)).scalar_one()
    assert key not in stored  # only a digest is kept: a leaked database has no working keys
    users.end_session(engine, key)
    assert users.session_user(engine, key) is None


@pytest.mark.parametrize("key", ["", "x" * 43, "x" * 10_000, None, 42])
def test_unknown_or_malformed_session_keys_are_nobody(engine, key):
    assert users.session_user(engine, key) is None
    users.end_session(engine, key)  # and ending one is harmless


def test_an_expired_session_is_nobody_and_is_forgotten(engine):
    user = users.add_user(engine, "old-timer", "engineer", "long enough pass")
    key = users.start_session(engine, user.id, timedelta(seconds=-1))
    assert users.session_user(engine, key) is None
    users.start_session(engine, user.id, timedelta(hours=1))  # new sessions sweep expired ones away
    assert users.count_sessions(engine, "old-timer") == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(user_sessions)).scalar() == 1


def test_password_change_disabling_and_sign_out_end_every_session(engine):
    user = users.add_user(engine, "uma", "author", "long enough pass")
    keys = [users.start_session(engine, user.id, timedelta(hours=1)) for _ in range(3)]
    users.set_password(engine, "uma", "another long pass")
    assert [users.session_user(engine, k) for k in keys] == [None] * 3
    assert users.authenticate(engine, "uma", "another long pass") is not None
    assert users.authenticate(engine, "uma", "long enough pass") is None

    key = users.start_session(engine, user.id, timedelta(hours=1))
    assert users.set_disabled(engine, "uma", True) == (user, 1)
    assert users.session_user(engine, key) is None
    assert users.authenticate(engine, "uma", "another long pass") is None
    assert [u.disabled for u in users.list_users(engine)] == [True]
    users.set_disabled(engine, "uma", False)
    assert users.session_user(engine, key) is None  # enabling revives nothing

    keys = [users.start_session(engine, user.id, timedelta(hours=1)) for _ in range(2)]
    other = users.add_user(engine, "vic", "engineer", "long enough pass")
    kept = users.start_session(engine, other.id, timedelta(hours=1))
    assert users.end_sessions(engine, "uma") == 2
    assert users.session_user(engine, kept) == other  # only that user's sessions end


def test_a_role_change_applies_to_live_sessions_at_once(engine):
    user = users.add_user(engine, "wes", "author", "long enough pass")
    key = users.start_session(engine, user.id, timedelta(hours=1))
    users.set_role(engine, "wes", "customer")
    assert users.session_user(engine, key).role == "customer"


def test_a_weak_new_password_is_refused_and_changes_nothing(engine):
    user = users.add_user(engine, "xena", "engineer", "long enough pass")
    key = users.start_session(engine, user.id, timedelta(hours=1))
    with pytest.raises(KBError, match="too short"):
        users.set_password(engine, "xena", "short")
    assert users.session_user(engine, key) == user


def test_cli_manages_accounts_and_their_sessions(db_url):
    engine = engine_for(db_url)
    user = users.add_user(engine, "yara", "engineer", "long enough pass")
    users.start_session(engine, user.id, timedelta(hours=1))
    runner = CliRunner()
    result = runner.invoke(main, ["users", "disable", "yara", "--db", db_url])
    assert result.exit_code == 0 and "ended 1 session(s)" in result.output
    assert "disabled" in runner.invoke(main, ["users", "list", "--db", db_url]).output
    assert runner.invoke(main, ["users", "enable", "yara", "--db", db_url]).exit_code == 0
    result = runner.invoke(main, ["users", "set-password", "yara", "--password-stdin", "--db", db_url],
                           input="the next long pass\n")
    assert result.exit_code == 0, result.output
    assert users.authenticate(engine, "yara", "the next long pass") == users.get_user(engine, "yara")
    result = runner.invoke(main, ["users", "sign-out", "nobody-here", "--db", db_url])
    assert result.exit_code == 1 and "No user named 'nobody-here'" in result.output


def test_two_admins_adding_one_name_at_once_get_one_user_and_a_clear_refusal(engine):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    start = threading.Barrier(4)

    def add(_):
        start.wait()
        try:
            return users.add_user(engine, "twin", "engineer", "long enough pass")
        except KBError as exc:
            return str(exc)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(add, range(4)))
    assert sum(isinstance(r, users.User) for r in results) == 1
    assert sorted(r for r in results if isinstance(r, str)) == ["User 'twin' already exists."] * 3
