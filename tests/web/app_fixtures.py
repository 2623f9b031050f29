"""Fixtures shared by the test packages that build their own app (cases, knowledge loop).

A package's conftest imports them; they need that package's ``corpus``, ``client`` and ``db_url``.
"""

from __future__ import annotations

import shutil

import pytest

from kb.db import engine_for
from kb.users import create_token
from tests.web.helpers import account, login_client


@pytest.fixture
def articles_dir(corpus, tmp_path):
    """A private copy of the corpus: knowledge capture and file edits write into it."""
    root = tmp_path / "articles"
    shutil.copytree(corpus, root)
    return root


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
        token = create_token(engine_for(db_url), account(db_url, role).name, "tests")
        return {"Authorization": f"Bearer {token}"}
    return make
