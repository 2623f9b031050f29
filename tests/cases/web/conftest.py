"""Fixtures for the case pages and API: the web suite's corpus and index.

The database (``db_url``, ``engine``) comes fresh for each test from tests/cases/conftest.py.
"""

from __future__ import annotations

import pytest

from kb.db import engine_for
from kb.users import create_token
from tests.web.conftest import app_config, corpus, index_dir  # noqa: F401  (session fixtures, reused)
from tests.web.helpers import account, login_client


@pytest.fixture
def articles_dir(corpus, tmp_path):  # noqa: F811 - the imported session fixture
    """A private copy of the corpus: knowledge capture writes into it."""
    import shutil

    root = tmp_path / "articles"
    shutil.copytree(corpus, root)
    return root


@pytest.fixture
def app(articles_dir, index_dir, db_url, tmp_path):  # noqa: F811 - the imported session fixture
    from web import create_app

    return create_app(app_config(articles_dir, index_dir, db_url, tmp_path / "instance"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(client, db_url):
    """``login(role)`` signs the test client in through the real form."""
    def do(role: str):
        acct = account(db_url, role)
        assert login_client(client, acct).status_code == 302
        return acct
    return do


@pytest.fixture
def auth(db_url):
    """``auth(role)``: an Authorization header with a fresh API token for that role."""
    def make(role: str) -> dict:
        token = create_token(engine_for(db_url), account(db_url, role).name, "case tests")
        return {"Authorization": f"Bearer {token}"}
    return make
