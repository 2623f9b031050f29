"""The case store: create, update, link, resolve and close cases, and count article reuse.

Every function takes an engine and opens its own short transaction. Changes to one case
take turns in the database, so two engineers closing and unlinking the same case at once
can't leave it closed without its article. Each write also checks that the case's revision
is still the one it read (optimistic locking), a second guard that fails loudly with
:class:`CaseConflict` rather than silently.

**Reuse.** ``reuse_count(article)`` is the number of distinct resolved or closed cases
linked to the article with ``solved=True``. Related (not solved) links and open cases
don't count: reuse measures how often the article actually solved a customer's problem.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from kb.cases import rules
from kb.cases.rules import CLOSED, DONE, NEW, RESOLVED, CaseRuleError, LinkState
from kb.cases.schema import case_links, cases
from kb.db import take_turns, utcnow
from kb.errors import KBError, NotFound
from kb.resolution_codes import Taxonomy

ID_PREFIX = "CAS-"
CHANNELS = ("portal", "engineer", "api", "import")
_ARTICLE_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# Longest value each text field accepts; the form, the API and the importer share them.
LIMITS = {"title": 300, "description": 100_000, "product": 100, "customer": 200, "owner": 80,
          "external_ref": 100, "resolution_notes": 20_000, "bug_reference": 200}
EDITABLE = ("title", "description", "product", "severity", "priority", "customer", "owner")


class CaseFieldError(KBError):
    """A field value the store refuses; ``field`` names it for forms and import reports."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class CaseConflict(KBError):
    """The case changed between reading and writing it; reload and try again."""


@dataclass(frozen=True)
class CaseLink:
    """An article linked to a case; ``solved`` says the article solved it (vs. merely related)."""

    case_id: int
    article_id: str
    linked_by: str | None
    linked_at: datetime
    solved: bool

    def as_dict(self) -> dict:
        return {"article_id": self.article_id, "solved": self.solved, "linked_by": self.linked_by,
                "linked_at": self.linked_at.isoformat()}


@dataclass(frozen=True)
class Case:
    """One support case as stored, with its article links."""

    id: int
    title: str
    description: str
    product: str | None
    severity: str
    priority: int
    status: str
    channel: str
    customer: str | None
    owner: str | None
    created_by: str | None
    external_ref: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution_code: str | None
    resolution_notes: str | None
    bug_reference: str | None
    revision: int  # bumped by every change; forms send it back to detect a stale edit
    links: tuple[CaseLink, ...] = ()

    @property
    def display_id(self) -> str:
        return format_case_id(self.id)

    @property
    def is_done(self) -> bool:
        """Resolved or closed: the case carries a resolution code."""
        return self.status in DONE

    @property
    def status_label(self) -> str:
        return rules.STATUS_LABELS[self.status]

    @property
    def solved_articles(self) -> tuple[str, ...]:
        return tuple(link.article_id for link in self.links if link.solved)

    def as_dict(self) -> dict:
        """JSON-friendly fields; ``id`` is the display id and ``number`` the integer."""
        out: dict = {"id": self.display_id, "number": self.id}
        for f in fields(self):
            if f.name in ("id", "links"):
                continue
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, datetime) else value
        out["links"] = [link.as_dict() for link in self.links]
        return out


_CASE_COLUMNS = tuple(f.name for f in fields(Case) if f.name != "links")


def format_case_id(number: int) -> str:
    """``123`` -> ``CAS-000123``."""
    return f"{ID_PREFIX}{number:06d}"


