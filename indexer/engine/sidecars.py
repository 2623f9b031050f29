"""Posting sidecars: each segment's posting lists copied as flat arrays, memory-mapped.

Whoosh stores each posting block as a zlib-compressed pickle of ids, weights and positions.
Decoding costs about 0.7 µs per posting in Python, so a word found in 90,000 of 100,000
articles costs some 65 ms before any scoring, and even a list of one posting costs 50-120
µs (a term lookup in Whoosh's hash table, then a block's unpickling). Every list of the
fields searched by default (:data:`SIDECAR_FIELDS`) is therefore also written as flat
arrays in a sidecar file next to the segment (``MAIN_<segment>.kbp``; the name makes Whoosh
delete it together with its segment): by a rebuild's jobs from the lists they have just
written, by other builds after their commit from the segment's files. Reading a list from
the sidecar is an array slice of a memory map. Segments whose sidecar is missing or older
are decoded from Whoosh's blocks (:func:`segment_postings`).

The sidecar holds each list's positions too (what phrases are checked on): all of
them one posting after the other, and where each posting's start. The positions of a
phrase's words in its candidate documents are then a gather from the memory map
(:func:`segment_positions`) instead of a walk of Whoosh's phrase matcher (about 90 µs a
candidate) or an analysis of stored text. They add 4 bytes a posting and 2 a
position, and a tenth to the sidecar's writing time.

A list is keyed by where it starts in Whoosh's postings file, which only the fast path of
:mod:`indexer.engine.whoosh_adapter` knows: on Whoosh's public path no sidecar is written
or read. A missing, older or unreadable sidecar only costs speed; a segment whose sidecar
is missing or older is written one by the next build (:func:`missing_sidecars`).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from indexer.engine import whoosh_adapter as adapter
from indexer.engine.term_table import open_beside, table_path, write_term_table

SIDECAR_FIELDS = ("content", "title", "error_code", "title_key")
# The shortest list kept, per field: every list. The rare words are the ones error codes,
# identifiers and pasted messages ask for (a whole ``Contoso.Sync.PackageException``, a
# code in the ``error_code`` field), and the lists of fewer than 24 postings, 97% of a
# segment's content terms, hold only 6% of its postings: the sidecar grows by an eighth
# (56 -> 63 MB for 25,000 synthetic articles) and a code's search reads its lists in a
# quarter of the time (0.65 -> 0.25 ms). ``title_key`` (one list per title) tells every
# search whether the query is an article's exact title.
SIDECAR_MIN_DF = dict.fromkeys(SIDECAR_FIELDS, 1)
SIDECAR_EXT = ".kbp"
_MAGIC = b"KBP3"  # every list of the sidecar fields, with positions
_NO_POSITIONS = b"KBP1"  # the one layout without the positions header
# Still read, and rewritten by the next build: postings only (1); the long lists of two fields (2).
_OLDER = (_NO_POSITIONS, b"KBP2")
_HEADER = struct.Struct("<4sqq")  # magic, number of lists, number of postings
_POSITIONS_HEADER = struct.Struct("<qq")  # number of positions (-1: none), bytes per position
_DECODE_BATCH = 200_000  # posting values decoded per numpy pass when writing (bounded memory)


def index_folder(ix) -> Path | None:
    """The folder of an index's files (None for an index that is not on disk)."""
    folder = getattr(ix.storage, "folder", None)
    return Path(folder) if folder else None


