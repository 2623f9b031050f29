"""Every lint rule, each with a fixture that breaks it, plus how problems are reported."""

import json
from datetime import date

import pytest
from click.testing import CliRunner

from cli import main
from kb.articles import FORMAT_RULES, load_knowledge_base
from kb.lint import RULES, lint
from tests.conftest import article_text

TSG_BODY = "## Symptoms\n\nIt fails.\n\n## Cause\n\nA reason.\n\n## Resolution\n\nFix it.\n"
GOOD = {
    "a-good/target.md": article_text("id: TARGET\ntitle: Target article\ntype: tsg\naudience: public",
                                   TSG_BODY),
}

# rule -> files that break it (added to GOOD). Each rule in RULES must appear here.
BROKEN: dict[str, dict[str, str]] = {
    "front-matter": {"bad.md": "---\ntitle: [unclosed\n---\nbody\n"},
    "no-front-matter": {"bad.md": "# A page written for MkDocs\n\nNo front matter.\n"},
    "not-an-article": {"bad.md": "A snippet: no front matter, no title heading.\n"},
    "mapping": {},  # broken through kb.yaml itself, below
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
    "validation-record": {"bad.md": article_text("title: T\nvalidated_by: ana")},
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
            "validation-record", "unfilled-template", "near-duplicate-title", "internal-procedure"}


def test_every_rule_has_a_breaking_fixture():
    assert set(BROKEN) == set(RULES)


def run_lint(make_kb, files, taxonomy=None, *, strict: bool | None = None, mapping: str | None = None):
    root = make_kb({**GOOD, **files})
    if files is BROKEN["encoding"]:
        (root / "bad.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    if taxonomy is not None:
        (root / "resolution-codes.yaml").write_text(taxonomy)
    if mapping is not None:
        (root / "kb.yaml").write_text(mapping)
    return lint(load_knowledge_base(root, strict=strict), today=date(2026, 11, 23))


def test_the_good_fixture_is_clean(make_kb):
    assert run_lint(make_kb, {}) == []


@pytest.mark.parametrize("rule", [r for r in BROKEN if r not in ("taxonomy", "mapping")])
def test_rule_fires_on_its_fixture_in_the_strict_format(make_kb, rule):
    problems = run_lint(make_kb, BROKEN[rule], strict=True)
    fired = [p for p in problems if p.rule == rule]
    assert fired, [str(p) for p in problems]
    assert all(p.path.endswith("bad.md") for p in fired)
    assert all(p.severity == ("warning" if rule in WARNINGS else "error") for p in fired)


@pytest.mark.parametrize("rule", sorted(FORMAT_RULES))
def test_format_rules_are_warnings_unless_strict(make_kb, rule):
    fired = [p for p in run_lint(make_kb, BROKEN[rule]) if p.rule == rule]
    if rule == "no-front-matter":
        assert fired == [], "a page without front matter but with a '# Title' is simply an article"
    else:
        assert fired and all(p.severity == "warning" for p in fired), [str(p) for p in fired]
    mapped = [p for p in run_lint(make_kb, BROKEN[rule], mapping="strict: true\n") if p.rule == rule]
    assert mapped and all(p.is_error for p in mapped), "kb.yaml's strict: true is the strict format"


def test_format_rules_are_all_listed():
    assert FORMAT_RULES <= set(RULES)


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


@pytest.mark.parametrize("mapping,line,where,message", [
    ("strict: maybe\n", 1, "strict", "true or false"),
    ("strickt: true\n", 1, "strickt", "did you mean 'strict'"),
    ("fields:\n  tpye: ms.topic\n", 2, "fields.tpye", "did you mean 'type'"),
    ("fields:\n  type:\n    from: ms.topic\n    values: {troubleshooting: tgs}\n", 4,
     "fields.type.values.troubleshooting", "did you mean 'tsg'"),
    ("fields:\n  audience: {default: everyone}\n", 2, "fields.audience.default", "not one of"),
    ("fields:\n  updated: {from: ms.date, format: mm/dd/yyyy}\n", 2, "fields.updated.format", "%m/%d/%Y"),
    ("fields:\n  tags: {folder: 1}\n", 2, "fields.tags.folder", "single-value"),
    ("fields: [\n", 2, "file", "valid YAML"),
])
def test_mapping_problems_name_file_line_and_setting(make_kb, mapping, line, where, message):
    problems = [p for p in run_lint(make_kb, {}, mapping=mapping) if p.rule == "mapping"]
    assert problems, "a broken kb.yaml is reported"
    first = problems[0]
    assert first.path.endswith("kb.yaml") and first.is_error
    assert (first.line, first.field) == (line, where) and message in first.message, str(first)


def test_problems_carry_file_line_and_field(make_kb):
    problems = run_lint(make_kb, {"bad.md": article_text("title: T\ntype: tsg\nproduct: SQL\nprodcut: SQL")},
                        strict=True)
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
