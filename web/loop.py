"""The knowledge loop's shared parts in the web app: policy, sweeps, duplicates, gap topics.

:class:`Loop` is created with the app (``app.extensions["kcs"]``) and shared by every
thread. It wires the domain (:mod:`kb.kcs`) to the search engine: article vectors come
from the index's vector store, texts without one (cases, searches) are encoded with the
sentence encoder, and both are only ever handed to the domain as plain vectors. Expensive
results (duplicate pairs, gap topics) are cached until what they were computed from
changes; sweeps run at most every ``SWEEP_INTERVAL_SECONDS``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from urllib.parse import parse_qs, urlsplit

from flask import Flask, current_app, request, url_for

from kb.activity import search_log
from kb.cases.store import reuse_counts, revision_stamp
from kb.db import utcnow
from kb.kcs.duplicates import Pair, find_duplicates, texts_of
from kb.kcs.gaps import Topic, collect_items, find_topics, record_search_click
from kb.kcs.policy import Policy
from kb.kcs.schema import flags, search_clicks
from kb.kcs.sweep import sweep
from kb.kcs.views import ViewCounter
from kb.logins import DatabaseFailures
from kb.mapping import mapping_for
from web.ratelimit import WriteLimiter

log = logging.getLogger(__name__)

DUPLICATES_KEPT = 500  # pairs computed and cached; pages show fewer
GAP_WINDOW_DAYS = 90
TOPICS_TTL_SECONDS = 120.0


def text_encoder():
    """A function turning texts into meaning vectors; None when the encoder is off or absent."""
    from indexer.encoder import EncoderUnavailable, load_encoder
    from indexer.semantic import QUERY_TOKENS

    try:
        encoder = load_encoder()
    except EncoderUnavailable:
        log.warning("the sentence encoder is unusable; grouping by words alone", exc_info=True)
        return None
    if encoder is None:
        return None
    return lambda texts: encoder.encode(list(texts), max_tokens=QUERY_TOKENS)


def article_vectors(index_dir: Path, articles: Iterable) -> dict:
    """``{article id: meaning vector}`` from the index's vector store (empty without one)."""
    from indexer.semantic import VectorStore

    articles = list(articles)
    if not Path(index_dir).is_dir():
        return {}
    by_hash = VectorStore(index_dir).get([a.content_hash for a in articles if a.content_hash])
    return {a.id: by_hash[a.content_hash] for a in articles if a.content_hash in by_hash}


def duplicate_pairs(articles: Iterable, index_dir: Path, limit: int) -> tuple[list[Pair], bool]:
    """Likely duplicate pairs among ``articles``, most likely first, and whether meaning was used."""
    articles = [a for a in articles if a.status != "archived"]
    vectors = article_vectors(index_dir, articles)
    superseded = {a.id: a.superseded_by for a in articles if a.superseded_by}
    return find_duplicates(texts_of(articles), vectors=vectors, limit=limit, superseded=superseded), bool(vectors)


