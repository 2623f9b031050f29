"""The adapter's writing half (sections 5 and 7 of :mod:`indexer.engine.whoosh_adapter`):
kb's codec, and the segments a rebuild's worker processes write without the lock.

Like the rest of the adapter, it uses Whoosh internals only on the fast path
(:func:`indexer.engine.whoosh_adapter.fast_path`), for the Whoosh it was written for.
"""

from __future__ import annotations

import functools
import itertools
import operator
import pickle
import zlib
from array import array

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3PostingsWriter, W3TermInfo
from whoosh.filedb.filetables import _lengths as _entry_lengths  # a hash file entry's key and value lengths
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte

from indexer.engine.whoosh_adapter.guard import fast_path

# -- 5. writing ------------------------------------------------------------------------------


# Blocks whose pickle is shorter than this are written uncompressed (the block's info says
# so, and every W3 reader honours it): zlib sets up some 260 KB of state per call, which
# costs more than the pickling, and gains nothing on the few dozen bytes of most terms.
COMPRESS_FROM = 256


class _KbFieldWriter(W3FieldWriter):
    def add_postings(self, schema, lengths, items):
        return super().add_postings(schema, None, items)


class _KbPostingsWriter(W3PostingsWriter):
    def _write_block(self, last=False):
        """W3's block, compressed from :data:`COMPRESS_FROM` bytes only (:func:`_block_bytes`)."""
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        lengths = length_to_byte(self._minlength), length_to_byte(self._maxlength)
        self._postfile.write(_block_bytes(data, len(self._ids), self._ids[-1], self._maxweight,
                                          self._compression, last, *lengths))
        self._blockcount += 1
        self._new_block()


def _block_bytes(data: tuple, count: int, last_id: int, top: float, compression: int,
                 last: bool, shortest: int = 0, longest: int = 0) -> bytes:
    """One W3 block: its length (negative for a term's last block), the pickled info tuple,
    then the pickled (ids, weights, values), compressed when at least :data:`COMPRESS_FROM`
    bytes long (the info tuple says which)."""
    pickled = pickle.dumps(data, 2)
    level = compression if len(pickled) >= COMPRESS_FROM else 0
    if level:
        pickled = zlib.compress(pickled, level)
    info = pickle.dumps((count, last_id, top, level, shortest, longest), 2)
    size = len(info) + len(pickled)
    return pack_int(-size if last else size) + info + pickled


class KbCodec(W3Codec):
    """Whoosh's W3 codec minus two costs kb never benefits from; readers are W3's own.

    While writing postings, W3 looks up every posting's field length (a read from the
    lengths column just written) to record each block's shortest and longest document.
    Those only serve Whoosh's block skipping, which kb does not use (searches read whole
    posting lists); the lookups were about a tenth of a build's time. And it compresses
    every block, most of them a few dozen bytes that zlib cannot shorten
    (:data:`COMPRESS_FROM`).
    """

    def field_writer(self, storage, segment):
        return _KbFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        return _KbPostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                                 compression=self._compression, inlinelimit=self._inlinelimit)


def writer_codec():
    """The codec index writers should use: kb's on the fast path, Whoosh's default otherwise."""
    return KbCodec() if fast_path() else None


# -- 7. segments written in worker processes ------------------------------------------------


def segment_writer(ix, *, limitmb: int, codec, keep: dict[str, int] | None = None):
    """A writer of one new segment that takes no lock, for a worker process of a rebuild:
    the building process holds the lock and commits every worker's segment at once
    (:func:`commit_segments`), as Whoosh's own multiprocessing writer does. Fast path only.

    Its postings are grouped by term as documents are added and written term by term in
    whole blocks (``_bulk_segment_writer()``), when the schema allows it. ``keep``: field ->
    fewest documents of a list kept for :func:`written_lists` (every term's frequency and
    offset is kept for those fields)."""
    from whoosh.writing import SegmentWriter

    if _bulk_writes(ix.schema, codec):
        writer = _bulk_segment_writer()(ix, _lk=False, limitmb=limitmb, compound=False, codec=codec)
        writer.keep = dict(keep or {})
        return writer
    return SegmentWriter(ix, _lk=False, limitmb=limitmb, compound=False, codec=codec)


