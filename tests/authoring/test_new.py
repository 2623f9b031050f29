"""`kb new`: ids, file names, never overwriting, and search before create."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import main
from cli.authoring import index_lookup
from kb.authoring import (
    LIKELY_DUPLICATE,
    Similar,
    create_article,
    next_article_id,
    similar_articles,
    slug_for_title,
    used_ids,
)
from kb.errors import KBError
from tests.conftest import article_text


def test_next_id_is_one_more_than_the_highest(base_kb):
    assert next_article_id(base_kb) == "KB0013"


def test_ids_of_broken_files_and_file_names_count(make_kb):
    root = make_kb({
        "broken.md": "---\nid: KB0420\ntitle: [unclosed\n---\nBody\n",
        "KB0500.md": article_text("title: id from the file name"),
        "notes/README.md": "---\nid: KB9999\n---\n",  # not an article
        "other.md": article_text("id: kb0007\ntitle: lower case prefix"),
    })
    assert {"KB0420", "KB0500", "kb0007"} <= used_ids(root)
    assert next_article_id(root) == "KB0501"


def test_first_id_in_an_empty_knowledge_base(make_kb):
    assert next_article_id(make_kb({})) == "KB0001"


def test_ids_keep_growing_past_four_digits(make_kb):
    assert next_article_id(make_kb({"a.md": article_text("id: KB9999\ntitle: T")})) == "KB10000"


@pytest.mark.parametrize("title,slug", [
    ("Outlook won't start", "outlook-won-t-start"),
    ("Café: Überweisung schlägt fehl (0x80070005)", "cafe-uberweisung-schlagt-fehl-0x80070005"),
    ("!!!", "article"),
    ("word " * 40, "-".join(["word"] * 12)),
])
def test_slug_for_title(title, slug):
    assert slug_for_title(title) == slug
    assert len(slug_for_title(title)) <= 60


def test_create_writes_where_asked_and_refuses_to_overwrite(base_kb):
    created = create_article(base_kb, "tsg", "Printer offline", subdir="printing/queues")
    assert created.path == base_kb / "printing" / "queues" / "printer-offline.md"
    assert created.id == "KB0013"
    before = created.path.read_text()
    with pytest.raises(KBError, match="already exists"):
        create_article(base_kb, "how-to", "Printer offline!", subdir="printing/queues")
    assert created.path.read_text() == before


@pytest.mark.parametrize("subdir", ["../outside", "/tmp", "a/../../b"])
def test_folders_outside_the_knowledge_base_are_refused(base_kb, subdir):
    with pytest.raises(KBError, match="outside"):
        create_article(base_kb, "tsg", "Escape", subdir=subdir)


def test_bad_input_is_refused(base_kb, tmp_path):
    with pytest.raises(KBError, match="title is empty"):
        create_article(base_kb, "tsg", "   ")
    with pytest.raises(KBError, match="audience"):
        create_article(base_kb, "tsg", "T", audience="everyone")
    with pytest.raises(KBError, match="No knowledge base folder"):
        create_article(tmp_path / "missing", "tsg", "T")


def test_similar_titles_without_an_index(base_kb):
    result = similar_articles(base_kb, "SQL Server deadlock error 1205")
    assert result.source == "titles"
    assert result.articles[0].id == "KB0007"
    assert result.articles[0].similarity >= LIKELY_DUPLICATE
    assert [s.id for s in result.duplicates] == ["KB0007"]
    assert all(s.id != "KB0012" for s in result.duplicates)


def test_archived_articles_are_not_suggested(make_kb):
    root = make_kb({"old.md": article_text("id: KB0001\ntitle: Reset a password\nstatus: archived")})
    assert similar_articles(root, "Reset a password").articles == []


def test_the_index_is_used_when_there_is_one(base_kb):
    calls = []

    def lookup(title, text, limit):
        calls.append((title, text, limit))
        return [Similar("KB0007", "Analyse SQL Server deadlocks (Error 1205)", 0.8)]

    result = similar_articles(base_kb, "Deadlocks", "Error 1205 in the log", lookup=lookup)
    assert result.source == "index" and result.articles[0].id == "KB0007"
    assert calls == [("Deadlocks", "Error 1205 in the log", 5)]


def test_cli_prints_the_path_and_warns_about_duplicates(base_kb):
    result = CliRunner().invoke(main, ["new", "tsg", "SQL Server deadlocks error 1205",
                                       "--articles", str(base_kb), "--index", str(base_kb / "no-index"),
                                       "--product", "SQL Server", "--audience", "public",
                                       "--dir", "database"])
    assert result.exit_code == 0, result.output
    path = base_kb / "database" / "sql-server-deadlocks-error-1205.md"
    assert result.stdout.strip() == path.as_posix()
    assert "KB0007" in result.stderr and "likely duplicate" in result.stderr
    assert "Created KB0013" in result.stderr
    text = path.read_text()
    assert "audience: public" in text and 'product: "SQL Server"' in text and "status: draft" in text


def test_cli_refuses_to_overwrite_with_a_clean_error(base_kb):
    args = ["new", "how-to", "Same title", "--articles", str(base_kb), "--index", str(base_kb / "no-index")]
    assert CliRunner().invoke(main, args).exit_code == 0
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1
    assert "already exists" in again.stderr and "Traceback" not in again.output


def test_cli_rejects_unknown_types(base_kb):
    result = CliRunner().invoke(main, ["new", "essay", "T", "--articles", str(base_kb)])
    assert result.exit_code == 2 and "essay" in result.stderr


def test_similar_articles_from_a_real_index(base_kb, tmp_path):
    from indexer import build_index

    build_index(base_kb, tmp_path / "index")
    result = similar_articles(base_kb, "SQL Server deadlock error 1205", "Transaction was deadlocked",
                              lookup=index_lookup(tmp_path / "index"))
    assert result.source == "index"
    assert result.articles[0].id == "KB0007" and result.articles[0].likely_duplicate


def test_reserved_ids_are_never_handed_out_again(make_kb):
    from kb.authoring import RESERVED_IDS, reserve_article_id

    root = make_kb({"a.md": article_text("id: KB0003\ntitle: T")})
    assert [reserve_article_id(root) for _ in range(3)] == ["KB0004", "KB0005", "KB0006"]
    assert (root / RESERVED_IDS / "KB0005").is_file()
    assert next_article_id(root) == "KB0007"  # even though no file uses KB0004-KB0006
    (root / RESERVED_IDS / "KB0010").touch()  # reserved by another process a moment ago
    assert reserve_article_id(root) == "KB0011"
