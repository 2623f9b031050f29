"""The search API: one long-lived :class:`Searcher` per process, plain dataclasses out.

Visibility is structural. ``audience="public"`` reads *only* the public index, which is
built from published public articles alone, so results, counts, facets, snippets, "did
you mean" and autocomplete for customers are computed from public text only: an internal
word cannot leak through the vocabulary. ``audience="internal"`` reads the internal index
and filters by status inside the query, before scoring. The rules themselves (which index
an audience reads, which articles the public index holds) are :mod:`kb.visibility`'s.

A search goes: the query's syntax (:mod:`indexer.query`), its plan of units and boosters
(:mod:`indexer.plan`), the engine's matches and scores (:mod:`indexer.engine`), tiers,
boosters, signals and meaning (:mod:`indexer.ranking`), then the page: snippets
(:mod:`indexer.snippets`), facets (:mod:`indexer.facets`) and did-you-mean
(:mod:`indexer.spelling`). Index versions are followed by :mod:`indexer.versions`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path

from whoosh import query as wq

from indexer.analyzers import fold, query_words
from indexer.browse import article_by_id, autocomplete, sorted_page
from indexer.encoder import Encoder, EncoderUnavailable, load_encoder
from indexer.engine import Evaluation, Statistics
from indexer.explain import Explainer
from indexer.facets import Facet
from indexer.filters import allowed, denied, run_whoosh, visible
from indexer.keyterms import MAX_DESCRIPTION_CHARS, MAX_KEY_TERMS, plan_long_text
from indexer.plan import (
    Plan,
    add_run_booster,
    build_plan,
    fuzz_unknown_words,
    identifiers,
    names_shortened,
    word_query,
)
from indexer.query import MAX_QUERY_CHARS, ParsedQuery, clean_text, parse_query
from indexer.query_kind import classify
from indexer.ranking import (
    FIELD_WEIGHTS,
    FUZZY_FIELDS,
    PRODUCT_BOOST,
    Candidate,
    meaning_weight,
    rank_search,
    rank_ticket,
    signals_reweigher,
)
from indexer.results import SearchHit, SearchPage, Signals, SnippetTerms, empty_page, make_hit
from indexer.schema import article_from_stored
from indexer.semantic import VectorStore, similarities, ticket_text
from indexer.spelling import SPELL_FIELD, corrections, did_you_mean, vocabulary
from indexer.stages import stage
from indexer.versions import Context, Versions
from kb.model import AUDIENCES, Article

__all__ = ["MAX_QUERY_CHARS", "Facet", "SearchHit", "SearchPage", "Searcher", "Signals"]

log = logging.getLogger(__name__)

MAX_LIMIT = 100
MAX_OFFSET = 10_000
CHECK_INTERVAL = 0.5
SIGNALS_TTL = 30.0
MAX_QUERY_UNITS = 12
FAILED_NOTICE = "This query could not be run; showing nothing. Try fewer or simpler words."


class Searcher:
    """Searches the public and internal indexes under one index root.

    Long-lived and thread-safe: create one per process and share it.

    :param index_root: the folder ``kb index --index`` wrote.
    :param signals: optional zero-argument callable returning ``{article id: Signals}``;
        called at most every 30 seconds, used for a modest ranking boost.
    :param check_interval: seconds between checks for a newer index version.
    :param warm_new_generations: warm a rebuilt index on a thread of its own while the
        previous one keeps serving (servers want this; a script that rebuilds and searches
        at once does not).
    """

    def __init__(self, index_root: str | Path, *, signals: Callable[[], Mapping[str, Signals]] | None = None,
                 check_interval: float = CHECK_INTERVAL, warm_new_generations: bool = False):
        self.root = Path(index_root)
        self.check_interval = check_interval
        self._versions = Versions(self.root, check_interval,
                                  warm=_warm_version if warm_new_generations else None)
        self._signals_fn = signals
        self._signals: Mapping[str, Signals] = {}
        self._signals_at = -math.inf
        self._signals_lock = threading.Lock()
        self._meaning_vectors = VectorStore(self.root)

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Close every open index version."""
        self._versions.close()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def warm(self) -> None:
        """Load what the first searches would otherwise load: per-version lengths, columns,
        facet lists, error codes and the vocabularies typos are matched in, of both indexes
        (a server calls this before serving)."""
        for audience in AUDIENCES:
            with self._versions.use(audience) as ctx:
                _warm_version(ctx)
        if (encoder := _encoder()) is not None and self._meaning_vectors.count():
            encoder.encode(["warm up the encoder"])

    def refresh(self) -> None:
        """Check for a newer index version now (instead of waiting for ``check_interval``)."""
        self._versions.refresh()

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
        with stage("parse"):
            parsed = parse_query(query)
        with self._versions.use(audience) as ctx:
            try:
                filters = dict(type=type, product=product, tag=tag, resolution_code=resolution_code)
                page = self._search(ctx, parsed, audience, statuses, filters, limit, offset, explain)
            except Exception:  # noqa: BLE001 - the contract: a query never makes search raise
                log.exception("search failed for query %r", parsed.raw[:200])
                page = empty_page(parsed.display(), limit, offset, FAILED_NOTICE)
        page.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return page

    def _search(self, ctx: Context, parsed: ParsedQuery, audience: str, statuses: Collection[str],
                api_filters: dict, limit: int, offset: int, explain: bool, shorten: bool = True) -> SearchPage:
        reader = ctx.reader
        with stage("parse"):
            allow = allowed(ctx, audience, statuses, api_filters, parsed.filters)
            plan = build_plan(parsed, ctx.synonyms, ctx.view.has_code,
                              lambda key: ctx.engine.doc_frequency(reader, "title_key", key) > 0)
            plan.kind = classify(parsed, plan)
            notice = parsed.notice
            if len(plan.units) > MAX_QUERY_UNITS:
                plan = _long_query_plan(ctx, parsed, plan)
                notice = _join(notice, f"Long query: searched for its {len(plan.units)} most distinctive terms.")
            deny = denied(ctx, plan)
        if plan.is_empty:
            return _every_article(ctx, parsed, allow, deny, limit, offset, self._live_signals(), notice)
        with stage("spelling"):
            # The merged term table answers in one lookup what Whoosh asks every segment.
            fuzzed = fuzz_unknown_words(plan, lambda term: ctx.engine.doc_frequency(reader, "content", term) > 0,
                                        lambda word: corrections(reader, vocabulary(ctx), fold(word)))
        page = self._page(ctx, plan, allow, deny, limit, offset, explain, boosts=None, query=parsed.text)
        for shorter in _shorter_names(ctx, parsed) if not page.total and shorten else ():
            found = self._search(ctx, shorter, audience, statuses, api_filters, limit, offset, explain, shorten=False)
            if found.total:
                found.notice = _join(notice, f"Nothing matches {parsed.display()}; showing results for {found.query}.")
                return found
        page.query, page.kind = parsed.display(), plan.kind
        page.fuzzy = page.fuzzy or (fuzzed and page.total > 0)
        page.notice = notice
        if (page.relaxed or page.fuzzy or not page.total) and len(parsed.clauses) <= MAX_QUERY_UNITS:
            with stage("spelling"):
                page.did_you_mean = did_you_mean(ctx, parsed, visible(ctx, allow, frozenset()), audience)
        return page

    def _page(self, ctx: Context, plan: Plan, allow: set[int] | None, deny: frozenset[int], limit: int,
              offset: int, explain: bool, *, boosts: Mapping[str, float] | None,
              ticket: str | None = None, query: str = "") -> SearchPage:
        """Rank a plan (:mod:`indexer.ranking`) and build the page: hits, total and facets.

        Totals and facets are exact (every matching document is in the mask); for a ticket
        they describe its candidates only. With ``ticket`` (its text) the candidates are
        re-ranked by meaning too; a search-box ``query`` is, as much as its kind leans on
        meaning (:data:`~indexer.ranking.MEANING_BY_KIND`).
        """
        need = offset + limit
        ev = Evaluation(ctx.engine, ctx.searcher)
        seen = visible(ctx, allow, deny)
        signals = self._live_signals()
        reweigh = signals_reweigher(ctx.column("id"), ctx.column("reuse_count"), signals, boosts,
                                    (ctx.column("confidence"), ctx.column("verified"), ctx.column("review_by")))
        if ticket is None:
            weight = meaning_weight(plan.kind)
            similarity = self._similarity(ctx, query) if weight > 0 else None
            ranked = rank_search(ev, plan, seen, need, reweigh, similarity, weight)
        else:
            ranked = rank_ticket(ev, plan, seen, need, reweigh, self._similarity(ctx, ticket))
        shown = ranked.candidates[offset:need]
        with stage("snippets"):
            explainer = Explainer(ev, plan, [c.docnum for c in shown]) if explain else None
            reuse = ctx.column("reuse_count")
            terms = SnippetTerms.of(plan)
            hits = [make_hit(ctx.searcher.stored_fields(c.docnum), c, terms, explainer, signals,
                             int(reuse[c.docnum] or 0)) for c in shown]
        with stage("facets"):
            # Suggestions for a ticket are a short list with no facets to narrow it by.
            facets = ctx.view.facets.counts(ranked.matched) if ticket is None else {}
        return SearchPage(query="", total=ranked.matched.count(), hits=hits, facets=facets, did_you_mean=None,
                          offset=offset, limit=limit, took_ms=0.0, fuzzy=ranked.fuzzy, relaxed=ranked.relaxed,
                          terms=plan.terms())

    def _similarity(self, ctx: Context, text: str) -> Callable[[list[Candidate]], list[float | None]] | None:
        """Cosines between a ticket and candidates (:mod:`indexer.semantic`), or None without the encoder."""
        encoder = _encoder()
        if encoder is None:
            return None
        hashes = ctx.engine.hashes(ctx.searcher)

        def similarity(candidates: list[Candidate]) -> list[float | None]:
            keys = [hashes[c.docnum].decode("ascii") for c in candidates]
            return similarities(encoder, self._meaning_vectors, text, keys)

        return similarity

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
        with self._versions.use(audience) as ctx:
            try:
                page = self._suggest(ctx, title, description, audience, statuses, product, limit, boosts,
                                     explain)
                page.notice = _join(cut, page.notice)
            except Exception:  # noqa: BLE001 - never fail a ticket page because of its text
                log.exception("suggest failed for title %r", title[:200])
                page = empty_page(title, limit, 0, FAILED_NOTICE)
        page.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return page

    def _suggest(self, ctx: Context, title: str, description: str, audience: str,
                 statuses: Collection[str], product: str | None, limit: int,
                 boosts: Mapping[str, float] | None, explain: bool) -> SearchPage:
        with stage("parse"):
            plan, _ = plan_long_text(Statistics(ctx.engine, ctx.reader), title, description, ctx.synonyms,
                                     ctx.view.has_code, max_terms=MAX_KEY_TERMS)
            if plan.is_empty:
                return empty_page(title, limit, 0, "No distinctive terms found in the ticket text.")
            if product:
                resolved = ctx.view.facets.resolve("product", product)
                if resolved:
                    plan.boosters.append(wq.Term("product", resolved, boost=PRODUCT_BOOST))
                elif words := query_words(product):
                    plan.boosters.append(wq.And([word_query(w, "product_text", PRODUCT_BOOST) for w in words]))
            allow = allowed(ctx, audience, statuses, {}, {})
        page = self._page(ctx, plan, allow, frozenset(), limit, 0, explain, boosts=boosts,
                          ticket=ticket_text(title, description))
        page.query = " ".join([*plan.exact_codes, *(u.label for u in plan.units)])
        return page

    def autocomplete(self, prefix: str, *, audience: str = "public",
                     statuses: Collection[str] = ("published",), limit: int = 8) -> list[dict]:
        """Titles whose words start with the typed words: ``[{"id", "title"}]``, best first.

        Every typed word must begin a word of the title; titles that begin with the whole
        prefix come first, then more reused articles, then shorter titles.
        """
        text, _ = clean_text(prefix, 200)
        limit = max(0, min(_int(limit, 8), 50))
        if limit == 0:
            return []
        with self._versions.use(audience) as ctx:
            return autocomplete(ctx, text, allowed(ctx, audience, statuses, {}, {}), limit)

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
        with self._versions.use(audience) as ctx:
            return article_by_id(ctx, article_id, allowed(ctx, audience, statuses, {}, {}), written_for)

    def get_article_by_path(self, path: str, *, audience: str = "public",
                            statuses: Collection[str] = ("published",)) -> Article | None:
        """Like :meth:`get_article`, for the article indexed from ``path`` (relative to the
        articles folder): what a relative link between Markdown files points at."""
        return self._one("path", path, audience, statuses)

    def _one(self, fieldname: str, value: str, audience: str, statuses: Collection[str]) -> Article | None:
        if not value or not isinstance(value, str):
            return None
        with self._versions.use(audience) as ctx:
            allow = allowed(ctx, audience, statuses, {}, {})
            hits = list(run_whoosh(ctx.searcher, wq.Term(fieldname, value), allow, frozenset(), limit=1))
            return article_from_stored(hits[0].fields()) if hits else None

    def list_articles(self, *, audience: str = "public", statuses: Collection[str] = ("published",),
                      type: str | None = None, product: str | None = None, tag: str | None = None,  # noqa: A002
                      limit: int = 50, offset: int = 0, sort: str = "title") -> tuple[int, list[SearchHit]]:
        """Browse: (total, hits) of visible articles, filtered, sorted by "title" or "updated" (newest first)."""
        limit, offset = _clamp(limit, offset)
        with self._versions.use(audience) as ctx:
            allow = allowed(ctx, audience, statuses, dict(type=type, product=product, tag=tag), {})
            total, _, hits = sorted_page(ctx, allow, frozenset(), sort, limit, offset, self._live_signals())
        return total, hits

    def facet_values(self, *, audience: str = "public",
                     statuses: Collection[str] = ("published",)) -> dict[str, list[Facet]]:
        """Facet counts over everything this audience can see (for browse pages)."""
        with self._versions.use(audience) as ctx:
            allow = allowed(ctx, audience, statuses, {}, {})
            return ctx.view.facets.counts(visible(ctx, allow, frozenset()))

    def stats(self, audience: str = "internal") -> dict:
        """Document count, build times and version numbers of one audience's index."""
        with self._versions.use(audience) as ctx:
            pointer = ctx.view.pointer
            return {
                "audience": audience,
                "doc_count": ctx.searcher.doc_count(),
                "generation": pointer.generation,
                "commit": ctx.view.toc,
                "built_at": pointer.built_at,
                "updated_at": (self._versions.pointer or pointer).updated_at,
                "schema_version": pointer.schema_version,
                "index_dir": str(pointer.path(self.root) / audience),
            }