class WrittenLists:
    """The posting lists of some fields of a segment just written, as the adapter's
    ``long_lists`` and ``term_infos`` would read them back from the segment's files: a
    sidecar written from them skips decoding its lists again. Each list is given once (and
    let go of), in term order."""

    def __init__(self, segment, schema, fields: dict[str, list[list]], shortest: dict[str, int]):
        self._segment = segment
        self.schema = schema
        self._fields = fields  # field -> [term, list offset, documents, (ids, weights, values) or None]
        self._shortest = shortest  # field -> the fewest documents of a list kept

    def segment(self):
        return self._segment

    def long_lists(self, fieldname: str, min_df: int, with_positions: bool):
        if min_df < self._shortest.get(fieldname, min_df):
            raise ValueError(f"lists of {fieldname} under {self._shortest[fieldname]} documents were not kept")
        for entry in self._fields.get(fieldname, ()):
            _btext, offset, count, lists = entry
            if lists is None or count < min_df:
                continue
            entry[3] = None
            ids, weights, values = lists
            # Whoosh keeps a weight in single precision (``array("f")`` of the sum).
            yield (offset, np.frombuffer(ids, dtype=f"u{ids.itemsize}").astype(np.int32),
                   np.frombuffer(weights, dtype=np.float64).astype(np.float32),
                   values if with_positions else None)

    def term_infos(self, fieldname: str):
        for btext, offset, count, _lists in self._fields.get(fieldname, ()):
            yield btext, count, offset


def written_lists(writer, segment) -> WrittenLists | None:
    """The kept lists of a :func:`segment_writer` whose ``segment`` was just finished; None
    when it kept none (Whoosh's own writer, or nothing asked)."""
    kept = getattr(writer, "kept", None)
    return WrittenLists(segment, writer.schema, kept, writer.keep) if kept and segment is not None else None


def _bulk_writes(schema, codec) -> bool:
    """Whether the bulk segment writer writes what Whoosh's own writer would for this
    schema: kb's codec (no field lengths in blocks), no term vectors or separate spelling
    fields, and formats whose postings either all have a value or none does."""
    from whoosh.formats import Existence, Frequency, Positions

    return fast_path() and isinstance(codec, KbCodec) and all(
        not f.vector and not f.separate_spelling() and type(f.format) in (Existence, Frequency, Positions)
        for _, f in schema.items() if f.indexed)


