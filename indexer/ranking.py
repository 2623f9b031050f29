"""How a search is ranked: every weight, and the rules that turn matches into a page.

1. **Text score, BM25F.** Every searchable section of an article is in one ``content``
   field, each token weighted by its section (:data:`SECTION_WEIGHTS`: the title counts
   three times the body); the title is also a field of its own. A query's units (words,
   quoted phrases, synonym groups) are searched in both fields (:data:`FIELD_WEIGHTS`) and
   scored with Whoosh's BM25F (:data:`BM25_K1`, :data:`BM25_B`). An identifier matched
   whole scores :data:`WHOLE_BONUS` times its parts.
2. **Tiers.** Articles with every unit ("all terms") rank above those with some ("some
   terms"); when nothing matches, plain words are matched within one or two edits
   ("fuzzy", :data:`FUZZY_FIELDS`), and a pasted name that still finds nothing is searched
   without its first pieces while articles have the shorter name whole
   (``Contoso.Net.WebException`` as ``WebException``: :func:`indexer.plan.names_shortened`).
   Tickets and overlong queries are searched by their key terms ("key terms", each
   weighted by its tf-idf, at least :data:`MIN_KEY_TERM_WEIGHT`).
3. **Boosters**, added to the text score of a tier's best candidates: an exact error code
   (:data:`EXACT_CODE_BOOST`), the query being the title (:data:`EXACT_TITLE_BOOST`), the
   query as a phrase in the title (:data:`TITLE_PHRASE_BOOST`), joined pairs such as
   ``http503`` (:data:`PAIR_BOOST`), runs of a pasted message found word for word
   (:data:`RUN_BOOST`), the ticket's product (:data:`PRODUCT_BOOST`). Boosters that need
   positions are considered for the best :data:`PHRASE_POOL` candidates of a tier, and
   checked only where they can still change what the page shows.
4. **Signals**: reuse, helpfulness, KCS confidence and freshness (:data:`CONFIDENCE_FACTORS`,
   :data:`STALE_FACTOR`: a small penalty, never a bonus) multiply a score by :data:`MULTIPLIER_RANGE` at most;
   what closed cases taught multiplies it by :data:`CASE_BOOST_RANGE` at most.
5. **Meaning.** Ticket suggestions: the :data:`RERANK_WINDOW` best candidates are re-ranked
   by ``words / best words + MEANING_WEIGHT x cosine(ticket, article)``; an article with
   one of the ticket's exact error codes stays ahead of those without. Search: the same,
   over both tiers' best candidates, as much as the query's kind leans on meaning
   (:data:`MEANING_BY_KIND`: questions, descriptions and short queries; titles, codes,
   quoted phrases and pasted messages stay word matches).
6. **Precision.** Some-terms matches that share only one common word with a query of
   several (:func:`coverage` below :data:`MIN_COVERAGE`), or, when meaning re-ranks, that
   are unlike it (:data:`MIN_SIMILARITY`), leave the page when anything better matched.
   A query that its best match by words quotes (:data:`QUOTED_SHARE` of its runs,
   :mod:`indexer.message_runs`) is ranked by words alone, whatever its kind; of a ticket's
   best matches by words (:data:`QUOTE_CHECKS`), the one that quotes most of it comes first. For a query
   that names an identifier (:data:`WHOLE_FIRST_KINDS`), articles that carry it whole come
   before those that only have its parts.

Every score a hit shows, and every part ``--explain`` prints, comes from these rules and
the one evaluator in :mod:`indexer.engine.evaluate`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Protocol

import numpy as np

from indexer.engine.matches import Matches, all_of, any_of
from indexer.message_runs import most_quoting
from indexer.stages import stage
from kb.kcs.confidence import is_stale

if TYPE_CHECKING:
    from whoosh import query as wq

    from indexer.engine.version import IndexVersion


class Evaluator(Protocol):
    """What ranking asks of the engine (:class:`indexer.engine.Evaluation`, which reads its
    BM25 parameters here): a query's matches on one index version."""

    v: IndexVersion

    def run(self, q: wq.Query | None, restrict: np.ndarray | None = None, *,
            optimistic: bool = False) -> Matches: ...

    def phrases_in(self, fieldname: str, phrases: list[tuple[str, ...]], slop: int,
                   docs: np.ndarray) -> np.ndarray: ...


