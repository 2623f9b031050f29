"""KCS confidence follows the status and the front matter; freshness follows the dates."""

from datetime import date

import pytest

from kb.kcs.confidence import (
    ARCHIVED,
    NOT_VALIDATED,
    VALIDATED,
    WORK_IN_PROGRESS,
    effective,
    is_stale,
    needing_validation,
    standing,
)
from tests.kcs.conftest import front

TODAY = date(2026, 11, 1)


@pytest.mark.parametrize(("status", "stated", "expected"), [
    ("draft", "validated", WORK_IN_PROGRESS),
    ("draft", None, WORK_IN_PROGRESS),
    ("archived", "validated", ARCHIVED),
    ("review", None, NOT_VALIDATED),
    ("review", "validated", VALIDATED),
    ("published", None, VALIDATED),
    ("published", "not-validated", NOT_VALIDATED),
    ("published", "validated", VALIDATED),
])
def test_status_decides_work_in_progress_and_archived_and_the_field_decides_the_rest(status, stated, expected):
    assert effective(status, stated) == expected


def test_an_article_is_stale_past_its_review_date_or_a_year_after_its_last_verification():
    assert is_stale(date(2026, 10, 31), None, TODAY)
    assert not is_stale(TODAY, None, TODAY)
    assert is_stale(None, date(2025, 10, 31), TODAY)
    assert not is_stale(None, date(2025, 11, 2), TODAY)
    assert not is_stale(None, None, TODAY)


def test_validation_counts_as_verification(articles):
    kb = articles({
        "a.md": front("A", "Old but validated", updated="2024-01-01", validated_at="2026-10-01",
                      validated_by="ana"),
        "b.md": front("B", "Old and never validated", updated="2024-01-01"),
    })
    assert not standing(kb.get("A"), TODAY).stale
    assert standing(kb.get("B"), TODAY).stale
    assert standing(kb.get("A"), TODAY).label == "Validated"
    assert standing(kb.get("B"), TODAY).label == "Validated, stale"


def test_articles_needing_validation_are_the_usable_ones_nobody_approved(articles):
    kb = articles({
        "a.md": front("A", "Published, not validated", confidence="not-validated"),
        "b.md": front("B", "In review", status="review"),
        "c.md": front("C", "A draft", status="draft"),
        "d.md": front("D", "Validated", confidence="validated"),
    })
    assert [a.id for a in needing_validation(kb.articles.values())] == ["A", "B"]


def test_lint_names_what_needs_validation_and_checks_the_validation_record(make_kb):
    from click.testing import CliRunner

    from cli import main

    root = make_kb({
        "a.md": front("A", "Published, not validated", confidence="not-validated"),
        "b.md": front("B", "Half a record", validated_by="ana"),
        "c.md": front("C", "Validated tomorrow", validated_by="ana", validated_at="2999-01-01"),
    })
    result = CliRunner().invoke(main, ["lint", str(root)])
    assert result.exit_code == 0  # warnings and notes, no errors
    assert "b.md:4: validated_by: warning: is given without validated_at" in result.output
    assert "c.md:5: validated_at: warning: 2999-01-01 is in the future" in result.output
    assert "1 article(s) need validation" in result.output and ": A." in result.output
