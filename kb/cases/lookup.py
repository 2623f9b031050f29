"""Finding cases: by number, customer or words, sorted the way a queue is read.

One function, :func:`find_cases`, serves the case list, ``GET /api/cases`` and the global
search box. A query is matched word by word (every word must appear somewhere in the
case: its customer, title, product, owner, external reference or description), and a
query that is a case number also finds that case. Matches are ranked by where they hit,
so a case number comes first, then cases of the customer the query names, then title
matches, then the rest:

>>> # find_cases(engine, "CAS-000042")  -> CAS-000042 first
>>> # find_cases(engine, "northwind")   -> Northwind's cases before a case that mentions Northwind

:func:`case_number` is the stricter test the global search box uses: only text that
can't be anything but a case number ("CAS-000042", "cas-42") opens a case; "42" or
"0x80070005" stay searches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kb.cases import rules
from kb.cases.schema import cases
from kb.cases.store import ID_PREFIX, Case, case_from_row, links_for, parse_case_id
from kb.errors import KBError, NotFound

MAX_WORDS = 8  # longer queries are cut: each word is one more LIKE over the table
MAX_QUERY_CHARS = 200
MAX_LIMIT = 1000
# Sort keys people ask for, and the column each orders by (ties: newest first, then by number).
SORTS = {"number": cases.c.id, "title": cases.c.title, "customer": cases.c.customer,
         "status": cases.c.status, "severity": cases.c.severity, "priority": cases.c.priority,
         "owner": cases.c.owner, "created": cases.c.created_at, "updated": cases.c.updated_at}
# Where a word matches; the order is the ranking, best first.
FIELDS = _RANKED_FIELDS = ("customer", "title", "product", "owner", "external_ref", "description")
_STRICT_NUMBER = re.compile(rf"^\s*(?i:{re.escape(ID_PREFIX.rstrip('-'))})-?0*(\d{{1,12}})\s*$")


class BadSort(KBError):
    """A sort key :data:`SORTS` doesn't know."""

    parameter = "sort"


@dataclass(frozen=True)
class Found:
    """One page of matching cases and how many match in all."""

    total: int
    cases: list[Case]


def case_number(text: str) -> int | None:
    """The number in text that is unmistakably a case id (``CAS-000042``, ``cas-42``), else None."""
    match = _STRICT_NUMBER.match(text or "")
    if not match or int(match.group(1)) == 0:
        return None
    return int(match.group(1))


def _number_in(query: str) -> int | None:
    """A case number the query may mean, loosely: also ``#42`` and a bare ``42``."""
    try:
        return parse_case_id(query)
    except NotFound:
        return None


def _words(query: str) -> list[str]:
    words = [w for w in query.lower().split() if w][:MAX_WORDS]
    return [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in words]


def _like(column, word: str):
    return sa.func.lower(sa.func.coalesce(column, "")).like(f"%{word}%", escape="\\")


def _text_match(query: str, fields: Sequence[str] = _RANKED_FIELDS):
    """(where clause, rank expression) for a text query; None when the query is blank."""
    fields = [name for name in _RANKED_FIELDS if name in fields]
    words = _words(query)
    number = _number_in(query)
    if not words and number is None:
        return None
    clauses = []
    if words:
        clauses.append(sa.and_(*(sa.or_(*(_like(cases.c[name], w) for name in fields))
                                 for w in words)))
    if number is not None:
        clauses.append(cases.c.id == number)
    whens = [(cases.c.id == number, 0)] if number is not None else []
    phrase = " ".join(words)
    for rank, name in enumerate(fields, start=1):
        if words:
            whens.append((_like(cases.c[name], phrase) if len(words) > 1 else
                          _like(cases.c[name], words[0]), rank))
    rank = sa.case(*whens, else_=len(_RANKED_FIELDS) + 1) if whens else sa.literal(0)
    return sa.or_(*clauses), rank


def _filters(status, owner, product, requester) -> list:
    where = []
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        where.append(cases.c.status.in_([rules.normalize_status(s) for s in statuses]))
    if owner:
        where.append(cases.c.owner == owner)
    if product:
        where.append(cases.c.product == product)
    if requester:
        where.append(cases.c.created_by == requester)
    return where


def find_cases(engine: Engine, query: str | None = None, *, status: str | Sequence[str] | None = None,
               owner: str | None = None, product: str | None = None, requester: str | None = None,
               sort: str | None = None, descending: bool | None = None, limit: int = 50,
               offset: int = 0, fields: Sequence[str] = _RANKED_FIELDS) -> Found:
    """Cases matching ``query`` and the filters, best match first (or by ``sort``), with links.

    :param query: a case number, customer, or words from the case; blank lists every case.
    :param requester: only cases this user opened (a customer's own requests).
    :param sort: a key of :data:`SORTS`; without one, matches rank by where they hit and
        then newest first. ``descending`` defaults to newest/highest first for dates and
        numbers, A to Z for text.
    :param fields: where words may match (default: all of customer, title, product, owner,
        external reference and description); the global search box asks only customer and title,
        which stay quick on a large table.
    :raises BadSort: for an unknown sort key.
    """
    if sort and sort not in SORTS:
        raise BadSort(f"Unknown sort '{sort}'; sort by one of {', '.join(SORTS)}.")
    where = _filters(status, owner, product, requester)
    match = _text_match(query, fields) if query and query.strip() else None
    order = []
    if match is not None:
        where.append(match[0])
        if not sort:
            order.append(match[1])
    if sort:
        column = SORTS[sort]
        desc = descending if descending is not None else sort in ("number", "created", "updated")
        if sort in ("customer", "owner"):  # cases without one go last either way
            order.append(column.is_(None))
        order.append(column.desc() if desc else column.asc())
    order += [cases.c.created_at.desc(), cases.c.id.desc()]
    limit = max(1, min(limit, MAX_LIMIT))
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(cases).where(*where)).scalar_one()
        rows = conn.execute(sa.select(cases).where(*where).order_by(*order)
                            .limit(limit).offset(max(0, offset))).all()
        links = links_for(conn, [r.id for r in rows])
    return Found(total, [case_from_row(r, links.get(r.id, ())) for r in rows])


def list_cases(engine: Engine, *, status: str | Sequence[str] | None = None, owner: str | None = None,
               product: str | None = None, text: str | None = None, limit: int = 50,
               offset: int = 0) -> list[Case]:
    """Cases, newest first (best match first with ``text``), filtered by status, owner or product."""
    return find_cases(engine, text, status=status, owner=owner, product=product, limit=limit,
                      offset=offset).cases


def count_cases(engine: Engine, *, status: str | Sequence[str] | None = None, owner: str | None = None,
                product: str | None = None, text: str | None = None) -> int:
    """How many cases :func:`list_cases` would page through."""
    where = _filters(status, owner, product, None)
    match = _text_match(text) if text and text.strip() else None
    if match is not None:
        where.append(match[0])
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(cases).where(*where)).scalar_one()
