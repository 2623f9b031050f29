"""Which documents a search may look at: statuses, filters, exclusions, as sets and masks.

Visibility between audiences is structural (the public index holds published public
articles only); inside the internal index, statuses are filtered here, before scoring.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
from whoosh import query as wq

from indexer.analyzers import normalize_code, query_words
from indexer.plan import Plan, word_query
from indexer.versions import Context
from kb.visibility import status_filter


def allowed(ctx: Context, audience: str, statuses: Collection[str], api: dict,
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
    return facets.allowed(tuple(key), q)


def visible(ctx: Context, allow: set[int] | None, deny: Collection[int]) -> np.ndarray:
    """Live documents that pass the filters and are not excluded, as a mask."""
    mask = ctx.engine.live.copy()
    if allow is not None:
        mask &= ctx.view.facets.as_mask(allow)
    if deny:
        mask[np.fromiter(deny, dtype=np.int64, count=len(deny))] = False
    return mask


def denied(ctx: Context, plan: Plan) -> frozenset[int]:
    """Documents the query's -exclusions rule out."""
    q = plan.exclusion()
    return frozenset(ctx.searcher.docs_for_query(q.normalize())) if q is not None else frozenset()


def run_whoosh(searcher, q: wq.Query, allow: set[int] | None, deny: Collection[int], **kwargs):
    """``searcher.search`` with a filter set and a mask set (lookups, browsing, autocomplete).

    An empty filter set means "nothing is visible", but Whoosh treats an empty ``filter=``
    as no filter at all, which would show everything: so it never gets one.
    """
    if allow is not None and not allow:
        return []
    return searcher.search(q, filter=allow, mask=set(deny) if deny else None, **kwargs)


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