def parse_case_id(text: str | int) -> int:
    """Accept ``CAS-000123``, ``cas-123``, ``#123`` or ``123``; raise NotFound for anything else."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    raw = str(text).strip()
    match = re.fullmatch(r"(?:#|(?i:cas)-?)?0*(\d{1,12})", raw)
    if not match or int(match.group(1)) == 0:
        raise NotFound(f"'{raw[:40]}' is not a case id; case ids look like {format_case_id(123)}.")
    return int(match.group(1))


def clean_text(name: str, value: object, *, required: bool = False) -> str | None:
    """A trimmed text field within its length limit; None when empty and not required."""
    if value is None:
        value = ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise CaseFieldError(name, "must be text")
    text = str(value).replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise CaseFieldError(name, "must not contain NUL characters")
    if not text:
        if required:
            raise CaseFieldError(name, "is required")
        return None
    if len(text) > LIMITS[name]:
        raise CaseFieldError(name, f"is {len(text):,} characters; the limit is {LIMITS[name]:,}")
    return text


def clean_severity(value: object) -> str:
    """'Sev A', 'a', 'sev1' and 1 all name a severity; anything else is refused."""
    raw = str(value if value is not None else "").strip()
    text = re.sub(r"^sev(?:erity)?\s*", "", raw, flags=re.I).upper()
    if text not in rules.SEVERITIES:
        raise CaseFieldError("severity", f"'{value}' is not a severity; use one of "
                                         f"{', '.join(rules.SEVERITIES)}")
    return text


def clean_priority(value: object) -> int:
    """'P2', '2' and 2 all name priority 2; priorities run from 1 (business stops) to 4."""
    text = re.sub(r"^p(?:riority)?\s*", "", str(value if value is not None else "").strip(), flags=re.I)
    if isinstance(value, bool) or not text.isdigit() or int(text) not in rules.PRIORITIES:
        raise CaseFieldError("priority", f"'{value}' is not a priority; use 1 (business stops) to 4 "
                                         "(routine)")
    return int(text)


def clean_article_id(value: object) -> str:
    text = str(value or "").strip()
    if not _ARTICLE_ID.match(text):
        raise CaseFieldError("article_id", f"'{text[:40]}' is not an article id (letters, digits, '.', "
                                           "'_', '-')")
    return text


def clean_case_fields(raw: Mapping[str, object], *,
                      partial: bool = False) -> tuple[dict, list[CaseFieldError]]:
    """Validate the editable fields of a case; returns the clean values and every problem found.

    :param raw: field values as they arrived (form strings, JSON values, CSV cells).
    :param partial: validate only the fields present (an update), instead of a new case.
    """
    values: dict = {}
    errors: list[CaseFieldError] = []
    for name in EDITABLE:
        if partial and name not in raw:
            continue
        value = raw.get(name)
        try:
            if name == "severity":
                values[name] = clean_severity(value) if value not in (None, "") else "C"
            elif name == "priority":
                values[name] = clean_priority(value) if value not in (None, "") else 3
            elif name == "description":
                values[name] = clean_text(name, value) or ""
            else:
                values[name] = clean_text(name, value)
        except CaseFieldError as exc:
            errors.append(exc)
    if not errors and (not partial or "title" in raw) and not values.get("title"):
        # Real tickets often have no subject (an e-mail without one, a chat's first message):
        # a description alone opens a case, titled by its first line.
        description = values.get("description") or (None if not partial else clean_text("description",
                                                                                        raw.get("description")))
        if description:
            values["title"] = subject_from(description)
        else:
            errors.append(CaseFieldError("title", NEEDS_TITLE_OR_DESCRIPTION))
    return values, errors


NEEDS_TITLE_OR_DESCRIPTION = "or 'description' is required: give at least one of them"
SUBJECT_CHARS = 80


def subject_from(description: str) -> str:
    """A title for a ticket that came without one: its first line, cut at a word near
    :data:`SUBJECT_CHARS` characters.

    >>> subject_from("Hi,\n\nOutlook keeps asking for my password since this morning's update")
    'Hi, Outlook keeps asking for my password since this morning\'s update'
    """
    words = " ".join(description.split())
    if len(words) <= SUBJECT_CHARS:
        return words
    cut = words[:SUBJECT_CHARS].rsplit(" ", 1)[0] or words[:SUBJECT_CHARS]
    return cut.rstrip(" ,.;:-") + "…"


def _raise_first(errors: Sequence[CaseFieldError]) -> None:
    if errors:
        raise errors[0]


def create_case(engine: Engine, *, channel: str = "engineer", created_by: str | None = None,
                at: datetime | None = None, **raw) -> Case:
    """Open a new case from form, API or portal input.

    :param channel: where it came from (portal, engineer, api, import).
    :param raw: title, description (at least one of the two), product, severity, priority,
        customer, owner.
    :raises CaseFieldError: for the first invalid field.
    """
    unknown = set(raw) - set(EDITABLE)
    if unknown:
        raise CaseFieldError(sorted(unknown)[0], "is not a case field")
    if channel not in CHANNELS:
        raise CaseFieldError("channel", f"'{channel}' is not one of {', '.join(CHANNELS)}")
    values, errors = clean_case_fields(raw)
    _raise_first(errors)
    now = at or utcnow()
    with engine.begin() as conn:
        result = conn.execute(cases.insert().values(
            **values, status=NEW, channel=channel, created_by=created_by, created_at=now, updated_at=now,
            revision=1))
        return _load(conn, result.inserted_primary_key[0])


def _load(conn: Connection, number: int) -> Case:
    row = conn.execute(sa.select(cases).where(cases.c.id == number)).first()
    if row is None:
        raise NotFound(f"No case {format_case_id(number)}. List cases with `kb cases list`.")
    return case_from_row(row, links_for(conn, [number]).get(number, ()))


def case_from_row(row, links: Iterable[CaseLink] = ()) -> Case:
    """A Case from a row of the cases table and its links."""
    m = row._mapping
    return Case(**{name: m[name] for name in _CASE_COLUMNS}, links=tuple(links))


def links_for(conn: Connection, numbers: Sequence[int]) -> dict[int, tuple[CaseLink, ...]]:
    """``{case number: links}`` for the given cases, oldest link first."""
    if not numbers:
        return {}
    query = (sa.select(case_links).where(case_links.c.case_id.in_(numbers))
             .order_by(case_links.c.linked_at, case_links.c.article_id))
    out: dict[int, list[CaseLink]] = {}
    for r in conn.execute(query):
        out.setdefault(r.case_id, []).append(CaseLink(r.case_id, r.article_id, r.linked_by, r.linked_at,
                                                      bool(r.solved)))
    return {k: tuple(v) for k, v in out.items()}


@contextlib.contextmanager
def _changing(engine: Engine, case_id: str | int) -> Iterator[tuple[Connection, Case]]:
    """A transaction that has the case to itself, with the case as it is now.

    Changes to one case take turns (:func:`kb.db.take_turns`): the second of two engineers
    acting at once sees what the first did, so a rule checked here holds when the
    transaction commits; without it both would check the case as it was before either.
    """
    number = parse_case_id(case_id)
    with engine.begin() as conn:
        take_turns(conn, f"case:{number}")
        yield conn, _load(conn, number)


def get_case(engine: Engine, case_id: str | int) -> Case:
    """The case with its links; raises NotFound for an unknown or malformed id."""
    with engine.connect() as conn:
        return _load(conn, parse_case_id(case_id))


def _write(conn: Connection, case: Case, values: dict, at: datetime | None = None) -> None:
    """Update a case only if nobody changed it since ``case`` was read."""
    query = (cases.update()
             .where(cases.c.id == case.id, cases.c.revision == case.revision)
             .values(**values, updated_at=at or utcnow(), revision=cases.c.revision + 1))
    if conn.execute(query).rowcount != 1:
        raise CaseConflict(f"{case.display_id} changed while you were editing it; reload it and try again.")


def _bump(conn: Connection, case: Case, at: datetime | None = None) -> None:
    """Record that the case's links changed, so caches keyed on revisions refresh."""
    conn.execute(cases.update().where(cases.c.id == case.id)
                 .values(updated_at=at or utcnow(), revision=cases.c.revision + 1))


