"""Whoosh's W3 codec, minus one cost kb never benefits from.

While writing postings, Whoosh looks up every posting's field length (a read from the
lengths column just written) to record each block's shortest and longest document. Those
figures only serve Whoosh's block-skipping optimisations, which kb does not use (searches
are evaluated over whole posting lists, :mod:`indexer.vectors`); the lookups were about a
tenth of a build's CPU time. Everything else, readers included, is Whoosh's own.
"""

from __future__ import annotations

from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter


class KbFieldWriter(W3FieldWriter):
    def add_postings(self, schema, lengths, items):
        return super().add_postings(schema, None, items)


class KbCodec(W3Codec):
    """The codec kb's index writers use (stored in each segment, so readers use it too)."""

    def field_writer(self, storage, segment):
        return KbFieldWriter(self, storage, segment)