def _warm_version(ctx: Context) -> None:
    """Load one index version's lengths, vocabularies, columns, facet lists and codes."""
    engine = ctx.engine
    for fieldname in FIELD_WEIGHTS:
        engine.lengths(fieldname, ctx.searcher)
    for fieldname in {*FIELD_WEIGHTS, *FUZZY_FIELDS, SPELL_FIELD}:
        engine.vocabularies(fieldname, ctx.searcher)
    for name in ("id", "reuse_count", "title_sort", "confidence", "verified", "review_by"):
        engine.column(name, ctx.searcher)
    ctx.view.facets.counts(engine.live)
    ctx.view.has_code("")
    engine.hashes(ctx.searcher)


def _long_query_plan(ctx: Context, parsed: ParsedQuery, plan: Plan) -> Plan:
    """A query of more than :data:`MAX_QUERY_UNITS` units, searched for its most distinctive
    terms. It is often a pasted message: its runs of words still find the article that quotes it."""
    long_plan, _ = plan_long_text(Statistics(ctx.engine, ctx.reader), "", parsed.text, ctx.synonyms,
                                  ctx.view.has_code)
    long_plan.excluded, long_plan.kind = plan.excluded, plan.kind
    add_run_booster(long_plan, plan.runs)
    return long_plan


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


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


