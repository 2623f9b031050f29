"""Cases: the engineer's workspace at /cases and the case API under /api/cases.

One blueprint for both, because they share every rule: the store in :mod:`kb.cases`
checks fields and closing rules, and this module only translates. A broken closing rule
is 409 ``{"error", "status", "rule"}`` in the API and a flashed message on the page.

Suggestions for a case are the catalog's ticket suggestions for the reader, re-ranked by
what solved similar closed cases (:func:`kb.cases.learning.learned_boosts`).
"""

from __future__ import annotations

import functools
import math

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from kb.cases import capture, learning, store
from kb.cases.rules import CLOSED, DONE, RULES, STATUS_LABELS, STATUSES, TRANSITIONS, CaseRuleError
from kb.errors import IndexMissing
from web import params
from web.api import _json_body, hit_json
from web.auth import staff_required
from web.errors import handle_error
from web.services import Reader, catalog, services
from web.util import is_api_request

bp = Blueprint("cases", __name__)

SUGGESTIONS = 8
MAX_DESCRIPTION_CHARS = 20_000  # what /api/suggest accepts; longer text only slows matching
OPEN_STATUSES = tuple(s for s in STATUSES if s not in DONE)
FORM_FIELDS = tuple(name for name in store.EDITABLE if name != "owner")  # the owner is whoever opens it


# --- shared -----------------------------------------------------------------------------------


def engine():
    """The app's database."""
    return services().engine


def suggestions_for(reader: Reader, title: str, description: str = "", product: str | None = None,
                    limit: int = SUGGESTIONS):
    """The reader's ticket suggestions, boosted by what solved similar cases; None without an index.

    The product only weighs which cases count as similar; it doesn't filter articles, because
    tickets name products loosely ("Outlook" for an Exchange Online article).
    """
    boosts = learning.learned_boosts(engine(), title, description[:MAX_DESCRIPTION_CHARS], product=product)
    try:
        return catalog().suggest(reader, title, description[:MAX_DESCRIPTION_CHARS], limit=limit,
                                 boosts=boosts or None)
    except IndexMissing:
        return None  # a case must still be workable before the first `kb index`


def linked_articles(reader: Reader, case: store.Case) -> list[tuple[store.CaseLink, object]]:
    """Each link with its article when this reader may see it (else None: the id alone is shown)."""
    out = []
    for link in case.links:
        try:
            article = catalog().get(reader, link.article_id, include_archived=reader.is_staff)
        except IndexMissing:
            article = None
        out.append((link, article))
    return out


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


def _changed() -> None:
    """Reuse counts changed: the next ranking must not use cached signals."""
    services().signals.invalidate()


# --- API --------------------------------------------------------------------------------------


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
    """409 naming the rule (or "conflict") for the API; pages catch these themselves and flash them."""
    if not is_api_request():
        return handle_error(exc)
    return jsonify({"error": str(exc), "status": 409, "rule": getattr(exc, "rule", "conflict")}), 409


def _field_error(exc: store.CaseFieldError) -> params.BadParameter:
    return params.BadParameter(exc.field, f"'{exc.field}' {exc.message}.")


@bp.route("/api/cases", methods=["POST"])
@staff_api
def api_create():
    """Open a case; 201 with the case and the articles suggested for it."""
    body = _json_body()
    fields = {name: body[name] for name in FORM_FIELDS if name in body}
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
    response.headers["Location"] = url_for("cases.api_case", case_id=case.display_id)
    return response


@bp.route("/api/cases")
@staff_api
def api_list():
    """Cases newest first, filtered by status, owner or product."""
    args = request.args
    statuses = args.getlist("status") or None
    if statuses and any(s not in STATUSES for s in statuses):
        raise params.BadParameter("status", f"'status' must be one of {', '.join(STATUSES)}.")
    limit = params.integer(args, "limit", 20, low=1, high=params.MAX_LIMIT)
    offset = params.integer(args, "offset", 0, low=0, high=params.MAX_OFFSET)
    filters = {"status": statuses, "owner": params.text(args, "owner"),
               "product": params.text(args, "product")}
    found = store.list_cases(engine(), limit=limit, offset=offset, **filters)
    return jsonify({"total": store.count_cases(engine(), **filters), "offset": offset, "limit": limit,
                    "cases": [case_json(c, g.reader, with_suggestions=False) for c in found]})