class Plan(Protocol):
    """What ranking asks of a query's plan (:class:`indexer.plan.Plan`, whose queries carry
    the weights set here): the queries of each tier and of the boosters."""

    exact_codes: list[str]
    runs: list[tuple[str, ...]]
    whole_run: bool

    def unit_queries(self) -> list[wq.Query]: ...

    def whole_query(self) -> wq.Query | None: ...

    def core_any(self) -> wq.Query: ...

    def booster_query(self) -> wq.Query | None: ...

    def code_query(self) -> wq.Query: ...

    def fuzzy_query(self) -> wq.Query | None: ...

# -- 1. text score ----------------------------------------------------------------------------
BM25_K1 = 1.2  # Whoosh's defaults: the evaluator's scores are tested equal to Whoosh's own
BM25_B = 0.75
# Weights of the sections of the ``content`` field: title >> error codes ~ symptoms >
# headings ~ tags > product ~ the rest of the body. ("body" is every section but symptoms,
# so no text is counted twice.)
SECTION_WEIGHTS: dict[str, float] = {
    "title": 3.0,
    "error_codes": 3.0,
    "symptoms": 2.0,
    "headings": 1.5,
    "keywords": 1.5,
    "product": 1.0,
    "body": 1.0,
}
# Fields every unit is searched in: the title also gets a (saturating) score of its own.
FIELD_WEIGHTS: dict[str, float] = {"content": 1.0, "title": 2.0}
WHOLE_BONUS = 1.5  # an identifier matched whole scores above the same identifier by its parts

# -- 2. tiers ------------------------------------------------------------------------------
FUZZY_FIELDS: dict[str, float] = {"content": 1.0, "title": 2.0}
KEY_TERM_TITLE_WEIGHT = 3.0  # a ticket's title words count three times its description's
MIN_KEY_TERM_WEIGHT = 0.3  # key terms weigh their tf-idf relative to the best, at least this

# -- 3. boosters ---------------------------------------------------------------------------
EXACT_CODE_BOOST = 12.0
EXACT_TITLE_BOOST = 20.0
TITLE_PHRASE_BOOST = 4.0
TITLE_PHRASE_SLOP = 2
PAIR_BOOST = 2.0
RUN_LENGTH = 3  # words per run in the pasted-message booster
# A query of this many words or more whose content words are a single run is a sentence: the
# run is boosted, and an article that has it word for word quotes the query.
MIN_SENTENCE_WORDS = 5
RUN_BOOST = 1.0
MAX_RUNS = 24
PRODUCT_BOOST = 3.0
PHRASE_POOL = 30  # best candidates of a tier whose phrase boosters are checked
MAX_PHRASE_CHECKS = 1500  # documents a phrase is checked in at most, best by its words' score first
RERANK_WINDOW = 30  # candidates re-ranked by signals and meaning, beyond the page itself

# -- 4. signals ----------------------------------------------------------------------------
# Reuse and helpfulness move a result by at most about a fifth of its text score.
REUSE_WEIGHT = 0.04
HELPFUL_WEIGHT = 0.1
# KCS confidence and freshness (kb.kcs.confidence): a validated, recently verified article
# ranks a few percent above a twin that isn't validated or is stale; never more than that.
CONFIDENCE_FACTORS = {"validated": 1.0, "not-validated": 0.96, "work-in-progress": 0.94, "archived": 0.94}
STALE_FACTOR = 0.94
MULTIPLIER_RANGE = (0.85, 1.25)
CASE_BOOST_RANGE = (0.25, 4.0)

# -- 5. meaning ----------------------------------------------------------------------------
MEANING_WEIGHT = 1.0  # ticket suggestions: cosine against the normalised words score
# Search: how much each kind of query (:mod:`indexer.query_kind`) leans on meaning. Known
# items (a title, a code, a quoted phrase, a pasted message) are what words find best: 0.
MEANING_BY_KIND: dict[str, float] = {"question": 1.0, "words": 1.0, "short": 1.0}
# Kinds whose every word is deliberate (two or three of them): meaning reorders each tier,
# but an article with every word stays above one with some.
MEANING_WITHIN_TIERS = frozenset({"short"})

