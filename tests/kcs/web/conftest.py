"""Fixtures for the knowledge loop's pages and API: the web suite's corpus and index, a fresh
database and a private copy of the articles per test (flags are recorded, files are written)."""

from __future__ import annotations


import pytest

from tests.web.app_fixtures import articles_dir, auth, login  # noqa: F401  (fixtures, reused)
from tests.web.conftest import app_config, corpus, index_dir  # noqa: F401  (session fixtures, reused)


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'kb.sqlite3'}"


@pytest.fixture
def make_app(articles_dir, index_dir, db_url, tmp_path):  # noqa: F811 - the imported session fixture
    from web import create_app

    def make(**extra):
        return create_app(app_config(articles_dir, index_dir, db_url, tmp_path / "instance", **extra))
    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def engine(app):
    return app.extensions["kb"].engine


@pytest.fixture(scope="module")
def document(corpus, index_dir, tmp_path_factory):  # noqa: F811 - the imported session fixtures
    from web import create_app

    folder = tmp_path_factory.mktemp("openapi")
    app = create_app(app_config(corpus, index_dir, f"sqlite:///{folder / 'kb.sqlite3'}", folder / "instance"))
    return app.test_client().get("/api/openapi.json").get_json()