@bp.route("/api/cases/<case_id>")
@staff_api
def api_case(case_id: str):
    """One case with its links and suggested articles."""
    return jsonify(case_json(store.get_case(engine(), case_id), g.reader))


@bp.route("/api/cases/<case_id>/links", methods=["POST"])
@staff_api
def api_link(case_id: str):
    """Link an article the caller can see; 201 with the link, 404 for an unknown or hidden article."""
    body = _json_body()
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
    _changed()
    return jsonify({"case_id": case.display_id, **link.as_dict()}), 201


@bp.route("/api/cases/<case_id>/close", methods=["POST"])
@staff_api
def api_close(case_id: str):
    """Close with a resolution code; 409 with the rule when the code's rules aren't met."""
    body = _json_body()
    code = params.text(body, "resolution_code", max_chars=100)
    notes = params.text(body, "notes", max_chars=store.LIMITS["resolution_notes"])
    bug = params.text(body, "bug_reference", max_chars=store.LIMITS["bug_reference"])
    case = store.close_case(engine(), services().taxonomy, case_id, code, notes, bug)
    _changed()
    return jsonify(case_json(case, g.reader, with_suggestions=False))


@bp.route("/api/resolution-codes")
@staff_api
def api_resolution_codes():
    """Every resolution code with the rules closing with it must follow.

    An object rather than a bare list, like every other response, so fields can be added.
    """
    return jsonify({"resolution_codes": [code.as_dict() for code in services().taxonomy]})


# --- workspace pages --------------------------------------------------------------------------


def _form_fields() -> dict:
    return {name: request.form.get(name, "") for name in FORM_FIELDS}


@bp.route("/cases")
@staff_required
def case_list():
    """The queue: open cases first by default, filterable by status and owner."""
    status = request.args.get("status", "open")
    mine = request.args.get("mine") == "1"
    statuses = OPEN_STATUSES if status == "open" else (None if status == "all" else (status,))
    if statuses and any(s not in STATUSES for s in statuses):
        flash(f"Unknown status '{status}'.", "error")
        statuses, status = OPEN_STATUSES, "open"
    per_page = current_app.config["PER_PAGE"] * 2
    filters = {"status": statuses, "owner": g.user.name if mine else None,
               "text": request.args.get("q") or None}
    total = store.count_cases(engine(), **filters)
    pages = max(1, math.ceil(total / per_page))
    page_no = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    found = store.list_cases(engine(), limit=per_page, offset=(page_no - 1) * per_page, **filters)
    base_args = {k: v for k, v in {"status": status, "mine": "1" if mine else None,
                                   "q": request.args.get("q")}.items() if v}
    return render_template("cases/list.html", cases=found, total=total, status=status, mine=mine,
                           page_no=page_no, pages=pages, base_args=base_args, labels=STATUS_LABELS,
                           q=request.args.get("q", ""))


@bp.route("/cases/new", methods=["GET", "POST"])
@staff_required
def new_case():
    """Open a case; "Find articles" shows suggestions first (the no-script path of live suggestions)."""
    values = _form_fields() if request.method == "POST" else {"severity": "C", "priority": "3"}
    page = None
    if request.method == "POST" and request.form.get("action") != "find":
        try:
            case = store.create_case(engine(), created_by=g.user.name, owner=g.user.name, **values)
        except store.CaseFieldError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Opened {case.display_id}.", "success")
            return redirect(url_for("cases.case_page", case_id=case.display_id))
    if values.get("title", "").strip() or values.get("description", "").strip():
        page = suggestions_for(g.reader, values.get("title", ""), values.get("description", ""),
                               values.get("product"))
    return render_template("cases/new.html", values=values, page=page, case=None)


@bp.route("/cases/suggestions", methods=["POST"])
@staff_required
def live_suggestions():
    """The suggestions panel for what the engineer is typing (fetched by suggest.js)."""
    title = request.form.get("title", "").strip()[:store.LIMITS["title"]]
    description = request.form.get("description", "")
    case = None
    if request.form.get("case_id"):
        case = store.get_case(engine(), request.form["case_id"])
    page = None
    if title or description.strip():
        page = suggestions_for(g.reader, title, description, request.form.get("product") or None)
    return render_template("cases/_suggestions.html", page=page, case=case)


