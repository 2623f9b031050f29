"""What searches return: plain dataclasses, and the hits of a page built from stored fields."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from indexer.explain import Explainer
from indexer.facets import FACET_FIELDS, Facet
from indexer.plan import Plan
from indexer.ranking import WHOLE_FIRST_KINDS, Candidate
from indexer.snippets import make_snippet, plain_excerpt


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
    kind: str = ""  # how the query was read (:mod:`indexer.query_kind`); empty for suggestions and browsing

    def as_dict(self) -> dict:
        return asdict(self)


def empty_page(query: str, limit: int, offset: int, notice: str | None) -> SearchPage:
    facets: dict[str, list[Facet]] = {name: [] for name in FACET_FIELDS}
    return SearchPage(query=query, total=0, hits=[], facets=facets, did_you_mean=None, offset=offset,
                      limit=limit, took_ms=0.0, notice=notice)


@dataclass(frozen=True)
class SnippetTerms:
    """What the snippets of a page mark: the query's index terms, those that name a query
    word whole, and the identifiers a text that has them whole is marked on (a query that
    names one: :data:`~indexer.ranking.WHOLE_FIRST_KINDS`). Worked out once a page."""

    terms: frozenset[str]
    strong: frozenset[str]
    names: frozenset[str] = frozenset()

    @classmethod
    def of(cls, plan: Plan) -> SnippetTerms:
        names = plan.identifiers() if plan.kind in WHOLE_FIRST_KINDS else ()
        return cls(frozenset(plan.terms()), frozenset(plan.strong_terms()), frozenset(names))


def make_hit(stored: dict, c: Candidate, terms: SnippetTerms | None, explainer: Explainer | None,
             signals: Mapping[str, Signals], stored_reuse: int) -> SearchHit:
    """A result from a document's stored fields: snippet around the query's ``terms`` (the
    text's opening without them), live reuse count."""
    meta = _meta(stored)
    text = stored.get("text", "")
    if terms is not None:
        snippet = make_snippet(text, terms.terms, strong=terms.strong, names=terms.names)
    else:
        snippet = plain_excerpt(text)
    live = signals.get(stored.get("id", ""))
    return SearchHit(
        id=stored.get("id", ""),
        title=stored.get("title", ""),
        type=stored.get("type", ""),
        product=stored.get("product") or None,
        audience=stored.get("audience", ""),
        status=stored.get("status", ""),
        path=stored.get("path", ""),
        snippet=snippet,
        score=round(c.final if terms is not None else 0.0, 4),
        tags=list(meta.get("tags") or []),
        error_codes=list(meta.get("error_codes") or []),
        updated=stored.get("updated") or None,
        reuse_count=live.reuse_count if live else stored_reuse,
        superseded_by=stored.get("superseded_by") or None,
        explanation=explainer.explain(c, stored) if explainer is not None else None,
        similarity=None if c.similarity is None else round(float(c.similarity), 4),
    )


def _meta(stored: dict) -> dict:
    try:
        return json.loads(stored.get("meta") or "{}")
    except ValueError:
        return {}
