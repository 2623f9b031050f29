"""Term tables: each segment's term dictionary of the searched fields as sorted arrays.

Whoosh finds a term in a segment through an on-disk hash table, about 12-14 µs of Python
per lookup, and a 100k-article index has a dozen segments or more: reading one word's
postings, or its document frequency, costs some 350 µs before anything is read, and a
ticket or a pasted message asks for dozens of words. A term table holds, for every term of
the fields that have posting sidecars, a 64-bit key (a hash of field and term), its
document frequency and where its posting list starts (the key of the list's copy in the
posting sidecar). Finding a term is a binary search in a memory map; a term a segment
does not have is known absent without asking Whoosh at all.

The table is written beside the sidecar (``MAIN_<segment>.kbt``, deleted by Whoosh with
its segment) from the same walk over the term dictionary. Two different terms sharing a
64-bit key is as likely as a random collision in a set of a few million (about 1e-7); a
missing or unreadable table only costs speed.
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

import numpy as np

from indexer.engine import whoosh_adapter as adapter

TABLE_EXT = ".kbt"
_MAGIC = b"KBT1"
_HEADER = struct.Struct("<4sqq")  # magic, number of terms, bytes of the field names that follow
INLINED = -1  # list offset of a term whose postings live inside its term info


def term_key(fieldname: str, text: str | bytes) -> int:
    """The 64-bit key of a term of a field (stable across processes and runs)."""
    btext = text.encode("utf-8") if isinstance(text, str) else text
    digest = hashlib.blake2b(btext, digest_size=8, person=fieldname.encode("utf-8")[:16]).digest()
    return int.from_bytes(digest, "little")


def table_path(folder: Path | None, reader) -> Path | None:
    """Where the term table of a segment reader of the index in ``folder`` lives."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is None or folder is None:
        return None
    return Path(folder) / f"{segment.segment_id()}{TABLE_EXT}"


def write_term_table(folder: Path | None, reader, fields: tuple[str, ...]) -> Path | None:
    """Write one segment's term table for ``fields`` (atomically); None when there is
    nothing to write it for (Whoosh's public path, an index not on disk)."""
    path = table_path(folder, reader)
    if path is None or not adapter.fast_path():
        return None
    keys: list[int] = []
    frequencies: list[int] = []
    offsets: list[int] = []
    for fieldname in fields:
        for btext, frequency, offset in adapter.term_infos(reader, fieldname):
            keys.append(term_key(fieldname, btext))
            frequencies.append(frequency)
            offsets.append(INLINED if offset is None else offset)
    key_array = np.asarray(keys, dtype=np.uint64)
    order = np.argsort(key_array, kind="stable")
    names = "\n".join(fields).encode("utf-8")
    names += b"\n" * (-(_HEADER.size + len(names)) % 8)  # the arrays start 8-byte aligned
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(_HEADER.pack(_MAGIC, len(keys), len(names)))
        f.write(names)
        f.write(key_array[order].astype("<u8").tobytes())
        f.write(np.asarray(offsets, dtype="<i8")[order].tobytes())
        f.write(np.asarray(frequencies, dtype="<i4")[order].tobytes())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def open_beside(kind, path: Path | None):
    """``kind(path)`` for a file kept beside a segment, or None: no such file, an unreadable
    one, or Whoosh's public path (where these files are neither written nor read)."""
    if path is None or not adapter.fast_path() or not path.exists():
        return None
    try:
        return kind(path)
    except (OSError, ValueError, struct.error):
        return None


