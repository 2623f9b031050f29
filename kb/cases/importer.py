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
import json
from collections import deque
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

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
# A CSV record longer than this is a quote that never closed, not a very long description.
MAX_RECORD_BYTES = 1_000_000
FORMATS = ("csv", "jsonl")
# Every column an import file may have; "articles" lists the ids that solved the case and
# "related_articles" ids linked as related. Lists are separated by commas or semicolons.
COLUMNS = ("external_ref", "title", "description", "product", "severity", "priority", "status", "customer",
           "owner", "created_at", "resolved_at", "closed_at", "resolution_code", "resolution_notes",
           "bug_reference", "articles", "related_articles")


@dataclass(frozen=True)
class RowProblem:
    """Why one row didn't load: ``line N: field: message``, with the row's byte offset in
    the file when the row itself could not be read (bad quoting, bad encoding)."""

    line: int
    field: str
    message: str
    offset: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" (byte {self.offset})" if self.offset is not None else "")
        return f"{where}: {self.field}: {self.message}"


@dataclass
class ImportReport:
    """What an import did: rows loaded, rows skipped as already imported, and bad rows."""

    loaded: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)
    loaded_lines: list[int] = field(default_factory=list)  # the line each loaded row starts on

    @property
    def bad_rows(self) -> int:
        return len({p.line for p in self.problems})

    def summary(self) -> str:
        first_last = (f" ({format_case_id(self.case_ids[0])} to {format_case_id(self.case_ids[-1])})"
                      if self.case_ids else "")
        loaded_from = f" from {_line_ranges(self.loaded_lines)}" if self.loaded_lines else ""
        bad = sorted({p.line for p in self.problems})
        bad_at = f" ({_line_ranges(bad)})" if bad else ""
        return (f"Loaded {self.loaded} case(s){first_last}{loaded_from}; {self.bad_rows} bad row(s){bad_at}; "
                f"{self.skipped} already imported.")


def _line_ranges(lines: list[int]) -> str:
    """[2, 3, 4, 7, 9, 10] -> 'lines 2-4, 7, 9-10'."""
    lines = sorted(set(lines))
    parts, start = [], None
    for i, n in enumerate(lines):
        if start is None:
            start = n
        if i + 1 == len(lines) or lines[i + 1] != n + 1:
            parts.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(parts)


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


def read_rows(stream: BinaryIO, fmt: str, problems: list[RowProblem]) -> Iterator[tuple[int, dict]]:
    """Yield ``(line, {column: value})`` per record of a file opened in binary mode;
    unreadable records go to ``problems`` with their line and byte offset, and reading goes
    on with the records after them."""
    lines = _physical_lines(stream)
    if fmt == "csv":
        yield from _csv_rows(lines, problems)
    else:
        yield from _jsonl_rows(lines, problems)


@dataclass
class _Line:
    number: int  # 1-based line number in the file
    offset: int  # byte offset of the line's start in the file
    data: bytes

    def text(self, problems: list[RowProblem]) -> str | None:
        """The line as text, or None (and a problem) when it is not UTF-8."""
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(RowProblem(self.number, "row", (
                f"is not UTF-8 text (byte 0x{self.data[exc.start]:02x} at byte {self.offset + exc.start} of the "
                "file); the row was not loaded: save the file as UTF-8 and import again"), self.offset))
            return None


def _physical_lines(stream: BinaryIO) -> Iterator[_Line]:
    """Every line of the file with its number and absolute byte offset (a BOM is skipped)."""
    offset = 0
    for number, data in enumerate(stream, start=1):
        start = offset
        offset += len(data)
        if number == 1 and data.startswith(b"\xef\xbb\xbf"):
            data, start = data[3:], start + 3
        yield _Line(number, start, data)


def _unknown_column(name: str) -> str:
    hint = difflib.get_close_matches(name, COLUMNS, n=1)
    if hint:
        return f"unknown column; did you mean '{hint[0]}'?"
    return f"unknown column; columns are {', '.join(COLUMNS)}"


def _opens_quote(text: str, quoted: bool) -> bool:
    """Whether a CSV line leaves a quoted value open, given whether it starts inside one.

    Follows Python's csv dialect: a quote opens a value only at the value's start, and a
    doubled quote inside one is a literal quote.
    """
    at_start = not quoted
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if quoted:
            if ch == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 1
                else:
                    quoted = False
        elif ch == '"' and at_start:
            quoted = True
        at_start = ch == "," and not quoted
        i += 1
    return quoted


