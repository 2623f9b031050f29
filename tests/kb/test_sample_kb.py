"""The knowledge base shipped in articles/ stays clean and representative."""

import re
from collections import Counter
from datetime import date

import pytest

from kb.articles import load_knowledge_base
from kb.lint import lint
from kb.model import ARTICLE_TYPES
from tests.conftest import ARTICLES


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base(ARTICLES)


def test_lint_is_clean(kb):
    problems = lint(kb, today=date.today())
    assert [str(p) for p in problems] == []


def test_it_is_large_and_varied_enough(kb):
    articles = list(kb.articles.values())
    assert len(articles) >= 40
    types = Counter(a.type for a in articles)
    assert set(types) == set(ARTICLE_TYPES)
    audiences = Counter(a.audience for a in articles)
    assert audiences["public"] >= 10 and audiences["internal"] >= 10
    statuses = Counter(a.status for a in articles)
    assert statuses["draft"] >= 2 and statuses["archived"] >= 1


def test_archived_articles_point_at_a_published_replacement(kb):
    archived = [a for a in kb.articles.values() if a.status == "archived"]
    assert archived
    for article in archived:
        assert article.superseded_by, article.id
        assert kb.articles[article.superseded_by].status == "published"


def test_standard_workflows_are_present(kb):
    titles = " ".join(a.title.lower() for a in kb.articles.values() if a.type == "workflow")
    for topic in ("first quality response", "scop", "escalat", "swarm", "clos", "severity"):
        assert topic in titles, topic


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def test_articles_quote_the_error_codes_they_list(kb):
    for article in kb.articles.values():
        text = _squash(article.title + article.body)
        for code in article.error_codes:
            assert _squash(code) in text, (article.id, code)
