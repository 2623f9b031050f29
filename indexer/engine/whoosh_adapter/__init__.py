"""Every use of Whoosh's private internals, checked against the Whoosh they were written for.

Speed takes kb past Whoosh's public API in a few places, all of them here:

1. posting lists read whole: the W3 segment's terms reader (``reader._terms``, its
   ``term_info`` and postings file ``_postfile``) and the block layout (a length, a pickled
   info tuple, then the zlib-compressed pickle of ids, weights and values). Whoosh's
   matchers decode the same blocks one posting at a time, about 0.7 µs each;
2. field lengths read whole: the lengths column of a W3 per-document reader
   (``reader._perdoc._cached_reader``, ``_lenfield``, the column's ``_dbfile``/``_basepos``/``_count``);
3. deleted documents as one set: ``reader.deleted_docs_set``;
4. a reader pinned to one table-of-contents generation: ``TOC.read`` and ``FileIndex._reader``
   (so every searcher of a version reads the same segments, whatever commits meanwhile);
5. the W3 field writer's per-posting length lookup, left out when writing
   (``W3FieldWriter.add_postings``), which only serves block skipping kb does not use, and
   the W3 postings writer's blocks (``W3PostingsWriter._write_block``), short ones left
   uncompressed;
6. positions read from the posting values: ``Positions.encode`` writes a posting's
   positions as a 4-byte count and the protocol-2 pickle of their deltas (a list of small
   ints), which :func:`decode_positions` reads for a whole list at once with numpy.
7. segments written by a rebuild's worker processes without the lock (``SegmentWriter``
   with ``_lk=False``, ``_finalize_segment``) and committed together by the building process
   (``_commit_toc``), as Whoosh's own multiprocessing writer does; their postings grouped
   by term as documents are added (``SegmentWriter.add_document`` and ``_flush_segment``
   redone) and written a block at a time in W3's block layout, with the W3 field writer's
   ``_tindex`` (its entries added as ``OrderedHashWriter.add`` does, in the
   ``filetables._lengths`` layout), ``_fieldid`` and postings file and ``W3TermInfo``'s
   packed form; the lists of the sidecars' fields kept after the flush
   (:class:`WrittenLists`), for the job to write its segment's sidecar from them.

Sections 5 and 7 (writing) are in :mod:`indexer.engine.whoosh_adapter.writing`, the version
check in :mod:`indexer.engine.whoosh_adapter.guard`, the others here. Everything else kb
asks of Whoosh goes through its public API. On any other Whoosh than
:data:`WRITTEN_FOR`, or with ``KB_WHOOSH_FAST=0`` in the environment, every function here
takes the slow public path instead (matchers stepped one posting at a time, one length
per document, Whoosh's own codec, the latest reader) and one warning says so: searches
give the same answers, only slower, the posting sidecars are neither written nor read, and
a rebuild writes its segments in one process, through Whoosh's locked writers.
"""

from __future__ import annotations

import contextlib
import io
import logging
import pickle
import struct
import zlib
from collections.abc import Iterator

import numpy as np
from whoosh.reading import TermNotFound

from indexer.engine.whoosh_adapter.guard import WRITTEN_FOR as WRITTEN_FOR
from indexer.engine.whoosh_adapter.guard import decide as decide
from indexer.engine.whoosh_adapter.guard import fast_path
from indexer.engine.whoosh_adapter.guard import installed_version as installed_version
from indexer.engine.whoosh_adapter.guard import set_fast_path as set_fast_path
from indexer.engine.whoosh_adapter.writing import KbCodec as KbCodec
from indexer.engine.whoosh_adapter.writing import WrittenLists
from indexer.engine.whoosh_adapter.writing import commit_segments as commit_segments
from indexer.engine.whoosh_adapter.writing import finish_segment as finish_segment
from indexer.engine.whoosh_adapter.writing import segment_writer as segment_writer
from indexer.engine.whoosh_adapter.writing import writer_codec as writer_codec
from indexer.engine.whoosh_adapter.writing import written_lists as written_lists

log = logging.getLogger(__name__)

EMPTY_IDS = np.zeros(0, dtype=np.int32)
EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)
_INT = struct.Struct(">i")


# -- 1. posting lists ----------------------------------------------------------------------


def _terms_reader(reader):
    """Whoosh's per-segment terms reader, or None (slow path, or not a W3 segment reader)."""
    if not fast_path():
        return None
    terms = getattr(reader, "_terms", None)
    if terms is None or not hasattr(terms, "_postfile") or not hasattr(terms, "term_info"):
        return None
    return terms


def _btext(text: str | bytes) -> bytes:
    return text.encode("utf-8") if isinstance(text, str) else text


