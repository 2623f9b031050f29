"""Trees written for MkDocs, Docusaurus, Hugo and Microsoft Learn load as they are, and load
correctly with the mapping file the authors' guide documents for each."""

from __future__ import annotations

from datetime import date

import pytest

from kb.articles import load_knowledge_base, path_id
from kb.lint import lint
from kb.mapping import load_mapping
from tests.trees import LAYOUTS, copy_tree


def by_path(kb) -> dict:
    return {a.path: a for a in kb.articles.values()}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_tree_as_it_is_loads_with_warnings_only(tmp_path, layout):
    root = copy_tree(layout, tmp_path / layout, mapping=False)
    kb = load_knowledge_base(root)
    if layout == "docusaurus":
        # Its ids are unique per folder only: the one real conflict, which the mapping settles.
        assert [(p.rule, p.path.rsplit("/", 1)[-1]) for p in kb.errors] == [("duplicate-id", "intro.md")]
    else:
        assert kb.errors == [], [str(p) for p in kb.errors]
    assert kb.articles, "every page with a title is an article"
    assert all(a.title for a in kb.articles.values())


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_documented_mapping_is_valid_and_silences_the_known_keys(tmp_path, layout):
    root = copy_tree(layout, tmp_path / layout)
    assert load_mapping(root).problems == []
    kb = load_knowledge_base(root)
    assert kb.errors == []
    unknown = [str(p) for p in kb.problems if p.rule == "unknown-field"]
    assert unknown == [], unknown
    assert all(a.audience == "public" for a in kb.articles.values())


def test_mkdocs_pages_without_front_matter_take_their_heading_as_title(tmp_path):
    kb = load_knowledge_base(copy_tree("mkdocs", tmp_path / "docs"))
    pages = by_path(kb)
    assert set(pages) == {"index.md", "README.md", "vpn/vpn-drops-after-sleep.md", "accounts/reset-password.md"}
    vpn = pages["vpn/vpn-drops-after-sleep.md"]
    assert vpn.title == "VPN tunnel drops after the laptop wakes from sleep"
    assert vpn.id == "vpn.vpn-drops-after-sleep" and vpn.product == "vpn"
    assert "# VPN tunnel" not in vpn.body, "the heading became the title, not a second title in the body"
    assert vpn.body.count("\n") == (tmp_path / "docs/vpn/vpn-drops-after-sleep.md").read_text().count("\n")
    reset = pages["accounts/reset-password.md"]
    assert (reset.status, reset.tags) == ("published", ("accounts", "password"))  # status: new
    assert reset.extra["hide"] == ["toc"] and reset.extra["description"].startswith("Self-service")


def test_docusaurus_ids_come_from_paths_and_drafts_stay_drafts(tmp_path):
    kb = load_knowledge_base(copy_tree("docusaurus", tmp_path / "docs"))
    pages = by_path(kb)
    assert pages["intro.md"].id == "intro" and pages["guides/intro.md"].id == "guides.intro"
    assert pages["guides/offline-mode.md"].status == "draft"
    assert pages["guides/install.md"].updated == date(2024, 5, 14)
    assert pages["guides/install.md"].status == "published"
    assert "guides/_shared-steps.md" not in pages


def test_hugo_reads_toml_front_matter_and_its_dates(tmp_path):
    kb = load_knowledge_base(copy_tree("hugo", tmp_path / "content"))
    pages = by_path(kb)
    assert "_index.md" not in pages
    printer = pages["docs/printer-offline.md"]
    assert printer.title == "Printer shows Offline after a Windows update (0x00000709)"
    assert printer.updated == date(2024, 6, 11)  # lastmod before date
    assert printer.tags == ("printing", "windows-update", "troubleshooting")
    assert printer.type == "reference" and printer.extra["type"] == "docs"
    assert printer.line_of("title") == 2
    assert pages["docs/scanner-setup.md"].status == "draft"
    assert pages["posts/release-notes-2024.md"].updated == date(2024, 1, 15)


