"""Cases: the engineer's workspace at /cases (list, new case, the case page and its forms).

The store in :mod:`kb.cases` checks fields and closing rules; this module only
translates: a broken closing rule is a flashed message and the form again. The JSON API
for the same cases is :mod:`web.case_api`; what both share is :mod:`web.casework`.
"""

from __future__ import annotations

import math

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from kb.cases import capture, learning, store
from kb.cases.rules import CLOSED, DONE, STATUS_LABELS, STATUSES, TRANSITIONS, CaseRuleError
from web.answers import card_for
from web.auth import staff_required
from web.casework import CASE_FIELDS, engine, linked_articles, reuse_changed, suggestions_for
from web.errors import handle_error
from web.services import catalog, services

bp = Blueprint("cases", __name__)

OPEN_STATUSES = tuple(s for s in STATUSES if s not in DONE)


@bp.errorhandler(CaseRuleError)
@bp.errorhandler(store.CaseConflict)
def refused(exc: CaseRuleError | store.CaseConflict):
    """A refusal no form caught: the error page (the forms catch these themselves and flash them)."""
    return handle_error(exc)


def _form_fields() -> dict:
    return {name: request.form.get(name, "") for name in CASE_FIELDS}


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
    card = None
    if values.get("title", "").strip() or values.get("description", "").strip():
        page = suggestions_for(g.reader, values.get("title", ""), values.get("description", ""),
                               values.get("product"))
        card = _card(values.get("title", ""), values.get("description", ""), values.get("product"), page)
    return render_template("cases/new.html", values=values, page=page, case=None, answer=card)


@bp.route("/cases/suggestions", methods=["POST"])
@staff_required
def live_suggestions():
    """The suggestions panel for what the engineer is typing (fetched by suggest.js)."""
    title = request.form.get("title", "").strip()[:store.LIMITS["title"]]
    description = request.form.get("description", "")
    case = None
    if request.form.get("case_id"):
        case = store.get_case(engine(), request.form["case_id"])
    page = card = None
    if title or description.strip():
        page = suggestions_for(g.reader, title, description, request.form.get("product") or None)
        card = _card(title, description, request.form.get("product") or None, page)
    back = url_for("cases.case_page", case_id=case.display_id) if case else url_for("cases.new_case")
    return render_template("cases/_suggestions.html", page=page, case=case, answer=card, answer_back=back)


def _card(title: str, description: str, product: str | None, page):
    """The answer card for a case's text, from the suggestions already found for it."""
    if page is None:
        return None
    return card_for(g.reader, title, description, product, surface="case", page=page)[0]


def _case_page(case: store.Case, *, close_values: dict | None = None, status: int = 200):
    page = suggestions_for(g.reader, case.title, case.description, case.product)
    card = _card(case.title, case.description or "", case.product, page)
    similar = [c for c in learning.similar_cases(engine(), case.title, case.description, product=case.product,
                                                 limit=6) if c.case_id != case.id][:5]
    can_capture = case.is_done and not case.links
    return render_template("cases/case.html", case=case, page=page, answer=card,
                           answer_back=url_for("cases.case_page", case_id=case.display_id),
                           links=linked_articles(g.reader, case),
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
        reuse_changed()
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
        reuse_changed()
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
    reuse_changed()
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
    reuse_changed()
    rel = captured.path.relative_to(services().articles_dir).as_posix()
    flash(f"Draft {captured.article_id} written to {rel} and linked to {case.display_id}. Fill in its Cause; "
          "it becomes searchable at the next `kb index`.", "success")
    return _back(case, "links")
