"""The JSON API under /api/: the same visibility rules as the pages, by role.

Anonymous callers get public visibility; ``Authorization: Bearer <token>`` (or a browser's
session) gets the user's. Errors are always JSON, and a bad parameter names itself:
``400 {"error": "...", "parameter": "limit"}``. Bodies are limited to MAX_BODY_BYTES (413).
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, g, jsonify, request, url_for

from kb.model import Article
from web import params
from web.openapi import openapi_document
from web.render import article_view, clean_snippet
from web.search import log_search
from web.services import Reader, catalog

bp = Blueprint("api", __name__, url_prefix="/api")

DEFAULT_LIMIT = 10
MAX_SUGGEST_LIMIT = 50
MAX_TITLE_CHARS = 1000
MAX_DESCRIPTION_CHARS = 20_000
# Fields of an article only staff get: where the file lives, who owns it, review dates.
STAFF_ONLY_FIELDS = ("path", "owner", "review_by", "component", "extra")


def _iso(value):
    return value.isoformat() if isinstance(value, date | datetime) else value


def _article_endpoint(reader: Reader) -> str:
    return "articles.article" if reader.is_staff else "help.article"


def hit_json(hit, reader: Reader, *, explain: bool = False) -> dict:
    """One search result as the API documents it."""
    out = {
        "id": hit.id, "title": hit.title, "type": hit.type, "product": hit.product, "audience": hit.audience,
        "status": hit.status, "updated": _iso(hit.updated),
        "url": url_for(_article_endpoint(reader), article_id=hit.id, _external=True),
        "snippet": str(clean_snippet(hit.snippet)), "score": float(hit.score),
    }
    if explain:
        out["explanation"] = hit.explanation
    return out


def page_json(page, reader: Reader, *, explain: bool = False) -> dict:
    """A SearchPage as the API documents it."""
    return {
        "query": page.query, "total": page.total, "offset": page.offset, "limit": page.limit,
        "took_ms": round(float(page.took_ms), 3),
        "results": [hit_json(h, reader, explain=explain) for h in page.hits],
        "facets": {name: [{"value": f.value, "count": f.count} for f in values]
                   for name, values in (page.facets or {}).items()},
        "did_you_mean": page.did_you_mean, "fuzzy": bool(page.fuzzy), "relaxed": bool(page.relaxed),
        "notice": page.notice,
    }


def article_json(article: Article, reader: Reader) -> dict:
    """An article's metadata, rendered HTML and plain text, filtered for the reader."""
    view = article_view(article, reader, _article_endpoint(reader))
    data = article.metadata()
    data["related"] = [a.id for a in view.related]
    data["superseded_by"] = view.replacement.id if view.replacement else None
    if reader.is_staff:
        data["reuse_count"] = view.reuse_count
    else:
        for name in STAFF_ONLY_FIELDS:
            data.pop(name, None)
    data.update({
        "url": url_for(_article_endpoint(reader), article_id=article.id, _external=True),
        "html": str(view.html), "text": article.outline.text,
        "resolution_code_names": dict(view.resolution_codes),
        "helpful": view.helpful, "unhelpful": view.unhelpful,
    })
    return data


@bp.route("/search")
def search():
    """Search what the caller may see."""
    args = request.args
    q = params.query(args, required=True)
    limit = params.integer(args, "limit", DEFAULT_LIMIT, low=1, high=params.MAX_LIMIT)
    offset = params.integer(args, "offset", 0, low=0, high=params.MAX_OFFSET)
    explain = params.flag(args, "explain")
    filters = params.filters(args, g.reader, code_param="resolution_code")
    page = catalog().search(g.reader, q, status=filters.status, limit=limit, offset=offset, explain=explain,
                            **filters.options())
    log_search(q, g.reader, page.total, page.took_ms, "api")
    return jsonify(page_json(page, g.reader, explain=explain))


def _json_body() -> dict:
    """The request's body as a JSON object; :class:`params.BadParameter` ("body") otherwise."""
    return params.json_object(request.get_data(cache=False))


@bp.route("/suggest", methods=["POST"])
def suggest():
    """Articles that may answer a new ticket, from its title and description."""
    body = _json_body()
    title = params.text(body, "title", max_chars=MAX_TITLE_CHARS) or ""
    description = params.text(body, "description", max_chars=MAX_DESCRIPTION_CHARS) or ""
    if not title and not description:  # a ticket without a subject is common: either will do
        raise params.BadParameter("title", "'title' or 'description' is required: give at least one of them.")
    product = params.text(body, "product")
    limit = params.integer(body, "limit", DEFAULT_LIMIT, low=1, high=MAX_SUGGEST_LIMIT)
    explain = params.flag(body, "explain")
    page = catalog().suggest(g.reader, title, description, product=product, limit=limit, explain=explain)
    log_search(title or description[:200], g.reader, page.total, page.took_ms, "suggest")
    return jsonify(page_json(page, g.reader, explain=explain))


@bp.route("/autocomplete")
def autocomplete():
    """Titles matching what the caller is typing."""
    q = params.query(request.args)
    limit = params.integer(request.args, "limit", 8, low=1, high=20)
    found = catalog().autocomplete(g.reader, q, limit=limit) if q else []
    endpoint = _article_endpoint(g.reader)
    return jsonify({"query": q, "suggestions": [
        {"id": s["id"], "title": s["title"], "url": url_for(endpoint, article_id=s["id"])} for s in found]})


@bp.route("/articles/<article_id>")
def article(article_id: str):
    """One article, if the caller may see it (staff also reach archived ones)."""
    found = catalog().get(g.reader, article_id, include_archived=g.reader.is_staff)
    if found is None:
        abort(404)
    return jsonify(article_json(found, g.reader))


@bp.route("/me")
def me():
    """Who the token (or session) belongs to; 401 without one."""
    if g.user is None:
        abort(401, description="Sign in or send 'Authorization: Bearer <token>' (create one with "
                               "`kb tokens create NAME`).")
    return jsonify({"name": g.user.name, "role": g.user.role, "audience": g.reader.audience,
                    "statuses": list(g.reader.statuses)})


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document(url_for("home.index", _external=True).rstrip("/")))