def sidecar_path(folder: Path | None, reader) -> Path | None:
    """Where the sidecar of a segment reader of the index in ``folder`` lives."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is None or folder is None:
        return None
    return Path(folder) / f"{segment.segment_id()}{SIDECAR_EXT}"


def write_sidecar(folder: Path | None, reader, fields: tuple[str, ...] = SIDECAR_FIELDS) -> Path | None:
    """Write the posting lists of one segment to its sidecar (atomically). Returns its
    path, or None when there is nothing to write it for (public path, not on disk)."""
    path = sidecar_path(folder, reader)
    if path is None or not adapter.fast_path():
        return None
    keys: list[int] = []
    id_parts: list[np.ndarray] = []
    weight_parts: list[np.ndarray] = []
    count_parts: list[np.ndarray] = []
    position_parts: list[np.ndarray] = []
    pending: list = []  # encoded positions not yet decoded
    for fieldname in fields:
        shortest = SIDECAR_MIN_DF.get(fieldname, 1)
        for offset, ids, weights, values in adapter.long_lists(reader, fieldname, shortest):
            keys.append(offset)
            id_parts.append(ids)
            weight_parts.append(weights)
            if values is None:  # a field without positions
                _decode(pending, count_parts, position_parts)
                count_parts.append(np.zeros(len(ids), dtype=np.int32))
                continue
            pending.extend(values)
            if len(pending) >= _DECODE_BATCH:
                _decode(pending, count_parts, position_parts)
    _decode(pending, count_parts, position_parts)
    # Lists were read field by field; the sidecar keeps them in key order.
    keyed = np.asarray(keys, dtype=np.int64)
    order = np.argsort(keyed, kind="stable")
    sizes = np.asarray([len(part) for part in id_parts], dtype=np.int64)
    read_counts = np.concatenate(count_parts) if count_parts else np.zeros(0, dtype=np.int32)
    read_positions = np.concatenate(position_parts) if position_parts else np.zeros(0, dtype=np.int32)
    list_at = _starts(sizes)[:-1]
    position_at = _starts(read_counts)
    list_positions = position_at[list_at + sizes] - position_at[list_at]
    counts = read_counts[_ranges(list_at[order], sizes[order])]
    positions = read_positions[_ranges(position_at[list_at[order]], list_positions[order])]
    ids = np.concatenate([id_parts[i] for i in order]) if keys else adapter.EMPTY_IDS
    weights = np.concatenate([weight_parts[i] for i in order]) if keys else adapter.EMPTY_WEIGHTS
    wide = bool(len(positions)) and int(positions.max()) >= 1 << 16
    arrays = [(keyed[order], "<i8"), (_starts(sizes[order]), "<i8"), (ids, "<i4"), (weights, "<f4")]
    if len(positions) < 1 << 32:  # (more than a segment of kb articles ever holds: none kept)
        arrays += [(_starts(counts), "<u4"), (positions, "<u4" if wide else "<u2")]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(_HEADER.pack(_MAGIC, len(order), len(ids)))
        f.write(_POSITIONS_HEADER.pack(len(positions) if len(arrays) > 4 else -1, 4 if wide else 2))
        for array, dtype in arrays:
            f.write(array.astype(dtype).tobytes())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    write_term_table(folder, reader, fields)
    return path


def _decode(pending: list, count_parts: list, position_parts: list) -> None:
    """Decode the pending posting values (and empty the list)."""
    if pending:
        counts, positions = adapter.decode_positions(pending)
        count_parts.append(counts)
        position_parts.append(positions)
        pending.clear()


def _starts(sizes: np.ndarray) -> np.ndarray:
    """Where each of consecutive parts of these sizes starts, and where the last ends."""
    out = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=out[1:])
    return out


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The indexes ``start, start+1, ..., start+length-1`` of each range, one after the other."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.arange(total, dtype=np.int64) + np.repeat(np.asarray(starts, dtype=np.int64) - (ends - lengths), lengths)


class Sidecar:
    """A segment's sidecar, memory-mapped: long posting lists (and their positions) by their
    Whoosh offset."""

    def __init__(self, path: Path):
        raw = np.memmap(path, dtype=np.uint8, mode="r")
        magic, lists, postings = _HEADER.unpack(bytes(raw[:_HEADER.size]))
        if magic != _MAGIC and magic not in _OLDER:
            raise ValueError(f"{path} is not a kb posting sidecar")
        positioned = magic != _NO_POSITIONS
        at = _HEADER.size
        count, width = _POSITIONS_HEADER.unpack(bytes(raw[at:at + _POSITIONS_HEADER.size])) if positioned else (-1, 0)
        at += _POSITIONS_HEADER.size if positioned else 0
        self.offsets = np.frombuffer(raw, dtype="<i8", count=lists, offset=at)
        at += 8 * lists
        self.starts = np.frombuffer(raw, dtype="<i8", count=lists + 1, offset=at)
        at += 8 * (lists + 1)
        self.ids = np.frombuffer(raw, dtype="<i4", count=postings, offset=at)
        at += 4 * postings
        self.weights = np.frombuffer(raw, dtype="<f4", count=postings, offset=at)
        at += 4 * postings
        self.position_starts: np.ndarray | None = None
        self.positions: np.ndarray | None = None
        if count >= 0:
            self.position_starts = np.frombuffer(raw, dtype="<u4", count=postings + 1, offset=at)
            at += 4 * (postings + 1)
            self.positions = np.frombuffer(raw, dtype="<u4" if width == 4 else "<u2", count=count, offset=at)

    @classmethod
    def open(cls, folder: Path | None, reader) -> Sidecar | None:
        """The sidecar of a segment reader, or None (none written, unreadable, public path)."""
        return open_beside(cls, sidecar_path(folder, reader))

    def list_at(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """The list in a row of this sidecar (a term table says which row a term is in)."""
        start, end = self.starts[row], self.starts[row + 1]
        return self.ids[start:end], self.weights[start:end]

    def _find(self, offset: int) -> int | None:
        i = int(np.searchsorted(self.offsets, offset))
        return i if i < len(self.offsets) and self.offsets[i] == offset else None

    def lookup(self, offset: int) -> tuple[np.ndarray, np.ndarray] | None:
        i = self._find(offset)
        return None if i is None else self.list_at(i)

    def positions_in(self, offset: int, docs: np.ndarray) -> adapter.Positions | None:
        """Positions of the list at ``offset`` in each of ``docs`` (sorted local ids; none
        in a document the list does not hold), or None when this sidecar has no such list."""
        row = self._find(offset) if self.positions is not None else None
        return None if row is None else self.positions_at(row, docs)

    def positions_at(self, row: int, docs: np.ndarray) -> adapter.Positions:
        """Positions of the list in a row of this sidecar (which must hold positions) in each
        of ``docs`` (sorted local ids; none in a document the list does not hold)."""
        return self.positions_of_rows([row], docs)[0]

    def positions_of_rows(self, rows: list[int], docs: np.ndarray) -> list[adapter.Positions]:
        """:meth:`positions_at` of several rows at the same ``docs``: a phrase check asks
        for each of its words in the same few documents, and one set of array operations
        for them all costs what one word's did."""
        lows = self.starts[rows]
        sizes = self.starts[np.asarray(rows) + 1] - lows
        at = np.empty((len(rows), len(docs)), dtype=np.int64)
        ids = self.ids
        for i, (low, high) in enumerate(zip(lows.tolist(), (lows + sizes).tolist(), strict=True)):
            at[i] = ids[low:high].searchsorted(docs)
        np.minimum(at, (sizes - 1)[:, None], out=at)
        at += lows[:, None]
        present = ids[at] == docs
        first = self.position_starts[at].astype(np.int64)
        counts = np.where(present, self.position_starts[at + 1].astype(np.int64) - first, 0)
        flat = self.positions[_ranges(first.ravel(), counts.ravel())].astype(np.int32)
        bounds = [0, *np.cumsum(counts.sum(axis=1)).tolist()]
        counts = counts.astype(np.int32)
        return [(counts[i], flat[bounds[i]:bounds[i + 1]]) for i in range(len(rows))]


