"""kb's search engine: Whoosh schema, analysis, index builds and the search API.

Everything Whoosh stays inside this package; callers get plain dataclasses. The public
surface is re-exported here.
"""

from indexer.build import BuildReport, build_index, prepare_updates
from indexer.keyterms import MAX_DESCRIPTION_CHARS
from indexer.layout import index_exists
from indexer.search import MAX_QUERY_CHARS, Facet, Searcher, SearchHit, SearchPage, Signals

__all__ = [
    "MAX_DESCRIPTION_CHARS",
    "MAX_QUERY_CHARS",
    "BuildReport",
    "Facet",
    "SearchHit",
    "SearchPage",
    "Searcher",
    "Signals",
    "build_index",
    "index_exists",
    "prepare_updates",
]
