"""Bulk import of cases from CSV or JSON lines, validated row by row.

A bad row is reported with its line number and field and the good rows still load. Rows
are written in batches, one transaction each: a crash mid-batch rolls that batch back, so
nothing is half-written, and re-running the same file skips the rows that already loaded
(matched on ``external_ref``).

Historical cases may arrive resolved or closed, with their resolution code and the articles
that solved them: the same closing rules apply as in the case workspace, and those cases
teach :mod:`kb.cases.learning` from day one.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kb.cases import rules
from kb.cases.rules import CLOSED, DONE, CaseRuleError, LinkState
from kb.cases.schema import case_links, cases
from kb.cases.store import (
    CaseFieldError,
    clean_article_id,
    clean_case_fields,
    clean_text,
    format_case_id,
)
from kb.db import utcnow
from kb.errors import KBError
from kb.resolution_codes import Taxonomy

BATCH_SIZE = 500
FORMATS = ("csv", "jsonl")
# Every column an import file may have; "articles" lists the ids that solved the case and
# "related_articles" ids linked as related. Lists are separated by commas or semicolons.
COLUMNS = ("external_ref", "title", "description", "product", "severity", "priority", "status", "customer",
           "owner", "created_at", "resolved_at", "closed_at", "resolution_code", "resolution_notes",
           "bug_reference", "articles", "related_articles")


@dataclass(frozen=True)
class RowProblem:
    """Why one row didn't load: ``line N: field: message``."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass
class ImportReport:
    """What an import did: rows loaded, rows skipped as already imported, and bad rows."""

    loaded: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({p.line for p in self.problems})

    def summary(self) -> str:
        first_last = (f" ({format_case_id(self.case_ids[0])} to {format_case_id(self.case_ids[-1])})"
                      if self.case_ids else "")
        return (f"Loaded {self.loaded} case(s){first_last}; {self.bad_rows} bad row(s); "
                f"{self.skipped} already imported.")


@dataclass
class _Row:
    line: int
    case: dict
    links: list[tuple[str, bool]]


def detect_format(path: Path, fmt: str | None = None) -> str:
    """The file's format: as given, else from its extension."""
    if fmt:
        if fmt not in FORMATS:
            raise KBError(f"Unknown import format '{fmt}'; use {' or '.join(FORMATS)}.")
        return fmt
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise KBError(f"Can't tell the format of {path} from its extension; pass --format csv or --format jsonl.")


def read_rows(stream: io.TextIOBase, fmt: str, problems: list[RowProblem]) -> Iterator[tuple[int, dict]]:
    """Yield ``(line, {column: value})`` per record; unreadable records go to ``problems``."""
    if fmt == "csv":
        yield from _csv_rows(stream, problems)
    else:
        yield from _jsonl_rows(stream, problems)


def _unknown_column(name: str) -> str:
    hint = difflib.get_close_matches(name, COLUMNS, n=1)
    if hint:
        return f"unknown column; did you mean '{hint[0]}'?"
    return f"unknown column; columns are {', '.join(COLUMNS)}"


def _csv_rows(stream: io.TextIOBase, problems: list[RowProblem]) -> Iterator[tuple[int, dict]]:
    reader = csv.reader(stream)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        problems.append(RowProblem(1, "header", f"is not valid CSV: {exc}"))
        return
    unknown = [h for h in header if h not in COLUMNS]
    for name in unknown:
        message = _unknown_column(name) if name else "a column has no name"
        problems.append(RowProblem(1, name or "header", message))
    if unknown:
        return  # a misspelt column would silently drop data in every row
    while True:
        start = reader.line_num + 1  # a quoted field may span lines: report where the record starts
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(RowProblem(start, "row", f"is not valid CSV ({exc}); the rest of the file "
                                                     "was not read"))
            return
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            problems.append(RowProblem(start, "row", f"has {len(values)} values but the header has "
                                                     f"{len(header)} columns"))
            continue
        yield start, dict(zip(header, values, strict=True))


def _jsonl_rows(stream: io.TextIOBase, problems: list[RowProblem]) -> Iterator[tuple[int, dict]]:
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except ValueError as exc:
            problems.append(RowProblem(number, "row", f"is not valid JSON: {exc}"))
            continue
        if not isinstance(value, dict):
            problems.append(RowProblem(number, "row", "must be a JSON object with case fields"))
            continue
        unknown = [k for k in value if k not in COLUMNS]
        if unknown:
            for name in unknown:
                problems.append(RowProblem(number, str(name)[:60], _unknown_column(str(name))))
            continue
        yield number, value


def _timestamp(name: str, value: object) -> datetime | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            message = f"'{text[:40]}' is not a date; use ISO 8601, e.g. 2026-03-01T14:30:00Z"
            raise CaseFieldError(name, message) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def _id_list(value: object) -> list[str]:
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else str(value).replace(";", ",").split(",")
    return [clean_article_id(item) for item in items if str(item).strip()]