def update_case(engine: Engine, case_id: str | int, **raw) -> Case:
    """Change editable fields of an open case; closed cases are a record and stay as they are."""
    unknown = set(raw) - set(EDITABLE)
    if unknown:
        raise CaseFieldError(sorted(unknown)[0], "is not an editable case field")
    values, errors = clean_case_fields(raw, partial=True)
    _raise_first(errors)
    with _changing(engine, case_id) as (conn, case):
        if case.status == CLOSED:
            raise CaseRuleError("transition", f"{case.display_id} is closed; its fields can't change.")
        if values:
            _write(conn, case, values)
        return _load(conn, case.id)


def set_status(engine: Engine, case_id: str | int, status: str, *, at: datetime | None = None) -> Case:
    """Move a case to new, active or waiting on customer (resolving and closing need a code).

    Moving a resolved case back to active (the fix didn't work) clears its resolution code.
    """
    target = rules.normalize_status(status)
    if target in DONE:
        verb = "resolve" if target == RESOLVED else "close"
        raise CaseRuleError("resolution_code", f"To {verb} a case, choose how it ended: a resolution code.")
    with _changing(engine, case_id) as (conn, case):
        rules.check_transition(case.status, target, case.display_id)
        if target != case.status:
            values: dict = {"status": target}
            if case.status == RESOLVED:
                values.update(resolution_code=None, resolved_at=None)
            _write(conn, case, values, at)
        return _load(conn, case.id)