def _case_page(case: store.Case, *, close_values: dict | None = None, status: int = 200):
    page = suggestions_for(g.reader, case.title, case.description, case.product)
    similar = [c for c in learning.similar_cases(engine(), case.title, case.description, product=case.product,
                                                 limit=6) if c.case_id != case.id][:5]
    can_capture = case.is_done and not case.links
    return render_template("cases/case.html", case=case, page=page, links=linked_articles(g.reader, case),
                           similar=similar, codes=list(services().taxonomy),
                           close_values=close_values or {}, labels=STATUS_LABELS,
                           next_statuses=[s for s in TRANSITIONS[case.status] if s not in DONE],
                           can_capture=can_capture, closed=case.status == CLOSED), status


@bp.route("/cases/<case_id>")
@staff_required
def case_page(case_id: str):
    """The case beside kb's suggestions, its links, similar solved cases and the closing form."""
    return _case_page(store.get_case(engine(), case_id))


def _back(case: store.Case, anchor: str | None = None):
    return redirect(url_for("cases.case_page", case_id=case.display_id, _anchor=anchor))


@bp.route("/cases/<case_id>/edit", methods=["POST"])
@staff_required
def edit_case(case_id: str):
    """Save the case text; suggestions refresh from the saved text."""
    case = store.get_case(engine(), case_id)
    try:
        case = store.update_case(engine(), case.id, **_form_fields())
    except (store.CaseFieldError, CaseRuleError, store.CaseConflict) as exc:
        flash(str(exc), "error")
    else:
        flash("Saved. Suggestions are up to date.", "success")
    return _back(case)


@bp.route("/cases/<case_id>/status", methods=["POST"])
@staff_required
def change_status(case_id: str):
    """Move an open case along (active, waiting on customer); resolving goes through the close form."""
    case = store.get_case(engine(), case_id)
    try:
        case = store.set_status(engine(), case.id, request.form.get("status", ""))
    except (CaseRuleError, store.CaseConflict) as exc:
        flash(str(exc), "error")
    else:
        flash(f"{case.display_id} is now {case.status_label.lower()}.", "success")
    return _back(case)


@bp.route("/cases/<case_id>/links", methods=["POST"])
@staff_required
def link(case_id: str):
    """One click from a suggestion: "this solved it" or "related"."""
    case = store.get_case(engine(), case_id)
    article_id = request.form.get("article_id", "")
    if catalog().get(g.reader, article_id, include_archived=True) is None:
        flash("That article doesn't exist or isn't visible to you.", "error")
        return _back(case)
    solved = request.form.get("solved") == "1"
    try:
        store.link_article(engine(), case.id, article_id, solved=solved, linked_by=g.user.name)
    except (CaseRuleError, store.CaseFieldError) as exc:
        flash(str(exc), "error")
    else:
        _changed()
        flash(f"Linked {article_id} as {'the article that solved it' if solved else 'related'}.", "success")
    return _back(case, "links")


@bp.route("/cases/<case_id>/links/<article_id>/delete", methods=["POST"])
@staff_required
def unlink(case_id: str, article_id: str):
    """Remove a link from a case that isn't closed."""
    case = store.get_case(engine(), case_id)
    try:
        store.unlink_article(engine(), case.id, article_id)
    except CaseRuleError as exc:
        flash(str(exc), "error")
    else:
        _changed()
        flash(f"Unlinked {article_id}.", "success")
    return _back(case, "links")


@bp.route("/cases/<case_id>/close", methods=["POST"])
@staff_required
def close(case_id: str):
    """Resolve or close with a resolution code; a broken rule shows the form again with the reason."""
    case = store.get_case(engine(), case_id)
    values = {name: request.form.get(name, "") for name in ("resolution_code", "notes", "bug_reference")}
    finish = store.resolve_case if request.form.get("action") == "resolve" else store.close_case
    try:
        case = finish(engine(), services().taxonomy, case.id, values["resolution_code"] or None,
                      values["notes"] or None, values["bug_reference"] or None)
    except (CaseRuleError, store.CaseFieldError, store.CaseConflict) as exc:
        flash(str(exc), "error")
        return _case_page(store.get_case(engine(), case.id), close_values=values, status=409)
    _changed()
    flash(f"{case.display_id} is {case.status} as {case.resolution_code}.", "success")
    return _back(case)


