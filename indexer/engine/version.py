"""What the engine keeps for one index version, and for each segment while it exists.

A version (one Whoosh table of contents) is a list of segments. Per segment, kb keeps what
never changes while the segment exists (its posting sidecar, field lengths, columns, and
whatever the facet layer caches), shared by every version that still holds the segment:
an incremental build adds a small segment and a new version pays only for that one. Per
version, kb keeps the global document space (segment offsets), the live documents, and
caches of scored posting lists and document frequencies.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.engine import whoosh_adapter as adapter
from indexer.engine.sidecars import Sidecar
from indexer.engine.term_table import TermTable, VersionTerms, term_key
from indexer.engine.vocabulary import Vocabulary

if TYPE_CHECKING:
    from indexer.engine.matches import Matches

# Scored posting lists kept per index version (ids + scores, 12 bytes a posting: at most
# 144 MB; ids as numpy's index type, see Evaluation._read_postings): the words people
# search for recur, and a cached word costs one scatter instead of a dozen
# term-dictionary lookups and a BM25 pass. At 100,000 articles, 12 million
# instead of 3 took 10-20% off every kind of search in bench/search_bench.py's mix (pasted
# messages p95 44 -> 36 ms) for about 50 MB more per process; 24 and 48 million gained
# nothing more there.
MAX_CACHED_POSTINGS = 12_000_000
# Common words' matches kept whole (a mask and a score per document, 5 bytes a document):
# building them from the posting list is a scatter over the whole version each time.
MAX_DENSE_BYTES = 64 * 2**20
MAX_CACHED_FREQUENCIES = 500_000  # document frequencies kept per version (ticket words recur)
HASHES = "content_hash bytes"  # cache key of hashes()
HASH_WIDTH = 64  # hex characters of a content hash (SHA-256)


@dataclass
class SegmentData:
    """What is kept for one segment (local document numbers)."""

    sidecar: Sidecar | None = None
    sidecar_checked: bool = False
    terms: TermTable | None = None  # the segment's term table (read with its sidecar)
    lengths: dict[str, np.ndarray] = field(default_factory=dict)
    columns: dict[str, object] = field(default_factory=dict)
    facets: object = None  # the facet layer's per-segment lists (indexer.facets)


class SegmentCache:
    """Segment key -> :class:`SegmentData`, shared by every version a Searcher opens."""

    def __init__(self) -> None:
        self._data: dict[str, SegmentData] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> SegmentData:
        with self._lock:
            data = self._data.get(key)
            if data is None:
                data = self._data[key] = SegmentData()
            return data

    def keep_only(self, keys: set[str]) -> None:
        """Forget segments that no open version uses any more (merged away, old generations)."""
        with self._lock:
            for key in [k for k in self._data if k not in keys]:
                del self._data[key]


def leaves(searcher, folder: Path | None) -> Iterator[tuple[str, object, int, int]]:
    """(segment key, leaf searcher, first global docnum, docnum count) for each segment.

    The key names the index folder and the segment id, so the public and internal indexes
    and successive generations never share an entry.
    """
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        segment = reader.segment() if hasattr(reader, "segment") else None
        if segment is None:  # an empty index: nothing worth caching across versions
            key = f"reader:{id(reader)}"
        else:
            key = f"{folder}:{segment.segment_id()}"
        yield key, sub, offset, sub.doc_count_all()


def mask_of(size: int, docnums) -> np.ndarray:
    """A boolean mask over ``size`` global docnums with ``docnums`` set."""
    mask = np.zeros(size, dtype=bool)
    if docnums is not None and len(docnums):
        mask[np.fromiter(docnums, dtype=np.int64, count=len(docnums))] = True
    return mask


class IndexVersion:
    """Per index version: global document space, live documents, field statistics, caches.

    :param searcher: a Whoosh searcher pinned to the version (statistics only).
    :param folder: the index's folder (where segment sidecars live).
    :param segments: the Searcher-wide :class:`SegmentCache`.
    """

    def __init__(self, searcher, folder: Path | None, segments: SegmentCache):
        found = list(leaves(searcher, folder))
        self.size = searcher.doc_count_all()
        self.leaves = [(key, offset, count, segments.get(key)) for key, _sub, offset, count in found]
        self.keys = {key for key, *_ in found}
        self._searcher = searcher
        self._lock = threading.Lock()
        self._avg: dict[str, float] = {}
        self._lengths: dict[str, np.ndarray] = {}
        self._columns: dict[str, object] = {}
        self._scored: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._scored_size = 0
        self._frequencies: dict[tuple[str, str], int] = {}
        self._dense: OrderedDict[tuple[str, str], object] = OrderedDict()
        self._ids: dict[str, int] | None = None
        live = np.ones(self.size, dtype=bool)
        for _key, sub, offset, count in found:
            deleted = adapter.deleted_docs(sub.reader(), count)
            if deleted:
                live[np.asarray(deleted, dtype=np.int64) + offset] = False
        self.live = live
        self.all_live = bool(live.all())  # no deletions: posting lists need no filtering
        for (_key, sub, _offset, _count), (*_, data) in zip(found, self.leaves, strict=True):
            if not data.sidecar_checked:
                data.sidecar = Sidecar.open(folder, sub.reader())
                data.terms = TermTable.open(folder, sub.reader()) if data.sidecar is not None else None
                data.sidecar_checked = data.sidecar is not None
        # One merged term table when every segment has its own (else Whoosh is asked).
        self.terms = VersionTerms.merge([data.terms for *_, data in self.leaves],
                                        [data.sidecar for *_, data in self.leaves])

    def avg_length(self, fieldname: str) -> float:
        if fieldname not in self._avg:
            self._avg[fieldname] = self._searcher.avg_field_length(fieldname) or 1.0
        return self._avg[fieldname]

    def lengths(self, fieldname: str, searcher) -> np.ndarray:
        """Every document's length in a field (Whoosh's byte approximation), global order.

        ``searcher`` is the caller's borrowed searcher on this version: its segment readers
        are read the first time only."""
        found = self._lengths.get(fieldname)
        if found is None:
            found = self._lengths[fieldname] = self._per_segment(
                searcher, lambda data: data.lengths, fieldname,
                lambda sub, count: adapter.field_lengths(sub.reader(), fieldname, count),
                lambda parts: np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32))
        return found

    def column(self, name: str, searcher) -> list:
        """Every document's value of a column field, global order (read once per segment)."""
        found = self._columns.get(name)
        if found is None:
            def read(sub, count):
                reader = sub.reader()
                return list(reader.column_reader(name)) if reader.has_column(name) else [None] * count

            found = self._columns[name] = self._per_segment(
                searcher, lambda data: data.columns, name, read, lambda parts: [v for p in parts for v in p])
        return found

    def vocabularies(self, fieldname: str, searcher) -> list[Vocabulary]:
        """Each segment's words of a field, grouped for near-miss lookups (read once per
        segment: an incremental build adds only its new segment's)."""
        def read(sub, _count):
            return Vocabulary(term.decode("utf-8") for term in sub.reader().lexicon(fieldname))

        return self._per_segment(searcher, lambda data: data.columns, f"vocabulary:{fieldname}", read, list)

    def docnum_of(self, article_id: str, searcher) -> int:
        """The live document with this id, else -1: one dictionary lookup either way, so an id
        that exists but is hidden costs what an unknown one does (no posting list is read).

        The id-to-document map is built once per version, from the ``id`` column."""
        ids = self._ids
        if ids is None:
            column, live = self.column("id", searcher), self.live
            ids = {value: docnum for docnum, value in enumerate(column) if value and live[docnum]}
            with self._lock:
                self._ids = ids
        return ids.get(article_id, -1)

    def hashes(self, searcher) -> np.ndarray:
        """Every document's content hash as fixed-width bytes (a tenth of the memory of a
        list of strings); what the meaning vectors are keyed by."""
        name = "content_hash"
        found = self._columns.get(HASHES)
        if found is None:
            def read(sub, count):
                reader = sub.reader()
                values = reader.column_reader(name) if reader.has_column(name) else [""] * count
                return np.array([v.encode("ascii") for v in values], dtype=f"S{HASH_WIDTH}")

            found = self._columns[HASHES] = self._per_segment(
                searcher, lambda data: data.columns, HASHES, read,
                lambda parts: np.concatenate(parts) if parts else np.zeros(0, dtype=f"S{HASH_WIDTH}"))
        return found

    def _per_segment(self, searcher, store, key: str, read, join):
        """Join a per-segment value, read and kept in each segment's :class:`SegmentData`."""
        with self._lock:
            parts = []
            for (sub, _offset), (*_, count, data) in zip(searcher.leaf_searchers(), self.leaves, strict=True):
                local = store(data).get(key)
                if local is None:
                    local = store(data)[key] = read(sub, count)
                parts.append(local)
            return join(parts)

    def doc_frequency(self, reader, fieldname: str, text: str) -> int:
        """How many documents of this version have a term (cached; Whoosh asks every segment)."""
        key = (fieldname, text)
        found = self._frequencies.get(key)
        if found is None:
            found = self._table_frequency(fieldname, text)
            if found is None:
                found = reader.doc_frequency(fieldname, text)
            if len(self._frequencies) >= MAX_CACHED_FREQUENCIES:
                self._frequencies.clear()
            self._frequencies[key] = found
        return found

    def _table_frequency(self, fieldname: str, text: str) -> int | None:
        """A term's document frequency from the merged term table (None without one)."""
        if self.terms is None or not self.terms.covers(fieldname):
            return None
        return self.terms.frequency(self.terms.find(term_key(fieldname, text)))

    def cached(self, key: tuple[str, str]) -> tuple[np.ndarray, np.ndarray] | None:
        with self._lock:
            found = self._scored.get(key)
            if found is not None:
                self._scored.move_to_end(key)
            return found

    def remember(self, key: tuple[str, str], value: tuple[np.ndarray, np.ndarray]) -> None:
        size = len(value[0])
        if size > MAX_CACHED_POSTINGS // 4:
            return
        with self._lock:
            if key in self._scored:
                return
            self._scored[key] = value
            self._scored_size += size
            while self._scored_size > MAX_CACHED_POSTINGS and self._scored:
                _old, (ids, _scores) = self._scored.popitem(last=False)
                self._scored_size -= len(ids)

    def dense_if_kept(self, key: tuple[str, str]) -> Matches | None:
        """A common word's whole-version matches if :meth:`dense` keeps them, else None."""
        with self._lock:
            return self._dense.get(key)

    def dense(self, key: tuple[str, str], build):
        """A common word's whole-version matches, built by ``build()`` once while they fit in
        :data:`MAX_DENSE_BYTES` (least recently used first out)."""
        with self._lock:
            found = self._dense.get(key)
            if found is not None:
                self._dense.move_to_end(key)
                return found
        found = build()
        limit = MAX_DENSE_BYTES // (5 * max(self.size, 1))
        with self._lock:
            self._dense[key] = found
            while len(self._dense) > limit:
                self._dense.popitem(last=False)
        return found

    def mask_of(self, docnums) -> np.ndarray:
        return mask_of(self.size, docnums)


class Statistics:
    """The reader methods key-term selection needs, with a version's frequency cache."""

    def __init__(self, version: IndexVersion, reader):
        self._version = version
        self._reader = reader

    def doc_count(self) -> int:
        return self._reader.doc_count()

    def doc_frequency(self, fieldname: str, text: str) -> int:
        return self._version.doc_frequency(self._reader, fieldname, text)
