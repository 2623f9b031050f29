"""Fixtures for the authoring tests: a small knowledge base with one article per type."""

from __future__ import annotations

import pytest

from tests.conftest import article_text

TSG_BODY = "## Symptoms\n\nIt fails.\n\n## Cause\n\nA reason.\n\n## Resolution\n\n1. Fix it.\n"

BASE = {
    "database/deadlocks.md": article_text(
        "id: KB0007\ntitle: Analyse SQL Server deadlocks (Error 1205)\ntype: tsg", TSG_BODY),
    "identity/time.md": article_text(
        "id: KB0012\ntitle: Configure the Windows Time service\ntype: how-to",
        "## Steps\n\n1. Run w32tm.\n\nSee [deadlocks](kb:KB0007#sec-cause).\n"),
    "odd-name.md": article_text("title: An article whose id is its file name"),
}


@pytest.fixture
def base_kb(make_kb):
    """A knowledge base with a few valid articles (highest id KB0012)."""
    return make_kb(dict(BASE))
