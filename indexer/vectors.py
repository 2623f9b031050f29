"""Whoosh queries evaluated over whole posting lists at once, as numpy arrays.

Whoosh's matchers visit matching documents one at a time in Python, which at 100,000
articles costs hundreds of milliseconds for a few common words. Here a query tree is
evaluated bottom-up over dense per-document arrays (a match mask and a score): each term
is one posting list (:mod:`indexer.postings`), each And/Or one vectorized operation.

Scores are Whoosh's own BM25F (same idf, average and per-document field lengths, boosts,
sums for And/Or), so the two can be swapped and are tested against each other. Phrases
need positions, which only Whoosh has: their candidates are the documents with every word
of the phrase, and Whoosh's phrase matcher checks (and scores) those candidates alone.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from whoosh import query as wq
from whoosh.util.numeric import byte_to_length

from indexer.analyzers import text_has_phrase
from indexer.postings import Sidecar, segment_postings
from indexer.scoring import score_docs
from indexer.stages import stage

BM25_B = 0.75
BM25_K1 = 1.2
# Scores are summed in single precision: half the memory traffic of double, and still
# within a millionth of Whoosh's own scores for a query's handful of terms.
SCORE = np.float32
MAX_PHRASE_CHECKS = 1500  # phrase candidates verified by Whoosh, best by term score first
MAX_EXPANSIONS = 64  # terms a fuzzy word may expand to
# Scored posting lists kept per index version (ids + scores, 12 bytes a posting): the words
# people search for recur, and a cached word costs one scatter instead of a dozen
# term-dictionary lookups and a BM25 pass.
MAX_CACHED_POSTINGS = 3_000_000
MAX_CACHED_FREQUENCIES = 500_000  # document frequencies kept per version (ticket words recur)
HASHES = "content_hash bytes"  # cache key of hashes()
HASH_WIDTH = 64  # hex characters of a content hash (SHA-256)
_BYTE_TO_LENGTH = np.asarray([byte_to_length(b) for b in range(256)], dtype=np.float32)


@dataclass
class SegmentArrays:
    """What never changes for a segment: its sidecar and per-document field lengths."""

    sidecar: Sidecar | None = None
    sidecar_checked: bool = False
    lengths: dict[str, np.ndarray] = field(default_factory=dict)
    columns: dict[str, list] = field(default_factory=dict)


@dataclass
class Result:
    """A query's matches: ``mask[d]`` says whether document ``d`` matches, ``score[d]`` how well."""

    mask: np.ndarray
    score: np.ndarray


class Vectors:
    """Per index version: global document space, live documents and field statistics.

    :param searcher: a Whoosh searcher pinned to the version (statistics only).
    :param segment_data: callable(segment key) -> the :class:`SegmentArrays` to reuse.
    """

    def __init__(self, searcher, leaves, segment_data):
        self.size = searcher.doc_count_all()
        self.leaves = [(key, offset, count, segment_data(key)) for key, _sub, offset, count in leaves]
        self._searcher = searcher
        self._lock = threading.Lock()
        self._avg: dict[str, float] = {}
        self._lengths: dict[str, np.ndarray] = {}
        self._columns: dict[str, list] = {}
        self._scored: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._scored_size = 0
        self._frequencies: dict[tuple[str, str], int] = {}
        live = np.ones(self.size, dtype=bool)
        for _key, sub, offset, count in leaves:
            reader = sub.reader()
            if reader.has_deletions():
                deleted = reader.deleted_docs_set if hasattr(reader, "deleted_docs_set") \
                    else [d for d in range(count) if reader.is_deleted(d)]
                if deleted:
                    live[np.fromiter(deleted, dtype=np.int64, count=len(deleted)) + offset] = False
        self.live = live
        for (_key, sub, _offset, _count), (*_, data) in zip(leaves, self.leaves, strict=True):
            if not data.sidecar_checked:
                data.sidecar = Sidecar.open(sub.reader())
                data.sidecar_checked = data.sidecar is not None

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
                lambda sub, count: _segment_lengths(sub.reader(), fieldname, count),
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
        """Join a per-segment value, read and kept in each segment's :class:`SegmentArrays`."""
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
            found = reader.doc_frequency(fieldname, text)
            if len(self._frequencies) >= MAX_CACHED_FREQUENCIES:
                self._frequencies.clear()
            self._frequencies[key] = found
        return found

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

    def empty(self) -> Result:
        return Result(np.zeros(self.size, dtype=bool), np.zeros(self.size, dtype=SCORE))

    def mask_of(self, docnums) -> np.ndarray:
        return mask_of(self.size, docnums)


def mask_of(size: int, docnums) -> np.ndarray:
    """A boolean mask over ``size`` global docnums with ``docnums`` set."""
    mask = np.zeros(size, dtype=bool)
    if docnums:
        mask[np.fromiter(docnums, dtype=np.int64, count=len(docnums))] = True
    return mask


