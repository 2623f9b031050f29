"""The search API: one long-lived :class:`Searcher` per process, plain dataclasses out.

Visibility is structural. ``audience="public"`` reads *only* the public index, which is
built from published public articles alone, so results, counts, facets, snippets, "did
you mean" and autocomplete for customers are computed from public text only: an internal
word cannot leak through the vocabulary. ``audience="internal"`` reads the internal index
and filters by status inside the query, before scoring. The rules themselves (which index
an audience reads, which articles the public index holds) are :mod:`kb.visibility`'s.

A Searcher keeps its Whoosh searchers open and checks at most every ``check_interval``
seconds whether a build switched generations or committed changes; if so it opens the new
version for new searches while searches in flight finish on the old one.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.index import TOC, FileIndex
from whoosh.searching import Searcher as WhooshSearcher

from indexer.analyzers import fold, normalize_code, query_words, title_key
from indexer.encoder import Encoder, EncoderUnavailable, load_encoder
from indexer.explain import explain_hit
from indexer.facets import FACET_FIELDS, Facet, IndexCaches, SegmentCache, leaves
from indexer.layout import SYNONYMS_JSON, Pointer, read_pointer
from indexer.matching import FIELD_WEIGHTS, Plan, build_plan, fuzz_unknown_words, fuzzy_query, word_query
from indexer.query import MAX_QUERY_CHARS, Clause, ParsedQuery, clean_text, parse_query
from indexer.schema import SCHEMA_VERSION, article_from_stored
from indexer.scoring import matched_terms
from indexer.semantic import WEIGHT as MEANING_WEIGHT
from indexer.semantic import VectorStore, best_of, blend, similarities, ticket_text
from indexer.snippets import make_snippet, plain_excerpt
from indexer.spelling import correct, corrections, spelled_in
from indexer.suggest import MAX_DESCRIPTION_CHARS, MAX_KEY_TERMS, plan_long_text
from indexer.synonyms import Synonyms
from indexer.vectors import SCORE, Evaluation, Statistics, Vectors, top
from kb.errors import IndexMissing, KBError
from kb.kcs.confidence import is_stale
from kb.model import AUDIENCES, Article
from kb.visibility import index_for, index_is_filtered, status_filter

__all__ = ["MAX_QUERY_CHARS", "Facet", "SearchHit", "SearchPage", "Searcher", "Signals"]

log = logging.getLogger(__name__)

MAX_LIMIT = 100
MAX_OFFSET = 10_000
RERANK_WINDOW = 30  # candidates re-ranked with reuse/helpfulness, beyond the page itself
PHRASE_POOL = 30  # best candidates of a tier whose phrase boosters (title phrase, pasted runs) are checked
CHECK_INTERVAL = 0.5
SIGNALS_TTL = 30.0
MAX_QUERY_UNITS = 12
# Reuse and helpfulness move a result by at most about a fifth of its text score.
REUSE_WEIGHT = 0.04
HELPFUL_WEIGHT = 0.1
# KCS confidence and freshness (kb.kcs.confidence): a validated, recently verified article
# ranks a few percent above a twin that isn't validated or is stale; never more than that.
CONFIDENCE_FACTORS = {"validated": 1.0, "not-validated": 0.96, "work-in-progress": 0.94, "archived": 0.94}
STALE_FACTOR = 0.94
MULTIPLIER_RANGE = (0.85, 1.25)
CASE_BOOST_RANGE = (0.25, 4.0)
MAX_PREFIX_TERMS = 200
PRODUCT_BOOST = 3.0
FAILED_NOTICE = "This query could not be run; showing nothing. Try fewer or simpler words."


@dataclass(frozen=True)
class Signals:
    """What cases and readers taught us about an article."""

    reuse_count: int = 0
    helpful: int = 0
    unhelpful: int = 0


@dataclass
class SearchHit:
    """One result. ``snippet`` is safe HTML: escaped text with matches in ``<mark>``."""

    id: str
    title: str
    type: str
    product: str | None
    audience: str
    status: str
    path: str
    snippet: str
    score: float
    tags: list[str] = field(default_factory=list)
    error_codes: list[str] = field(default_factory=list)
    updated: str | None = None
    reuse_count: int = 0
    superseded_by: str | None = None
    explanation: dict | None = None
    similarity: float | None = None  # cosine of the ticket and the article, when ranked by meaning


@dataclass
class SearchPage:
    """One page of results and everything needed to render the search page around it."""

    query: str
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[Facet]]
    did_you_mean: str | None
    offset: int
    limit: int
    took_ms: float
    fuzzy: bool = False
    relaxed: bool = False
    terms: list[str] = field(default_factory=list)
    notice: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Candidate:
    docnum: int
    score: float
    tier: str
    final: float = 0.0
    boosts: dict[str, float] = field(default_factory=dict)
    multiplier: float = 1.0
    similarity: float | None = None  # cosine to the ticket, when re-ranked by meaning
    words: float = 0.0  # the score by words before that blend
    best_words: float = 0.0  # the best such score among the candidates


class _Stale(Exception):
    """A pinned index version vanished (merged away); reopen the current one."""


class _View:
    """One open version (Whoosh TOC generation) of one audience's index.

    Searches borrow a Whoosh searcher from a small pool (Whoosh searchers are not safe to
    share between threads); every searcher of a view reads the same pinned version, so
    per-version caches (facet lists, error-code vocabulary) are shared by all of them.
    """

    def __init__(self, ix: FileIndex, audience: str, pointer: Pointer, segment_cache: SegmentCache):
        self.ix = ix
        self.segment_cache = segment_cache
        self.audience = audience
        self.pointer = pointer
        self.toc = ix.latest_generation()
        self._info = TOC.read(ix.storage, ix.indexname, self.toc)
        self._pool: list[WhooshSearcher] = []
        self._lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self.users = 0
        self.retired = False
        self.closed = False
        self._primary = self._open()
        self._caches: IndexCaches | None = None
        self._vectors: Vectors | None = None
        self._ids: dict[str, int] | None = None

    def _open(self) -> WhooshSearcher:
        try:
            info = self._info
            reader = FileIndex._reader(self.ix.storage, info.schema, info.segments, info.generation)
        except OSError as exc:
            raise _Stale(str(exc)) from exc
        return WhooshSearcher(reader, fromindex=self.ix)

    def take(self) -> WhooshSearcher:
        with self._lock:
            if self._pool:
                return self._pool.pop()
        return self._open()

    def give(self, searcher: WhooshSearcher) -> None:
        with self._lock:
            if not self.closed:
                self._pool.append(searcher)
                return
        searcher.close()

    def is_current(self) -> bool:
        try:
            return self.ix.latest_generation() == self.toc
        except OSError:
            return False

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            pool, self._pool = self._pool, []
        for s in [*pool, self._primary]:
            try:
                s.close()
            except Exception:  # noqa: BLE001 - closing a half-gone index must not fail a search
                log.debug("error closing a retired searcher", exc_info=True)

    @property
    def caches(self) -> IndexCaches:
        """Facet values, error codes and filter sets of this version (per-segment caches)."""
        with self._cache_lock:
            if self._caches is None:
                self._caches = IndexCaches(self._primary, self.segment_cache, self._cache_lock)
            return self._caches

    @property
    def facets(self) -> IndexCaches:
        return self.caches

    @property
    def vectors(self) -> Vectors:
        """Document space, live documents and posting sidecars of this version."""
        with self._cache_lock:
            if self._vectors is None:
                self._vectors = Vectors(self._primary, list(leaves(self._primary)),
                                        lambda key: self.segment_cache.get(key).arrays)
            return self._vectors

    def docnum_of(self, article_id: str, searcher: WhooshSearcher) -> int:
        """The live document with this id, else -1: one dictionary lookup either way, so an id
        that exists but is hidden costs what an unknown one does (no posting list is read)."""
        ids = self._ids
        if ids is None:
            column, live = self.vectors.column("id", searcher), self.vectors.live
            ids = {value: docnum for docnum, value in enumerate(column) if value and live[docnum]}
            with self._cache_lock:
                self._ids = ids
        return ids.get(article_id, -1)

    def segment_ids(self) -> set[str]:
        return self.caches.segment_ids

    def has_code(self, code: str) -> bool:
        return self.caches.has_code(code)

    def allowed(self, key: tuple, q: wq.Query) -> set[int]:
        """Documents passing a filter (cached per segment, so a new version pays only for new segments)."""
        return self.caches.allowed(key, q)

    def doc_count(self) -> int:
        return self._primary.doc_count()


@dataclass
class _Context:
    view: _View
    searcher: WhooshSearcher
    synonyms: Synonyms

    @property
    def reader(self):
        return self.searcher.reader()

    def column(self, name: str) -> list:
        """Every document's value of a column field (read once per segment, then cached)."""
        return self.view.vectors.column(name, self.searcher)