class Loop:
    """What the loop's pages and endpoints share in one app (thread-safe)."""

    def __init__(self, app: Flask):
        svc = app.extensions["kb"]
        cfg = app.config
        self.engine = svc.engine
        self.articles_dir: Path = svc.articles_dir
        self.index_dir = Path(cfg["INDEX_DIR"])
        self.sweep_interval = float(cfg["SWEEP_INTERVAL_SECONDS"])
        self.views = ViewCounter(self.engine, max_delay=cfg["VIEW_LOG_DELAY_SECONDS"])
        self.flag_limiter = WriteLimiter(cfg["ANONYMOUS_FLAGS_PER_WINDOW"], cfg["ANONYMOUS_FLAG_WINDOW_SECONDS"],
                                         store=DatabaseFailures(self.engine), namespace="flag")
        self._lock = threading.Lock()
        self._swept_at = -float("inf")
        self._duplicates: tuple[tuple, list[Pair], bool] | None = None
        self._topics: dict[int, tuple[float, tuple, list[Topic]]] = {}
        self._embed = None
        self._embed_loaded = False

    @property
    def policy(self) -> Policy:
        """The mapping file's owners and help-center rule (re-read when the file changes)."""
        return mapping_for(self.articles_dir).policy

    def knowledge_base(self):
        """Every article in the folder as it is on disk now (re-read only when files change)."""
        from web.authoring import live_kb

        return live_kb().get()

    def embed(self):
        """The sentence encoder as a text -> vectors function, loaded once (None without it)."""
        with self._lock:
            if not self._embed_loaded:
                self._embed, self._embed_loaded = text_encoder(), True
            return self._embed

    def maybe_sweep(self, *, force: bool = False) -> None:
        """Raise the tasks that are due, at most every ``sweep_interval`` seconds per process."""
        now = time.monotonic()
        with self._lock:
            if not force and now - self._swept_at < self.sweep_interval:
                return
            self._swept_at = now
        try:
            kb = self.knowledge_base()
            pairs = self._duplicates[1] if self._duplicates else None
            sweep(self.engine, kb.articles.values(), self.policy, reuse=reuse_counts(self.engine), duplicates=pairs)
        except Exception:  # noqa: BLE001 - a queue must open even when a sweep fails
            log.exception("the task sweep failed; showing the tasks as they are")

    def duplicates(self, limit: int = DUPLICATES_KEPT) -> tuple[list[Pair], bool]:
        """Likely duplicate pairs of the knowledge base (cached until an article changes)."""
        kb = self.knowledge_base()
        stamp = tuple(sorted((a.id, a.content_hash) for a in kb.articles.values()))
        cached = self._duplicates
        if cached is None or cached[0] != stamp:
            pairs, with_meaning = duplicate_pairs(kb.articles.values(), self.index_dir, DUPLICATES_KEPT)
            self._duplicates = cached = (stamp, pairs, with_meaning)
        return cached[1][:limit], cached[2]

    def topics(self, days: int = GAP_WINDOW_DAYS) -> list[Topic]:
        """Gap topics of the last ``days`` days (recomputed when the evidence changes)."""
        with self.engine.connect() as conn:
            searches = conn.execute(sa.select(sa.func.count(), sa.func.max(search_log.c.id))).one()
            flagged = conn.execute(sa.select(sa.func.count(), sa.func.max(flags.c.id))).one()
            opened = conn.execute(sa.select(sa.func.max(search_clicks.c.id))).one()
        stamp = (revision_stamp(self.engine), tuple(searches), tuple(flagged), tuple(opened))
        cached = self._topics.get(days)
        if cached and cached[1] == stamp and time.monotonic() - cached[0] < TOPICS_TTL_SECONDS:
            return cached[2]
        items = collect_items(self.engine, since=utcnow() - timedelta(days=days))
        topics = find_topics(items, embed=self.embed() if items else None)
        self._topics[days] = (time.monotonic(), stamp, topics)
        return topics

    def topic(self, topic_id: str, days: int = GAP_WINDOW_DAYS) -> Topic | None:
        return next((t for t in self.topics(days) if t.id == topic_id), None)

    def note_search_click(self, article_id: str) -> None:
        """When the reader came to this article from one of our search pages, remember that
        the search's results were opened (searches whose results nobody opens are gaps).

        Read from the Referer header, which browsers send within a site (our policy is
        strict-origin-when-cross-origin), so result links stay plain and no script is needed.
        """
        referrer = request.referrer
        if not referrer or len(referrer) > 4000:
            return
        parts = urlsplit(referrer)
        if parts.netloc != request.host or parts.path not in (url_for("search.search"), url_for("help.search")):
            return
        query = parse_qs(parts.query).get("q", [""])[0]
        try:
            record_search_click(self.engine, query, article_id)
        except Exception:  # noqa: BLE001 - the article matters more than the count
            log.exception("could not record a click from a search")

    def forget_duplicates(self) -> None:
        self._duplicates = None


def init_app(app: Flask) -> None:
    """Create the app's loop services and give templates the confidence helpers."""
    app.extensions["kcs"] = Loop(app)

    @app.context_processor
    def confidence_helpers() -> dict:
        from datetime import date

        from kb.kcs.confidence import standing

        return {"standing": standing, "today": date.today}


def loop() -> Loop:
    """The current app's loop services."""
    return current_app.extensions["kcs"]
