"""`kb import zendesk`: a Help Center export (several locales, drafts, sections, HTML with tables,
code and images) becomes kb articles; re-running updates them; what can't be mapped is reported."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from cli import main
from kb.articles import load_knowledge_base
from kb.errors import KBError
from kb.importers.zendesk import import_zendesk
from tests.trees import TREES

EXPORT = TREES / "zendesk"


@pytest.fixture
def articles(tmp_path):
    root = tmp_path / "articles"
    root.mkdir()
    (root / "kb.yaml").write_text("strict: true\nextra_fields: [zendesk]\n")
    return root


@pytest.fixture
def export(tmp_path):
    return shutil.copytree(EXPORT, tmp_path / "export")


def test_every_article_in_every_locale_becomes_a_valid_kb_article(articles, export):
    report = import_zendesk(export, articles)
    assert (len(report.created), report.locales, report.drafts, report.internal) == (6, {"en-us", "de"}, 2, 1)
    kb = load_knowledge_base(articles)
    assert kb.errors == [], [str(p) for p in kb.errors]
    assert set(kb.articles) == {"zd-360001000001", "zd-360001000002", "zd-360001000003", "zd-360001000004",
                                "zd-360001000001-de", "zd-360001000002-de"}
    reset = kb.get("zd-360001000001")
    assert reset.path == ("zendesk/en-us/contoso-sync/getting-started/"
                          "360001000001-reset-your-contoso-sync-password.md")
    assert (reset.product, reset.component, reset.tags) == ("Contoso Sync", "Getting started", ("password", "sign-in"))
    assert (reset.audience, reset.status, reset.updated.isoformat()) == ("public", "published", "2024-05-02")
    assert reset.extra["zendesk"]["url"].startswith("https://contoso.zendesk.com/hc/en-us/articles/360001000001")
    german = kb.get("zd-360001000001-de")
    assert german.title == "Kennwort für Contoso Sync zurücksetzen" and german.component == "Erste Schritte"
    assert kb.get("zd-360001000002-de").status == "draft", "a draft translation stays a draft"
    assert kb.get("zd-360001000003").status == "draft"
    escalation = kb.get("zd-360001000004")
    assert escalation.audience == "internal" and escalation.component == "Escalations"
    assert escalation.path.startswith("zendesk/en-us/contoso-sync/troubleshooting/escalations/")


def test_html_becomes_markdown_with_tables_code_images_and_links(articles, export):
    import_zendesk(export, articles)
    kb = load_knowledge_base(articles)
    sync = kb.get("zd-360001000002")
    assert "```powershell\nRestart-Service -Name ContosoSync\n```" in sync.body
    assert "| 4.x | Sign out \\| sign in again |" in sync.body, "a pipe inside a cell stays in its cell"
    assert sync.outline.sections["symptoms"].startswith("The tray icon turns red")
    assert [link[0] for link in sync.outline.links] == ["zd-360001000001"]
    reset = kb.get("zd-360001000001")
    assert ("[Image: The Forgot password link](https://contoso.zendesk.com/hc/article_attachments/"
            "360009000001/forgot-password.png)") in reset.body
    assert "   - The code expires after `10` minutes." in reset.body
    assert [link[0] for link in kb.get("zd-360001000001-de").outline.links] == ["zd-360001000002-de"]


def test_what_could_not_be_mapped_is_reported_article_by_article(articles, export):
    report = import_zendesk(export, articles)
    unmapped = [str(u) for u in report.unmapped]
    escalation = [u for u in unmapped if u.startswith("article 360001000004 (en-us)")]
    assert any("embedded frame" in u for u in escalation)
    assert any("a form left out" in u for u in escalation) and any("a script left out" in u for u in escalation)
    assert any("merged cells" in u for u in escalation)
    assert any("360009999999, which is not in this export" in u for u in escalation)
    assert any("360001999999 (fr)" in u and "not in the export" in u for u in unmapped)
    body = load_knowledge_base(articles).get("zd-360001000004").body
    assert "trackEscalation" not in body and "<form" not in body and "youtube.com/embed/abc123" in body


def test_running_the_import_again_updates_instead_of_duplicating(articles, export):
    import_zendesk(export, articles)
    again = import_zendesk(export, articles)
    assert (again.created, again.updated, again.unchanged) == ([], [], 6)
    pages = json.loads((export / "articles-en-us.json").read_text())
    moved = pages[0]["articles"][1]
    moved["title"] = "Sync stops with ERR_SYNC_42 when a token expires"
    moved["section_id"] = 360000200001
    moved["edited_at"] = moved["updated_at"] = "2024-07-01T09:00:00Z"
    (export / "articles-en-us.json").write_text(json.dumps(pages))
    third = import_zendesk(export, articles)
    # Both locales of the article moved to the new section; the other four are untouched.
    assert (len(third.created), len(third.updated), third.unchanged) == (0, 2, 4)
    assert "zendesk/en-us/contoso-sync/troubleshooting/360001000002-sync-error-err-sync-42-after-a-token-expires.md" \
        in third.removed
    files = sorted(p.name for p in articles.rglob("*.md"))
    assert len(files) == 6
    kb = load_knowledge_base(articles)
    assert kb.errors == []
    assert kb.get("zd-360001000002").title == "Sync stops with ERR_SYNC_42 when a token expires"
    assert kb.get("zd-360001000002").component == "Getting started"


def test_the_command_reports_and_dry_run_writes_nothing(articles, export):
    runner = CliRunner()
    dry = runner.invoke(main, ["import", "zendesk", str(export), "--articles", str(articles), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run: 6 article(s) in 2 locale(s)" in dry.stdout and not list(articles.rglob("*.md"))
    result = runner.invoke(main, ["import", "zendesk", str(export), "--articles", str(articles)])
    assert result.exit_code == 0 and "6 created" in result.stdout
    assert "Could not be mapped" in result.stderr and "hint:" not in result.stderr
    (articles / "kb.yaml").unlink()
    again = runner.invoke(main, ["import", "zendesk", str(export), "--articles", str(articles)])
    assert "6 unchanged" in again.stdout and "extra_fields: [zendesk]" in again.stderr


@pytest.mark.parametrize("files,message", [
    ({}, "No .json files"),
    ({"a.json": "{not json"}, "holds no Help Center articles"),
    ({"a.json": '{"sections": []}'}, "holds no Help Center articles"),
])
def test_an_unusable_export_is_a_clear_error(tmp_path, articles, files, message):
    folder = tmp_path / "bad-export"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    with pytest.raises(KBError, match=message):
        import_zendesk(folder, articles)


def test_an_import_never_writes_outside_the_articles_folder(articles, export):
    with pytest.raises(KBError, match="outside"):
        import_zendesk(export, articles, into="../elsewhere")


def test_imported_articles_index_and_only_public_published_ones_are_public(articles, export, tmp_path):
    from indexer import Searcher, build_index

    import_zendesk(export, articles)
    report = build_index(articles, tmp_path / "index", embed=False)
    assert not report.errors and (report.internal_count, report.public_count) == (6, 3)
    with Searcher(tmp_path / "index", check_interval=0) as s:
        assert [h.id for h in s.search("ERR_SYNC_42 token expires").hits][:1] == ["zd-360001000002"]
        assert s.search("escalation checklist").total == 0
