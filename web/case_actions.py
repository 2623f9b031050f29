"""What an engineer does to a case: save its text, move it along, link articles, resolve and close.

Every action is a POST that redirects back to the case (POST-redirect-GET: reloading the
page never sends it twice), with its confirmation or refusal shown where the action was
taken (:mod:`web.notices`): beside the link that changed, at the field that needs fixing.
A refused close keeps what was typed (:mod:`web.resume`) and the case page offers the
one-click fix when there is one ("Link KB0002 as solved and close").
"""

from __future__ import annotations

import re

from flask import Blueprint, g, redirect, request, session, url_for

from kb.cases import capture, store
from kb.cases.rules import CaseRuleError
from kb.errors import NotFound
from web import resume
from web.auth import staff_required
from web.casework import CASE_FIELDS, REFUSAL_KEY, engine, plain_refusal, reuse_changed
from web.notices import notify
from web.services import catalog, services

bp = Blueprint("case_actions", __name__)

_PLACE = re.compile(r"^[A-Za-z0-9._-]{1,110}$")
CLOSE_FIELDS = ("resolution_code", "notes", "bug_reference")


def _back(case: store.Case, anchor: str | None = None, **args):
    return redirect(url_for("cases.case_page", case_id=case.display_id, _anchor=anchor,
                            **{k: v for k, v in args.items() if v}))


def _place(default: str) -> str:
    """Where the form asked its confirmation to appear (an element id on the case page)."""
    at = request.form.get("at", "")
    return at if _PLACE.match(at) else default


@bp.route("/cases/<case_id>/edit", methods=["POST"])
@staff_required
def edit_case(case_id: str):
    """Save the case text; suggestions refresh from the saved text."""
    case = store.get_case(engine(), case_id)
    try:
        case = store.update_case(engine(), case.id, **{n: request.form.get(n, "") for n in CASE_FIELDS})
    except (store.CaseFieldError, CaseRuleError, store.CaseConflict) as exc:
        resume.keep(url_for("case_actions.edit_case", case_id=case.display_id), dict(request.form))
        notify(str(exc), "case-text", "error")
        return _back(case, "case-text")
    notify("Saved. The suggestions now match the new text.", "case-text")
    return _back(case, "case-text")


@bp.route("/cases/<case_id>/status", methods=["POST"])
@staff_required
def change_status(case_id: str):
    """Move an open case along (active, waiting on customer); resolving goes through the close form."""
    case = store.get_case(engine(), case_id)
    try:
        case = store.set_status(engine(), case.id, request.form.get("status", ""))
    except (CaseRuleError, store.CaseConflict) as exc:
        notify(str(exc), "case-actions", "error")
    else:
        notify(f"{case.display_id} is now {case.status_label.lower()}.", "case-actions")
    return _back(case, "case-actions")


def _link(case: store.Case, article_id: str, solved: bool) -> str:
    """Link (or re-mark) an article the engineer can see; returns the confirmation to show."""
    article = catalog().get(g.reader, article_id, include_archived=True)
    if article is None:
        raise NotFound(f"There is no article “{article_id}” you can see. Check the id, or search for it.")
    existing = next((link for link in case.links if link.article_id == article.id), None)
    store.link_article(engine(), case.id, article.id, solved=solved, linked_by=g.user.name)
    reuse_changed()
    role = "the article that solved it" if solved else "related"
    if existing is not None and existing.solved == solved:
        return f"{article.id} was already linked as {role}."
    verb = "Marked" if existing is not None else "Linked"
    return f"{verb} {article.id} “{article.title}” as {role}."


@bp.route("/cases/<case_id>/links", methods=["POST"])
@staff_required
def link(case_id: str):
    """Link any visible article as solved or related, or change a link from one to the other."""
    case = store.get_case(engine(), case_id)
    article_id = request.form.get("article_id", "").strip()
    at = _place("links")
    kq = request.form.get("kq", "").strip()[:200] or None
    try:
        message = _link(case, article_id, request.form.get("solved") == "1")
    except (CaseRuleError, store.CaseFieldError, NotFound) as exc:
        notify(str(exc) if article_id else "Enter an article id, such as KB0002.", at, "error", article_id)
    else:
        notify(message, at, subject=article_id)
    return _back(case, at, kq=kq)


@bp.route("/cases/link", methods=["POST"])
@staff_required
def link_from_article():
    """"Link to case…" on an article page: link it to the case whose number was typed."""
    article_id = request.form.get("article_id", "").strip()
    back = url_for("articles.article", article_id=article_id, _anchor="link-case") if article_id else None
    typed = request.form.get("case_id", "").strip()
    try:
        case = store.get_case(engine(), typed)
    except NotFound:
        notify(f"There is no case “{typed[:40]}”. Case numbers look like {store.format_case_id(123)}."
               if typed else "Enter the case number, such as CAS-000123.", "link-case", "error")
        return redirect(back or url_for("cases.case_list"))
    try:
        message = _link(case, article_id, request.form.get("solved") == "1")
    except (CaseRuleError, store.CaseFieldError, NotFound) as exc:
        notify(str(exc), "link-case", "error")
        return redirect(back or url_for("cases.case_list"))
    notify(message, "links", subject=article_id)
    return _back(case, "links")


@bp.route("/cases/<case_id>/links/<article_id>/delete", methods=["POST"])
@staff_required
def unlink(case_id: str, article_id: str):
    """Remove a link from a case that isn't closed."""
    case = store.get_case(engine(), case_id)
    try:
        store.unlink_article(engine(), case.id, article_id)
    except (CaseRuleError, NotFound) as exc:
        notify(str(exc), "links", "error")
    else:
        reuse_changed()
        notify(f"Unlinked {article_id}.", "links")
    return _back(case, "links")


@bp.route("/cases/<case_id>/close", methods=["POST"])
@staff_required
def close(case_id: str):
    """Resolve or close with a resolution code.

    ``solve=ARTICLE`` first links that article as the one that solved it (the one-click fix
    the page offers after a "needs an article" refusal). A refusal keeps the typed values
    and names the field to fix; the case page shows it there.
    """
    case = store.get_case(engine(), case_id)
    values = {name: request.form.get(name, "") for name in CLOSE_FIELDS}
    action = "resolve" if request.form.get("action") == "resolve" else "close"
    finish = store.resolve_case if action == "resolve" else store.close_case
    try:
        if request.form.get("solve"):
            _link(case, request.form["solve"].strip(), True)
        case = finish(engine(), services().taxonomy, case.id, values["resolution_code"] or None,
                      values["notes"] or None, values["bug_reference"] or None)
    except (CaseRuleError, store.CaseFieldError, store.CaseConflict, NotFound) as exc:
        field, message = plain_refusal(exc, services().taxonomy, values["resolution_code"])
        resume.keep(url_for("case_actions.close", case_id=case.display_id), {**values, "action": action})
        session[REFUSAL_KEY] = {"case": case.display_id, "rule": getattr(exc, "rule", ""), "field": field,
                                "message": message, "action": action}
        return _back(case, field)
    reuse_changed()
    name = services().taxonomy.get(case.resolution_code).name
    notify(f"{case.display_id} is {case.status_label.lower()}: {name}.", "resolution")
    return _back(case, "resolution")


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
        notify(str(exc), "capture", "error")
        return _back(case, "capture")
    reuse_changed()
    rel = captured.path.relative_to(services().articles_dir).as_posix()
    notify(f"Draft {captured.article_id} written to {rel} and linked to {case.display_id}. Fill in its "
           "Cause; it becomes searchable at the next `kb index`.", "links", subject=captured.article_id)
    return _back(case, "links")
