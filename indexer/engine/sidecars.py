"""Posting sidecars: each segment's long posting lists copied as flat arrays, memory-mapped.

Whoosh stores each posting block as a zlib-compressed pickle of ids, weights and positions.
Decoding costs about 0.7 µs per posting in Python, so a word found in 90,000 of 100,000
articles costs some 65 ms before any scoring. Every long list (:data:`SIDECAR_MIN_DF`
postings or more) of the fields searched by default is therefore also written, after each
commit, as flat arrays in a sidecar file next to the segment (``MAIN_<segment>.kbp``; the
name makes Whoosh delete it together with its segment). Reading a list from the sidecar is
an array slice of a memory map. Lists too short for the sidecar, and segments whose
sidecar is missing, are decoded from Whoosh's blocks (:func:`segment_postings`).

A list is keyed by where it starts in Whoosh's postings file, which only the fast path of
:mod:`indexer.engine.whoosh_adapter` knows: on Whoosh's public path no sidecar is written
or read. A missing or unreadable sidecar only costs speed.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from indexer.engine import whoosh_adapter as adapter
from indexer.engine.term_table import open_beside, table_path, write_term_table

SIDECAR_FIELDS = ("content", "title")
SIDECAR_MIN_DF = 24
SIDECAR_EXT = ".kbp"
_MAGIC = b"KBP1"
_HEADER = struct.Struct("<4sqq")  # magic, number of lists, number of postings


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


def write_sidecar(folder: Path | None, reader, fields: tuple[str, ...] = SIDECAR_FIELDS,
                  min_df: int = SIDECAR_MIN_DF) -> Path | None:
    """Write the long posting lists of one segment to its sidecar (atomically). Returns its
    path, or None when there is nothing to write it for (public path, not on disk)."""
    path = sidecar_path(folder, reader)
    if path is None or not adapter.fast_path():
        return None
    keys: list[int] = []
    id_parts: list[np.ndarray] = []
    weight_parts: list[np.ndarray] = []
    for fieldname in fields:
        for offset, ids, weights in adapter.long_lists(reader, fieldname, min_df):
            keys.append(offset)
            id_parts.append(ids)
            weight_parts.append(weights)
    order = np.argsort(np.asarray(keys, dtype=np.int64), kind="stable")
    offsets = np.asarray(keys, dtype=np.int64)[order]
    sizes = np.asarray([len(id_parts[i]) for i in order], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    ids = np.concatenate([id_parts[i] for i in order]) if keys else adapter.EMPTY_IDS
    weights = np.concatenate([weight_parts[i] for i in order]) if keys else adapter.EMPTY_WEIGHTS
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(_HEADER.pack(_MAGIC, len(offsets), len(ids)))
        for array, dtype in ((offsets, "<i8"), (starts, "<i8"), (ids, "<i4"), (weights, "<f4")):
            f.write(array.astype(dtype).tobytes())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    write_term_table(folder, reader, fields)
    return path


class Sidecar:
    """A segment's sidecar, memory-mapped: long posting lists by their Whoosh offset."""

    def __init__(self, path: Path):
        raw = np.memmap(path, dtype=np.uint8, mode="r")
        magic, lists, postings = _HEADER.unpack(bytes(raw[:_HEADER.size]))
        if magic != _MAGIC:
            raise ValueError(f"{path} is not a kb posting sidecar")
        at = _HEADER.size
        self.offsets = np.frombuffer(raw, dtype="<i8", count=lists, offset=at)
        at += 8 * lists
        self.starts = np.frombuffer(raw, dtype="<i8", count=lists + 1, offset=at)
        at += 8 * (lists + 1)
        self.ids = np.frombuffer(raw, dtype="<i4", count=postings, offset=at)
        at += 4 * postings
        self.weights = np.frombuffer(raw, dtype="<f4", count=postings, offset=at)

    @classmethod
    def open(cls, folder: Path | None, reader) -> Sidecar | None:
        """The sidecar of a segment reader, or None (none written, unreadable, public path)."""
        return open_beside(cls, sidecar_path(folder, reader))

    def list_at(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """The list in a row of this sidecar (a term table says which row a term is in)."""
        start, end = self.starts[row], self.starts[row + 1]
        return self.ids[start:end], self.weights[start:end]

    def lookup(self, offset: int) -> tuple[np.ndarray, np.ndarray] | None:
        i = int(np.searchsorted(self.offsets, offset))
        if i >= len(self.offsets) or self.offsets[i] != offset:
            return None
        start, end = self.starts[i], self.starts[i + 1]
        return self.ids[start:end], self.weights[start:end]


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


def missing_sidecars(ix) -> list[tuple[str, str, str, int]]:
    """(folder, index name, segment id, documents) of every segment of ``ix`` without a sidecar
    (none on Whoosh's public path, where sidecars are not used)."""
    if not adapter.fast_path():
        return []
    out = []
    folder = index_folder(ix)
    with ix.reader() as reader:
        for sub, _offset in reader.leaf_readers():
            path = sidecar_path(folder, sub)
            if path is not None and not (path.exists() and table_path(folder, sub).exists()):
                segment = sub.segment()
                out.append((str(path.parent), segment.indexname, segment.segment_id(), sub.doc_count_all()))
    return out


def write_sidecars(tasks: list[tuple[str, str, str, int]], *, procs: int = 1, progress=None) -> int:
    """Write the sidecars of :func:`missing_sidecars` tasks, in ``procs`` processes when there
    are several large segments (a full build of 100k articles: about 20 s of decoding).
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
