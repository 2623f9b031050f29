"""Facet counts, the error-code vocabulary and filter sets, cached per segment.

Whoosh's ``groupedby`` rebuilds per-document value lists for multi-valued fields on every
search, which is too slow at 100k articles. Here value lists are built once per *segment*
(one pass over each facet field's postings) and kept while the segment exists. An
incremental build adds a small segment and leaves the others alone, so a new index
version only pays for what changed instead of rebuilding everything for 100k articles.

Counting over many matches: a value that many documents have keeps its documents as a
bitset, and its count is the popcount of that bitset and the matches' (one vectorized
step for all such values); the rarer values are a gather and a segmented sum over their
(document, value) pairs. A few matches are counted by their own values instead. The four
facets share one value space (each a range of it), so a search counts them in one pass.

Cached sets may still include documents deleted later in a segment; that is harmless
because every result set they are combined with comes from postings, which exclude them.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.engine.matches import Matches
from indexer.engine.version import SegmentCache, SegmentData, leaves, mask_of

# Public facet name -> index field.
FACET_FIELDS = {"type": "type", "product": "product", "tag": "tag", "resolution_code": "resolution_code"}
MAX_FACET_VALUES = 30
MAX_CACHED_FILTERS = 128
# Counted by their own values when the matches are fewer than the documents divided by this;
# else over the whole table, whose cost hardly depends on the matches (at 100k articles,
# the four facets of 500 matches 0.11 ms and of 4,600 0.29 ms by their values, 0.36-0.40 ms
# over the table at any count, on a machine at about half its best speed: even at some 6,000).
SPARSE_SHARE = 20
# A value of at least this share of the documents keeps a bitset. Few values can be that
# common (32 times a document's average number of values at most), so the bitsets stay small.
BITSET_SHARE = 1 / 32


@dataclass(frozen=True)
class Facet:
    """One facet value and how many matching documents have it."""

    value: str
    count: int


@dataclass
class FacetLists:
    """What is cached for one segment (local document numbers)."""

    by_value: dict[str, dict[str, frozenset[int]]] = field(default_factory=dict)
    codes: frozenset[str] | None = None
    filters: dict[tuple, frozenset[int]] = field(default_factory=dict)
    # (values, local docnums, value index per docnum) for vectorized facet counts.
    pairs: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = field(default_factory=dict)


_NEW_LISTS = threading.Lock()


def _lists(data: SegmentData) -> FacetLists:
    """A segment's facet lists (made once, whichever version asks first)."""
    if data.facets is None:
        with _NEW_LISTS:
            if data.facets is None:
                data.facets = FacetLists()
    return data.facets


