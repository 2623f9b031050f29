"""The resolution-code taxonomy shipped with the knowledge base."""

import pytest

from kb.errors import UnknownResolutionCode
from kb.resolution_codes import load_taxonomy
from tests.conftest import TAXONOMY


@pytest.fixture(scope="module")
def taxonomy():
    taxonomy, problems = load_taxonomy(TAXONOMY)
    assert problems == []
    return taxonomy


def test_the_outcomes_support_teams_record_are_covered(taxonomy):
    codes = {c.code for c in taxonomy}
    assert {
        "solved-existing-article", "solved-new-article", "configuration-change", "workaround-provided",
        "product-bug-filed", "advisory-answered", "duplicate-case", "could-not-reproduce",
        "customer-unresponsive", "out-of-scope",
    } <= codes


def test_solved_by_knowledge_codes_require_an_article(taxonomy):
    for code in taxonomy:
        if code.solved_by_knowledge:
            assert code.requires_article, code.code


def test_only_the_bug_code_requires_a_bug_reference(taxonomy):
    assert [c.code for c in taxonomy if c.requires_bug_reference] == ["product-bug-filed"]


def test_every_code_is_documented(taxonomy):
    for code in taxonomy:
        assert code.name and len(code.description) > 20, code.code


def test_unknown_code_suggests_the_nearest(taxonomy):
    with pytest.raises(UnknownResolutionCode, match="(?i)did you mean 'duplicate-case'"):
        taxonomy.get("duplicate-cases")


def test_a_knowledge_base_without_resolution_codes_uses_the_built_in_ones(tmp_path):
    from kb.resolution_codes import DEFAULT_TAXONOMY, TAXONOMY_FILE, load_taxonomy

    taxonomy, problems = load_taxonomy(tmp_path / TAXONOMY_FILE)
    assert "solved-existing-article" in taxonomy
    assert [(p.severity, p.rule) for p in problems] == [("warning", "taxonomy")]
    assert str(DEFAULT_TAXONOMY) in problems[0].message