def _segment_lengths(reader, fieldname: str, count: int) -> np.ndarray:
    perdoc = getattr(reader, "_perdoc", None)
    column = None
    if perdoc is not None and hasattr(perdoc, "_cached_reader"):
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return np.ones(count, dtype=np.float32)
    try:
        raw = np.frombuffer(column._dbfile.get(column._basepos, count), dtype=np.uint8)
    except Exception:  # noqa: BLE001 - any other column layout: read it value by value
        raw = np.asarray([column[d] for d in range(count)], dtype=np.uint8)
    return _BYTE_TO_LENGTH[raw]


class Evaluation:
    """One query's evaluation on a borrowed searcher (posting lists read once per query)."""

    def __init__(self, vectors: Vectors, searcher):
        self.v = vectors
        self.searcher = searcher
        self._postings: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._texts: dict[int, str] = {}
        self.schema = searcher.schema
        self.reader = searcher.reader()

    # -- postings -------------------------------------------------------------------------

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Global ids (live documents only) and weights of a term."""
        key = (fieldname, text)
        found = self._postings.get(key)
        if found is not None:
            return found
        with stage("candidates"):
            found = self._read_postings(fieldname, text)
        self._postings[key] = found
        return found

    def _read_postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        id_parts, weight_parts = [], []
        for (sub, offset), (*_, data) in zip(self.searcher.leaf_searchers(), self.v.leaves, strict=True):
            ids, weights = segment_postings(sub.reader(), data.sidecar, fieldname, text)
            if len(ids):
                id_parts.append(ids + np.int32(offset) if offset else ids)
                weight_parts.append(weights)
        if not id_parts:
            found = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))
        else:
            ids = np.concatenate(id_parts) if len(id_parts) > 1 else id_parts[0]
            weights = np.concatenate(weight_parts) if len(weight_parts) > 1 else weight_parts[0]
            keep = self.v.live[ids]
            found = (ids[keep], weights[keep]) if not keep.all() else (ids, weights)
        return found

    def text(self, docnum: int) -> str:
        """Title and plain text of a document (stored fields, read once per query)."""
        found = self._texts.get(docnum)
        if found is None:
            stored = self.searcher.stored_fields(docnum)
            found = self._texts[docnum] = f"{stored.get('title', '')}\n{stored.get('text', '')}"
        return found

    def doc_frequency(self, fieldname: str, text: str) -> int:
        with stage("candidates"):
            return self.v.doc_frequency(self.reader, fieldname, text)

    # -- evaluation -----------------------------------------------------------------------

    def run(self, q: wq.Query | None, restrict: np.ndarray | None = None) -> Result:
        """Evaluate a query. ``restrict`` limits the documents phrases are checked in."""
        if q is None:
            return self.v.empty()
        return self._eval(q.normalize(), restrict)

    def _eval(self, q: wq.Query, restrict: np.ndarray | None) -> Result:
        if isinstance(q, wq.Term):
            result = self._term(q.fieldname, q.text)
        elif isinstance(q, wq.And):
            result = self._and([self._eval(s, restrict) for s in q.subqueries])
        elif isinstance(q, wq.Or):
            result = self._or([self._eval(s, restrict) for s in q.subqueries])
        elif isinstance(q, wq.AndMaybe):
            required = self._eval(q.a, restrict)
            optional = self._eval(q.b, restrict if restrict is not None else required.mask)
            score = required.score + np.where(optional.mask & required.mask, optional.score, 0.0)
            result = Result(required.mask, np.where(required.mask, score, 0.0))
        elif isinstance(q, wq.AndNot):
            positive = self._eval(q.a, restrict)
            negative = self._eval(q.b, restrict)
            mask = positive.mask & ~negative.mask
            result = Result(mask, np.where(mask, positive.score, 0.0))
        elif isinstance(q, wq.Phrase):
            with stage("phrases"):
                result = self._phrase(q, restrict)
        elif isinstance(q, wq.MultiTerm):
            result = self._eval(_expand(q, self.reader), restrict)
        elif isinstance(q, wq.Every):
            result = Result(self.v.live.copy(), self.v.live.astype(SCORE))
        elif q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return self.v.empty()
        else:
            result = self._by_whoosh(q)
        boost = getattr(q, "boost", 1.0)
        if boost != 1.0 and not isinstance(q, wq.MultiTerm):
            result.score = result.score * boost
        return result

    def _term(self, fieldname: str, text) -> Result:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        result = self.v.empty()
        if fieldname not in self.schema:
            return result
        ids, scores = self.scored(fieldname, text)
        if len(ids):
            result.mask[ids] = True
            result.score[ids] = scores
        return result

    def scored(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """A term's documents and their BM25F scores (Whoosh's formula), cached per version."""
        key = (fieldname, text)
        found = self.v.cached(key)
        if found is not None:
            return found
        ids, weights = self.postings(fieldname, text)
        if not len(ids) or not self.schema[fieldname].scorable:
            found = (ids, weights.astype(SCORE))
        else:
            df = self.doc_frequency(fieldname, text)
            idf = math.log(self.v.size / (df + 1)) + 1
            lengths = self.v.lengths(fieldname, self.searcher)[ids]
            avg = self.v.avg_length(fieldname)
            w = weights.astype(np.float64)
            norm = BM25_K1 * ((1 - BM25_B) + BM25_B * lengths / avg)
            found = (ids, (idf * (w * (BM25_K1 + 1)) / (w + norm)).astype(SCORE))
        self.v.remember(key, found)
        return found

    @staticmethod
    def _and(parts: list[Result]) -> Result:
        mask = parts[0].mask.copy()
        for p in parts[1:]:
            mask &= p.mask
        score = np.zeros_like(parts[0].score)
        for p in parts:
            score += p.score
        return Result(mask, np.where(mask, score, 0.0))

    @staticmethod
    def _or(parts: list[Result]) -> Result:
        mask = parts[0].mask.copy()
        score = parts[0].score.copy()
        for p in parts[1:]:
            mask |= p.mask
            score += p.score
        return Result(mask, score)

    def _phrase(self, q: wq.Phrase, restrict: np.ndarray | None) -> Result:
        """Documents with the words in order (within ``slop``), scored as Whoosh does: the sum
        of the words' scores. Title phrases are checked against the titles themselves;
        others by Whoosh's phrase matcher, which reads positions from the postings."""
        words = [w for w in q.words if w]
        if not words:
            return self.v.empty()
        candidates = self._and([self._term(q.fieldname, w) for w in words])
        mask = candidates.mask if restrict is None else candidates.mask & restrict
        docs = np.flatnonzero(mask)
        if len(docs) > MAX_PHRASE_CHECKS:
            best = np.argpartition(-candidates.score[docs], MAX_PHRASE_CHECKS)[:MAX_PHRASE_CHECKS]
            docs = np.sort(docs[best])
        result = self.v.empty()
        if not len(docs):
            return result
        if q.fieldname == "title":
            titles = self.v.column("title_sort", self.searcher)
            found = [d for d in docs.tolist() if titles[d] and text_has_phrase(titles[d], words, q.slop)]
        elif restrict is not None and q.fieldname == "content":
            # A booster on a few candidates: checking their stored text costs less than
            # reading positions from the postings of every word.
            found = [d for d in docs.tolist() if text_has_phrase(self.text(d), words, q.slop)]
        else:
            found = list(score_docs(self.searcher, q, docs.tolist()))
        if found:
            where = np.asarray(found, dtype=np.int64)
            result.mask[where] = True
            result.score[where] = candidates.score[where]
        return result

    def _by_whoosh(self, q: wq.Query) -> Result:
        """Any other query kind: Whoosh finds and scores it (rare, small)."""
        result = self.v.empty()
        docs = list(self.searcher.docs_for_query(q))
        if docs:
            scores = score_docs(self.searcher, q, docs)
            found = np.fromiter(scores.keys(), dtype=np.int64, count=len(scores))
            result.mask[found] = True
            result.score[found] = np.fromiter(scores.values(), dtype=SCORE, count=len(scores))
        return result


