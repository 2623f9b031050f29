"""The JSON API under /api/: the same visibility rules as the pages, by role.

Anonymous callers get public visibility; ``Authorization: Bearer <token>`` (or a browser's
session) gets the user's. Errors are always JSON, and a bad parameter names itself:
``400 {"error": "...", "parameter": "limit"}``. Request limits and every payload live in
:mod:`web.payloads`; the case API is :mod:`web.case_api`.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, request, url_for

from kb.model import STATUSES
from web import params, throttle
from web.bodies import request_body
from web.openapi import openapi_document
from web.payloads import (
    AUTOCOMPLETE_LIMIT,
    DEFAULT_LIMIT,
    MAX_AUTOCOMPLETE_LIMIT,
    MAX_DESCRIPTION_CHARS,
    MAX_SUGGEST_LIMIT,
    MAX_TITLE_CHARS,
    article_endpoint,
    article_json,
    page_json,
)
from web.search import log_search
from web.services import catalog

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.route("/search")
def search():
    """Search what the caller may see."""
    args = request.args
    q = params.query(args, required=True)
    limit = params.integer(args, "limit", DEFAULT_LIMIT, low=1, high=params.MAX_LIMIT)
    offset = params.integer(args, "offset", 0, low=0, high=params.MAX_OFFSET)
    explain = params.flag(args, "explain")
    status = params.text(args, "status")
    if status is None and "status" in args:
        allowed = ", ".join(g.reader.filter_statuses)
        raise params.BadParameter("status", f"'status' is empty: give one of {allowed}, or leave it out.")
    if status in STATUSES and not g.reader.may_filter_by(status):
        raise params.ForbiddenParameter("status", f"Your role can't search articles with status "
                                                  f"'{status}'; use one of {', '.join(g.reader.filter_statuses)}.")
    filters = params.filters(args, g.reader, code_param="resolution_code")
    throttle.count_if_costly(explain, limit)
    page = catalog().search(g.reader, q, status=filters.status, limit=limit, offset=offset, explain=explain,
                            **filters.options())
    log_search(q, g.reader, page.total, page.took_ms, "api")
    return jsonify(page_json(page, g.reader, explain=explain))


@bp.route("/suggest", methods=["POST"])
def suggest():
    """Articles that may answer a new ticket, from its title and description."""
    body = request_body("SuggestRequest")
    title = params.text(body, "title", max_chars=MAX_TITLE_CHARS) or ""
    description = params.text(body, "description", max_chars=MAX_DESCRIPTION_CHARS) or ""
    if not title and not description:  # a ticket without a subject is common: either will do
        raise params.BadParameter("title", "'title' or 'description' is required: give at least one of them.")
    product = params.text(body, "product")
    limit = params.integer(body, "limit", DEFAULT_LIMIT, low=1, high=MAX_SUGGEST_LIMIT)
    explain = params.flag(body, "explain")
    throttle.count_if_costly(explain, limit)
    page = catalog().suggest(g.reader, title, description, product=product, limit=limit, explain=explain)
    log_search(title or description[:200], g.reader, page.total, page.took_ms, "suggest")
    return jsonify(page_json(page, g.reader, explain=explain))


@bp.route("/autocomplete")
def autocomplete():
    """Titles matching what the caller is typing."""
    q = params.query(request.args)
    limit = params.integer(request.args, "limit", AUTOCOMPLETE_LIMIT, low=1, high=MAX_AUTOCOMPLETE_LIMIT)
    found = catalog().autocomplete(g.reader, q, limit=limit) if q else []
    endpoint = article_endpoint(g.reader)
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