def _clamp(limit, offset) -> tuple[int, int]:
    """Page size within 0..MAX_LIMIT and offset within 0..MAX_OFFSET, whatever was passed."""
    return max(0, min(_int(limit, 10), MAX_LIMIT)), max(0, min(_int(offset, 0), MAX_OFFSET))


def _every_article(ctx: Context, parsed: ParsedQuery, allow: set[int] | None, deny: frozenset[int], limit: int,
                   offset: int, signals: Mapping[str, Signals], notice: str | None) -> SearchPage:
    """The page for a query with nothing searchable in it: every article, by title."""
    if parsed.positive:
        notice = _join(notice, "Nothing searchable in the query; showing all articles.")
    total, docs, hits = sorted_page(ctx, allow, deny, "title", limit, offset, signals)
    return SearchPage(query=parsed.display(), total=total, hits=hits, facets=ctx.view.facets.counts(docs),
                      did_you_mean=None, offset=offset, limit=limit, took_ms=0.0, notice=notice)


def _shorter_names(ctx: Context, parsed: ParsedQuery) -> Iterator[ParsedQuery]:
    """The query with its pasted names shortened (:func:`~indexer.plan.names_shortened`),
    longest first, where articles have every shorter name whole: the parts of a name that
    nothing has would only match at random."""
    shorter: ParsedQuery | None = parsed
    while (shorter := names_shortened(shorter)) is not None:
        names = identifiers(query_words(shorter.text))
        if names and all(ctx.engine.doc_frequency(ctx.reader, "content", n) > 0 for n in names):
            yield shorter


def _join(*notices: str | None) -> str | None:
    parts = [n for n in notices if n]
    return " ".join(parts) if parts else None