class Statistics:
    """The reader methods key-term selection needs, with this version's frequency cache."""

    def __init__(self, vectors: Vectors, reader):
        self._vectors = vectors
        self._reader = reader

    def doc_count(self) -> int:
        return self._reader.doc_count()

    def doc_frequency(self, fieldname: str, text: str) -> int:
        return self._vectors.doc_frequency(self._reader, fieldname, text)


def _expand(q: wq.MultiTerm, reader) -> wq.Query:
    fieldname = q.field()
    if fieldname not in reader.schema:
        return wq.NullQuery
    terms = []
    for btext in sorted(set(q._btexts(reader))):
        terms.append(wq.Term(fieldname, btext.decode("utf-8") if isinstance(btext, bytes) else btext,
                             boost=q.boost))
        if len(terms) >= MAX_EXPANSIONS:
            break
    if not terms:
        return wq.NullQuery
    return terms[0] if len(terms) == 1 else wq.Or(terms)


def top(scores: np.ndarray, mask: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` best (document, score) of the masked documents: highest score, then lowest id."""
    docs = np.flatnonzero(mask)
    if not len(docs) or k <= 0:
        return []
    values = scores[docs]
    if len(docs) > k:
        # Keep ties at the cut-off so the final order is decided by document number.
        cut = np.partition(values, len(values) - k)[len(values) - k]
        keep = values >= cut
        docs, values = docs[keep], values[keep]
    order = np.lexsort((docs, -values))[:k]
    return [(int(docs[i]), float(values[i])) for i in order]