def list_offset(reader, fieldname: str, text: str | bytes) -> int | None:
    """Where a term's (not inlined) posting list starts in its segment's postings file: the
    key of its copy in a posting sidecar. None when unknown (no such term, inlined, slow path)."""
    terms = _terms_reader(reader)
    if terms is None:
        return None
    try:
        info = terms.term_info(fieldname, _btext(text))
    except TermNotFound:
        return None
    return None if info.is_inlined() else info.extent()[0]


def has_term(reader, fieldname: str, text: str | bytes) -> bool:
    return (fieldname, _btext(text)) in reader


def read_postings(reader, fieldname: str, text: str | bytes) -> tuple[np.ndarray, np.ndarray]:
    """(local ids int32, weights float32) of a term in one segment.

    Fast path: deleted documents included (callers mask them with the live documents).
    Public path: Whoosh's matcher, which leaves deleted documents out itself.
    """
    btext = _btext(text)
    terms = _terms_reader(reader)
    if terms is None:
        return _postings_by_matcher(reader, fieldname, btext)
    try:
        info = terms.term_info(fieldname, btext)
    except TermNotFound:
        return EMPTY_IDS, EMPTY_WEIGHTS
    if info.is_inlined():
        ids, weights, _ = info.inlined_postings()
        return np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float32)
    return _read_blocks(terms._postfile, info.extent()[0])


def _read_blocks(postfile, offset: int, values: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every block of the posting list that starts at ``offset`` (W3 layout); each block's
    posting values (encoded positions) are appended to ``values`` when it is given."""
    pos = offset + 4
    id_parts, weight_parts = [], []
    while True:
        length = _INT.unpack(postfile.get(pos, 4))[0]
        last = length < 0
        length = abs(length)
        blob = postfile.get(pos + 4, length)
        stream = io.BytesIO(blob)
        info = pickle.load(stream)
        data = blob[stream.tell():]
        count, compression = info[0], info[3]
        if compression:
            data = zlib.decompress(data)
        ids, weights, block_values = pickle.loads(data)
        if values is not None:
            values.extend(block_values)
        id_parts.append(np.cumsum(np.asarray(ids, dtype=np.int64)))
        if weights is None:
            weight_parts.append(np.ones(count, dtype=np.float32))
        elif isinstance(weights, float):
            weight_parts.append(np.full(count, weights, dtype=np.float32))
        else:
            weight_parts.append(np.asarray(weights, dtype=np.float32))
        if last:
            break
        pos += 4 + length
    return np.concatenate(id_parts).astype(np.int32), np.concatenate(weight_parts)


def _postings_by_matcher(reader, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The public path: step Whoosh's matcher through the list."""
    if (fieldname, btext) not in reader:
        return EMPTY_IDS, EMPTY_WEIGHTS
    ids, weights = [], []
    matcher = reader.postings(fieldname, btext)
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float32)


def term_infos(reader, fieldname: str) -> Iterator[tuple[bytes, int, int | None]]:
    """(term, document frequency, list offset or None when inlined) of every term of a
    field, in term order, for writing a term table. Nothing on the public path. ``reader``
    may also be the :class:`WrittenLists` of a segment just written."""
    if isinstance(reader, WrittenLists):
        yield from reader.term_infos(fieldname) if fast_path() else ()
        return
    terms = _terms_reader(reader)
    if terms is None or fieldname not in reader.schema:
        return
    for (name, btext), info in terms.items_from(fieldname, b""):
        if name != fieldname:
            break
        yield btext, info.doc_frequency(), None if info.is_inlined() else info.extent()[0]


def long_lists(reader, fieldname: str, min_df: int) -> Iterator[tuple[int, np.ndarray, np.ndarray, list | None]]:
    """(offset, ids, weights, values) of every posting list of a field with ``min_df``
    documents or more, for writing a sidecar: ``values`` are the postings' encoded positions
    (read them with :func:`decode_positions`), None when the field has none. Nothing on the
    public path (sidecars are not used there). ``reader`` may also be the
    :class:`WrittenLists` of a segment just written."""
    with_positions = has_positions(reader, fieldname)
    if isinstance(reader, WrittenLists):
        yield from reader.long_lists(fieldname, min_df, with_positions) if fast_path() else ()
        return
    terms = _terms_reader(reader)
    if terms is None:
        return
    for _btext, frequency, offset in term_infos(reader, fieldname):
        if frequency >= min_df and offset is not None:
            values: list | None = [] if with_positions else None
            ids, weights = _read_blocks(terms._postfile, offset, values)
            yield offset, ids, weights, values


# -- 2. field lengths ----------------------------------------------------------------------