class TermTable:
    """A segment's term table, memory-mapped: term key -> document frequency, list offset.
    It answers only for the fields it was written for (:meth:`covers`)."""

    def __init__(self, path: Path):
        raw = np.memmap(path, dtype=np.uint8, mode="r")
        magic, count, names = _HEADER.unpack(bytes(raw[:_HEADER.size]))
        if magic != _MAGIC or len(raw) != _HEADER.size + names + 20 * count:
            raise ValueError(f"{path} is not a kb term table")
        self.fields = frozenset(bytes(raw[_HEADER.size:_HEADER.size + names]).decode("utf-8").split("\n")) - {""}
        at = _HEADER.size + names
        self.keys = np.frombuffer(raw, dtype="<u8", count=count, offset=at)
        self.offsets = np.frombuffer(raw, dtype="<i8", count=count, offset=at + 8 * count)
        self.frequencies = np.frombuffer(raw, dtype="<i4", count=count, offset=at + 16 * count)

    @classmethod
    def open(cls, folder: Path | None, reader) -> TermTable | None:
        """The term table of a segment reader, or None (none written, unreadable, public path)."""
        return open_beside(cls, table_path(folder, reader))

    def covers(self, fieldname: str) -> bool:
        return fieldname in self.fields

    def find(self, key: int) -> int:
        """The row of a term key, or -1 when the segment has no such term."""
        i = int(self.keys.searchsorted(np.uint64(key)))
        return i if i < len(self.keys) and int(self.keys[i]) == key else -1


class VersionTerms:
    """Every segment's term table of an index version merged into one: a term's key gives,
    in one binary search, its document frequency over the version and the segments that
    have it, with its list's row in each segment's posting sidecar (:data:`NOT_IN_SIDECAR`
    when the list is short or inlined and must be read from Whoosh).

    Built when a version opens (a few tens of ms at 100k articles), only when every segment
    has a table and a sidecar; otherwise lookups go segment by segment.
    """

    def __init__(self, tables: list[TermTable], sidecar_offsets: list[np.ndarray]):
        self.fields = frozenset.intersection(*(t.fields for t in tables)) if tables else frozenset()
        keys = np.concatenate([t.keys for t in tables]) if tables else np.zeros(0, dtype=np.uint64)
        segments = np.concatenate([np.full(len(t.keys), i, dtype=np.int32) for i, t in enumerate(tables)]) \
            if tables else np.zeros(0, dtype=np.int32)
        rows = np.concatenate([_sidecar_rows(t.offsets, offsets) for t, offsets in zip(tables, sidecar_offsets)]) \
            if tables else np.zeros(0, dtype=np.int32)
        frequencies = np.concatenate([t.frequencies for t in tables]) if tables else np.zeros(0, dtype=np.int32)
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        first = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]])) if len(keys) else np.zeros(0, np.int64)
        self.keys = keys[first]
        self.starts = np.concatenate([first, [len(keys)]]).astype(np.int64)
        self.frequencies = np.add.reduceat(frequencies[order].astype(np.int64), first) if len(first) \
            else np.zeros(0, dtype=np.int64)
        self.segments = segments[order]
        self.rows = rows[order]

    @classmethod
    def merge(cls, tables: list[TermTable | None], sidecars: list) -> VersionTerms | None:
        if not tables or any(t is None for t in tables) or any(s is None for s in sidecars):
            return None
        return cls(tables, [s.offsets for s in sidecars])

    def covers(self, fieldname: str) -> bool:
        return fieldname in self.fields

    def find(self, key: int) -> int:
        """The term's row, or -1 when no segment of the version has it."""
        i = int(self.keys.searchsorted(np.uint64(key)))
        return i if i < len(self.keys) and int(self.keys[i]) == key else -1

    def frequency(self, row: int) -> int:
        return int(self.frequencies[row]) if row >= 0 else 0

    def places(self, row: int) -> list[tuple[int, int]]:
        """(segment index, row in its sidecar or NOT_IN_SIDECAR) of every segment with the term."""
        if row < 0:
            return []
        start, end = self.starts[row], self.starts[row + 1]
        return list(zip(self.segments[start:end].tolist(), self.rows[start:end].tolist(), strict=True))


NOT_IN_SIDECAR = -1


def _sidecar_rows(list_offsets: np.ndarray, sidecar_offsets: np.ndarray) -> np.ndarray:
    """Each term's row in the sidecar (whose lists are sorted by offset), or NOT_IN_SIDECAR."""
    at = np.searchsorted(sidecar_offsets, list_offsets)
    inside = at < len(sidecar_offsets)
    found = np.zeros(len(list_offsets), dtype=bool)
    found[inside] = sidecar_offsets[at[inside]] == list_offsets[inside]
    return np.where(found, at, NOT_IN_SIDECAR).astype(np.int32)
