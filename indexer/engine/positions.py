"""Where a query's phrase words occur in the documents a phrase is checked in.

A phrase check (:mod:`indexer.engine.phrases`) needs each word's positions in its candidate
documents, as sorted keys. The candidates are often the same few documents for every phrase
of a query (the boosters checked in a tier's best candidates), so a word's keys are made
once per set of documents, and the words not read yet are read together: one set of array
operations per segment for all of them (:meth:`~indexer.engine.sidecars.Sidecar.positions_of_rows`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from indexer.engine import whoosh_adapter as adapter
from indexer.engine.phrases import position_keys
from indexer.engine.sidecars import segment_positions
from indexer.engine.term_table import NOT_IN_SIDECAR
from indexer.engine.version import IndexVersion

_NO_KEYS = np.zeros(0, dtype=np.int64)
Rows = Callable[[str, str], "dict[int, int] | None"]


class WordPositions:
    """Position keys of words in the documents last asked about (a query's evaluation).

    :param rows: (field, word) -> {segment: its row in that segment's sidecar}, from the
        merged term table, or None without one (each segment is then asked on its own).
    """

    def __init__(self, version: IndexVersion, searcher, rows: Rows):
        self.v = version
        self.searcher = searcher
        self._rows = rows
        self._universe: np.ndarray | None = None
        self._segments: list[tuple[int, object, object, int, np.ndarray]] = []
        self._keys: dict[tuple[str, str], np.ndarray] = {}

    def keys(self, fieldname: str, words: list[str], universe: np.ndarray,
             also: Iterable[str] = ()) -> list[np.ndarray]:
        """:func:`~indexer.engine.phrases.position_keys` of each word in ``universe`` (sorted
        global ids). Words not read yet are read together, with ``also`` (the words of the
        query's other phrases checked in the same documents)."""
        if universe is not self._universe:
            self._start(universe)
        if any((fieldname, w) not in self._keys for w in words):
            missing = [w for w in dict.fromkeys([*words, *also]) if (fieldname, w) not in self._keys]
            # Every segment's counts in one array over the universe, so that the keys are
            # made (and sorted) once for a word instead of once per segment.
            counts = {w: np.zeros(len(universe), dtype=np.int32) for w in missing}
            flats: dict[str, list[np.ndarray]] = {w: [] for w in missing}
            for word, (part_counts, flat), low in self._positions(fieldname, missing):
                counts[word][low:low + len(part_counts)] = part_counts
                flats[word].append(flat)
            for w in missing:
                parts = flats[w]
                self._keys[(fieldname, w)] = position_keys(
                    (counts[w], np.concatenate(parts) if len(parts) > 1 else parts[0])) if parts else _NO_KEYS
        return [self._keys[(fieldname, w)] for w in words]

    def _start(self, universe: np.ndarray) -> None:
        """Forget the last documents' keys; note which segments hold the new ones."""
        self._universe, self._keys, self._segments = universe, {}, []
        for segment, ((sub, offset), (*_, data)) in enumerate(
                zip(self.searcher.leaf_searchers(), self.v.leaves, strict=True)):
            low, high = np.searchsorted(universe, (offset, offset + sub.doc_count_all()))
            if low < high:
                local = (universe[low:high] - offset).astype(np.int32)
                self._segments.append((segment, sub.reader(), data.sidecar, int(low), local))

    def _positions(self, fieldname: str, words: list[str]):
        """(word, its positions, first universe index) in each segment of the universe that
        has the word: rows of the posting sidecars found through the merged term table (one
        lookup a word; a segment's rows read together), else segment by segment."""
        places = {w: self._rows(fieldname, w) for w in words}
        for segment, reader, sidecar, low, local in self._segments:
            rows, batch = [], []
            for word, found in places.items():
                if found is None:
                    yield word, segment_positions(reader, sidecar, fieldname, word, local), low
                    continue
                row = found.get(segment)
                if row is None:
                    continue
                if row != NOT_IN_SIDECAR and sidecar.positions is not None:
                    rows.append(row)
                    batch.append(word)
                else:
                    yield word, adapter.read_positions(reader, fieldname, word, local), low
            if rows:
                for word, positions in zip(batch, sidecar.positions_of_rows(rows, local), strict=True):
                    yield word, positions, low