# -- 6. precision where people look ---------------------------------------------------------
# A "some terms" match that shares only one unit with a query of several, carrying less than
# this share of the query's distinctiveness (idf), shares only a common word with it: it is
# left off the page when anything better matched. For queries ranked by meaning, a
# some-terms match among the re-ranked ones leaves instead when it is unlike the query
# (cosine below MIN_SIMILARITY).
MIN_COVERAGE = 0.5
MIN_SIMILARITY = 0.3
# A query whose runs of words (:data:`RUN_LENGTH`) occur, at least this share of them, in
# order in its best match by words is quoted by that article: ranked by words alone.
QUOTED_SHARE = 0.5
# A ticket's best candidates by words that are checked for quoting it: the one that quotes
# most of it comes first, and meaning re-ranks the rest.
QUOTE_CHECKS = 5
# Kinds of query (:mod:`indexer.query_kind`) that name an identifier: articles that carry it
# whole ("System.IO.IOException") stay ahead of those that only have its parts ("System.IO
# ... Exception"), as an article that declares an error code stays ahead of the rest.
WHOLE_FIRST_KINDS = frozenset({"code"})


@dataclass
class Candidate:
    """A document on its way to the page, with the parts of its score."""

    docnum: int
    words: float  # the tier's text score (BM25F of the units, plus exact codes in "some terms")
    tier: str
    boosters: float = 0.0  # the boosters' sum
    multiplier: float = 1.0
    signals: dict[str, float] = field(default_factory=dict)  # reuse, helpfulness, case
    similarity: float | None = None  # cosine to the ticket or query, when re-ranked by meaning
    meaning_weight: float = 0.0  # how much that cosine counted
    coverage: float = 1.0  # the query's idf share this document matched ("some terms" only)
    by_words: float = 0.0  # the final score before the blend with meaning
    best_by_words: float = 0.0  # the best such score among the re-ranked candidates
    final: float = 0.0
    quotes: bool = False  # it quotes the ticket (:data:`QUOTE_CHECKS`): first whatever its score

    @property
    def text(self) -> float:
        """Words and boosters: the text score the signals multiply."""
        return self.words + self.boosters


@dataclass
class Ranked:
    """A ranked plan: the candidates for the page, in order, and every matching document."""

    candidates: list[Candidate]
    matched: Matches
    fuzzy: bool = False
    relaxed: bool = False


Reweigh = Callable[[list["Candidate"]], None]
Similarity = Callable[[list["Candidate"]], list[float | None]]  # cosine of each candidate to the query


