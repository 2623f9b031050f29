"""What cases taught us: similar solved cases for a new ticket, and the articles that solved them.

Closed and resolved cases are indexed in memory (tf-idf weights, an inverted index,
cosine similarity). The index is rebuilt only when the case table changes, which a cheap
aggregate over case revisions detects, so every process sees changes made by the others.

The articles that solved similar cases become boosts ``{article_id: multiplier}`` for
``Searcher.suggest(boosts=...)``: an article that solved a near-identical ticket ranks higher
than one that only shares words with it. Boosts only re-rank what the searcher already
returns for the reader's audience, so they can't reveal an internal article to a customer.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kb.cases.rules import DONE
from kb.cases.schema import case_links, cases
from kb.cases.store import format_case_id
from kb.cases.text import tfidf, tokenize, top_terms

# A case from another product than the ticket's still counts, at this fraction.
OTHER_PRODUCT_FACTOR = 0.5
# Long tickets (pasted logs) are cut to their most distinctive terms before matching.
MAX_QUERY_TERMS = 40


@dataclass(frozen=True)
class SimilarCase:
    """A done case like the ticket, and what solved it."""

    case_id: int
    title: str
    product: str | None
    resolution_code: str | None
    similarity: float  # cosine of tf-idf vectors, 0..1
    solved_articles: tuple[str, ...]

    @property
    def display_id(self) -> str:
        return format_case_id(self.case_id)


@dataclass(frozen=True)
class _Doc:
    case_id: int
    title: str
    product: str | None
    resolution_code: str | None
    solved_articles: tuple[str, ...]


def case_text(title: str, description: str) -> list[str]:
    """Tokens of a case; the title counts twice because it is the engineer's summary."""
    title_tokens = tokenize(title or "")
    return title_tokens + title_tokens + tokenize(description or "")


class CaseIndex:
    """An inverted tf-idf index over done cases, answering "which cases look like this text?"."""

    def __init__(self, docs: Iterable[tuple[_Doc, list[str]]]):
        docs = list(docs)
        self.docs = [d for d, _ in docs]
        self.df: dict[str, int] = defaultdict(int)
        for _, tokens in docs:
            for term in set(tokens):
                self.df[term] += 1
        self.df = dict(self.df)
        lists: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        norms = []
        for position, (_, tokens) in enumerate(docs):
            weights = tfidf(tokens, self.df, len(docs))
            for term, weight in weights.items():
                positions, values = lists[term]
                positions.append(position)
                values.append(weight)
            norms.append(math.sqrt(sum(w * w for w in weights.values())) or 1.0)
        # Postings as arrays: scoring a ticket is a few vector adds, not a Python loop per case.
        self.postings = {term: (np.array(positions, dtype=np.int32), np.array(values))
                         for term, (positions, values) in lists.items()}
        self.norms = np.array(norms)
        self.products = [(d.product or "").lower() for d in self.docs]

    def __len__(self) -> int:
        return len(self.docs)

    def similar(self, title: str, description: str = "", *, product: str | None = None, limit: int = 10,
                min_similarity: float = 0.1) -> list[SimilarCase]:
        """The most similar done cases, best first.

        :param product: the ticket's product; cases of another product count at
            :data:`OTHER_PRODUCT_FACTOR`.
        :param min_similarity: cosine below which a case is not "similar" at all.
        """
        if not self.docs:
            return []
        weights = tfidf(case_text(title, description), self.df, len(self.docs))
        terms = top_terms(weights, MAX_QUERY_TERMS)
        query_norm = math.sqrt(sum(weights[t] ** 2 for t in terms)) or 1.0
        dots = np.zeros(len(self.docs))
        for term in terms:
            posting = self.postings.get(term)
            if posting is not None:
                dots[posting[0]] += weights[term] * posting[1]
        touched = np.flatnonzero(dots)
        similarities = dots[touched] / (query_norm * self.norms[touched])
        keep = similarities >= min_similarity  # the product factor only lowers a similarity
        touched, similarities = touched[keep], similarities[keep]
        wanted = (product or "").lower()
        found = []
        for position, similarity in zip(touched.tolist(), similarities.tolist()):
            if wanted and self.products[position] and self.products[position] != wanted:
                similarity *= OTHER_PRODUCT_FACTOR
            if similarity >= min_similarity:
                doc = self.docs[position]
                found.append(SimilarCase(doc.case_id, doc.title, doc.product, doc.resolution_code,
                                         round(min(similarity, 1.0), 4), doc.solved_articles))
        found.sort(key=lambda c: (-c.similarity, -c.case_id))
        return found[:limit]


