"""Facet counts (type, product, tag, resolution code) over a set of matching documents.

Whoosh's ``groupedby`` rebuilds per-document value lists for multi-valued fields on
every search, which is too slow at 100k articles. Here the lists are built once per
index version (one pass over each facet field's postings) and shared by every search on
that version; counting then costs one dictionary update per matching document, or one
set intersection per value when the result set is large.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

# Public facet name -> index field.
FACET_FIELDS = {"type": "type", "product": "product", "tag": "tag", "resolution_code": "resolution_code"}
MAX_FACET_VALUES = 30
_LARGE_RESULT = 4000  # above this many documents, intersect per-value sets instead of looping


@dataclass(frozen=True)
class Facet:
    """One facet value and how many matching documents have it."""

    value: str
    count: int


class FacetTable:
    """Per-index-version lookup from document number to facet values, built lazily."""

    def __init__(self, reader, lock: threading.Lock | None = None):
        """:param lock: guards lazy builds; pass the lock of anything else sharing ``reader``."""
        self._reader = reader
        self._lock = lock or threading.Lock()
        self._by_doc: dict[str, dict[int, tuple[str, ...]]] = {}
        self._by_value: dict[str, dict[str, frozenset[int]]] = {}

    def _build(self, fieldname: str) -> None:
        by_value: dict[str, set[int]] = {}
        reader = self._reader
        if fieldname in reader.indexed_field_names():
            for btext in reader.lexicon(fieldname):
                value = btext.decode("utf-8")
                docs = set(reader.postings(fieldname, btext).all_ids())
                if docs:
                    by_value[value] = docs
        by_doc: dict[int, list[str]] = {}
        for value, docs in by_value.items():
            for d in docs:
                by_doc.setdefault(d, []).append(value)
        self._by_value[fieldname] = {v: frozenset(d) for v, d in by_value.items()}
        self._by_doc[fieldname] = {d: tuple(vs) for d, vs in by_doc.items()}

    def _ensure(self, fieldname: str) -> None:
        if fieldname not in self._by_value:
            with self._lock:
                if fieldname not in self._by_value:
                    self._build(fieldname)

    def values(self, fieldname: str) -> dict[str, frozenset[int]]:
        """Every value of a facet field and the documents that have it."""
        self._ensure(fieldname)
        return self._by_value[fieldname]

    def resolve(self, fieldname: str, value: str) -> str | None:
        """The indexed spelling of a value, matched case-insensitively ("sql server" -> "SQL Server")."""
        values = self.values(fieldname)
        if value in values:
            return value
        folded = value.casefold()
        for candidate in values:
            if candidate.casefold() == folded:
                return candidate
        return None

    def counts(self, docs: Collection[int], limit: int = MAX_FACET_VALUES) -> dict[str, list[Facet]]:
        """Facet counts over ``docs``: most frequent first, then alphabetical."""
        out: dict[str, list[Facet]] = {}
        for name, fieldname in FACET_FIELDS.items():
            self._ensure(fieldname)
            counter: Counter[str] = Counter()
            if len(docs) > _LARGE_RESULT:
                docset = docs if isinstance(docs, set | frozenset) else set(docs)
                for value, members in self._by_value[fieldname].items():
                    n = len(members & docset) if len(members) < len(docset) else len(docset & members)
                    if n:
                        counter[value] = n
            else:
                by_doc = self._by_doc[fieldname]
                for d in docs:
                    counter.update(by_doc.get(d, ()))
            ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0].casefold()))
            out[name] = [Facet(v, n) for v, n in ranked[:limit]]
        return out