class Searcher:
    """Searches the public and internal indexes under one index root.

    Long-lived and thread-safe: create one per process and share it.

    :param index_root: the folder ``kb index --index`` wrote.
    :param signals: optional zero-argument callable returning ``{article id: Signals}``;
        called at most every 30 seconds, used for a modest ranking boost.
    :param check_interval: seconds between checks for a newer index version.
    """

    def __init__(self, index_root: str | Path, *, signals: Callable[[], Mapping[str, Signals]] | None = None,
                 check_interval: float = CHECK_INTERVAL):
        self.root = Path(index_root)
        self.check_interval = check_interval
        self._signals_fn = signals
        self._signals: Mapping[str, Signals] = {}
        self._signals_at = -math.inf
        self._signals_lock = threading.Lock()
        self._lock = threading.RLock()
        self._views: dict[str, _View] = {}
        self._segment_cache = SegmentCache()
        self._pointer: Pointer | None = None
        self._synonyms = Synonyms()
        self._synonyms_stamp: tuple[str, int] | None = None
        self._checked = -math.inf
        self._meaning_vectors = VectorStore(self.root)

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Close every open index version."""
        with self._lock:
            views, self._views = list(self._views.values()), {}
        for view in views:
            view.close()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def warm(self) -> None:
        """Load what the first searches would otherwise load: per-version lengths, columns,
        facet lists and error codes of both indexes (a server calls this before serving)."""
        for audience in AUDIENCES:
            with self._use(audience) as ctx:
                vectors = ctx.view.vectors
                for fieldname in FIELD_WEIGHTS:
                    vectors.lengths(fieldname, ctx.searcher)
                for name in ("id", "reuse_count", "title_sort"):
                    vectors.column(name, ctx.searcher)
                ctx.view.facets.counts(vectors.live)
                ctx.view.has_code("")
                vectors.hashes(ctx.searcher)
        if (encoder := _encoder()) is not None and self._meaning_vectors.count():
            encoder.encode(["warm up the encoder"])

    def refresh(self) -> None:
        """Check for a newer index version now (instead of waiting for ``check_interval``)."""
        with self._lock:
            self._check()

    def _check(self) -> None:
        """Follow the pointer: open a new generation, or a newer commit of the current one."""
        self._checked = time.monotonic()
        pointer = read_pointer(self.root)
        if pointer is None:
            if not self._views:
                raise IndexMissing(self.root)
            return
        if pointer.schema_version != SCHEMA_VERSION and not self._views:
            raise KBError(f"The index at {self.root} was built with schema version {pointer.schema_version}; "
                          f"this kb needs version {SCHEMA_VERSION}. Run `kb index` to rebuild it.")
        for audience in AUDIENCES:
            old = self._views.get(audience)
            same_generation = old is not None and old.pointer.dir == pointer.dir
            if same_generation and old.is_current():
                continue
            try:
                folder = pointer.path(self.root) / audience
                ix = old.ix if same_generation else whoosh_index.open_dir(str(folder))
                view = _View(ix, audience, pointer, self._segment_cache)
            except Exception as exc:  # noqa: BLE001 - keep serving the version we have
                if old is None:
                    raise IndexMissing(pointer.path(self.root) / audience) from exc
                log.warning("could not open the %s index at %s: %s", audience, pointer.path(self.root), exc)
                continue
            self._views[audience] = view
            if old is not None:
                self._retire(old)
        self._pointer = pointer
        self._load_synonyms(pointer)
        # Forget cached data of segments no current version uses (merged away, old generations);
        # views still finishing a search keep their own references.
        live: set[str] = set()
        for view in self._views.values():
            live |= view.segment_ids()
        self._segment_cache.keep_only(live)

    def _load_synonyms(self, pointer: Pointer) -> None:
        path = pointer.path(self.root) / SYNONYMS_JSON
        try:
            stamp = (str(path), path.stat().st_mtime_ns)
        except OSError:
            self._synonyms, self._synonyms_stamp = Synonyms(), None
            return
        if stamp == self._synonyms_stamp:
            return
        try:
            self._synonyms = Synonyms.from_json(path.read_text(encoding="utf-8"))
            self._synonyms_stamp = stamp
        except (OSError, ValueError) as exc:
            log.warning("could not read synonyms %s: %s", path, exc)

    def _retire(self, view: _View) -> None:
        view.retired = True
        if view.users == 0:
            view.close()

    @contextmanager
    def _use(self, audience: str) -> Iterator[_Context]:
        """Borrow a searcher on the current version of an audience's index."""
        index = index_for(audience)  # which index this audience may read: kb.visibility decides
        for attempt in range(2):
            with self._lock:
                if attempt or time.monotonic() - self._checked >= self.check_interval or not self._views:
                    self._check()
                view = self._views[index]
                view.users += 1
                synonyms = self._synonyms
            try:
                try:
                    searcher = view.take()
                except _Stale:
                    if attempt:
                        raise IndexMissing(self.root) from None
                    continue
                try:
                    yield _Context(view, searcher, synonyms)
                finally:
                    view.give(searcher)
                return
            finally:
                with self._lock:
                    view.users -= 1
                    if view.retired and view.users == 0:
                        view.close()

    def _live_signals(self) -> Mapping[str, Signals]:
        if self._signals_fn is None:
            return {}
        now = time.monotonic()
        if now - self._signals_at >= SIGNALS_TTL and self._signals_lock.acquire(blocking=False):
            try:
                self._signals = dict(self._signals_fn() or {})
            except Exception:  # noqa: BLE001 - ranking signals are optional; never fail a search
                log.warning("the signals callable failed; ranking without signals", exc_info=True)
            finally:
                self._signals_at = now
                self._signals_lock.release()
        return self._signals

    # -- searching ------------------------------------------------------------------------

    def search(self, query: str, *, audience: str = "public", statuses: Collection[str] = ("published",),
               type: str | None = None, product: str | None = None, tag: str | None = None,  # noqa: A002
               resolution_code: str | None = None, limit: int = 10, offset: int = 0,
               explain: bool = False) -> SearchPage:
        """Search with a search-box query; never raises because of what the query says.

        :param query: words, "phrases", -exclusions and field filters (``type:tsg``).
        :param audience: "public" searches only the public index; "internal" everything,
            filtered to ``statuses``.
        :param type: product, tag, resolution_code: exact filters (case-insensitive).
        :param limit: hits per page (clamped to 0..100); ``offset`` is clamped to 0..10,000.
        :param explain: attach an explanation of each hit's score.
        """
        started = time.perf_counter()
        limit, offset = _clamp(limit, offset)
        parsed = parse_query(query)
        with self._use(audience) as ctx:
            try:
                filters = dict(type=type, product=product, tag=tag, resolution_code=resolution_code)
                page = self._search(ctx, parsed, audience, statuses, filters, limit, offset, explain)
            except Exception:  # noqa: BLE001 - the contract: a query never makes search raise
                log.exception("search failed for query %r", parsed.raw[:200])
                page = _empty_page(parsed.display(), limit, offset, FAILED_NOTICE)
        page.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return page

    def _search(self, ctx: _Context, parsed: ParsedQuery, audience: str, statuses: Collection[str],
                api_filters: dict, limit: int, offset: int, explain: bool) -> SearchPage:
        allow = self._allowed(ctx, audience, statuses, api_filters, parsed.filters)
        reader = ctx.reader
        plan = build_plan(parsed, ctx.synonyms, ctx.view.has_code, lambda key: ("title_key", key) in reader)
        notice = parsed.notice
        if len(plan.units) > MAX_QUERY_UNITS:
            long_plan, _ = plan_long_text(Statistics(ctx.view.vectors, reader), "", parsed.text, ctx.synonyms,
                                          ctx.view.has_code)
            long_plan.excluded = plan.excluded
            plan = long_plan
            notice = _join(notice, f"Long query: searched for its {len(plan.units)} most distinctive terms.")
        deny = self._denied(ctx, plan)
        if plan.is_empty:
            if parsed.positive:
                notice = _join(notice, "Nothing searchable in the query; showing all articles.")
            total, docs, hits = self._sorted(ctx, allow, deny, "title", limit, offset)
            return SearchPage(query=parsed.display(), total=total, hits=hits,
                              facets=ctx.view.facets.counts(docs), did_you_mean=None, offset=offset,
                              limit=limit, took_ms=0.0, notice=notice)
        fuzzed = fuzz_unknown_words(plan, lambda term: ("content", term) in reader,
                                    lambda word: corrections(reader, fold(word)))
        page = self._ranked_page(ctx, plan, allow, deny, limit, offset, explain, boosts=None, long_text=False)
        page.query = parsed.display()
        page.fuzzy = page.fuzzy or (fuzzed and page.total > 0)
        page.notice = notice
        if (page.relaxed or page.fuzzy or not page.total) and len(parsed.clauses) <= MAX_QUERY_UNITS:
            page.did_you_mean = self._did_you_mean(ctx, parsed, allow, audience)
        return page

    def _ranked_page(self, ctx: _Context, plan: Plan, allow: set[int] | None, deny: frozenset[int],
                     limit: int, offset: int, explain: bool, *, boosts: Mapping[str, float] | None,
                     long_text: bool, meaning: str | None = None) -> SearchPage:
        """Rank a plan: all-terms matches first, then some-terms matches, then fuzzy as a last resort.

        Every query is evaluated over whole posting lists at once (:mod:`indexer.vectors`), so
        totals and facets are exact however many documents match. For long text (tickets)
        only the best candidates are counted: ``total`` and facets describe those, because an
        OR of a dozen terms matches most of a knowledge base and "12,000 matches" says nothing.
        With ``meaning`` (the ticket's text) those candidates are re-ranked by meaning too.
        """
        need = offset + limit
        window = max(need, RERANK_WINDOW)
        ev = Evaluation(ctx.view.vectors, ctx.searcher)
        visible = self._visible(ctx, allow, deny)
        fuzzy = relaxed = False
        candidates: list[_Candidate] = []
        if long_text:
            core = ev.run(plan.core_any())
            found = self._tier(ev, plan, core.score, core.mask & visible, window, "key terms")
            candidates = self._rerank(ctx, found, boosts)
            if meaning:
                coded = ev.run(plan.code_query()).mask if plan.exact_codes else None
                candidates = self._by_meaning(ctx, candidates, meaning, coded)
            matched = ctx.view.vectors.mask_of([c.docnum for c in candidates])
        else:
            units = [ev.run(q) for q in plan.unit_queries()]
            codes = ev.run(plan.code_query()) if plan.exact_codes else None
            matched = np.zeros(len(visible), dtype=bool)
            every = visible.copy() if units else matched.copy()
            all_score = np.zeros(len(visible), dtype=SCORE)
            for unit in units:
                matched |= unit.mask
                every &= unit.mask
                all_score += unit.score
            if codes is not None:
                matched |= codes.mask
            matched &= visible
            total_every = int(np.count_nonzero(every))
            if matched.any():
                first = self._tier(ev, plan, all_score, every, window, "all terms")
                candidates = self._rerank(ctx, first, boosts)
                if total_every < need and total_every < int(np.count_nonzero(matched)):
                    # Not enough documents have every term: follow them with those that have some.
                    any_score = all_score + codes.score if codes is not None else all_score
                    wanted = need - total_every + RERANK_WINDOW
                    more = self._tier(ev, plan, any_score, matched & ~every, wanted, "some terms")
                    relaxed = total_every == 0
                    candidates += self._rerank(ctx, more, boosts)
            elif (fq := fuzzy_query(plan)) is not None:
                loose = ev.run(fq)
                matched = loose.mask & visible
                if matched.any():
                    fuzzy = True
                    best = top(loose.score, matched, window)
                    candidates = self._rerank(ctx, [_Candidate(d, v, "fuzzy") for d, v in best], boosts)
        hits = [self._hit(ctx, c, plan, explain) for c in candidates[offset:need]]
        return SearchPage(query="", total=int(np.count_nonzero(matched)), hits=hits,
                          facets=ctx.view.facets.counts(matched), did_you_mean=None, offset=offset,
                          limit=limit, took_ms=0.0, fuzzy=fuzzy, relaxed=relaxed, terms=plan.terms())

    @staticmethod
    def _visible(ctx: _Context, allow: set[int] | None, deny: frozenset[int]) -> np.ndarray:
        """Live documents that pass the filters and are not excluded, as a mask."""
        visible = ctx.view.vectors.live.copy()
        if allow is not None:
            visible &= ctx.view.facets.as_mask(allow)
        if deny:
            visible[np.fromiter(deny, dtype=np.int64, count=len(deny))] = False
        return visible

    @staticmethod
    def _tier(ev: Evaluation, plan: Plan, base: np.ndarray, tier: np.ndarray, limit: int,
              label: str) -> list[_Candidate]:
        """The ``limit`` best documents of a tier by text score plus boosters.

        Term boosters (exact error code, exact title, joined pairs, product) count for every
        document of the tier; phrase boosters (the query as a phrase in the title, runs of
        pasted words) are checked by Whoosh for the best :data:`PHRASE_POOL` candidates only.
        """
        if not tier.any():
            return []
        booster = plan.booster_query()
        if booster is None:
            return [_Candidate(d, score, label) for d, score in top(base, tier, limit)]
        nothing = np.zeros(len(tier), dtype=bool)
        terms_only = ev.run(booster, restrict=nothing)
        score = base + np.where(terms_only.mask, terms_only.score, 0.0)
        pool = ev.v.mask_of([d for d, _ in top(score, tier, max(limit, PHRASE_POOL))])
        full = ev.run(booster, restrict=pool)
        score = base + np.where(full.mask, full.score, 0.0)
        return [_Candidate(d, value, label) for d, value in top(score, pool, limit)]

    def _rerank(self, ctx: _Context, candidates: list[_Candidate],
                boosts: Mapping[str, float] | None) -> list[_Candidate]:
        """Apply reuse, helpfulness and case boosts to a tier's candidates and re-sort them."""
        if not candidates:
            return candidates
        ids = ctx.column("id")
        reuse = ctx.column("reuse_count")
        confidence, verified, review_by = ctx.column("confidence"), ctx.column("verified"), ctx.column("review_by")
        live = self._live_signals()
        today = date.today()
        for c in candidates:
            article_id = ids[c.docnum]
            trust = _trust(confidence[c.docnum], verified[c.docnum], review_by[c.docnum], today)
            c.multiplier, c.boosts = _multiplier(live.get(article_id), int(reuse[c.docnum] or 0),
                                                 boosts.get(article_id) if boosts else None, trust)
            c.final = c.score * c.multiplier
        return sorted(candidates, key=lambda c: -c.final)

    def _by_meaning(self, ctx: _Context, candidates: list[_Candidate], text: str,
                    coded: np.ndarray | None) -> list[_Candidate]:
        """Blend each candidate's score with its similarity to ``text`` (:mod:`indexer.semantic`).

        Articles that carry one of the ticket's error codes (``coded``) stay ahead of those
        that don't: an exact code says more than any paraphrase.
        """
        encoder = _encoder()
        if encoder is None or len(candidates) < 2:
            return candidates
        hashes = ctx.view.vectors.hashes(ctx.searcher)
        keys = [hashes[c.docnum].decode("ascii") for c in candidates]
        sims = similarities(encoder, self._meaning_vectors, text, keys)
        words = [c.final for c in candidates]
        best = best_of(words)
        for c, fused, sim in zip(candidates, blend(words, sims), sims, strict=True):
            c.words, c.best_words, c.final, c.similarity = c.final, best, fused, sim
        if coded is None:
            return sorted(candidates, key=lambda c: -c.final)
        return sorted(candidates, key=lambda c: (not coded[c.docnum], -c.final))

    def _did_you_mean(self, ctx: _Context, parsed: ParsedQuery, allow: set[int] | None,
                      audience: str) -> str | None:
        """The query with unknown words corrected from this index's vocabulary."""
        reader = ctx.reader

        def known(word: str) -> bool:
            return any(("content", w.parts[0]) in reader for w in query_words(word) if w.parts)

        accept = None
        if index_is_filtered(audience):
            # The vocabulary includes drafts and articles in review: each correction must be
            # a word this reader can find, not merely sit beside one.
            visible = self._visible(ctx, allow, frozenset())
            accept = functools.partial(spelled_in, reader, docs=visible)
        changed = False
        clauses = []
        for clause in parsed.clauses:
            fixed = None if clause.negated else correct(reader, clause.text, known, accept)
            changed = changed or fixed is not None
            clauses.append(Clause(fixed or clause.text, clause.phrase, clause.negated))
        if not changed:
            return None
        suggestion = ParsedQuery(raw="", clauses=clauses, filters=parsed.filters)
        if index_is_filtered(audience):
            # The internal vocabulary includes drafts; only suggest what this reader can find.
            plan = build_plan(suggestion, ctx.synonyms, ctx.view.has_code, lambda key: False)
            if plan.is_empty:
                return None
            ev = Evaluation(ctx.view.vectors, ctx.searcher)
            queries = plan.unit_queries() + ([plan.code_query()] if plan.exact_codes else [])
            if not any((ev.run(q).mask & visible).any() for q in queries):
                return None
        return suggestion.display()

    def _denied(self, ctx: _Context, plan: Plan) -> frozenset[int]:
        q = plan.exclusion()
        return frozenset(ctx.searcher.docs_for_query(q.normalize())) if q is not None else frozenset()

    def _sorted(self, ctx: _Context, allow: set[int] | None, deny: frozenset[int], sort: str, limit: int,
                offset: int) -> tuple[int, np.ndarray, list[SearchHit]]:
        """Every visible document (after filters and exclusions), sorted by title or date:
        (total, mask of the documents, hits of the page)."""
        s = ctx.searcher
        docs = self._visible(ctx, allow, deny)
        total = int(np.count_nonzero(docs))
        if not total or limit == 0:
            return total, docs, []
        by_date = sort == "updated"
        results = _run(s, wq.Every(), allow, deny, sortedby="updated" if by_date else "title_sort",
                       reverse=by_date, limit=offset + limit)
        hits = [self._hit(ctx, _Candidate(h.docnum, 0.0, "browse"), None, False)
                for h in results[offset:]]
        return total, docs, hits

    def _allowed(self, ctx: _Context, audience: str, statuses: Collection[str], api: dict,
                 syntax: Mapping[str, list[str]]) -> set[int] | None:
        """Documents that pass status (internal only), API and query-syntax filters; None = all."""
        subs: list[wq.Query] = []
        key: list = []
        wanted = status_filter(audience, statuses)
        if wanted is not None:
            subs.append(_any_of("status", list(wanted)))
            key.append(("status", wanted))
        facets = ctx.view.facets
        exact = {
            "type": str(api["type"]).lower() if api.get("type") else None,
            "product": (facets.resolve("product", str(api["product"])) or str(api["product"]))
            if api.get("product") else None,
            "tag": str(api["tag"]).lower() if api.get("tag") else None,
            "resolution_code": str(api["resolution_code"]) if api.get("resolution_code") else None,
        }
        for name, value in exact.items():
            if value is not None:
                subs.append(wq.Term(name, value))
                key.append((name, value))
        for name, values in sorted(syntax.items()):
            subs.append(_syntax_filter(name, values))
            key.append(("q:" + name, tuple(values)))
        if not subs:
            return None
        q = subs[0] if len(subs) == 1 else wq.And(subs)
        return ctx.view.allowed(tuple(key), q)

    def _hit(self, ctx: _Context, c: _Candidate, plan: Plan | None, explain: bool) -> SearchHit:
        stored = ctx.searcher.stored_fields(c.docnum)
        meta = _meta(stored)
        text = stored.get("text", "")
        if plan is not None:
            snippet = make_snippet(text, set(plan.terms()), strong=plan.strong_terms())
        else:
            snippet = plain_excerpt(text)
        explanation = None
        if explain:
            matched = matched_terms(ctx.searcher, plan.any_term(), c.docnum) if plan else []
            explanation = explain_hit(ctx.searcher, plan, c.docnum, tier=c.tier, text_score=c.score,
                                      boosts=c.boosts, multiplier=c.multiplier, matched=matched)
            if c.similarity is not None:
                explanation["score"] = round(c.final, 4)
                explanation["meaning"] = {
                    "similarity": round(c.similarity, 4), "weight": MEANING_WEIGHT,
                    "words_score": round(c.words, 4), "best_words_score": round(c.best_words, 4),
                    "formula": "words_score / best_words_score + weight * similarity"}
        live = self._live_signals().get(stored.get("id", ""))
        return SearchHit(
            id=stored.get("id", ""),
            title=stored.get("title", ""),
            type=stored.get("type", ""),
            product=stored.get("product") or None,
            audience=stored.get("audience", ""),
            status=stored.get("status", ""),
            path=stored.get("path", ""),
            snippet=snippet,
            score=round(c.final if plan is not None else 0.0, 4),
            tags=list(meta.get("tags") or []),
            error_codes=list(meta.get("error_codes") or []),
            updated=stored.get("updated") or None,
            reuse_count=live.reuse_count if live else _stored_reuse(ctx, c.docnum),
            superseded_by=stored.get("superseded_by") or None,
            explanation=explanation,
            similarity=None if c.similarity is None else round(float(c.similarity), 4),
        )

    # -- suggestions, browsing, lookups ---------------------------------------------------

    def suggest(self, title: str, description: str = "", *, audience: str = "public",
                statuses: Collection[str] = ("published",), product: str | None = None, limit: int = 10,
                boosts: Mapping[str, float] | None = None, explain: bool = False) -> SearchPage:
        """Articles for a support ticket, from its title and (long) description.

        Error codes are matched exactly; otherwise at most 12 distinctive key terms
        (tf-idf against this index; title words weigh three times) are searched. A given
        product boosts its articles without hiding the others; ``boosts`` multiplies
        scores per article id (what closed cases taught).
        """
        started = time.perf_counter()
        limit, _ = _clamp(limit, 0)
        title, _ = clean_text(title, MAX_QUERY_CHARS)
        description, cut = clean_text(description, MAX_DESCRIPTION_CHARS)
        with self._use(audience) as ctx:
            try:
                page = self._suggest(ctx, title, description, audience, statuses, product, limit, boosts,
                                     explain)
                page.notice = _join(cut, page.notice)
            except Exception:  # noqa: BLE001 - never fail a ticket page because of its text
                log.exception("suggest failed for title %r", title[:200])
                page = _empty_page(title, limit, 0, FAILED_NOTICE)
        page.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return page

    def _suggest(self, ctx: _Context, title: str, description: str, audience: str,
                 statuses: Collection[str], product: str | None, limit: int,
                 boosts: Mapping[str, float] | None, explain: bool) -> SearchPage:
        plan, _ = plan_long_text(Statistics(ctx.view.vectors, ctx.reader), title, description, ctx.synonyms,
                                 ctx.view.has_code,
                                 max_terms=MAX_KEY_TERMS)
        if plan.is_empty:
            return _empty_page(title, limit, 0, "No distinctive terms found in the ticket text.")
        if product:
            resolved = ctx.view.facets.resolve("product", product)
            if resolved:
                plan.boosters.append(wq.Term("product", resolved, boost=PRODUCT_BOOST))
            elif words := query_words(product):
                plan.boosters.append(wq.And([word_query(w, "product_text", PRODUCT_BOOST) for w in words]))
        allow = self._allowed(ctx, audience, statuses, {}, {})
        page = self._ranked_page(ctx, plan, allow, frozenset(), limit, 0, explain, boosts=boosts,
                                 long_text=True, meaning=ticket_text(title, description))
        page.query = " ".join([*plan.exact_codes, *(u.label for u in plan.units)])
        return page

    def autocomplete(self, prefix: str, *, audience: str = "public",
                     statuses: Collection[str] = ("published",), limit: int = 8) -> list[dict]:
        """Titles whose words start with the typed words: ``[{"id", "title"}]``, best first.

        Every typed word must begin a word of the title; titles that begin with the whole
        prefix come first, then more reused articles, then shorter titles.
        """
        text, _ = clean_text(prefix, 200)
        words = [fold(w) for w in re.findall(r"\w+", text.lower())[:8] if len(w) >= 2]
        limit = max(0, min(_int(limit, 8), 50))
        if not words or limit == 0:
            return []
        with self._use(audience) as ctx:
            allow = self._allowed(ctx, audience, statuses, {}, {})
            reader = ctx.reader
            subs = []
            for word in dict.fromkeys(words):
                # Each typed word starts a title word; expansions are capped so that a
                # two-letter prefix on a large index stays one quick union.
                expanded = list(itertools.islice(reader.expand_prefix("title_words", word), MAX_PREFIX_TERMS))
                if not expanded:
                    return []
                terms = [wq.Term("title_words", _text(t)) for t in expanded]
                subs.append(terms[0] if len(terms) == 1 else wq.Or(terms))
            q = subs[0] if len(subs) == 1 else wq.And(subs)
            results = _run(ctx.searcher, q, allow, frozenset(), limit=200)
            reuse = ctx.column("reuse_count")
            key = title_key(text)
            rows = []
            for hit in results:
                stored = hit.fields()
                title = stored.get("title", "")
                rows.append((not title_key(title).startswith(key), -int(reuse[hit.docnum] or 0),
                             len(title), title.casefold(), {"id": stored.get("id", ""), "title": title}))
        rows.sort(key=lambda r: r[:4])
        return [r[4] for r in rows[:limit]]

    def get_article(self, article_id: str, *, audience: str = "public",
                    statuses: Collection[str] = ("published",),
                    written_for: str | None = None) -> Article | None:
        """The indexed (last good) version of an article, or None if this audience can't see it.

        Does the same work for an id that exists but is hidden as for an unknown one, so
        response times can't tell them apart; stored fields are read only for a visible article.

        :param written_for: only an article whose own audience is this one (the internal
            index holds public articles too).
        """
        if not article_id or not isinstance(article_id, str):
            return None
        with self._use(audience) as ctx:
            allow = self._allowed(ctx, audience, statuses, {}, {})
            docnum = ctx.view.docnum_of(article_id, ctx.searcher)
            # Every check runs whether or not the id was found (-1 reads the last document's
            # values), and they are combined only at the end.
            allowed = allow is None or docnum in allow
            audiences = ctx.column("audience")
            fits = not audiences or written_for is None or audiences[docnum] == written_for
            if docnum < 0 or not allowed or not fits:
                return None
            return article_from_stored(ctx.searcher.stored_fields(docnum))

    def get_article_by_path(self, path: str, *, audience: str = "public",
                            statuses: Collection[str] = ("published",)) -> Article | None:
        """Like :meth:`get_article`, for the article indexed from ``path`` (relative to the
        articles folder): what a relative link between Markdown files points at."""
        return self._one("path", path, audience, statuses)

    def _one(self, fieldname: str, value: str, audience: str, statuses: Collection[str]) -> Article | None:
        if not value or not isinstance(value, str):
            return None
        with self._use(audience) as ctx:
            allow = self._allowed(ctx, audience, statuses, {}, {})
            hits = list(_run(ctx.searcher, wq.Term(fieldname, value), allow, frozenset(), limit=1))
            return article_from_stored(hits[0].fields()) if hits else None

    def list_articles(self, *, audience: str = "public", statuses: Collection[str] = ("published",),
                      type: str | None = None, product: str | None = None, tag: str | None = None,  # noqa: A002
                      limit: int = 50, offset: int = 0, sort: str = "title") -> tuple[int, list[SearchHit]]:
        """Browse: (total, hits) of visible articles, filtered, sorted by "title" or "updated" (newest first).

        Returns ``(total, hits)``.
        """
        limit, offset = _clamp(limit, offset)
        with self._use(audience) as ctx:
            allow = self._allowed(ctx, audience, statuses, dict(type=type, product=product, tag=tag), {})
            total, _, hits = self._sorted(ctx, allow, frozenset(), sort, limit, offset)
        return total, hits

    def facet_values(self, *, audience: str = "public",
                     statuses: Collection[str] = ("published",)) -> dict[str, list[Facet]]:
        """Facet counts over everything this audience can see (for browse pages)."""
        with self._use(audience) as ctx:
            allow = self._allowed(ctx, audience, statuses, {}, {})
            return ctx.view.facets.counts(self._visible(ctx, allow, frozenset()))

    def stats(self, audience: str = "internal") -> dict:
        """Document count, build times and version numbers of one audience's index."""
        with self._use(audience) as ctx:
            pointer = ctx.view.pointer
            return {
                "audience": audience,
                "doc_count": ctx.searcher.doc_count(),
                "generation": pointer.generation,
                "commit": ctx.view.toc,
                "built_at": pointer.built_at,
                "updated_at": (self._pointer or pointer).updated_at,
                "schema_version": pointer.schema_version,
                "index_dir": str(pointer.path(self.root) / audience),
            }