def test_microsoft_learn_types_products_dates_and_owners_come_from_the_mapping(tmp_path):
    kb = load_knowledge_base(copy_tree("mslearn", tmp_path / "mslearn"))
    pages = by_path(kb)
    assert "includes/third-party-disclaimer.md" not in pages
    calendar = pages["Outlook/Client/calendars/shared-calendar-not-updating.md"]
    assert (calendar.type, calendar.product, calendar.owner) == ("tsg", "Outlook", "jdoe")
    assert calendar.updated == date(2024, 3, 18)
    assert calendar.tags == ("Outlook for Microsoft 365", "Exchange Online")
    assert calendar.extra["audience"] == "ITPro", "the tree's own audience key is kept, not read as kb's"
    teams = pages["Teams/meetings/can't-join-meeting-error-caa20004.md"]
    assert teams.id == "Teams.meetings.cant-join-meeting-error-caa20004"
    assert teams.updated == date(2024, 7, 9) and teams.product == "Teams"
    assert pages["Teams/meetings/meeting-recording-overview.md"].type == "reference"
    assert lint(kb) is not None


def test_microsoft_learn_without_a_mapping_keeps_every_article_internal(tmp_path):
    kb = load_knowledge_base(copy_tree("mslearn", tmp_path / "mslearn", mapping=False))
    assert kb.articles and all(a.audience == "internal" for a in kb.articles.values())
    audience = [p for p in kb.problems if p.field == "audience"]
    assert audience and all(not p.is_error and "read as 'internal'" in p.message for p in audience)


@pytest.mark.parametrize("rel", [
    "a.md", "Outlook/Client/user-interface/can't-search-additional-mailbox.md", "Café/Übersicht (alt).md",
    "日本語/ページ.md", "x/" * 60 + "very-long-name.md", "..md",
])
def test_ids_derived_from_paths_are_stable_safe_and_short_enough(rel):
    from kb.articles import is_usable_id

    article_id = path_id(rel)
    assert article_id == path_id(rel)
    assert is_usable_id(article_id), article_id
    assert path_id(rel.replace(".md", "-2.md")) != article_id


def test_unknown_fields_are_kept_and_strict_makes_them_errors(tmp_path):
    root = tmp_path / "kb"
    root.mkdir()
    (root / "a.md").write_text("---\ntitle: T\nms.topic: troubleshooting\nweight: 0042\n---\nBody\n")
    lenient = load_knowledge_base(root)
    assert lenient.articles["a"].extra == {"ms.topic": "troubleshooting", "weight": "0042"}
    assert [(p.field, p.is_error) for p in lenient.problems if p.rule == "unknown-field"] == [
        ("ms.topic", False), ("weight", False)]
    strict = load_knowledge_base(root, strict=True)
    assert strict.articles == {} and [p.field for p in strict.errors] == ["ms.topic", "weight"]


def test_a_broken_mapping_file_is_reported_with_its_line(tmp_path):
    root = tmp_path / "kb"
    root.mkdir()
    (root / "kb.yaml").write_text("fields:\n  type:\n    from: ms.topic\n    valeus: {a: tsg}\n")
    problems = load_knowledge_base(root).errors
    assert [(p.line, p.field) for p in problems] == [(4, "fields.type.valeus")]
    assert "did you mean 'values'" in problems[0].message


def test_kb_lint_passes_a_tree_as_it_is_and_strict_fails_it(tmp_path):
    from click.testing import CliRunner

    from cli import main

    root = copy_tree("mslearn", tmp_path / "mslearn", mapping=False)
    lenient = CliRunner().invoke(main, ["lint", str(root)])
    assert lenient.exit_code == 0, lenient.output
    assert "warning: unknown field" in lenient.output
    strict = CliRunner().invoke(main, ["lint", "--strict", str(root)])
    assert strict.exit_code == 1 and "ms.topic: unknown field" in strict.output
