"""The app's long-lived parts (database, search log, signals, catalog) and the catalog itself.

Views never call the Searcher: they call :class:`Catalog` with a
:class:`~kb.visibility.Reader`, and the catalog passes that reader's audience and
statuses to every lookup. Visibility can't be forgotten in a view because a view has no
way to ask without a reader; what a reader may see is decided in :mod:`kb.visibility`.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import weakref
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy.engine import Engine

from kb.db import engine_for
from kb.errors import IndexMissing
from kb.model import Article
from kb.resolution_codes import TAXONOMY_FILE, Taxonomy, load_taxonomy
from kb.visibility import (
    ARCHIVED,
    INTERNAL_AUDIENCE,
    PUBLIC,
    PUBLIC_AUDIENCE,
    Reader,
    public_replacement_id,
    valid_article_id,
)
from web.signals import CombinedSignals, helpfulness_provider


class Catalog:
    """Every search and article lookup, always scoped to a reader.

    The Searcher is opened on first use (one per app, shared by all threads), so an app
    can be created before its index exists and report :class:`IndexMissing` per request.
    """

    def __init__(self, index_dir: str | Path, signals: CombinedSignals):
        self.index_dir = Path(index_dir)
        self.signals = signals
        self._searcher = None
        self._lock = threading.Lock()

    @property
    def searcher(self):
        """The shared Searcher; raises IndexMissing when there is no index yet."""
        if self._searcher is None:
            with self._lock:
                if self._searcher is None:
                    from indexer import Searcher, index_exists

                    if not index_exists(self.index_dir):
                        raise IndexMissing(self.index_dir)
                    self._searcher = Searcher(self.index_dir, signals=self.signals, warm_new_generations=True)
        return self._searcher

    def search(self, reader: Reader, query: str, *, status: str | None = None, **options):
        """A page of results; ``status`` narrows to one status the reader may filter on."""
        return self.searcher.search(query, audience=reader.audience, statuses=self._statuses(reader, status),
                                    **options)

    def suggest(self, reader: Reader, title: str, description: str = "", **options):
        """Articles that may answer a new ticket."""
        return self.searcher.suggest(title, description, audience=reader.audience, statuses=reader.statuses,
                                     **options)

    def autocomplete(self, reader: Reader, prefix: str, *, limit: int = 8) -> list[dict]:
        """Titles starting with what the reader typed."""
        return self.searcher.autocomplete(prefix, audience=reader.audience, statuses=reader.statuses,
                                          limit=limit)

    def get(self, reader: Reader, article_id: str, *, include_archived: bool = False) -> Article | None:
        """The article if this reader may see it, else None (missing and hidden look the same)."""
        if not valid_article_id(article_id):
            return None
        return self.searcher.get_article(article_id, audience=reader.audience,
                                         statuses=reader.lookup_statuses(include_archived))

    def by_path(self, reader: Reader, path: str) -> Article | None:
        """The article indexed from ``path`` if this reader may see it, else None."""
        if not path or len(path) > 1000:
            return None
        return self.searcher.get_article_by_path(path, audience=reader.audience, statuses=reader.statuses)

    def public_replacement(self, article_id: str) -> Article | None:
        """For an archived *public* article: its public replacement, so old help links still work.

        Only answers when both the archived article was public and its replacement is
        visible to the public; otherwise None, exactly as for an unknown id.
        """
        if not valid_article_id(article_id):
            return None
        replacement = public_replacement_id(
            self.searcher.get_article(article_id, audience=INTERNAL_AUDIENCE, statuses=(ARCHIVED,),
                                      written_for=PUBLIC_AUDIENCE))
        return self.get(PUBLIC, replacement) if replacement else None

    def list(self, reader: Reader, *, status: str | None = None, **options):
        """(total, hits) for browsing without a query."""
        return self.searcher.list_articles(audience=reader.audience, statuses=self._statuses(reader, status),
                                           **options)

    def facets(self, reader: Reader) -> dict:
        """Facet values with counts over everything the reader may see."""
        return self.searcher.facet_values(audience=reader.audience, statuses=reader.statuses)

    def visible_ids(self, reader: Reader, ids) -> list[Article]:
        """The articles among ``ids`` this reader may see, in order (for related links)."""
        found = []
        for article_id in dict.fromkeys(ids):
            article = self.get(reader, article_id)
            if article is not None:
                found.append(article)
        return found

    @staticmethod
    def _statuses(reader: Reader, status: str | None) -> tuple[str, ...]:
        if status is None:
            return reader.statuses
        if not reader.may_filter_by(status):
            raise ValueError(f"status '{status}' is not available to this reader")
        return (status,)


def signal_providers(engine: Engine) -> list:
    """Every source of ranking signals: helpfulness votes, and reuse counts from cases when present."""
    providers = [helpfulness_provider(engine)]
    try:
        from kb.cases.store import case_signals
    except ImportError:  # the case store is optional for the web app
        return providers
    providers.append(lambda: case_signals(engine))
    return providers


class Services:
    """What one app instance shares across requests and threads."""

    def __init__(self, app: Flask):
        cfg = app.config
        self.engine: Engine = engine_for(cfg["DB_URL"])
        self.signals = CombinedSignals(signal_providers(self.engine), ttl=cfg["SIGNALS_TTL_SECONDS"])
        self.catalog = Catalog(cfg["INDEX_DIR"], self.signals)
        from kb.activity import SearchLog

        self.search_log = SearchLog(self.engine, max_batch=cfg["SEARCH_LOG_BATCH"],
                                    max_delay=cfg["SEARCH_LOG_DELAY_SECONDS"], background=True)
        self.articles_dir = Path(cfg["ARTICLES_DIR"])
        self._taxonomy: Taxonomy | None = None

    @property
    def taxonomy(self) -> Taxonomy:
        """Resolution codes, read once from the articles folder (empty when it has none)."""
        if self._taxonomy is None:
            self._taxonomy, _problems = load_taxonomy(self.articles_dir / TAXONOMY_FILE)
        return self._taxonomy

    def code_name(self, code: str) -> str:
        """A resolution code's display name, or the code itself when the taxonomy lacks it."""
        for c in self.taxonomy:
            if c.code == code:
                return c.name
        return code


def init_app(app: Flask) -> None:
    """Create the app's services and make sure buffered searches reach the database."""
    svc = Services(app)
    app.extensions["kb"] = svc
    atexit.register(_flush_quietly, weakref.ref(svc))


def _flush_quietly(ref: weakref.ref) -> None:
    svc = ref()
    if svc is None:
        return
    with contextlib.suppress(Exception):  # at interpreter exit the database may already be gone
        svc.search_log.flush()


def services() -> Services:
    """The current app's services."""
    return current_app.extensions["kb"]


def catalog() -> Catalog:
    """The current app's catalog."""
    return services().catalog