def _encoder() -> Encoder | None:
    """The sentence encoder, or None (not installed, or refused) -- then words rank alone."""
    try:
        return load_encoder()
    except EncoderUnavailable as exc:
        global _encoder_warned
        if not _encoder_warned:
            log.warning("ranking by meaning is off: %s", exc)
            _encoder_warned = True
        return None


_encoder_warned = False


def _run(s: WhooshSearcher, q: wq.Query, allow: set[int] | None, deny: Collection[int], **kwargs):
    """``s.search`` with a filter set and a mask set.

    An empty filter set means "nothing is visible", but Whoosh treats an empty ``filter=``
    as no filter at all, which would show everything: so it never gets one.
    """
    if allow is not None and not allow:
        return []
    return s.search(q, filter=allow, mask=set(deny) if deny else None, **kwargs)


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


def _clamp(limit, offset) -> tuple[int, int]:
    """Page size within 0..MAX_LIMIT and offset within 0..MAX_OFFSET, whatever was passed."""
    return max(0, min(_int(limit, 10), MAX_LIMIT)), max(0, min(_int(offset, 0), MAX_OFFSET))


def _join(*notices: str | None) -> str | None:
    parts = [n for n in notices if n]
    return " ".join(parts) if parts else None


def _empty_page(query: str, limit: int, offset: int, notice: str | None) -> SearchPage:
    facets: dict[str, list[Facet]] = {name: [] for name in FACET_FIELDS}
    return SearchPage(query=query, total=0, hits=[], facets=facets, did_you_mean=None, offset=offset,
                      limit=limit, took_ms=0.0, notice=notice)