def top(scores: np.ndarray, mask: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` best (document, score) of the masked documents: highest score, then lowest id."""
    docs = np.flatnonzero(mask)
    return top_of(docs, scores[docs], k)


def top_of(docs: np.ndarray, values: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` best of ``docs`` (ascending) by ``values``: highest value, then lowest id."""
    if not len(docs) or k <= 0:
        return []
    if len(docs) > k:
        # Keep ties at the cut-off so the final order is decided by document number.
        cut = np.partition(values, len(values) - k)[len(values) - k]
        keep = values >= cut
        docs, values = docs[keep], values[keep]
    order = np.lexsort((docs, -values))[:k]
    return [(int(docs[i]), float(values[i])) for i in order]


def trust(confidence: str | None, verified: str | None, review_by: str | None, today: date) -> dict[str, float]:
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


def multiplier(reuse: int, helpful: int, unhelpful: int, case_boost: float | None,
               trusted: Mapping[str, float] | None = None) -> tuple[float, dict[str, float]]:
    """A modest score multiplier from reuse, helpfulness, confidence and freshness, times any case boost."""
    parts = {"reuse": 1 + REUSE_WEIGHT * math.log1p(max(reuse, 0)), **(trusted or {})}
    if helpful or unhelpful:
        votes = helpful + unhelpful
        parts["helpfulness"] = 1 + HELPFUL_WEIGHT * (helpful - unhelpful) / (votes + 5)
    low, high = MULTIPLIER_RANGE
    m = min(max(math.prod(parts.values()), low), high)
    if case_boost is not None:
        parts["case"] = min(max(float(case_boost), CASE_BOOST_RANGE[0]), CASE_BOOST_RANGE[1])
        m *= parts["case"]
    return m, parts


def order(candidates: list[Candidate]) -> list[Candidate]:
    """Score each candidate (text score x multiplier) and sort, best first."""
    for c in candidates:
        c.final = c.text * c.multiplier
    return sorted(candidates, key=lambda c: -c.final)


def tier(ev: Evaluator, plan: Plan, members: Matches, limit: int, label: str, *, shown: int | None = None,
         spread: float = 1.0) -> list[Candidate]:
    """The ``limit`` best documents of a tier (``members``, scored by words) by words plus boosters.

    Term boosters (exact error code, exact title, joined pairs, product) count for every
    document of the tier. Phrase boosters (the query as a phrase in the title, runs of
    pasted words) are considered for the best :data:`PHRASE_POOL` candidates, and checked
    (by position) only in those that could still reach the first ``shown`` places: where
    even the most the phrases could add, times ``spread`` (how much the signals' multipliers
    can reorder scores), stays below the ``shown``-th certain score, a document keeps its
    score without phrases. It then sits below ``shown``, where its order is not shown.
    """
    if not members.any():
        return []
    docs, base = members.ids, members.scores
    booster = plan.booster_query()
    if booster is None:
        return [Candidate(d, score, label) for d, score in top_of(docs, base, limit)]
    shown = limit if shown is None else max(0, min(shown, limit))
    with stage("boosters"):
        terms_only = ev.run(booster, restrict=np.zeros(members.size, dtype=bool))
        score = base + terms_only.at(docs)[1]
        pool = np.sort(np.asarray([d for d, _ in top_of(docs, score, max(limit, PHRASE_POOL))], dtype=np.int64))
        words = members.at(pool)[1]
        lower = terms_only.at(pool)[1]
        in_pool = ev.v.mask_of(pool)
        upper = ev.run(booster, restrict=in_pool, optimistic=True).at(pool)[1]
        boosters = lower.copy()
        exact = upper <= lower  # nothing to check: no phrase can add anything here
        whole_pool = None
        while True:
            todo = _worth_checking(words, boosters, upper, exact, shown, spread)
            if not todo.any():
                break
            exact |= todo
            # Phrases hold or not in each document on its own: checking them in the whole
            # pool once gives the checked documents of every round the same values as
            # checking those alone, unless the pool is so deep that the number of phrase
            # checks is capped.
            if len(pool) > MAX_PHRASE_CHECKS:
                checked = ev.run(booster, restrict=ev.v.mask_of(pool[exact])).at(pool)[1]
            else:
                if whole_pool is None:
                    whole_pool = ev.run(booster, restrict=in_pool).at(pool)[1]
                checked = whole_pool
            boosters = np.where(exact, checked, lower)
    return [Candidate(d, float(words[i]), label, boosters=float(boosters[i]))
            for i, d, _value in _top_indexed(pool, words + boosters, limit)]


def _worth_checking(words: np.ndarray, boosters: np.ndarray, upper: np.ndarray, exact: np.ndarray,
                    shown: int, spread: float) -> np.ndarray:
    """The next unchecked documents whose phrases could still place them among the first
    ``shown``: at most ``shown`` of them, those that could gain most first."""
    unchecked = ~exact
    if not unchecked.any() or shown == 0:
        return np.zeros(len(words), dtype=bool)
    certain = np.sort((words + boosters)[exact])[::-1]
    threshold = certain[shown - 1] if len(certain) >= shown else -np.inf
    best = words + upper
    todo = unchecked & (best * spread >= threshold)
    if np.count_nonzero(todo) > shown:
        order = np.argsort(-np.where(todo, best, -np.inf), kind="stable")[:shown]
        todo = np.zeros(len(words), dtype=bool)
        todo[order] = True
    return todo


def _top_indexed(docs: np.ndarray, values: np.ndarray, k: int) -> list[tuple[int, int, float]]:
    """:func:`top_of`, with each document's index in ``docs``."""
    where = {d: i for i, d in enumerate(docs.tolist())}
    return [(where[d], d, v) for d, v in top_of(docs, values, k)]


def rank_search(ev: Evaluator, plan: Plan, visible: np.ndarray, need: int, reweigh: Reweigh,
                similarity: Similarity | None = None, weight: float = 0.0) -> Ranked:
    """Rank a search-box plan: all-terms matches first, then some-terms matches, then fuzzy
    matches as a last resort. ``need`` is the last position the page shows.

    Some-terms matches that share only one common word with the query (:func:`coverage`
    below :data:`MIN_COVERAGE`) are left off when anything better matched. With ``similarity``
    and a ``weight`` (the query's kind leans on meaning), the best :data:`RERANK_WINDOW`
    candidates of both tiers are re-ranked together by words and meaning
    (:func:`by_meaning`), and a poorly covered match must also be like the query in meaning
    (:data:`MIN_SIMILARITY`) to stay.
    """
    window = max(need, RERANK_WINDOW)
    size = len(visible)
    by_meaning_too = similarity is not None and weight > 0
    with stage("scoring"):
        units = [ev.run(q) for q in plan.unit_queries()]
        codes = [ev.run(plan.code_query())] if plan.exact_codes else []
        every = all_of(units).only(visible) if units else Matches.none(size)
        matched = any_of(units + codes).only(visible) if units or codes else Matches.none(size)
        total_every = every.count()
        if matched.any():
            spread = MULTIPLIER_RANGE[1] / MULTIPLIER_RANGE[0]
            candidates = _scored(tier(ev, plan, every, window, "all terms", shown=need, spread=spread), reweigh)
            relaxed = False
            total = matched.count()
            thin_ids = np.zeros(0, dtype=np.int64)
            # Meaning can lift a some-terms match above an all-terms one: look at a whole window.
            enough = window if by_meaning_too else need
            if total_every < enough and total_every < total:
                # Not enough documents have every term: follow them with those that have some.
                wanted = enough - total_every + RERANK_WINDOW
                some = matched.only(~every.mask) if total_every else matched
                cover, shared = coverage(units, codes, some.ids, int(np.count_nonzero(visible)))
                thin = (cover < MIN_COVERAGE) & (shared <= 1) if len(units) > 1 else np.zeros(len(cover), bool)
                if by_meaning_too:
                    thin_ids = some.ids[thin]
                elif thin.any() and (total_every or not thin.all()):
                    keep = np.ones(size, dtype=bool)
                    keep[some.ids[thin]] = False
                    some, matched = some.only(keep), matched.only(keep)
                    cover = cover[~thin]
                more = tier(ev, plan, some, wanted, "some terms", shown=enough - total_every, spread=spread)
                at = np.searchsorted(some.ids, [c.docnum for c in more])
                for c, i in zip(more, at.tolist(), strict=True):
                    c.coverage = float(cover[i])
                relaxed = total_every == 0
                candidates += _scored(more, reweigh)
            if getattr(plan, "kind", "") in WHOLE_FIRST_KINDS:
                candidates = _whole_first(ev, plan, candidates)
            if by_meaning_too and candidates and most_quoting(
                    ev, plan.runs, [candidates[0].docnum], QUOTED_SHARE, whole=plan.whole_run) == 0:
                # An article quotes the query (a pasted message, a copied sentence): a known item.
                by_meaning_too = False
                candidates, matched = _without_thin(candidates, matched, thin_ids)
            if by_meaning_too and len(candidates) >= 2:
                candidates, matched = _with_meaning(ev, plan, candidates, matched, window, similarity, weight,
                                                    thin_ids)
            return Ranked(candidates, matched, relaxed=relaxed)
        fuzzy = plan.fuzzy_query()
        if fuzzy is None:
            return Ranked([], matched)
        loose = ev.run(fuzzy).only(visible)
        if not loose.any():
            return Ranked([], loose)
        best = top_of(loose.ids, loose.scores, window)
        return Ranked(_scored([Candidate(d, v, "fuzzy") for d, v in best], reweigh), loose, fuzzy=True)


def meaning_weight(kind: str) -> float:
    """How much a search of this kind (:mod:`indexer.query_kind`) leans on meaning."""
    return MEANING_BY_KIND.get(kind, 0.0)


def coverage(units: list[Matches], codes: list[Matches], docs: np.ndarray,
             live: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``docs``: the share of the query's distinctiveness it matched, and how
    many of the query's units it matched.

    Each unit weighs its idf (BM25's, over the ``live`` visible documents); a document
    with one of the query's exact error codes covers it all.
    """
    if not units:
        return np.ones(len(docs)), np.zeros(len(docs), dtype=int)
    idf = np.array([math.log(1 + (live - u.count() + 0.5) / (u.count() + 0.5)) for u in units])
    found = np.array([u.has(docs, ascending=True) for u in units], dtype=float)
    share = (idf @ found) / (idf.sum() or 1.0)
    for code in codes:
        share = np.where(code.has(docs, ascending=True), 1.0, share)
    return share, found.sum(axis=0).astype(int)


def _whole_first(ev: Evaluator, plan: Plan, candidates: list[Candidate]) -> list[Candidate]:
    """Candidates that carry one of the query's identifiers whole first, in their order."""
    whole = plan.whole_query()
    if whole is None or len(candidates) < 2:
        return candidates
    has = ev.run(whole).mask
    return sorted(candidates, key=lambda c: not has[c.docnum])


def _without_thin(candidates: list[Candidate], matched: Matches, thin: np.ndarray) -> tuple[list[Candidate], Matches]:
    """Leave off the poorly covered some-terms matches (``thin``), when something else matched."""
    if not len(thin) or len(thin) >= len(candidates):  # (``thin`` holds distinct documents)
        return candidates, matched
    keep = np.ones(matched.size, dtype=bool)
    keep[thin] = False
    return [c for c in candidates if keep[c.docnum]], matched.only(keep)


def _with_meaning(ev: Evaluator, plan: Plan, candidates: list[Candidate], matched: Matches, window: int,
                  similarity: Similarity, weight: float, thin: np.ndarray) -> tuple[list[Candidate], Matches]:
    """Re-rank the best ``window`` candidates by words and meaning. Some-terms matches among
    them that are unlike the query (:data:`MIN_SIMILARITY`) are left off, and so are the
    poorly covered ones (``thin``) beyond the window, whose meaning is not looked at."""
    head, tail = candidates[:window], candidates[window:]
    coded = ev.run(plan.code_query()).mask if plan.exact_codes else None
    with stage("meaning"):
        head = by_meaning(head, similarity(head), coded, weight)
    if getattr(plan, "kind", "") in MEANING_WITHIN_TIERS:
        head.sort(key=lambda c: c.tier != "all terms")  # stable: meaning's order within each tier
    unlike = [c.docnum for c in head if c.tier == "some terms" and c.similarity is not None
              and c.similarity < MIN_SIMILARITY]
    if len(unlike) == len(head):
        unlike = []  # nothing is like the query: words alone must do
    # Masks rather than sets: ``thin`` can hold tens of thousands of documents.
    gone = np.zeros(matched.size, dtype=bool)
    gone[thin] = True
    gone[[c.docnum for c in head]] = False
    gone[unlike] = True
    if gone.any():
        head = [c for c in head if not gone[c.docnum]]
        tail = [c for c in tail if not gone[c.docnum]]
        matched = matched.only(~gone)
    return head + tail, matched


def rank_ticket(ev: Evaluator, plan: Plan, visible: np.ndarray, need: int, reweigh: Reweigh,
                similarity: Callable[[list[Candidate]], list[float | None]] | None) -> Ranked:
    """Rank a ticket (or an overlong query) by its key terms, then by meaning.

    Only the best candidates are counted: an OR of a dozen terms matches most of a
    knowledge base, and "12,000 matches" says nothing.
    """
    window = max(need, RERANK_WINDOW)
    with stage("scoring"):
        core = ev.run(plan.core_any()).only(visible)
        candidates = _scored(tier(ev, plan, core, window, "key terms"), reweigh)
    if similarity is not None and len(candidates) >= 2:
        # An article that quotes the ticket (a log or message pasted whole) is the answer
        # whatever meaning says; the others are still re-ranked by it.
        quoted = _quoting(ev, plan, candidates[:QUOTE_CHECKS])
        coded = ev.run(plan.code_query()).mask if plan.exact_codes else None
        with stage("meaning"):
            candidates = by_meaning(candidates, similarity(candidates), coded)
        if quoted is not None:
            quoted.quotes = True
            candidates = [quoted, *(c for c in candidates if c is not quoted)]
    ids = np.asarray(sorted(c.docnum for c in candidates), dtype=np.int64)
    return Ranked(candidates, Matches(len(visible), ids=ids, scores=np.zeros(len(ids), dtype=np.float32)))


def _quoting(ev: Evaluator, plan: Plan, candidates: list[Candidate]) -> Candidate | None:
    """The one of ``candidates`` that quotes most of the text, at least :data:`QUOTED_SHARE` of its runs."""
    with stage("phrases"):
        at = most_quoting(ev, plan.runs, [c.docnum for c in candidates], QUOTED_SHARE)
    return None if at is None else candidates[at]


def _scored(candidates: list[Candidate], reweigh: Reweigh) -> list[Candidate]:
    reweigh(candidates)
    return order(candidates)


def best_of(scores: Sequence[float]) -> float:
    """What words scores are divided by before the similarity is added."""
    return max(scores, default=0.0) or 1.0


def blend(scores: Sequence[float], sims: Sequence[float | None], weight: float = MEANING_WEIGHT) -> list[float]:
    """Fused scores: words score over the best one, plus ``weight`` times the cosine.

    A candidate without a vector takes the mean similarity of those with one, so it is
    neither favoured nor punished for the gap.
    """
    known = [s for s in sims if s is not None]
    if not known:
        return list(scores)
    fill = float(np.mean(known))
    best = best_of(scores)
    return [score / best + weight * (fill if sim is None else sim)
            for score, sim in zip(scores, sims, strict=True)]


def by_meaning(candidates: list[Candidate], sims: list[float | None],
               coded: np.ndarray | None, weight: float = MEANING_WEIGHT) -> list[Candidate]:
    """Blend each candidate's score with its similarity to the ticket or query.

    Articles that carry one of the ticket's error codes (``coded``) stay ahead of those
    that don't: an exact code says more than any paraphrase.
    """
    words = [c.final for c in candidates]
    best = best_of(words)
    for c, fused, sim in zip(candidates, blend(words, sims, weight), sims, strict=True):
        c.by_words, c.best_by_words, c.final, c.similarity = c.final, best, fused, sim
        c.meaning_weight = weight
    if coded is None:
        return sorted(candidates, key=lambda c: -c.final)
    return sorted(candidates, key=lambda c: (not coded[c.docnum], -c.final))


def signals_reweigher(ids: Sequence[str], reuse: Sequence, signals: Mapping[str, object],
                      case_boosts: Mapping[str, float] | None,
                      kcs: tuple[Sequence, Sequence, Sequence] | None = None) -> Reweigh:
    """A :data:`Reweigh` that sets each candidate's multiplier from what cases and readers
    taught, and from its KCS confidence and freshness (``kcs``: the confidence, verified
    and review_by columns)."""
    today = date.today()

    def reweigh(candidates: list[Candidate]) -> None:
        for c in candidates:
            article_id = ids[c.docnum]
            live = signals.get(article_id)
            stored = int(reuse[c.docnum] or 0)
            trusted = trust(*(column[c.docnum] for column in kcs), today) if kcs is not None else None
            c.multiplier, c.signals = multiplier(
                live.reuse_count if live else stored, live.helpful if live else 0,
                live.unhelpful if live else 0, case_boosts.get(article_id) if case_boosts else None, trusted)

    return reweigh
