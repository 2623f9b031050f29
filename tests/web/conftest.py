"""Fixtures for the web app: a tmp corpus indexed once per session, apps, clients, users, servers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb.db import engine_for
from kb.users import create_token
from tests.web.helpers import ARTICLES, PLANTED, Account, account, login_client, start_server, stop_server


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    """The sample knowledge base plus the planted articles, in a tmp folder."""
    root = tmp_path_factory.mktemp("corpus") / "articles"
    shutil.copytree(ARTICLES, root)
    for rel, text in PLANTED.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def index_dir(corpus, tmp_path_factory) -> Path:
    """The corpus indexed once for the whole session."""
    from indexer import build_index

    root = tmp_path_factory.mktemp("index") / "index"
    build_index(corpus, root)
    return root


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> str:
    """One database for the session: users are created once (password hashing is slow)."""
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'kb.sqlite3'}"


# A test app answers many tests from one address, so its anonymous allowances are wide;
# tests/web/test_throttling.py checks them with the defaults or with tight values of its own.
WIDE_ALLOWANCES = {"ANONYMOUS_VOTES": (10**6, 3600), "ANONYMOUS_CASES": (10**6, 3600),
                   "ANONYMOUS_COSTLY_CALLS": (10**6, 600)}


def app_config(corpus: Path, index_dir: Path, db_url: str, instance: Path, **extra) -> dict:
    """Config for a test app pointed at tmp folders."""
    return {"TESTING": True, "ARTICLES_DIR": str(corpus), "INDEX_DIR": str(index_dir), "DB_URL": db_url,
            "INSTANCE_DIR": str(instance), "SEARCH_LOG_BATCH": 1, "SIGNALS_TTL_SECONDS": 0,
            **WIDE_ALLOWANCES, **extra}


@pytest.fixture(scope="session")
def app(corpus, index_dir, db_url, tmp_path_factory):
    """The shared app (read-mostly tests); use ``make_app`` for special configuration."""
    from web import create_app

    return create_app(app_config(corpus, index_dir, db_url, tmp_path_factory.mktemp("instance")))


@pytest.fixture
def make_app(corpus, index_dir, db_url, tmp_path):
    """Build an app with extra configuration (its own instance folder)."""
    from web import create_app

    def make(**extra):
        return create_app(app_config(corpus, index_dir, db_url, tmp_path / "instance", **extra))
    return make


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(client, db_url):
    """``login(role)`` signs the test client in as a user with that role and returns the Account."""
    def do(role: str) -> Account:
        acct = account(db_url, role)
        response = login_client(client, acct)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return acct
    return do


@pytest.fixture(scope="session")
def token_for(db_url):
    """``token_for(role)``: an API token of a user with that role."""
    cache: dict[str, str] = {}

    def make(role: str) -> str:
        if role not in cache:
            cache[role] = create_token(engine_for(db_url), account(db_url, role).name, "tests")
        return cache[role]
    return make


@pytest.fixture(scope="session")
def live_server(corpus, db_url, tmp_path_factory):
    """``kb serve`` (waitress) in a subprocess over the session's corpus and database.

    It starts without an index, so every session also checks that `kb serve` builds one.
    """
    workdir = tmp_path_factory.mktemp("serve")
    server = start_server(corpus, workdir / "index", db_url, workdir)
    yield server
    stop_server(server)