def field_lengths(reader, fieldname: str, count: int) -> np.ndarray:
    """Every document's length in a field as Whoosh scores it (its one-byte approximation)."""
    column = None
    perdoc = getattr(reader, "_perdoc", None) if fast_path() else None
    if perdoc is not None and hasattr(perdoc, "_cached_reader"):
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return np.ones(count, dtype=np.float32)  # the field has no lengths in this segment
        try:
            # The column stores bytes only up to the last document with the field; the
            # documents after it have none (reading ``count`` bytes would run into the
            # next column of the file, or past its end).
            stored = min(count, column._count)
            raw = np.zeros(count, dtype=np.uint8)
            raw[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
            lengths = _byte_to_length()[raw]
            lengths[lengths == 0] = 1.0
            return lengths
        except Exception:  # noqa: BLE001 - another column layout: the public path below
            log.debug("lengths column of %s not readable whole", fieldname, exc_info=True)
    lengths = np.fromiter((reader.doc_field_length(d, fieldname, 0) for d in range(count)),
                          dtype=np.float32, count=count)
    lengths[lengths == 0] = 1.0  # as the fast path and Whoosh's scorer see an absent length
    return lengths


_LENGTH_TABLE: np.ndarray | None = None


def _byte_to_length() -> np.ndarray:
    global _LENGTH_TABLE
    if _LENGTH_TABLE is None:
        from whoosh.util.numeric import byte_to_length

        _LENGTH_TABLE = np.asarray([byte_to_length(b) for b in range(256)], dtype=np.float32)
    return _LENGTH_TABLE


# -- 3. deleted documents -------------------------------------------------------------------


def deleted_docs(reader, count: int) -> list[int]:
    """Local numbers of a segment's deleted documents."""
    if not reader.has_deletions():
        return []
    if fast_path() and hasattr(reader, "deleted_docs_set"):
        return list(reader.deleted_docs_set)
    return [d for d in range(count) if reader.is_deleted(d)]


# -- 4. a reader pinned to one version -------------------------------------------------------


def pinned_searcher(ix, generation: int):
    """A Whoosh searcher on exactly the table-of-contents ``generation`` of ``ix``.

    The public path opens the latest version, and refuses it (OSError, as for a version
    whose files are gone) when a commit has landed since: the caller then opens the new one.
    """
    from whoosh.searching import Searcher as WhooshSearcher

    if not fast_path():
        searcher = ix.searcher()
        if searcher.reader().generation() != generation:
            searcher.close()
            raise OSError(f"index version {generation} of {ix.storage} was replaced")
        return searcher
    from whoosh.index import TOC, FileIndex

    info = TOC.read(ix.storage, ix.indexname, generation)
    reader = FileIndex._reader(ix.storage, info.schema, info.segments, info.generation)
    return WhooshSearcher(reader, fromindex=ix)


# -- 6. positions ---------------------------------------------------------------------------

# (counts, positions): how many positions each posting has, and all of them one posting
# after the other (each posting's ascending), int32.
Positions = tuple[np.ndarray, np.ndarray]
EMPTY_POSITIONS: Positions = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32))


def has_positions(reader, fieldname: str) -> bool:
    """Whether a field's postings carry positions (what phrases need)."""
    field = reader.schema[fieldname] if fieldname in reader.schema else None
    return bool(field is not None and field.format and field.format.supports("positions"))


_PICKLE_HEAD = np.frombuffer(b"\x80\x02]q\x00", dtype=np.uint8)  # protocol 2, empty list, memo 0
_ITEM_WIDTH = np.zeros(256, dtype=np.int64)  # bytes after each int opcode, 0 for any other byte
_ITEM_WIDTH[ord("K")], _ITEM_WIDTH[ord("M")], _ITEM_WIDTH[ord("J")] = 1, 2, 4


# Fewer posting values than this (a phrase checked in one or two documents) are decoded by
# Whoosh one by one: the vectorized decoder's numpy step per position costs more.
_FEW_VALUES = 4


def decode_positions(values) -> Positions:
    """Positions of a run of posting values in Whoosh's ``Positions`` encoding.

    Each value is a big-endian count, then the pickled list of position deltas: ``K`` and
    one byte, ``M`` and two (little-endian) or ``J`` and four per delta. All values are
    read together, one delta of every posting per numpy step (so as many steps as the
    largest count), instead of one ``pickle.loads`` per posting. Any value laid out
    otherwise is decoded by Whoosh's own ``decode_positions``.
    """
    if not len(values):
        return EMPTY_POSITIONS
    if len(values) >= _FEW_VALUES:
        # Another layout falls through to Whoosh (IndexError: a count read past the end).
        with contextlib.suppress(ValueError, IndexError):
            return _decode_positions(values)
    from whoosh.formats import Positions as PositionsFormat

    decode = PositionsFormat().decode_positions
    lists = [decode(v) for v in values]
    counts = np.fromiter(map(len, lists), dtype=np.int32, count=len(lists))
    flat = np.fromiter((p for one in lists for p in one), dtype=np.int32, count=int(counts.sum()))
    return counts, flat


