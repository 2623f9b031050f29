"""The case API under /api/cases and /api/resolution-codes, for support staff.

The store in :mod:`kb.cases` checks fields and closing rules; this module only
translates: a broken closing rule is 409 ``{"error", "status", "rule"}``, a bad field 400
naming it. The workspace pages for the same cases are :mod:`web.case_pages`; the
OpenAPI description is ``web/openapi/cases.yaml``.
"""

from __future__ import annotations

import functools

from flask import Blueprint, abort, g, jsonify, request, url_for

from kb.cases import lookup, store
from kb.cases.rules import STATUSES, CaseRuleError
from web import params
from web.casework import CASE_FIELDS, engine, reuse_changed
from web.bodies import request_body
from web.payloads import MAX_DESCRIPTION_CHARS, case_json
from web.services import catalog, services

bp = Blueprint("case_api", __name__, url_prefix="/api")


def staff_api(view):
    """API views for staff: 401 without a token or session, 403 for customers."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None:
            abort(401, description="Sign in or send 'Authorization: Bearer <token>' (create one with "
                                   "`kb tokens create NAME`).")
        if not g.user.is_staff:
            abort(403, description="Cases are for support staff.")
        return view(*args, **kwargs)
    return wrapped


@bp.errorhandler(CaseRuleError)
@bp.errorhandler(store.CaseConflict)
def refused(exc: CaseRuleError | store.CaseConflict):
    """409 naming the rule (or "conflict") that refused the action."""
    return jsonify({"error": str(exc), "status": 409, "rule": getattr(exc, "rule", "conflict")}), 409


def _field_error(exc: store.CaseFieldError) -> params.BadParameter:
    return params.BadParameter(exc.field, f"'{exc.field}' {exc.message}.")


@bp.route("/cases", methods=["POST"])
@staff_api
def open_case():
    """Open a case; 201 with the case and the articles suggested for it."""
    body = request_body("CaseRequest")
    fields = {name: body[name] for name in CASE_FIELDS if name in body}
    if isinstance(fields.get("description"), str) and len(fields["description"]) > MAX_DESCRIPTION_CHARS:
        raise params.BadParameter("description", "'description' is too long: at most "
                                                 f"{MAX_DESCRIPTION_CHARS} characters.")
    try:
        case = store.create_case(engine(), channel="api" if g.token_auth else "engineer",
                                 created_by=g.user.name, owner=g.user.name, **fields)
    except store.CaseFieldError as exc:
        raise _field_error(exc) from None
    response = jsonify(case_json(case, g.reader))
    response.status_code = 201
    response.headers["Location"] = url_for("case_api.show_case", case_id=case.display_id)
    return response


@bp.route("/cases")
@staff_api
def list_cases():
    """Cases newest first, or those matching ``q`` best first; filtered by status, owner or product."""
    args = request.args
    statuses = args.getlist("status") or None
    if statuses and any(s not in STATUSES for s in statuses):
        raise params.BadParameter("status", f"'status' must be one of {', '.join(STATUSES)}.")
    limit = params.integer(args, "limit", 20, low=1, high=params.MAX_LIMIT)
    offset = params.integer(args, "offset", 0, low=0, high=params.MAX_OFFSET)
    sort = params.text(args, "sort")
    if sort and sort not in lookup.SORTS:
        raise params.BadParameter("sort", f"'sort' must be one of {', '.join(lookup.SORTS)}.")
    order = params.text(args, "order")
    if order not in (None, "asc", "desc"):
        raise params.BadParameter("order", "'order' must be asc or desc.")
    found = lookup.find_cases(engine(), params.text(args, "q", max_chars=lookup.MAX_QUERY_CHARS),
                              status=statuses, owner=params.text(args, "owner"),
                              product=params.text(args, "product"), sort=sort,
                              descending=None if order is None else order == "desc", limit=limit,
                              offset=offset)
    return jsonify({"total": found.total, "offset": offset, "limit": limit,
                    "cases": [case_json(c, g.reader, with_suggestions=False) for c in found.cases]})


@bp.route("/cases/<case_id>")
@staff_api
def show_case(case_id: str):
    """One case with its links and suggested articles."""
    return jsonify(case_json(store.get_case(engine(), case_id), g.reader))


@bp.route("/cases/<case_id>/links", methods=["POST"])
@staff_api
def link_article(case_id: str):
    """Link an article the caller can see; 201 with the link, 404 for an unknown or hidden article."""
    body = request_body("LinkRequest")
    article_id = params.text(body, "article_id", max_chars=100)
    if not article_id:
        raise params.BadParameter("article_id", "'article_id' is required.")
    solved = body.get("solved", False)
    if not isinstance(solved, bool):
        raise params.BadParameter("solved", "'solved' must be true or false.")
    case = store.get_case(engine(), case_id)
    if catalog().get(g.reader, article_id, include_archived=True) is None:
        abort(404)
    link = store.link_article(engine(), case.id, article_id, solved=solved, linked_by=g.user.name)
    reuse_changed()
    return jsonify({"case_id": case.display_id, **link.as_dict()}), 201


@bp.route("/cases/<case_id>/close", methods=["POST"])
@staff_api
def close_case(case_id: str):
    """Close with a resolution code; 409 with the rule when the code's rules aren't met."""
    body = request_body("CloseRequest")
    code = params.text(body, "resolution_code", max_chars=100)
    notes = params.text(body, "notes", max_chars=store.LIMITS["resolution_notes"])
    bug = params.text(body, "bug_reference", max_chars=store.LIMITS["bug_reference"])
    case = store.close_case(engine(), services().taxonomy, case_id, code, notes, bug)
    reuse_changed()
    return jsonify(case_json(case, g.reader, with_suggestions=False))


@bp.route("/resolution-codes")
@staff_api
def resolution_codes():
    """Every resolution code with the rules closing with it must follow.

    An object rather than a bare list, like every other response, so fields can be added.
    """
    return jsonify({"resolution_codes": [code.as_dict() for code in services().taxonomy]})
