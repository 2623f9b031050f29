"""Templates: every type produces a file that lints with no errors, only 'fill me in' warnings."""

from __future__ import annotations

from datetime import date

import pytest

from kb.articles import load_knowledge_base, parse_article
from kb.authoring import GUIDANCE_MARKER, create_article, guidance_lines, render_template, template_path
from kb.errors import KBError
from kb.lint import RULES, lint
from kb.model import ARTICLE_TYPES, TSG_REQUIRED_SECTIONS


def _fill_in(text: str) -> str:
    """What an author does: replace every guidance line with real text."""
    lines = []
    for line in text.splitlines():
        if GUIDANCE_MARKER in line:
            prefix = line.split(GUIDANCE_MARKER)[0].replace(">", "").rstrip()
            line = f"{prefix} Real content written by the author." if prefix else "Real content."
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_there_is_a_template_for_every_type():
    for article_type in ARTICLE_TYPES:
        assert template_path(article_type).is_file(), article_type


def test_unknown_type_is_refused():
    with pytest.raises(KBError, match="choose one of"):
        template_path("novel")


def test_new_rules_are_registered():
    assert {"unfilled-template", "near-duplicate-title"} <= set(RULES)


@pytest.mark.parametrize("article_type", ARTICLE_TYPES)
def test_new_article_passes_lint_except_for_its_guidance(base_kb, article_type):
    created = create_article(base_kb, article_type, f"Printer queue {article_type} stalls", product="Print",
                             today=date(2026, 11, 23))
    result = parse_article(created.path, base_kb)
    assert result.ok, [str(p) for p in result.problems]
    article = result.article
    assert (article.id, article.type, article.status) == (created.id, article_type, "draft")
    assert article.product == "Print"
    assert article.updated == date(2026, 11, 23) and article.review_by > article.updated

    problems = [p for p in lint(load_knowledge_base(base_kb), today=date(2026, 11, 23))
                if p.path.endswith(created.path.name)]
    assert not [p for p in problems if p.is_error], [str(p) for p in problems]
    assert problems and {p.rule for p in problems} == {"unfilled-template"}
    assert len(problems) == len(guidance_lines(article.body))
    # Each warning points at the guidance line itself.
    lines = created.path.read_text().splitlines()
    assert all(GUIDANCE_MARKER in lines[p.line - 1] for p in problems)


@pytest.mark.parametrize("article_type", ARTICLE_TYPES)
def test_filled_in_article_is_clean(base_kb, article_type):
    created = create_article(base_kb, article_type, f"Scanner {article_type} drops pages",
                             today=date(2026, 11, 23))
    created.path.write_text(_fill_in(created.path.read_text()))
    problems = [p for p in lint(load_knowledge_base(base_kb), today=date(2026, 11, 23))
                if p.path.endswith(created.path.name)]
    assert problems == [], [str(p) for p in problems]


def test_tsg_template_has_the_required_sections():
    text = render_template("tsg", article_id="KB0001", title="T")
    for section in TSG_REQUIRED_SECTIONS:
        assert f"## {section.capitalize()}" in text


def test_workflow_template_has_numbered_steps():
    assert "\n1. TODO:" in render_template("workflow", article_id="KB0001", title="T")


def test_title_and_product_with_yaml_syntax_survive(base_kb):
    title = 'Error: "access denied" #3 - [x] {y} & it\'s: bad'
    created = create_article(base_kb, "tsg", title, product="SQL: Server")
    article = parse_article(created.path, base_kb).article
    assert article.title == title and article.product == "SQL: Server"


def test_rendered_template_has_no_trailing_whitespace():
    text = render_template("how-to", article_id="KB0001", title="T")
    assert all(line == line.rstrip() for line in text.splitlines())
    assert "$" not in text


@pytest.mark.parametrize("body,expected", [
    ("> TODO: a\n", [(1, "a")]),
    ("1. TODO: step\n- TODO: bullet\n", [(1, "step"), (2, "bullet")]),
    ("   > > TODO: nested\n", [(1, "nested")]),
    ("Text TODO: not at the start\n", []),
    ("```\n> TODO: inside code\n```\n> TODO: after\n", [(4, "after")]),
    ("~~~~\n```\nTODO: still code\n~~~~\n", []),
    ("    TODO: indented code block\n", []),
])
def test_guidance_lines(body, expected):
    assert guidance_lines(body) == expected
