"""Fixtures that sign a test client in, shared by the test packages that build their own app.

A package's conftest imports them; each needs that package's ``client`` and ``db_url``.
"""

from __future__ import annotations

import pytest

from kb.db import engine_for
from kb.users import create_token
from tests.web.helpers import account, login_client


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
