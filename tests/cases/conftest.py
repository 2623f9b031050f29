"""Fixtures for the case tests: a fresh real database per test, on SQLite and on PostgreSQL, and
the real taxonomy."""

from __future__ import annotations

from datetime import datetime

import pytest

from kb.cases import store
from kb.db import engine_for
from kb.resolution_codes import load_taxonomy
from tests.conftest import TAXONOMY, new_database
from tests.databases import BACKEND_PARAMS


@pytest.fixture(params=BACKEND_PARAMS)
def db_url(request, tmp_path):
    """Every test that takes it runs twice: on an SQLite file and on a PostgreSQL database."""
    return new_database(request, request.param, tmp_path)


@pytest.fixture
def engine(db_url):
    return engine_for(db_url)


@pytest.fixture(scope="session")
def taxonomy():
    taxonomy, problems = load_taxonomy(TAXONOMY)
    assert not problems
    return taxonomy


@pytest.fixture
def closed_case(engine, taxonomy):
    """Open a case, link what solved it and close it; returns the closed case."""

    def make(title: str, description: str = "", *, solved_by: tuple[str, ...] = (), code: str | None = None,
             at: datetime | None = None, **fields) -> store.Case:
        case = store.create_case(engine, title=title, description=description, at=at, **fields)
        for article_id in solved_by:
            store.link_article(engine, case.id, article_id, solved=True, at=at)
        code = code or ("solved-existing-article" if solved_by else "configuration-change")
        return store.close_case(engine, taxonomy, case.id, code, "Fixed.", at=at)

    return make