def build_index(engine: Engine) -> CaseIndex:
    """Read every resolved or closed case and index its title and description."""
    solved: dict[int, list[str]] = defaultdict(list)
    with engine.connect() as conn:
        links = (sa.select(case_links.c.case_id, case_links.c.article_id).where(case_links.c.solved.is_(True))
                 .order_by(case_links.c.linked_at, case_links.c.article_id))
        for case_id, article_id in conn.execute(links):
            solved[case_id].append(article_id)
        rows = conn.execute(sa.select(cases.c.id, cases.c.title, cases.c.description, cases.c.product,
                                      cases.c.resolution_code)
                            .where(cases.c.status.in_(DONE)).order_by(cases.c.id)).all()
    return CaseIndex((_Doc(r.id, r.title, r.product, r.resolution_code, tuple(solved.get(r.id, ()))),
                      case_text(r.title, r.description)) for r in rows)


def _stamp(engine: Engine) -> tuple:
    """Changes whenever a done case, or a link of one, changes (revisions are bumped for both)."""
    query = (sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(cases.c.revision), 0),
                       sa.func.max(cases.c.updated_at))
             .where(cases.c.status.in_(DONE)))
    with engine.connect() as conn:
        return tuple(conn.execute(query).one())


_cache: dict[str, tuple[tuple, CaseIndex]] = {}
_cache_lock = threading.Lock()


def case_index(engine: Engine) -> CaseIndex:
    """The index for this database, rebuilt only when its done cases changed."""
    key = engine.url.render_as_string(hide_password=False)
    stamp = _stamp(engine)
    with _cache_lock:
        cached = _cache.get(key)
        if cached and cached[0] == stamp:
            return cached[1]
    index = build_index(engine)  # outside the lock: a slow rebuild mustn't block cached readers
    with _cache_lock:
        _cache[key] = (stamp, index)
    return index


def similar_cases(engine: Engine, title: str, description: str = "", *, product: str | None = None,
                  limit: int = 10, min_similarity: float = 0.1) -> list[SimilarCase]:
    """Done cases that look like a new ticket, best first."""
    return case_index(engine).similar(title, description, product=product, limit=limit,
                                      min_similarity=min_similarity)


def boosts_from(similar: Sequence[SimilarCase], *, weight: float = 1.0) -> dict[str, float]:
    """``{article_id: 1 + weight * min(1, sum of similarities of the cases it solved)}``.

    Summing lets an article that solved several similar cases rise further, and the cap
    keeps a popular article from drowning a better text match.
    """
    evidence: dict[str, float] = defaultdict(float)
    for case in similar:
        for article_id in case.solved_articles:
            evidence[article_id] += case.similarity
    return {article_id: round(1 + weight * min(1.0, total), 4) for article_id, total in evidence.items()}


def learned_boosts(engine: Engine, title: str, description: str = "", *, product: str | None = None,
                   weight: float = 1.0, cases_considered: int = 20,
                   min_similarity: float = 0.1) -> dict[str, float]:
    """Boosts for ``Searcher.suggest(boosts=...)`` from the cases most like this ticket."""
    similar = similar_cases(engine, title, description, product=product, limit=cases_considered,
                            min_similarity=min_similarity)
    return boosts_from(similar, weight=weight)


def suggest_for_case(searcher, engine: Engine, title: str, description: str = "", product: str | None = None,
                     audience: str = "internal", statuses: Sequence[str] = ("published",), limit: int = 10,
                     *, explain: bool = False):
    """Article suggestions for a ticket: the searcher's text match, re-ranked by what solved similar cases.

    :param searcher: an ``indexer.Searcher`` (passed in: kb doesn't import the indexer).
    :returns: the searcher's ``SearchPage``.
    """
    boosts = learned_boosts(engine, title, description, product=product)
    return searcher.suggest(title, description, audience=audience, statuses=tuple(statuses), product=product,
                            limit=limit, boosts=boosts or None, explain=explain)