def _finish(engine: Engine, taxonomy: Taxonomy, case_id: str | int, target: str, code: str | None,
            notes: str | None, bug_reference: str | None, at: datetime | None) -> Case:
    with _changing(engine, case_id) as (conn, case):
        rules.check_transition(case.status, target, case.display_id)
        if case.status == target:
            raise CaseRuleError("transition", f"{case.display_id} is already {target}.")
        # Closing a resolved case may reuse what was recorded when it was resolved.
        code = code or (case.resolution_code if case.status == RESOLVED else None)
        bug = clean_text("bug_reference", bug_reference) or case.bug_reference
        note = clean_text("resolution_notes", notes) or case.resolution_notes
        definition = rules.check_resolution(taxonomy, code, [LinkState(link.article_id, link.solved)
                                                             for link in case.links], bug, case.display_id)
        now = at or utcnow()
        values = {"status": target, "resolution_code": definition.code, "resolution_notes": note,
                  "bug_reference": bug, "resolved_at": case.resolved_at or now}
        if target == CLOSED:
            values["closed_at"] = now
        _write(conn, case, values, now)
        return _load(conn, case.id)


def resolve_case(engine: Engine, taxonomy: Taxonomy, case_id: str | int, code: str | None,
                 notes: str | None = None, bug_reference: str | None = None, *,
                 at: datetime | None = None) -> Case:
    """Mark a case resolved (solution delivered, awaiting the customer) under the closing rules.

    :raises CaseRuleError: naming the broken rule (transition, resolution_code, requires_article,
        requires_bug_reference).
    """
    return _finish(engine, taxonomy, case_id, RESOLVED, code, notes, bug_reference, at)


def close_case(engine: Engine, taxonomy: Taxonomy, case_id: str | int, code: str | None = None,
               notes: str | None = None, bug_reference: str | None = None, *,
               at: datetime | None = None) -> Case:
    """Close a case with a resolution code; a resolved case may omit the code it was resolved with.

    The rules are checked again at closing, against the links the case has now.

    :raises CaseRuleError: naming the broken rule.
    """
    return _finish(engine, taxonomy, case_id, CLOSED, code, notes, bug_reference, at)


def link_article(engine: Engine, case_id: str | int, article_id: str, *, solved: bool = False,
                 linked_by: str | None = None, at: datetime | None = None) -> CaseLink:
    """Link an article to a case, or change whether it solved it.

    Closed cases accept new links (knowledge captured after closing) but never lose a solved
    one, since closing was checked against it. The caller checks that the article exists
    and is visible to the user: the store doesn't read article files.
    """
    article_id = clean_article_id(article_id)
    now = at or utcnow()
    with _changing(engine, case_id) as (conn, case):
        existing = next((link for link in case.links if link.article_id == article_id), None)
        if existing is None:
            conn.execute(case_links.insert().values(case_id=case.id, article_id=article_id,
                                                    linked_by=linked_by, linked_at=now, solved=bool(solved)))
        elif existing.solved != bool(solved):
            if case.status == CLOSED and existing.solved:
                raise CaseRuleError("requires_article", f"{case.display_id} is closed; its solved link to "
                                                        f"{article_id} is part of the record and stays.")
            conn.execute(case_links.update()
                         .where(case_links.c.case_id == case.id, case_links.c.article_id == article_id)
                         .values(solved=bool(solved)))
        _bump(conn, case, now)
        return next(link for link in links_for(conn, [case.id])[case.id] if link.article_id == article_id)