@functools.lru_cache(maxsize=1)
def _bulk_segment_writer():
    """:class:`whoosh.writing.SegmentWriter` whose postings skip the sorting pool.

    Whoosh's writer hands every posting to a pool as a tuple, sorts them all by field and
    term when the segment is finished, then feeds them one at a time to the postings
    writer, which cuts them into blocks. This one keeps each term's document numbers,
    weights and values as documents are added (in document order, so already sorted; the
    numbers in arrays, eight bytes or less a posting instead of a Python object each), and
    writes each term's blocks from slices of them (:func:`_term_blocks`). The
    files are those of Whoosh's own writer with kb's codec, byte for byte
    (``tests/indexer/test_bulk_segments.py`` compares them).
    """
    from whoosh.writing import SegmentWriter

    class BulkSegmentWriter(SegmentWriter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._postings: dict[str, dict[bytes, tuple]] = {}
            self.keep: dict[str, int] = {}  # field -> fewest documents of a list that outlives the flush
            self.kept: dict[str, list] = {}

        def add_document(self, **fields):
            self._check_state()
            perdocwriter, schema, docnum = self.perdocwriter, self.schema, self.docnum
            docboost = self._doc_boost(fields)
            names = sorted(name for name in fields if not name.startswith("_"))
            self._check_fields(schema, names)
            perdocwriter.start_doc(docnum)
            try:
                for name in names:
                    value = fields[name]
                    if value is None:
                        continue
                    field = schema[name]
                    length = 0
                    if field.indexed:
                        boost = self._field_boost(fields, name, docboost)
                        terms = self._postings.get(name)
                        if terms is None:
                            terms = self._postings[name] = {}
                        scorable = field.scorable
                        for tbytes, freq, weight, vbytes in field.index(value):
                            if scorable:
                                length += freq
                            lists = terms.get(tbytes)
                            if lists is None:
                                lists = terms[tbytes] = (array("I"), array("d"), [])
                            lists[0].append(docnum)
                            lists[1].append(weight * boost)
                            if vbytes:
                                lists[2].append(vbytes)
                    stored = fields.get(f"_stored_{name}", value)
                    perdocwriter.add_field(name, field, stored if field.stored else None, length)
                    if field.column_type and stored is not None:
                        perdocwriter.add_column_value(name, field.column_type, field.to_column_value(stored))
            except Exception:
                perdocwriter.cancel_doc()
                raise
            perdocwriter.finish_doc()
            self._added = True
            self.docnum += 1

        def _flush_segment(self):
            self.perdocwriter.close()
            writer = self.fieldwriter
            for name in sorted(name for name, terms in self._postings.items() if terms):
                writer.start_field(name, self.schema[name])  # (Whoosh starts no field without terms)
                postings, field_id = writer._postwriter, pack_ushort(writer._fieldid)
                fixed = writer._format.fixed_value_size()
                terms = self._postings[name]
                # Both files' positions are counted here: asking a file costs a system
                # call, and Whoosh's writers ask twice a term.
                postfile, table = postings._postfile, writer._tindex
                at, table_at = postfile.tell(), table.dbfile.tell()
                kept = self.kept.setdefault(name, []) if name in self.keep else None
                shortest = self.keep.get(name, 0)
                for btext in sorted(terms):
                    lists = terms[btext]
                    blocks, entry = _term_blocks(*lists, fixed, postings._blocklimit, postings._compression)
                    postfile.write(blocks)
                    table_at = _add_term(table, table_at, field_id + btext,
                                         entry + pack_long(at) + pack_int(len(blocks)))
                    if kept is not None:
                        count = len(lists[0])
                        kept.append([btext, at, count, lists if count >= shortest else None])
                    at += len(blocks)
                writer.finish_field()
            self._postings.clear()
            writer.close()

    return BulkSegmentWriter


def _add_term(table, at: int, key: bytes, value: bytes) -> int:
    """``OrderedHashWriter.add`` for a terms table whose file is at ``at``; returns where
    the file is after the entry."""
    if key <= table.lastkey:
        raise ValueError(f"Keys must increase: {table.lastkey!r}..{key!r}")
    table.index.append(at)
    table.dbfile.write(_entry_lengths.pack(len(key), len(value)) + key + value)
    h = table.hashfn(key)
    table.buckets[h & 255].append((h, at))
    table.lastkey = key
    return at + _entry_lengths.size + len(key) + len(value)


def _term_blocks(ids: array, weights: array, values: list[bytes], fixed: int | None,
                 limit: int, compression: int) -> tuple[bytes, bytes]:
    """One term's blocks as kb's codec writes them (:class:`_KbPostingsWriter`, whose
    bookkeeping is done here once per block instead of once per posting), and the start of
    its entry for the terms table (a ``W3TermInfo``'s bytes, without where the blocks are)."""
    chunks = [WHOOSH3_HEADER_MAGIC]
    count, total, top = len(ids), 0.0, 0
    for start in range(0, count, limit):
        end = min(count, start + limit)
        block_ids, block_weights = ids[start:end], weights[start:end]
        rounded = array("f", block_weights)
        high = max(block_weights)  # W3 keeps the maximum before float32 rounding
        total += sum(rounded)
        top = max(top, high)
        n = end - start
        if rounded.count(1.0) == n:
            mini_weights = None
        elif rounded.count(rounded[0]) == n:
            mini_weights = rounded[0]
        else:
            mini_weights = tuple(rounded)
        if fixed is None or fixed < 0:
            mini_values = tuple(values[start:end])
        else:
            mini_values = None if fixed == 0 else b"".join(values[start:end])
        deltas = tuple(map(operator.sub, block_ids, itertools.chain((0,), block_ids)))
        chunks.append(_block_bytes((deltas, mini_weights, mini_values), n, block_ids[-1], high, compression,
                                   end == count, _NO_LENGTH, _NO_LENGTH))
    entry = W3TermInfo._struct.pack(False, total, count, _NO_LENGTH, _NO_LENGTH, top, ids[0], ids[-1])
    return b"".join(chunks), entry


_NO_LENGTH = length_to_byte(0)  # kb's codec records no field lengths in blocks or terms


def finish_segment(writer):
    """Write out a :func:`segment_writer`'s segment and return it (None when it holds nothing).
    The writer's temporary folder is shared with the other workers, so it stays."""
    if writer._added:
        return writer._finalize_segment()
    writer._close_segment()
    return None


def commit_segments(writer, segments: list) -> None:
    """Commit segments written by :func:`segment_writer` as the index's whole content, with a
    locked writer of the same index that wrote nothing itself (which it then closes)."""
    writer._close_segment()
    writer._commit_toc(segments)
    writer._finish()
