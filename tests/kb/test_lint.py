"""Every lint rule, each with a fixture that breaks it, plus how problems are reported."""

import json
from datetime import date

import pytest
from click.testing import CliRunner

from cli import main
from kb.articles import load_knowledge_base
from kb.lint import RULES, lint
from tests.conftest import article_text

TSG_BODY = "## Symptoms\n\nIt fails.\n\n## Cause\n\nA reason.\n\n## Resolution\n\nFix it.\n"
GOOD = {
    "a-good/target.md": article_text("id: TARGET\ntitle: Target article\ntype: tsg\naudience: public",
                                   TSG_BODY),
}

# rule -> files that break it (added to GOOD). Each rule in RULES must appear here.
BROKEN: dict[str, dict[str, str]] = {
    "front-matter": {"bad.md": "no front matter here\n"},
    "unknown-field": {"bad.md": article_text("title: T\nprodcut: SQL")},
    "duplicate-field": {"bad.md": article_text("title: T\nowner: a\nowner: b")},
    "field-type": {"bad.md": article_text("title: T\ntags: just-one")},
    "invalid-value": {"bad.md": article_text("title: T\naudience: everyone")},
    "required-field": {"bad.md": article_text("type: tsg")},
    "invalid-id": {"bad.md": article_text("id: has space\ntitle: T")},
    "duplicate-id": {"bad.md": article_text("id: TARGET\ntitle: Another")},
    "encoding": {"bad.md": "(written as Latin-1 bytes by run_lint)"},
    "missing-section": {"bad.md": article_text("title: T\ntype: tsg", "## Symptoms\n\nx\n\n## Cause\n\ny\n")},
    "empty-section": {"bad.md": article_text("title: T\ntype: tsg",
                                             "## Symptoms\n\nx\n\n## Cause\n\ny\n\n## Resolution\n\n")},
    "missing-steps": {"bad.md": article_text("title: T\ntype: workflow", "- not\n- numbered\n")},
    "unknown-resolution-code": {"bad.md": article_text("title: T\nresolution_codes: [solved-by-magic]")},
    "broken-link": {"bad.md": article_text("title: T", "See [this](kb:NOPE).\n")},
    "broken-anchor": {"bad.md": article_text("title: T", "See [this](kb:TARGET#sec-nowhere).\n")},
    "related-missing": {"bad.md": article_text("title: T\nrelated: [NOPE]")},
    "superseded-missing": {"bad.md": article_text("title: T\nstatus: archived\nsuperseded_by: NOPE")},
    "superseded-not-archived": {"bad.md": article_text("title: T\nsuperseded_by: TARGET")},
    "self-reference": {"bad.md": article_text("id: SELF\ntitle: T\nrelated: [SELF]")},
    "public-links-internal": {
        "bad.md": article_text("title: T\naudience: public", "See [internal](kb:PRIV).\n"),
        "priv.md": article_text("id: PRIV\ntitle: Private"),
    },
    "duplicate-title": {"bad.md": article_text("title: article TARGET")},
    "review-overdue": {"bad.md": article_text("title: T\nreview_by: 2020-01-01")},
    "unfilled-template": {"bad.md": article_text("title: T", "## Cause\n\n> TODO: Explain why it happens.\n")},
    "near-duplicate-title": {
        "bad.md": article_text("title: Outlook keeps prompting for password after mailbox migration"),
        "a-first.md": article_text("id: FIRST\ntitle: Outlook keeps prompting for a password after the mailbox migration to Exchange Online"),
    },
    "internal-procedure": {"bad.md": article_text("title: T\naudience: public",
                                                  "Close the case with `workaround-provided`.\n")},
    "taxonomy": {},  # broken through the taxonomy file itself, below
}
WARNINGS = {"superseded-not-archived", "public-links-internal", "duplicate-title", "review-overdue",
            "unfilled-template", "near-duplicate-title", "internal-procedure"}


def test_every_rule_has_a_breaking_fixture():
    assert set(BROKEN) == set(RULES)