def unlink_article(engine: Engine, case_id: str | int, article_id: str) -> None:
    """Remove a link from an open or resolved case; closed cases keep theirs."""
    with _changing(engine, case_id) as (conn, case):
        if case.status == CLOSED:
            raise CaseRuleError("transition", f"{case.display_id} is closed; its links are part of the "
                                              "record.")
        removed = conn.execute(case_links.delete().where(case_links.c.case_id == case.id,
                                                         case_links.c.article_id == article_id)).rowcount
        if not removed:
            raise NotFound(f"{case.display_id} has no link to '{article_id}'.")
        _bump(conn, case)


def carry_links(engine: Engine, old_id: str, new_id: str, *, at: datetime | None = None) -> int:
    """Link every case linked to ``old_id`` to ``new_id`` too (same solved flag and engineer);
    returns how many.

    When one article replaces another (a merge of duplicates), the cases it solved count for
    the replacement: its reuse carries over. The old links stay, as the record of what the
    engineer used; a case already linked to the replacement keeps its own link.
    """
    old_id, new_id = clean_article_id(old_id), clean_article_id(new_id)
    now = at or utcnow()
    with engine.begin() as conn:
        have = set(conn.execute(sa.select(case_links.c.case_id).where(case_links.c.article_id == new_id)).scalars())
        rows = [r for r in conn.execute(sa.select(case_links).where(case_links.c.article_id == old_id))
                if r.case_id not in have]
        if rows:
            conn.execute(case_links.insert(), [{"case_id": r.case_id, "article_id": new_id, "linked_by": r.linked_by,
                                                "linked_at": now, "solved": r.solved} for r in rows])
            conn.execute(cases.update().where(cases.c.id.in_([r.case_id for r in rows]))
                         .values(revision=cases.c.revision + 1))
    return len(rows)


def cases_for_article(engine: Engine, article_id: str, *, limit: int = 20) -> list[tuple[Case, bool]]:
    """Cases linked to an article, newest first, each with whether the article solved it."""
    query = (sa.select(cases, case_links.c.solved.label("link_solved"))
             .join(case_links, case_links.c.case_id == cases.c.id)
             .where(case_links.c.article_id == article_id)
             .order_by(cases.c.created_at.desc(), cases.c.id.desc()).limit(limit))
    with engine.connect() as conn:
        return [(case_from_row(r), bool(r.link_solved)) for r in conn.execute(query)]


def reuse_counts(engine: Engine) -> dict[str, int]:
    """``{article_id: reuse_count}`` for every article that solved at least one done case."""
    query = (sa.select(case_links.c.article_id, sa.func.count(sa.distinct(case_links.c.case_id)))
             .join(cases, cases.c.id == case_links.c.case_id)
             .where(case_links.c.solved.is_(True), cases.c.status.in_(DONE))
             .group_by(case_links.c.article_id))
    with engine.connect() as conn:
        return {article_id: count for article_id, count in conn.execute(query)}


def reuse_count(engine: Engine, article_id: str) -> int:
    """How many resolved or closed cases this article solved (see the module docstring)."""
    query = (sa.select(sa.func.count(sa.distinct(case_links.c.case_id)))
             .join(cases, cases.c.id == case_links.c.case_id)
             .where(case_links.c.article_id == article_id, case_links.c.solved.is_(True),
                    cases.c.status.in_(DONE)))
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()


def case_signals(engine: Engine) -> dict[str, dict[str, int]]:
    """Ranking signals cases give articles, ``{article_id: {"reuse_count": n}}``.

    Plain dicts, so the web can merge them with feedback votes into ``indexer.Signals``
    without kb importing the indexer.
    """
    return {article_id: {"reuse_count": n} for article_id, n in reuse_counts(engine).items()}


def revision_stamp(engine: Engine) -> tuple[int, int]:
    """(number of cases, sum of revisions): changes whenever any case or link changes."""
    query = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(cases.c.revision), 0))
    with engine.connect() as conn:
        count, total = conn.execute(query).one()
    return int(count), int(total)