def validate_row(line: int, raw: dict, taxonomy: Taxonomy, known_articles: Collection[str] | None,
                 now: datetime) -> tuple[_Row | None, list[RowProblem]]:
    """Check one record against the same rules as the case workspace; every problem is reported."""
    values, errors = clean_case_fields(raw)
    problems = [RowProblem(line, e.field, e.message) for e in errors]

    def attempt(name: str, fn, *args):
        try:
            return fn(*args)
        except CaseFieldError as exc:
            problems.append(RowProblem(line, name, exc.message))
        return None

    status = rules.normalize_status(str(raw.get("status") or rules.NEW))
    if status not in rules.STATUSES:
        problems.append(RowProblem(line, "status", f"'{raw.get('status')}' is not a case status; use one of "
                                                   f"{', '.join(rules.STATUSES)}"))
    times = {name: attempt(name, _timestamp, name, raw.get(name))
             for name in ("created_at", "resolved_at", "closed_at")}
    extra = {name: attempt(name, clean_text, name, raw.get(name))
             for name in ("external_ref", "resolution_notes", "bug_reference")}
    links: list[tuple[str, bool]] = []
    for name, solved in (("articles", True), ("related_articles", False)):
        for article_id in attempt(name, _id_list, raw.get(name)) or []:
            if known_articles is not None and article_id not in known_articles:
                hint = difflib.get_close_matches(article_id, list(known_articles), n=1)
                problems.append(RowProblem(line, name, f"'{article_id}' is not an article"
                                                       + (f"; did you mean '{hint[0]}'?" if hint else "")))
            if all(article_id != a for a, _ in links):
                links.append((article_id, solved))
    code = str(raw.get("resolution_code") or "").strip() or None
    if status in DONE:
        try:
            code = rules.check_resolution(taxonomy, code, [LinkState(a, s) for a, s in links],
                                          extra["bug_reference"], "the case").code
        except CaseRuleError as exc:
            column = {"requires_article": "articles", "requires_bug_reference": "bug_reference"}
            problems.append(RowProblem(line, column.get(exc.rule, "resolution_code"), str(exc)))
    elif code:
        problems.append(RowProblem(line, "resolution_code", f"is set but the status is {status}; only "
                                                            "resolved or closed cases have one"))
    if problems:
        return None, problems
    created = times["created_at"] or now
    resolved = times["resolved_at"] or (times["closed_at"] or now if status in DONE else None)
    closed = (times["closed_at"] or resolved) if status == CLOSED else None
    if (resolved and resolved < created) or (closed and closed < created):
        return None, [RowProblem(line, "closed_at" if closed and closed < created else "resolved_at",
                                 "is before created_at")]
    case = {**values, "status": status, "channel": "import", "external_ref": extra["external_ref"],
            "resolution_code": code if status in DONE else None,
            "resolution_notes": extra["resolution_notes"], "bug_reference": extra["bug_reference"],
            "created_at": created, "updated_at": closed or resolved or created, "resolved_at": resolved,
            "closed_at": closed, "revision": 1}
    return _Row(line, case, links), []


def _write_batch(engine: Engine, batch: list[_Row], report: ImportReport, now: datetime) -> None:
    """One transaction: every row of the batch lands, or none does."""
    with engine.begin() as conn:
        refs = [r.case["external_ref"] for r in batch if r.case["external_ref"]]
        existing = set()
        if refs:
            existing = set(conn.execute(sa.select(cases.c.external_ref)
                                        .where(cases.c.external_ref.in_(refs))).scalars())
        written: list[int] = []
        for row in batch:
            if row.case["external_ref"] in existing:
                report.skipped += 1
                continue
            number = conn.execute(cases.insert().values(**row.case)).inserted_primary_key[0]
            if row.links:
                conn.execute(case_links.insert(), [
                    {"case_id": number, "article_id": a, "solved": s, "linked_by": row.case.get("owner"),
                     "linked_at": row.case["resolved_at"] or now} for a, s in row.links])
            written.append(number)
    report.loaded += len(written)
    report.case_ids.extend(written)


def import_rows(engine: Engine, rows: Iterable[tuple[int, dict]], taxonomy: Taxonomy, *,
                known_articles: Collection[str] | None = None, batch_size: int = BATCH_SIZE,
                report: ImportReport | None = None) -> ImportReport:
    """Validate and load ``(line, record)`` pairs.

    :param known_articles: article ids that exist; linked ids outside it are row errors.
        None skips the check (no knowledge base at hand).
    :param batch_size: rows per transaction.
    :param report: an existing report to add to (problems found while reading the file).
    """
    report = report or ImportReport()
    now = utcnow()
    seen_refs: dict[str, int] = {}
    batch: list[_Row] = []
    for line, raw in rows:
        row, problems = validate_row(line, raw, taxonomy, known_articles, now)
        ref = row.case["external_ref"] if row else None
        if ref and ref in seen_refs:
            row, problems = None, [RowProblem(line, "external_ref", f"'{ref}' repeats line {seen_refs[ref]}")]
        report.problems.extend(problems)
        if row is None:
            continue
        if ref:
            seen_refs[ref] = line
        batch.append(row)
        if len(batch) >= batch_size:
            _write_batch(engine, batch, report, now)
            batch = []
    if batch:
        _write_batch(engine, batch, report, now)
    report.problems.sort(key=lambda p: p.line)
    return report


def import_file(engine: Engine, path: Path | str, taxonomy: Taxonomy, *, fmt: str | None = None,
                known_articles: Collection[str] | None = None, batch_size: int = BATCH_SIZE) -> ImportReport:
    """Import a CSV or JSON-lines file of cases (see :data:`COLUMNS`)."""
    path = Path(path)
    fmt = detect_format(path, fmt)
    report = ImportReport()
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            rows = read_rows(stream, fmt, report.problems)
            return import_rows(engine, rows, taxonomy, known_articles=known_articles, batch_size=batch_size,
                               report=report)
    except FileNotFoundError:
        raise KBError(f"No file {path}.") from None
    except UnicodeDecodeError as exc:
        raise KBError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 and "
                      f"import again: rows before that point were loaded, re-running skips them "
                      f"when they have an external_ref.") from None
