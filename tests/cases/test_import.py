"""Bulk import: bad rows reported by line and field, good rows loaded, batches all-or-nothing."""

from __future__ import annotations

import json
import textwrap

import pytest
import sqlalchemy as sa

from kb.cases import importer, lookup, store
from kb.cases.schema import cases
from kb.errors import KBError


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def titles(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(cases.c.title).order_by(cases.c.id)).scalars())


def test_csv_bad_rows_are_reported_by_line_and_field_and_good_rows_load(engine, taxonomy, tmp_path):
    path = write(tmp_path, "cases.csv", """\
        title,description,severity,priority,status,resolution_code,articles,created_at
        VPN drops every hour,"Users lose the tunnel.
        It reconnects by itself.",B,2,,,,2026-01-05
        ,No title here,C,3,,,,
        Printer offline,Spooler stops,Z,9,,,,
        Outlook password prompts,After the move,A,1,closed,solved-existing-article,KB0001,2026-01-06T10:00Z
        Teams crashes,On start,C,3,closed,solved-existing-article,,
        Disk full,Log volume,C,3,closed,configuraton-change,,
        SQL deadlocks,Error 1205,C,3,,,,yesterday
        """)
    report = importer.import_file(engine, path, taxonomy, known_articles={"KB0001"})
    problems = [str(p) for p in report.problems]
    assert "line 4: title: is required" in problems
    assert any(p.startswith("line 5: severity:") for p in problems)
    assert any(p.startswith("line 5: priority:") for p in problems)
    assert any(p.startswith("line 7: articles:") and "needs an article" in p for p in problems)
    assert any(p.startswith("line 8: resolution_code:") and "configuration-change" in p for p in problems)
    assert any(p.startswith("line 9: created_at:") for p in problems)
    assert report.bad_rows == 5 and report.loaded == 2
    assert titles(engine) == ["VPN drops every hour", "Outlook password prompts"]
    vpn, outlook = lookup.list_cases(engine, text="")[::-1]
    assert vpn.description == "Users lose the tunnel.\nIt reconnects by itself."
    assert (vpn.severity, vpn.priority, vpn.channel) == ("B", 2, "import")
    assert vpn.created_at.isoformat() == "2026-01-05T00:00:00"
    assert outlook.status == "closed" and outlook.solved_articles == ("KB0001",)
    assert outlook.closed_at >= outlook.created_at


def test_unknown_articles_are_row_errors_with_a_suggestion(engine, taxonomy, tmp_path):
    path = write(tmp_path, "c.jsonl", """\
        {"title": "A", "status": "closed", "resolution_code": "solved-existing-article", "articles": ["KB10"]}
        """)
    report = importer.import_file(engine, path, taxonomy, known_articles={"KB01", "KB11"})
    assert [str(p) for p in report.problems] == [
        "line 1: articles: 'KB10' is not an article; did you mean 'KB11'?"]


def test_jsonl_reports_unreadable_lines_and_unknown_keys(engine, taxonomy, tmp_path):
    path = write(tmp_path, "cases.jsonl", """\
        {"title": "First", "priority": "P2"}

        {"title": "Broken",
        ["not", "an", "object"]
        {"title": "Typo", "descripton": "x"}
        {"title": "Last", "status": "product-bug", "resolution_code": "product-bug-filed"}
        {"title": "Bug", "status": "resolved", "resolution_code": "product-bug-filed", "bug_reference": "B-1"}
        """)
    report = importer.import_file(engine, path, taxonomy)
    problems = [str(p) for p in report.problems]
    assert problems[0].startswith("line 3: row: is not valid JSON")
    assert problems[1] == "line 4: row: must be a JSON object with case fields"
    assert problems[2] == "line 5: descripton: unknown column; did you mean 'description'?"
    assert problems[3].startswith("line 6: status: 'product-bug' is not a case status")
    assert titles(engine) == ["First", "Bug"]
    assert store.get_case(engine, report.case_ids[0]).priority == 2


def test_a_misspelt_csv_column_loads_nothing(engine, taxonomy, tmp_path):
    path = write(tmp_path, "cases.csv", "title,descripton\nA,b\n")
    report = importer.import_file(engine, path, taxonomy)
    assert [str(p) for p in report.problems] == [
        "line 1: descripton: unknown column; did you mean 'description'?"]
    assert titles(engine) == []


def test_rows_with_too_many_values_are_reported(engine, taxonomy, tmp_path):
    path = write(tmp_path, "cases.csv", "title,product\nA,B,C\nGood,Outlook\n")
    report = importer.import_file(engine, path, taxonomy)
    assert [str(p) for p in report.problems] == ["line 2: row: has 3 values but the header has 2 columns"]
    assert titles(engine) == ["Good"]


def test_rerunning_an_import_skips_rows_already_loaded(engine, taxonomy, tmp_path):
    path = write(tmp_path, "cases.csv", "external_ref,title\nINC-1,A\nINC-2,B\nINC-1,Again\n")
    first = importer.import_file(engine, path, taxonomy)
    assert first.loaded == 2
    assert [str(p) for p in first.problems] == ["line 4: external_ref: 'INC-1' repeats line 2"]
    second = importer.import_file(engine, path, taxonomy)
    assert (second.loaded, second.skipped) == (0, 2)
    assert titles(engine) == ["A", "B"]


def test_a_crash_mid_batch_leaves_no_partial_batch(engine, taxonomy, tmp_path):
    """The database fails on the 5th row: batch 1 (rows 1-3) stays, rows 4-5 of batch 2 don't."""
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TRIGGER boom BEFORE INSERT ON cases WHEN NEW.title = 'row 5' "
                             "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
    rows = "".join(json.dumps({"title": f"row {n}", "external_ref": f"R{n}"}) + "\n" for n in range(1, 8))
    path = write(tmp_path, "cases.jsonl", rows)
    with pytest.raises(sa.exc.DatabaseError, match="disk on fire"):
        importer.import_file(engine, path, taxonomy, batch_size=3)
    assert titles(engine) == ["row 1", "row 2", "row 3"]

    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER boom")
    report = importer.import_file(engine, path, taxonomy, batch_size=3)
    assert (report.loaded, report.skipped) == (4, 3)
    assert titles(engine) == [f"row {n}" for n in range(1, 8)]


def test_format_comes_from_the_extension_or_the_option(tmp_path):
    assert importer.detect_format(tmp_path / "x.CSV") == "csv"
    assert importer.detect_format(tmp_path / "x.ndjson") == "jsonl"
    assert importer.detect_format(tmp_path / "x.txt", "csv") == "csv"
    with pytest.raises(KBError, match="--format"):
        importer.detect_format(tmp_path / "x.txt")


def test_a_file_that_is_not_utf8_says_so(engine, taxonomy, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(b"title\nCaf\xe9 down\n")
    with pytest.raises(KBError, match="not UTF-8"):
        importer.import_file(engine, path, taxonomy)


def test_closed_rows_must_not_close_before_they_open(engine, taxonomy, tmp_path):
    path = write(tmp_path, "cases.csv", """\
        title,status,resolution_code,created_at,closed_at
        A,closed,advisory-answered,2026-02-01,2026-01-01
        """)
    report = importer.import_file(engine, path, taxonomy)
    assert [str(p) for p in report.problems] == ["line 2: closed_at: is before created_at"]