def _decode_positions(values) -> Positions:
    n = len(values)
    sizes = np.fromiter(map(len, values), dtype=np.int64, count=n)
    if sizes.min() < 12:
        raise ValueError("posting value too short for a position list")
    buf = np.frombuffer(b"".join(values), dtype=np.uint8)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    head = buf[starts[:, None] + np.arange(4)].astype(np.int64)
    counts = (head[:, 0] << 24) | (head[:, 1] << 16) | (head[:, 2] << 8) | head[:, 3]
    if not (buf[starts[:, None] + 4 + np.arange(len(_PICKLE_HEAD))] == _PICKLE_HEAD).all() or counts.min() < 1:
        raise ValueError("not a pickled position list")
    several = counts > 1
    ptr = starts + 4 + len(_PICKLE_HEAD) + several  # "(" (a mark) before several items
    first = np.zeros(n, dtype=np.int64)
    np.cumsum(counts[:-1], out=first[1:])
    deltas = np.empty(int(counts.sum()), dtype=np.int64)
    active = np.arange(n)
    step = 0
    while len(active):
        at = ptr[active]
        width = _ITEM_WIDTH[buf[at]]
        if not width.all():
            raise ValueError("unexpected opcode in a position list")
        value = buf[at + 1].astype(np.int64)
        wide = np.flatnonzero(width > 1)
        value[wide] |= buf[at[wide] + 2].astype(np.int64) << 8
        widest = wide[width[wide] > 2]
        value[widest] |= (buf[at[widest] + 3].astype(np.int64) << 16) | (buf[at[widest] + 4].astype(np.int64) << 24)
        value[widest] -= (value[widest] >= 1 << 31) << 32  # J is signed
        deltas[first[active] + step] = value
        ptr[active] = at + 1 + width
        step += 1
        active = active[counts[active] > step]
    closing = np.where(several, ord("e"), ord("a"))
    if not ((buf[ptr] == closing).all() and (ptr + 2 == starts + sizes).all() and (buf[ptr + 1] == ord(".")).all()):
        raise ValueError("position list not closed where expected")
    total = np.cumsum(deltas)
    before = np.where(first > 0, total[first - 1], 0)
    return counts.astype(np.int32), (total - np.repeat(before, counts)).astype(np.int32)


def read_positions(reader, fieldname: str, text: str | bytes, docs: np.ndarray) -> Positions:
    """Positions of a term in each of ``docs`` (sorted local ids) of one segment; a
    document without the term has none. Fast path: the posting blocks decoded, values of
    ``docs`` only. Public path: Whoosh's matcher moved to each document."""
    btext = _btext(text)
    if not len(docs) or not has_positions(reader, fieldname):
        return _no_positions(len(docs))
    terms = _terms_reader(reader)
    if terms is None:
        return _positions_by_matcher(reader, fieldname, btext, docs)
    try:
        info = terms.term_info(fieldname, btext)
    except TermNotFound:
        return _no_positions(len(docs))
    if info.is_inlined():
        ids, _weights, values = info.inlined_postings()
        ids = np.asarray(ids, dtype=np.int32)
    else:
        values = []
        ids, _weights = _read_blocks(terms._postfile, info.extent()[0], values)
    at = np.minimum(np.searchsorted(ids, docs), max(len(ids) - 1, 0))
    present = (ids[at] == docs) if len(ids) else np.zeros(len(docs), dtype=bool)
    counts = np.zeros(len(docs), dtype=np.int32)
    found_counts, flat = decode_positions([values[i] for i in at[present].tolist()])
    counts[present] = found_counts
    return counts, flat


def _no_positions(n: int) -> Positions:
    return np.zeros(n, dtype=np.int32), EMPTY_POSITIONS[1]


def _positions_by_matcher(reader, fieldname: str, btext: bytes, docs: np.ndarray) -> Positions:
    counts = np.zeros(len(docs), dtype=np.int32)
    if (fieldname, btext) not in reader:
        return counts, EMPTY_POSITIONS[1]
    parts = []
    matcher = reader.postings(fieldname, btext)
    for i, _doc in matcher_on(matcher, docs.tolist()):
        found = matcher.value_as("positions")
        counts[i] = len(found)
        parts.extend(found)
    return counts, np.asarray(parts, dtype=np.int32)


def matcher_on(matcher, docs: list[int]) -> Iterator[tuple[int, int]]:
    """(index, document) of each of the sorted ``docs`` that a Whoosh matcher holds, the
    matcher standing on it (moved forward with its public ``skip_to``)."""
    for i, d in enumerate(docs):
        if not matcher.is_active():
            return
        if matcher.id() < d:
            matcher.skip_to(d)
            if not matcher.is_active():
                return
        if matcher.id() == d:
            yield i, d
