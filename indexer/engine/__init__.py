"""The evaluation engine: Whoosh query trees answered from whole posting lists with numpy.

The rest of kb's search asks three things of it:

* :class:`IndexVersion` (one per open index version): the document space, live documents,
  field lengths, columns and caches, built from per-segment data in a :class:`SegmentCache`;
* :class:`Evaluation` (one per query): ``run(query)`` gives :class:`Matches`, a match mask
  and BM25F scores (Whoosh's own formula) over every document, phrases included;
* the posting sidecars that make long lists cheap to read (:mod:`.sidecars`), and the
  term tables that find a word in every segment at once (:mod:`.term_table`).

Whoosh's private internals are read in :mod:`.whoosh_adapter` only, which falls back to
Whoosh's public API on any other Whoosh version than the one it was written for.
"""

from indexer.engine.evaluate import Evaluation, score_docs
from indexer.engine.matches import Matches
from indexer.engine.sidecars import missing_sidecars, write_sidecars
from indexer.engine.version import IndexVersion, SegmentCache, SegmentData, Statistics, leaves, mask_of

__all__ = [
    "Evaluation",
    "IndexVersion",
    "Matches",
    "SegmentCache",
    "SegmentData",
    "Statistics",
    "leaves",
    "mask_of",
    "missing_sidecars",
    "score_docs",
    "write_sidecars",
]
