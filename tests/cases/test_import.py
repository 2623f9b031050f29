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
        ,,C,3,,,,
        Printer offline,Spooler stops,Z,9,,,,
        Outlook password prompts,After the move,A,1,closed,solved-existing-article,KB0001,2026-01-06T10:00Z
        Teams crashes,On start,C,3,closed,solved-existing-article,,
        Disk full,Log volume,C,3,closed,configuraton-change,,
        SQL deadlocks,Error 1205,C,3,,,,yesterday
        """)
    report = importer.import_file(engine, path, taxonomy, known_articles={"KB0001"})
    problems = [str(p) for p in report.problems]
    assert "line 4: title: or 'description' is required: give at least one of them" in problems
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
    assert problems[0].startswith("line 3 (byte 38): row: is not valid JSON: Expecting property name")
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


# A trigger that makes the database refuse one row, in each backend's dialect: (create, drop).
FAILING_TRIGGER = {
    "sqlite": (["CREATE TRIGGER boom BEFORE INSERT ON cases WHEN NEW.title = 'row 5' "
                "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"], "DROP TRIGGER boom"),
    "postgresql": (["CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "IF NEW.title = 'row 5' THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; END $$",
                    "CREATE TRIGGER boom BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION boom()"],
                   "DROP TRIGGER boom ON cases"),
}


def test_a_crash_mid_batch_leaves_no_partial_batch(engine, taxonomy, tmp_path):
    """The database fails on the 5th row: batch 1 (rows 1-3) stays, rows 4-5 of batch 2 don't."""
    create, drop = FAILING_TRIGGER[engine.dialect.name]
    with engine.begin() as conn:
        for statement in create:
            conn.exec_driver_sql(statement)
    rows = "".join(json.dumps({"title": f"row {n}", "external_ref": f"R{n}"}) + "\n" for n in range(1, 8))
    path = write(tmp_path, "cases.jsonl", rows)
    with pytest.raises(sa.exc.DatabaseError, match="disk on fire"):
        importer.import_file(engine, path, taxonomy, batch_size=3)
    assert titles(engine) == ["row 1", "row 2", "row 3"]

    with engine.begin() as conn:
        conn.exec_driver_sql(drop)
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
    path.write_bytes(b"title\nCaf\xe9 down\nPrinter offline\n")
    report = importer.import_file(engine, path, taxonomy)
    assert [str(p) for p in report.problems] == [
        "line 2 (byte 6): row: is not UTF-8 text (byte 0xe9 at byte 9 of the file); the row was not loaded: "
        "save the file as UTF-8 and import again"]
    assert titles(engine) == ["Printer offline"]


def _numbered_rows(count: int) -> list[bytes]:
    return [f"R{n},Case number {n},Spooler stops on host {n}\n".encode() for n in range(1, count + 1)]


def test_one_bad_byte_in_row_150_of_300_loses_only_that_row(engine, taxonomy, tmp_path):
    rows = _numbered_rows(300)
    rows[149] = rows[149].replace(b"Spooler", b"Spo\xffler")
    header = b"external_ref,title,description\n"
    path = tmp_path / "cases.csv"
    path.write_bytes(header + b"".join(rows))
    report = importer.import_file(engine, path, taxonomy, batch_size=40)
    offset = len(header) + sum(len(r) for r in rows[:149])
    [problem] = report.problems
    assert (problem.line, problem.offset) == (151, offset)
    bad_byte = offset + rows[149].index(b"\xff")
    assert f"at byte {bad_byte} of the file" in problem.message
    assert report.loaded == 299
    assert "from lines 2-150, 152-301; 1 bad row(s) (line 151)" in report.summary()
    assert len(titles(engine)) == 299 and "Case number 150" not in titles(engine)


def test_an_unterminated_quote_does_not_swallow_the_rows_after_it(engine, taxonomy, tmp_path):
    rows = _numbered_rows(20)
    rows[4] = b'R5,"Case number 5 with an opening quote,Spooler stops\n'
    rows[9] = b'R10,"Case ""ten"", quoted properly",Spooler stops\n'
    rows[14] = b'R15,Case number 15,"A description\nover two lines"\n'
    header = b"external_ref,title,description\n"
    path = tmp_path / "cases.csv"
    path.write_bytes(header + b"".join(rows))
    report = importer.import_file(engine, path, taxonomy)
    [problem] = report.problems
    assert (problem.line, problem.offset) == (6, len(header) + sum(len(r) for r in rows[:4]))
    assert "never closed" in problem.message or "not valid CSV" in problem.message
    assert report.loaded == 19
    loaded = titles(engine)
    assert 'Case "ten", quoted properly' in loaded and "Case number 20" in loaded
    assert lookup.list_cases(engine, text="Case number 15")[0].description == "A description\nover two lines"
    assert "from lines 2-5, 7-16, 18-22; 1 bad row(s) (line 6)" in report.summary()


def test_an_unterminated_quote_in_the_last_row_is_reported_not_loaded(engine, taxonomy, tmp_path):
    path = write(tmp_path, "cases.csv", 'title,description\nGood,Fine\nBad,"never closed\n')
    report = importer.import_file(engine, path, taxonomy)
    assert [(p.line, p.offset) for p in report.problems] == [(3, 28)]
    assert titles(engine) == ["Good"]


def test_a_bad_jsonl_line_is_reported_with_its_offset_and_the_rest_loads(engine, taxonomy, tmp_path):
    good = [json.dumps({"title": f"Case {n}"}).encode() + b"\n" for n in range(1, 6)]
    bad = b'{"title": "Caf\xe9"}\n'
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b"".join(good[:2]) + bad + b"".join(good[2:]))
    report = importer.import_file(engine, path, taxonomy)
    assert [(p.line, p.offset) for p in report.problems] == [(3, len(good[0]) + len(good[1]))]
    assert titles(engine) == [f"Case {n}" for n in range(1, 6)]


def test_closed_rows_must_not_close_before_they_open(engine, taxonomy, tmp_path):
    path = write(tmp_path, "cases.csv", """\
        title,status,resolution_code,created_at,closed_at
        A,closed,advisory-answered,2026-02-01,2026-01-01
        """)
    report = importer.import_file(engine, path, taxonomy)
    assert [str(p) for p in report.problems] == ["line 2: closed_at: is before created_at"]
