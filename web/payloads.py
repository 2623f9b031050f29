"""The JSON API's requests and responses: body limits, the body parser, the payload builders.

Every limit a client can hit is declared here once, and the OpenAPI document
(``web/openapi/``) quotes these same names. A payload is built for a reader: URLs point at
the pages that reader may open, and staff-only fields are left out for everyone else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from flask import request, url_for

from indexer import MAX_DESCRIPTION_CHARS
from kb.cases import store
from kb.model import Article
from kb.visibility import Reader, fields_for
from web import params
from web.casework import linked_articles, suggestions_for
from web.render import article_view, clean_snippet

# Requests bigger than this are refused with 413 before a view reads them.
MAX_BODY_BYTES = 64 * 1024
DEFAULT_LIMIT = 10
# Results an anonymous caller may ask for freely; more (or explain) draws on an allowance.
ANONYMOUS_FREE_LIMIT = 20
MAX_SUGGEST_LIMIT = 50
AUTOCOMPLETE_LIMIT = 8
MAX_AUTOCOMPLETE_LIMIT = 20
MAX_TITLE_CHARS = 1000
MAX_QUESTION_CHARS = 2000  # POST /api/answer's question; details go in its description
# MAX_DESCRIPTION_CHARS is the engine's: it reads no further into a ticket's description.

__all__ = [
    "ANONYMOUS_FREE_LIMIT",
    "AUTOCOMPLETE_LIMIT",
    "DEFAULT_LIMIT",
    "MAX_AUTOCOMPLETE_LIMIT",
    "MAX_BODY_BYTES",
    "MAX_DESCRIPTION_CHARS",
    "MAX_QUESTION_CHARS",
    "MAX_SUGGEST_LIMIT",
    "MAX_TITLE_CHARS",
    "article_endpoint",
    "article_json",
    "article_urls",
    "case_json",
    "hit_json",
    "json_body",
    "page_json",
]


def json_body() -> dict:
    """The request's body as a JSON object; :class:`params.BadParameter` ("body") otherwise
    (see :func:`web.params.json_object` for what is refused, and
    :func:`web.openapi.request_body` for a body checked against the document)."""
    return params.json_object(request.get_data(cache=False))


def _iso(value):
    return value.isoformat() if isinstance(value, date | datetime) else value


def article_endpoint(reader: Reader) -> str:
    """The page an article link sends this reader to: the engineer's page or the help center's."""
    return "articles.article" if reader.is_staff else "help.article"


_PLAIN_ID = re.compile(r"[A-Za-z0-9._~-]+")  # characters a URL never escapes
_ID_SLOT = "kb-article-id"


def article_urls(reader: Reader) -> Callable[[str], str]:
    """The article URL for this reader, by article id. The route is built once a page: an
    id a URL carries as it is (every id kb writes) is put in its place, any other id gets a
    route built for it (ten results: 135 -> 22 µs)."""
    endpoint = article_endpoint(reader)
    before, _, after = url_for(endpoint, article_id=_ID_SLOT, _external=True).rpartition(_ID_SLOT)

    def url(article_id: str) -> str:
        if _PLAIN_ID.fullmatch(article_id):
            return f"{before}{article_id}{after}"
        return url_for(endpoint, article_id=article_id, _external=True)

    return url


def hit_json(hit, reader: Reader, *, explain: bool = False, url: Callable[[str], str] | None = None) -> dict:
    """One search result as the API documents it (``url``: :func:`article_urls`, when a page has many)."""
    out = {
        "id": hit.id, "title": hit.title, "type": hit.type, "product": hit.product, "audience": hit.audience,
        "status": hit.status, "updated": _iso(hit.updated),
        "url": (url or article_urls(reader))(hit.id),
        "snippet": str(clean_snippet(hit.snippet)), "score": float(hit.score),
    }
    if explain:
        out["explanation"] = hit.explanation
    return out


def page_json(page, reader: Reader, *, explain: bool = False) -> dict:
    """A SearchPage as the API documents it."""
    url = article_urls(reader)
    return {
        "query": page.query, "total": page.total, "offset": page.offset, "limit": page.limit,
        "took_ms": round(float(page.took_ms), 3),
        "results": [hit_json(h, reader, explain=explain, url=url) for h in page.hits],
        "facets": {name: [{"value": f.value, "count": f.count} for f in values]
                   for name, values in (page.facets or {}).items()},
        "did_you_mean": page.did_you_mean, "fuzzy": bool(page.fuzzy), "relaxed": bool(page.relaxed),
        "notice": page.notice,
    }


def article_json(article: Article, reader: Reader) -> dict:
    """An article's metadata, rendered HTML and plain text, filtered for the reader."""
    view = article_view(article, reader, article_endpoint(reader))
    data = fields_for(article.metadata(), reader)
    data["related"] = [a.id for a in view.related]
    data["superseded_by"] = view.replacement.id if view.replacement else None
    if reader.is_staff:
        data["reuse_count"] = view.reuse_count
    data.update({
        "url": url_for(article_endpoint(reader), article_id=article.id, _external=True),
        "html": str(view.html), "text": article.outline.text,
        "resolution_code_names": dict(view.resolution_codes),
        "helpful": view.helpful, "unhelpful": view.unhelpful,
    })
    return data


def case_json(case: store.Case, reader: Reader, *, with_suggestions: bool = True) -> dict:
    """A case as the API documents it: fields, links (with visible titles) and suggestions."""
    data = case.as_dict()
    data["url"] = url_for("cases.case_page", case_id=case.display_id, _external=True)
    data["links"] = [{**link.as_dict(), "title": article.title if article else None}
                     for link, article in linked_articles(reader, case)]
    if with_suggestions:
        page = suggestions_for(reader, case.title, case.description, case.product)
        data["suggestions"] = [hit_json(hit, reader) for hit in page.hits] if page else []
    return data