@bp.route("/cases/<case_id>/capture", methods=["POST"])
@staff_required
def capture_article(case_id: str):
    """Write a draft article from a resolved case that has none (knowledge capture), and link it."""
    case = store.get_case(engine(), case_id)
    article_type = request.form.get("type", "known-issue")
    try:
        captured = capture.capture_from_case(engine(), case.id, services().articles_dir,
                                             article_type=article_type, captured_by=g.user.name)
    except CaseRuleError as exc:
        flash(str(exc), "error")
        return _back(case)
    _changed()
    rel = captured.path.relative_to(services().articles_dir).as_posix()
    flash(f"Draft {captured.article_id} written to {rel} and linked to {case.display_id}. Fill in its Cause; "
          "it becomes searchable at the next `kb index`.", "success")
    return _back(case, "links")


# --- OpenAPI ----------------------------------------------------------------------------------
# Merged into web/openapi.py's document; tests validate real responses against these schemas.

_str_or_null = {"type": ["string", "null"]}
_time_or_null = {"type": ["string", "null"], "description": "ISO 8601, UTC"}


def _ref(name: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _err(description: str) -> dict:
    return {"description": description, "content": _ref("Error")}


OPENAPI_SCHEMAS: dict = {
    "CaseLink": {
        "type": "object",
        "required": ["article_id", "solved", "linked_by", "linked_at"],
        "properties": {
            "case_id": {"type": "string"},
            "article_id": {"type": "string"},
            "title": {**_str_or_null, "description": "The article's title when the caller may see it."},
            "solved": {"type": "boolean",
                       "description": "The article solved the case (counts toward reuse)."},
            "linked_by": _str_or_null,
            "linked_at": {"type": "string"},
        },
    },
    "Case": {
        "type": "object",
        "required": ["id", "number", "title", "description", "status", "severity", "priority", "links",
                     "created_at", "updated_at", "resolution_code"],
        "properties": {
            "id": {"type": "string", "description": "Display id, e.g. CAS-000123."},
            "number": {"type": "integer"},
            "url": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "product": _str_or_null,
            "severity": {"type": "string", "enum": ["1", "A", "B", "C"]},
            "priority": {"type": "integer", "minimum": 1, "maximum": 4},
            "status": {"type": "string", "enum": list(STATUSES)},
            "channel": {"type": "string", "enum": list(store.CHANNELS)},
            "customer": _str_or_null,
            "owner": _str_or_null,
            "created_by": _str_or_null,
            "external_ref": _str_or_null,
            "created_at": {"type": "string"},
            "updated_at": {"type": "string"},
            "resolved_at": _time_or_null,
            "closed_at": _time_or_null,
            "resolution_code": _str_or_null,
            "resolution_notes": _str_or_null,
            "bug_reference": _str_or_null,
            "revision": {"type": "integer"},
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/CaseLink"}},
            "suggestions": {"type": "array", "items": {"$ref": "#/components/schemas/SearchResult"},
                            "description": "Articles that may solve it, boosted by similar solved cases."},
        },
    },
    "CaseRequest": {
        "type": "object",
        "description": "At least one of title and description; without a title, the description's first "
                       "line becomes it.",
        "anyOf": [{"required": ["title"]}, {"required": ["description"]}],
        "properties": {
            "title": {"type": "string", "maxLength": store.LIMITS["title"]},
            "description": {"type": "string", "maxLength": MAX_DESCRIPTION_CHARS},
            "product": _str_or_null,
            "severity": {"type": "string", "enum": ["1", "A", "B", "C"], "default": "C"},
            "priority": {"type": "integer", "minimum": 1, "maximum": 4, "default": 3},
            "customer": _str_or_null,
        },
    },
    "LinkRequest": {
        "type": "object",
        "required": ["article_id"],
        "properties": {"article_id": {"type": "string"}, "solved": {"type": "boolean", "default": False}},
    },
    "CloseRequest": {
        "type": "object",
        "required": ["resolution_code"],
        "properties": {"resolution_code": {"type": "string"}, "notes": {"type": "string"},
                       "bug_reference": {"type": "string"}},
    },
    "RuleError": {
        "type": "object",
        "required": ["error", "status", "rule"],
        "properties": {"error": {"type": "string"}, "status": {"type": "integer", "enum": [409]},
                       "rule": {"type": "string", "enum": [*RULES, "conflict"],
                                "description": "The closing rule that refused the action."}},
    },
    "CaseList": {
        "type": "object",
        "required": ["total", "offset", "limit", "cases"],
        "properties": {"total": {"type": "integer", "minimum": 0},
                       "offset": {"type": "integer", "minimum": 0},
                       "limit": {"type": "integer", "minimum": 1},
                       "cases": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}}},
    },
    "ResolutionCodes": {
        "type": "object",
        "required": ["resolution_codes"],
        "properties": {"resolution_codes": {"type": "array",
                                            "items": {"$ref": "#/components/schemas/ResolutionCode"}}},
    },
    "ResolutionCode": {
        "type": "object",
        "required": ["code", "name", "description", "requires_article", "solved_by_knowledge",
                     "requires_bug_reference"],
        "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                       "description": {"type": "string"},
                       "requires_article": {"type": "boolean"}, "solved_by_knowledge": {"type": "boolean"},
                       "requires_bug_reference": {"type": "boolean"}},
    },
}

_CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "CAS-000123 or 123."}
_STAFF = {"401": _err("No valid token or session."), "403": _err("The caller is not support staff.")}

OPENAPI_PATHS: dict = {
    "/api/cases": {
        "post": {
            "summary": "Open a case (staff)",
            "security": [{"bearer": []}],
            "requestBody": {"required": True, "content": _ref("CaseRequest")},
            "responses": {"201": {"description": "The case, with suggested articles.",
                                  "content": _ref("Case")},
                          "400": _err("A field is invalid; `parameter` names it."), **_STAFF},
        },
        "get": {
            "summary": "List cases (staff)",
            "security": [{"bearer": []}],
            "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}},
                {"name": "owner", "in": "query", "schema": {"type": "string"}},
                {"name": "product", "in": "query", "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
            ],
            "responses": {"200": {"description": "A page of cases (without suggestions).",
                                  "content": _ref("CaseList")}, **_STAFF},
        },
    },
    "/api/cases/{case_id}": {"get": {
        "summary": "One case with its links and suggested articles (staff)",
        "security": [{"bearer": []}],
        "parameters": [_CASE_ID],
        "responses": {"200": {"description": "The case.", "content": _ref("Case")},
                      "404": _err("No such case."), **_STAFF},
    }},
    "/api/cases/{case_id}/links": {"post": {
        "summary": "Link an article to a case (staff)",
        "security": [{"bearer": []}],
        "parameters": [_CASE_ID],
        "requestBody": {"required": True, "content": _ref("LinkRequest")},
        "responses": {"201": {"description": "The link.", "content": _ref("CaseLink")},
                      "404": _err("No such case, or the article doesn't exist for the caller."),
                      "409": {"description": "A closed case keeps its solved links.",
                              "content": _ref("RuleError")},
                      **_STAFF},
    }},
    "/api/cases/{case_id}/close": {"post": {
        "summary": "Close a case with a resolution code (staff)",
        "security": [{"bearer": []}],
        "parameters": [_CASE_ID],
        "requestBody": {"required": True, "content": _ref("CloseRequest")},
        "responses": {"200": {"description": "The closed case.", "content": _ref("Case")},
                      "404": _err("No such case."),
                      "409": {"description": "A rule refused it: unknown code, missing article or bug "
                                             "reference, or the case is already closed.",
                              "content": _ref("RuleError")},
                      **_STAFF},
    }},
    "/api/resolution-codes": {"get": {
        "summary": "Resolution codes and the rules closing with them follows (staff)",
        "security": [{"bearer": []}],
        "responses": {"200": {"description": "Every code, in taxonomy order.",
                              "content": _ref("ResolutionCodes")}, **_STAFF},
    }},
}