def segment_postings(reader, sidecar: Sidecar | None, fieldname: str,
                     text: str | bytes) -> tuple[np.ndarray, np.ndarray]:
    """A term's postings in one segment: from the sidecar when it has them, else decoded."""
    if sidecar is not None:
        offset = adapter.list_offset(reader, fieldname, text)
        if offset is not None:
            found = sidecar.lookup(offset)
            if found is not None:
                return found
        elif not adapter.has_term(reader, fieldname, text):
            return adapter.EMPTY_IDS, adapter.EMPTY_WEIGHTS
    return adapter.read_postings(reader, fieldname, text)


def segment_positions(reader, sidecar: Sidecar | None, fieldname: str, text: str | bytes,
                      docs: np.ndarray) -> adapter.Positions:
    """A term's positions in each of ``docs`` (sorted local ids) of one segment: from the
    sidecar when it has the list, else decoded from Whoosh's postings for those documents."""
    if sidecar is not None and sidecar.positions is not None:
        offset = adapter.list_offset(reader, fieldname, text)
        if offset is not None:
            found = sidecar.positions_in(offset, docs)
            if found is not None:
                return found
    return adapter.read_positions(reader, fieldname, text, docs)


def missing_sidecars(ix) -> list[tuple[str, str, str, int]]:
    """(folder, index name, segment id, documents) of every segment of ``ix`` without a
    current sidecar (none, or one written by an older kb); none on Whoosh's public path,
    where sidecars are not used."""
    if not adapter.fast_path():
        return []
    out = []
    folder = index_folder(ix)
    with ix.reader() as reader:
        for sub, _offset in reader.leaf_readers():
            path = sidecar_path(folder, sub)
            if path is not None and not (_is_current(path) and table_path(folder, sub).exists()):
                segment = sub.segment()
                out.append((str(path.parent), segment.indexname, segment.segment_id(), sub.doc_count_all()))
    return out


def _is_current(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(_MAGIC)) == _MAGIC
    except OSError:
        return False


def write_sidecars(tasks: list[tuple[str, str, str, int]], *, procs: int = 1, progress=None) -> int:
    """Write the sidecars of :func:`missing_sidecars` tasks, in ``procs`` processes when there
    are several large segments (a full build of 100k articles: about 35 s of decoding).
    Returns how many were written."""
    if procs > 1 and len(tasks) > 1:
        import concurrent.futures
        import multiprocessing

        context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
        with concurrent.futures.ProcessPoolExecutor(max_workers=procs, mp_context=context) as pool:
            futures = [pool.submit(_write_task, task) for task in sorted(tasks, key=lambda t: -t[3])]
            written = 0
            for done, future in enumerate(concurrent.futures.as_completed(futures)):
                written += future.result()
                if progress is not None:
                    progress(done + 1, len(tasks))
            return written
    written = 0
    for done, task in enumerate(tasks):
        written += _write_task(task)
        if progress is not None:
            progress(done + 1, len(tasks))
    return written


def _write_task(task: tuple[str, str, str, int]) -> int:
    from whoosh import index as whoosh_index

    folder, indexname, segment_id, _docs = task
    ix = whoosh_index.open_dir(folder, indexname=indexname)
    with ix.reader() as reader:
        for sub, _offset in reader.leaf_readers():
            if sub.segment().segment_id() == segment_id:
                return 1 if write_sidecar(Path(folder), sub) is not None else 0
    return 0  # merged away meanwhile: nothing to write