class _CsvRecords:
    """The CSV records of a file, each as (first line, text, the lines it spans).

    A record whose quoted value never closes (before the end of the file, a line that is
    not UTF-8, or :data:`MAX_RECORD_BYTES`) is reported at the line it starts on, and the
    lines after that one are read again as records of their own: one stray quote can't
    swallow the rows after it. The reader of the records can give lines back the same way
    (:meth:`give_back`) when a record it got turns out not to parse.
    """

    def __init__(self, lines: Iterator[_Line], problems: list[RowProblem]):
        self.source = iter(lines)
        self.pending: deque[_Line] = deque()
        self.problems = problems

    def _next(self) -> _Line | None:
        return self.pending.popleft() if self.pending else next(self.source, None)

    def give_back(self, lines: list[_Line]) -> None:
        self.pending.extendleft(reversed(lines))

    def __iter__(self) -> Iterator[tuple[_Line, str, list[_Line]]]:
        while (first := self._next()) is not None:
            text = first.text(self.problems)
            if text is None:
                continue
            parts, used, size = [text], [first], len(first.data)
            quoted = _opens_quote(text, False)
            broken = None
            while quoted:
                nxt = self._next()
                if nxt is None:
                    broken = "the end of the file"
                    break
                used.append(nxt)
                more = nxt.text([])
                size += len(nxt.data)
                if more is None or size > MAX_RECORD_BYTES:
                    broken = "a line that is not UTF-8" if more is None else f"{MAX_RECORD_BYTES:,} bytes"
                    break
                parts.append(more)
                quoted = _opens_quote(more, True)
            if broken is not None:
                self.problems.append(RowProblem(first.number, "row", (
                    f"has a quoted value that is never closed (read up to {broken}); the row was not loaded, "
                    "and the lines after it were read as rows of their own"), first.offset))
                self.give_back(used[1:])
                continue
            yield first, "".join(parts), used


def _csv_rows(lines: Iterator[_Line], problems: list[RowProblem]) -> Iterator[tuple[int, dict]]:
    records = _CsvRecords(lines, problems)
    header: list[str] | None = None
    for first, text, used in records:
        error = ""
        try:
            values = next(csv.reader([text], strict=True)) if text.strip("\r\n") else []
        except csv.Error as exc:
            values, error = None, str(exc)
        if header is None:
            if values is None:
                problems.append(RowProblem(first.number, "header", f"is not valid CSV: {error}", first.offset))
                return
            if not values:
                continue
            header = [h.strip().lower() for h in values]
            unknown = [h for h in header if h not in COLUMNS]
            for name in unknown:
                message = _unknown_column(name) if name else "a column has no name"
                problems.append(RowProblem(first.number, name or "header", message))
            if unknown:
                return  # a misspelt column would silently drop data in every row
            continue
        if values is not None and not any(v.strip() for v in values):
            continue
        if values is None or (len(used) > 1 and len(values) != len(header)):
            # Most likely a stray quote that joined lines: report the record where it starts
            # and read the lines it took again, one record at a time.
            reason = f"is not valid CSV ({error})" if values is None else (
                f"has {len(values)} values but the header has {len(header)} columns")
            again = "; the lines after it were read as rows of their own" if len(used) > 1 else ""
            problems.append(RowProblem(first.number, "row", f"{reason}; the row was not loaded{again}",
                                       first.offset))
            records.give_back(used[1:])
            continue
        if len(values) != len(header):
            problems.append(RowProblem(first.number, "row", f"has {len(values)} values but the header has "
                                                            f"{len(header)} columns"))
            continue
        yield first.number, dict(zip(header, values, strict=True))


def _jsonl_rows(lines: Iterator[_Line], problems: list[RowProblem]) -> Iterator[tuple[int, dict]]:
    for line in lines:
        text = line.text(problems)
        if text is None or not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(RowProblem(line.number, "row", f"is not valid JSON: {exc.msg} (at byte "
                                                           f"{line.offset + len(text[:exc.pos].encode())})",
                                       line.offset))
            continue
        if not isinstance(value, dict):
            problems.append(RowProblem(line.number, "row", "must be a JSON object with case fields"))
            continue
        unknown = [k for k in value if k not in COLUMNS]
        if unknown:
            for name in unknown:
                problems.append(RowProblem(line.number, str(name)[:60], _unknown_column(str(name))))
            continue
        yield line.number, value


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
        lines: list[int] = []
        for row in batch:
            if row.case["external_ref"] in existing:
                report.skipped += 1
                continue
            number = conn.execute(cases.insert().values(**row.case)).inserted_primary_key[0]
            lines.append(row.line)
            if row.links:
                conn.execute(case_links.insert(), [
                    {"case_id": number, "article_id": a, "solved": s, "linked_by": row.case.get("owner"),
                     "linked_at": row.case["resolved_at"] or now} for a, s in row.links])
            written.append(number)
    report.loaded += len(written)
    report.case_ids.extend(written)
    report.loaded_lines.extend(lines)


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
    """Import a CSV or JSON-lines file of cases (see :data:`COLUMNS`).

    The file is read as bytes, one line at a time: a row that is not UTF-8 or not valid
    CSV/JSON is reported with its own line and byte offset, and the rows after it still load.
    """
    path = Path(path)
    fmt = detect_format(path, fmt)
    report = ImportReport()
    try:
        with path.open("rb") as stream:
            rows = read_rows(stream, fmt, report.problems)
            return import_rows(engine, rows, taxonomy, known_articles=known_articles, batch_size=batch_size,
                               report=report)
    except FileNotFoundError:
        raise KBError(f"No file {path}.") from None
