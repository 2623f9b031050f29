"""Fixtures for the knowledge loop: a real database per test, articles built in a tmp folder."""

from __future__ import annotations

import pytest

from kb.articles import load_knowledge_base
from kb.db import engine_for
from tests.conftest import article_text


@pytest.fixture
def engine(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    yield engine
    engine.dispose()


def front(article_id: str, title: str, **fields) -> str:
    """A kb article's text from an id, a title and any other front-matter fields."""
    lines = [f"id: {article_id}", f'title: "{title}"'] + [
        f"{name}: {value}" for name, value in fields.items() if name != "body"]
    return article_text("\n".join(lines), fields.get("body", "Some text.\n"))


@pytest.fixture
def articles(make_kb):
    """``articles({path: text})`` -> the loaded knowledge base (articles by id)."""
    def load(files: dict[str, str]):
        root = make_kb(files)
        kb = load_knowledge_base(root)
        assert not kb.errors, kb.errors
        return kb
    return load