def _text(term: bytes | str) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def _stored_reuse(ctx: _Context, docnum: int) -> int:
    return int(ctx.column("reuse_count")[docnum] or 0)


def _any_of(fieldname: str, values: list[str]) -> wq.Query:
    if not values:
        return wq.NullQuery
    terms = [wq.Term(fieldname, v) for v in values]
    return terms[0] if len(terms) == 1 else wq.Or(terms)


def _syntax_filter(name: str, values: list[str]) -> wq.Query:
    """A filter typed in the query. Several values of one field are alternatives."""
    subs: list[wq.Query] = []
    for value in values:
        if name == "product":
            words = query_words(value)
            subs.append(wq.And([word_query(w, "product_text") for w in words]) if words else wq.NullQuery)
        elif name == "tag":
            subs.append(wq.Term("tag", value.lower()))
        elif name == "error_code":
            subs.append(wq.Term("error_code", normalize_code(value)))
        else:
            subs.append(wq.Term(name, value))
    return subs[0] if len(subs) == 1 else wq.Or(subs)


def _trust(confidence: str | None, verified: str | None, review_by: str | None, today: date) -> dict[str, float]:
    """The confidence and freshness factors of a document (see :data:`CONFIDENCE_FACTORS`)."""
    parts = {"confidence": CONFIDENCE_FACTORS.get(confidence or "validated", 1.0)}
    try:
        stale = is_stale(date.fromisoformat(review_by) if review_by else None,
                         date.fromisoformat(verified) if verified else None, today)
    except ValueError:
        stale = False
    if stale:
        parts["freshness"] = STALE_FACTOR
    return parts


def _multiplier(signals: Signals | None, stored_reuse: int, case_boost: float | None,
                trust: Mapping[str, float] | None = None) -> tuple[float, dict[str, float]]:
    """A modest score multiplier from reuse, helpfulness, confidence and freshness, times any case boost."""
    reuse = signals.reuse_count if signals else stored_reuse
    parts = {"reuse": 1 + REUSE_WEIGHT * math.log1p(max(reuse, 0)), **(trust or {})}
    if signals and (signals.helpful or signals.unhelpful):
        votes = signals.helpful + signals.unhelpful
        parts["helpfulness"] = 1 + HELPFUL_WEIGHT * (signals.helpful - signals.unhelpful) / (votes + 5)
    low, high = MULTIPLIER_RANGE
    m = min(max(math.prod(parts.values()), low), high)
    if case_boost is not None:
        parts["case"] = min(max(float(case_boost), CASE_BOOST_RANGE[0]), CASE_BOOST_RANGE[1])
        m *= parts["case"]
    return m, parts


def _meta(stored: dict) -> dict:
    import json

    try:
        return json.loads(stored.get("meta") or "{}")
    except ValueError:
        return {}
