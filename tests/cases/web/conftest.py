"""Fixtures for the case pages and API: the web suite's corpus and index.

The database (``db_url``, ``engine``) comes fresh for each test from tests/cases/conftest.py.
"""

from __future__ import annotations

import pytest

from tests.web.app_fixtures import articles_dir, auth, login  # noqa: F401  (fixtures, reused)
from tests.web.conftest import app_config, corpus, index_dir  # noqa: F401  (session fixtures, reused)


@pytest.fixture
def app(articles_dir, index_dir, db_url, tmp_path):  # noqa: F811 - the imported session fixture
    from web import create_app

    return create_app(app_config(articles_dir, index_dir, db_url, tmp_path / "instance"))


@pytest.fixture
def client(app):
    return app.test_client()