def run_lint(make_kb, files, taxonomy=None):
    root = make_kb({**GOOD, **files})
    if files is BROKEN["encoding"]:
        (root / "bad.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    if taxonomy is not None:
        (root / "resolution-codes.yaml").write_text(taxonomy)
    return lint(load_knowledge_base(root), today=date(2026, 11, 23))


def test_the_good_fixture_is_clean(make_kb):
    assert run_lint(make_kb, {}) == []


@pytest.mark.parametrize("rule", [r for r in BROKEN if r != "taxonomy"])
def test_rule_fires_on_its_fixture(make_kb, rule):
    problems = run_lint(make_kb, BROKEN[rule])
    fired = [p for p in problems if p.rule == rule]
    assert fired, [str(p) for p in problems]
    assert all(p.path.endswith("bad.md") for p in fired)
    assert all(p.severity == ("warning" if rule in WARNINGS else "error") for p in fired)


@pytest.mark.parametrize("taxonomy,message", [
    ("resolution_codes:\n  - code: x\n    name: X\n", "description"),
    ("resolution_codes:\n  - code: x\n    name: X\n    description: d\n    requires_article: maybe\n",
     "true or false"),
    ("resolution_codes:\n  - {code: x, name: X, description: d}\n  - {code: x, name: Y, description: e}\n",
     "defined twice"),
    ("resolution_codes:\n  - {code: x, name: X, description: d, needs_article: true}\n", "requires_article"),
    ("codes: []\n", "resolution_codes"),
    ("resolution_codes: [\n", "valid YAML"),
])
def test_taxonomy_problems_are_reported(make_kb, taxonomy, message):
    problems = [p for p in run_lint(make_kb, {}, taxonomy) if p.rule == "taxonomy"]
    assert any(message in p.message or message == p.field for p in problems), [str(p) for p in problems]


def test_problems_carry_file_line_and_field(make_kb):
    problems = run_lint(make_kb, {"bad.md": article_text("title: T\ntype: tsg\nproduct: SQL\nprodcut: SQL")})
    unknown = next(p for p in problems if p.rule == "unknown-field")
    assert str(unknown).startswith(f"{unknown.path}:5: prodcut: unknown field; did you mean 'product'?")


def test_cli_reports_everything_and_exits_1_on_errors(make_kb):
    root = make_kb({**GOOD, **BROKEN["unknown-field"], **{"more/bad2.md": "---\n: [\n---\n"}})
    result = CliRunner().invoke(main, ["lint", str(root)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert any("bad.md:3: prodcut:" in line for line in lines)
    assert any("bad2.md:" in line for line in lines)


def test_cli_exits_0_on_warnings_only(make_kb):
    root = make_kb({**GOOD, **BROKEN["review-overdue"]})
    result = CliRunner().invoke(main, ["lint", str(root)])
    assert result.exit_code == 0, result.output
    assert "warning: review was due on 2020-01-01" in result.output


def test_cli_json_format(make_kb):
    root = make_kb({**GOOD, **BROKEN["broken-link"]})
    result = CliRunner().invoke(main, ["lint", str(root), "--format", "json"])
    data = json.loads(result.stdout)
    assert {"path", "line", "field", "message", "severity", "rule"} <= set(data[0])
    assert data[0]["rule"] == "broken-link"


def test_cli_limits_reports_to_the_given_files(make_kb):
    root = make_kb({**GOOD, **BROKEN["broken-link"], "other.md": article_text("title: X\ntgas: []")})
    result = CliRunner().invoke(main, ["lint", "--articles", str(root), str(root / "bad.md")])
    assert "bad.md" in result.output and "other.md" not in result.output


def test_internal_articles_and_lookalike_words_may_name_resolution_codes(make_kb):
    files = {"internal.md": article_text("id: INT\ntitle: Closing\naudience: internal",
                                         "Close with `workaround-provided`.\n"),
             "public.md": article_text("id: PUB\ntitle: Setup\naudience: public",
                                       "A workaround-provided-by-vendor script; a configuration change.\n")}
    assert [p for p in run_lint(make_kb, files) if p.rule == "internal-procedure"] == []