class IndexCaches:
    """Facets, error codes and filter sets of one index version, built from segment caches.

    :param searcher: a Whoosh searcher on the version (used only under ``lock``).
    :param folder: the index's folder (part of every segment's key).
    :param cache: the Searcher-wide segment cache.
    """

    def __init__(self, searcher, folder: Path | None, cache: SegmentCache, lock: threading.Lock):
        self._searcher = searcher
        self._cache = cache
        self._lock = lock
        self._leaves = [(key, sub, offset, count, _lists(cache.get(key)))
                        for key, sub, offset, count in leaves(searcher, folder)]
        self._values: dict[str, dict[str, int]] = {}
        self._filters: dict[tuple, set[int]] = {}
        self._all: AllValues | None = None  # the four facets' values side by side
        self._codes: frozenset[str] | None = None  # every exact error code of the version
        self.size = max((offset + count for _k, _s, offset, count, _d in self._leaves), default=0)

    @property
    def segment_ids(self) -> set[str]:
        return {key for key, *_ in self._leaves}

    # -- facets ---------------------------------------------------------------------------

    def _ensure(self, fieldname: str) -> None:
        for _key, sub, _offset, _count, data in self._leaves:
            if fieldname in data.by_value:
                continue
            with self._lock:
                if fieldname in data.by_value:
                    continue
                reader = sub.reader()
                by_value: dict[str, set[int]] = {}
                for btext in reader.lexicon(fieldname):
                    docs = set(reader.postings(fieldname, btext).all_ids())
                    if docs:
                        by_value[btext.decode("utf-8")] = docs
                data.by_value[fieldname] = {v: frozenset(d) for v, d in by_value.items()}

    def values(self, fieldname: str) -> dict[str, int]:
        """Every value of a facet field and how many documents (live or not) have it."""
        if fieldname not in self._values:
            self._ensure(fieldname)
            totals: Counter[str] = Counter()
            for *_, data in self._leaves:
                for value, docs in data.by_value[fieldname].items():
                    totals[value] += len(docs)
            self._values[fieldname] = dict(totals)
        return self._values[fieldname]

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

    def _every_value(self) -> AllValues:
        """Every facet's values in one value space (each facet a range of it), so that the
        four facets of a search are counted in one pass instead of four."""
        found = self._all
        if found is None:
            values: list[str] = []
            doc_parts, start_parts, ranges = [], [], {}
            placed = 0
            for name, fieldname in FACET_FIELDS.items():
                field_values, docs, starts = self._global_pairs(fieldname)
                ranges[name] = (len(values), len(values) + len(field_values))
                values.extend(field_values)
                doc_parts.append(docs)
                start_parts.append(np.asarray(starts, dtype=np.int64) + placed)
                placed += len(docs)
            docs = np.concatenate(doc_parts)
            starts = np.concatenate(start_parts)
            found = self._all = AllValues(values, ranges, ValueTable(values, docs, starts, self.size),
                                          *_by_document(docs, starts, len(values), self.size))
        return found

    def _global_pairs(self, fieldname: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(values, documents grouped by value, where each value's group starts) for a facet
        field (made once a version, for :meth:`_every_value`)."""
        self._ensure(fieldname)
        index: dict[str, int] = {}
        doc_parts, value_parts = [], []
        for _key, _sub, offset, _count, data in self._leaves:
            local_values, docs, value_ids = self._once(
                data.pairs, fieldname, lambda data=data: _pairs(data.by_value[fieldname]))
            remap = np.asarray([index.setdefault(v, len(index)) for v in local_values], dtype=np.int64)
            doc_parts.append(docs.astype(np.int64) + offset)
            value_parts.append(remap[value_ids] if len(remap) else value_ids.astype(np.int64))
        values = sorted(index, key=index.__getitem__)
        docs = np.concatenate(doc_parts) if doc_parts else np.zeros(0, dtype=np.int64)
        value_ids = np.concatenate(value_parts) if value_parts else np.zeros(0, dtype=np.int64)
        # Grouped by value, so that a count is one gather and one segmented sum.
        order = np.argsort(value_ids, kind="stable")
        docs, value_ids = docs[order].astype(np.int32), value_ids[order]
        starts = np.searchsorted(value_ids, np.arange(len(values)))
        return values, docs, starts

    def counts(self, docs, limit: int = MAX_FACET_VALUES) -> dict[str, list[Facet]]:
        """Facet counts over matching documents (:class:`~indexer.engine.Matches`, a boolean
        mask over global docnums, or a collection of docnums). Most frequent first, then
        alphabetical. A few matches are counted by their own values, many by one pass over
        every (document, value) pair."""
        sparse = None
        if isinstance(docs, Matches):
            sparse = docs.ids if docs.is_sparse else None
            mask = None if sparse is not None else docs.mask
        else:
            mask = docs if isinstance(docs, np.ndarray) else self.mask_of(docs)
        every = self._every_value()
        if (sparse is not None and not len(sparse)) or (mask is not None and not mask.any()):
            return {name: [] for name in FACET_FIELDS}
        if sparse is not None and len(sparse) * SPARSE_SHARE < self.size:
            begins, by_doc = every.begins, every.by_doc
            lengths = begins[sparse + 1] - begins[sparse]
            at = np.repeat(begins[sparse] - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
            hits = np.bincount(by_doc[at], minlength=len(every.values))
        else:
            if mask is None:
                mask = docs.mask
            hits = every.table.count(mask, _packed(mask, self.size))
        out: dict[str, list[Facet]] = {}
        for name, (low, high) in every.ranges.items():
            nonzero = np.flatnonzero(hits[low:high]) + low
            if len(nonzero) > limit:  # only values that can make the list need sorting by name
                cut = np.partition(hits[nonzero], len(nonzero) - limit)[len(nonzero) - limit]
                nonzero = nonzero[hits[nonzero] >= cut]
            ranked = sorted(((every.values[i], int(hits[i])) for i in nonzero.tolist()),
                            key=lambda kv: (-kv[1], kv[0].casefold()))
            out[name] = [Facet(v, n) for v, n in ranked[:limit]]
        return out

    def mask_of(self, docs: Collection[int]) -> np.ndarray:
        return mask_of(self.size, docs)

    # -- error codes ----------------------------------------------------------------------

    def has_code(self, code: str) -> bool:
        """Whether an exact error code occurs in this version (a ticket asks for hundreds of
        candidates, so the segments' codes are joined into one set per version)."""
        codes = self._codes
        if codes is None:
            for _key, sub, _offset, _count, data in self._leaves:
                if data.codes is None:
                    with self._lock:
                        if data.codes is None:
                            data.codes = frozenset(b.decode("utf-8") for b in sub.reader().lexicon("error_code"))
            parts = [data.codes for *_, data in self._leaves]
            codes = self._codes = parts[0] if len(parts) == 1 else frozenset().union(*parts)
        return code in codes

    # -- filters --------------------------------------------------------------------------

    def allowed(self, key: tuple, q) -> DocSet:
        """Global docnums matching a filter query; per-segment results are cached.

        A set (what Whoosh's ``filter=`` accepts) that also keeps its mask; callers never modify it.
        """
        found = self._filters.get(key)
        if found is not None:
            return found
        result = DocSet()
        q = q.normalize()
        for _key, sub, offset, _count, data in self._leaves:
            local = self._once(data.filters, key, lambda sub=sub: frozenset(sub.docs_for_query(q)))
            if offset:
                result.update(d + offset for d in local)
            else:
                result.update(local)
        with self._lock:
            if len(self._filters) >= MAX_CACHED_FILTERS:
                self._filters.pop(next(iter(self._filters)))
            self._filters[key] = result
        return result

    def _once(self, store: dict, key, make):
        """``store[key]``, made under the lock the first time (segment caches are shared)."""
        found = store.get(key)
        if found is None:
            with self._lock:
                found = store.get(key)
                if found is None:
                    found = store[key] = make()
        return found

    def as_mask(self, docs: Collection[int]) -> np.ndarray:
        """A boolean mask of docnums; a filter set from :meth:`allowed` keeps its mask."""
        if isinstance(docs, DocSet):
            if docs.mask is None:
                docs.mask = self.mask_of(docs)
            return docs.mask
        return self.mask_of(docs)


@dataclass(frozen=True)
class AllValues:
    """The facets' values of a version in one value space: ``ranges`` gives each facet's
    slice of ``values``; ``table`` counts a mask of matches, ``begins``/``by_doc`` (each
    document's value ids, grouped by document) a few matches."""

    values: list[str]
    ranges: dict[str, tuple[int, int]]
    table: ValueTable
    begins: np.ndarray
    by_doc: np.ndarray


def _by_document(docs: np.ndarray, starts: np.ndarray, value_count: int,
                 size: int) -> tuple[np.ndarray, np.ndarray]:
    """(where each document's value ids start, the value ids grouped by document) of
    (document, value) pairs grouped by value (``starts``: where each value's group starts)."""
    value_ids = np.repeat(np.arange(value_count, dtype=np.int32), np.diff(np.append(starts, len(docs))))
    order = np.argsort(docs, kind="stable")
    begins = np.searchsorted(docs[order], np.arange(size + 1))
    return begins, value_ids[order]


class ValueTable:
    """One facet field's (document, value) pairs over a version, ready to count a mask of
    matches: the frequent values as bitsets, the rest as pairs grouped by value."""

    def __init__(self, values: list[str], docs: np.ndarray, starts: np.ndarray, size: int):
        ends = np.append(starts[1:], len(docs)).astype(np.int64)
        lengths = ends - starts
        self.value_count = len(values)
        frequent = lengths >= max(1, size * BITSET_SHARE)
        self.frequent = np.flatnonzero(frequent)
        words = (size + 63) // 64
        self.bits = np.zeros((len(self.frequent), words), dtype=np.uint64)
        for row, value in enumerate(self.frequent):
            member = np.zeros(words * 64, dtype=bool)
            member[docs[starts[value]:ends[value]]] = True
            self.bits[row] = np.packbits(member, bitorder="little").view(np.uint64)
        self.rare = np.flatnonzero(~frequent)
        parts = [docs[starts[v]:ends[v]] for v in self.rare]
        # numpy's own index type: gathered at every count, and converted each time otherwise
        self.rare_docs = (np.concatenate(parts) if parts else np.zeros(0)).astype(np.intp)
        self.rare_starts = np.cumsum([0, *(len(p) for p in parts[:-1])]).astype(np.int64) if parts else None

    def count(self, mask: np.ndarray, packed: np.ndarray) -> np.ndarray:
        """How many documents of ``mask`` (``packed``: the same as 64-bit words) have each value."""
        hits = np.zeros(self.value_count, dtype=np.int64)
        if len(self.frequent):
            hits[self.frequent] = np.bitwise_count(self.bits & packed).sum(axis=1, dtype=np.int64)
        if self.rare_starts is not None:
            found = mask[self.rare_docs].view(np.uint8)
            hits[self.rare] = np.add.reduceat(found, self.rare_starts, dtype=np.int64)
        return hits


def _packed(mask: np.ndarray, size: int) -> np.ndarray:
    """The first ``size`` documents of a boolean mask as 64-bit words (the layout of
    :class:`ValueTable`'s bitsets)."""
    words = (size + 63) // 64
    padded = np.zeros(words * 64, dtype=bool)
    n = min(size, len(mask))
    padded[:n] = mask[:n]
    return np.packbits(padded, bitorder="little").view(np.uint64)


class DocSet(set):
    """A cached filter's documents (global docnums), with its boolean mask once built."""

    mask: np.ndarray | None = None


def _pairs(by_value: dict[str, frozenset[int]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    values = sorted(by_value)
    docs = [np.fromiter(by_value[v], dtype=np.int32, count=len(by_value[v])) for v in values]
    ids = [np.full(len(d), i, dtype=np.int32) for i, d in enumerate(docs)]
    if not docs:
        return values, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    return values, np.concatenate(docs), np.concatenate(ids)
