"""The public "contact support" form at /help/contact: self-service first, a case only if needed.

While the customer describes the problem, public articles are suggested (live with
script, after "Find answers" without). Opening one asks "did this solve your problem?";
yes ends the ticket there (a deflection), otherwise submitting opens a case. Every step
is recorded with the draft's id and the article ids (:mod:`kb.cases.deflection`).

Every lookup uses the PUBLIC reader, whoever is signed in: this is a customer page, and it
must never name, count or link an internal, draft or archived article. The draft's text
travels in the form itself (hidden fields on the article page), so nothing about it is kept
on the server until it becomes a case.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, g, render_template, request, url_for

from kb.cases import deflection, store
from kb.visibility import PUBLIC
from web.answers import card_for
from web.casework import suggestions_for
from web.render import article_view
from web.services import catalog, services

bp = Blueprint("support", __name__)

_EMAIL = re.compile(r"^[^@\s<>]{1,100}@[^@\s<>]{1,100}\.[^@\s<>]{1,60}$")
FIELDS = ("title", "description", "product", "email")


def _draft() -> dict:
    """The ticket draft from the submitted form; a fresh draft id when it has none (or a forged one)."""
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    draft = request.form.get("draft", "")
    values["draft"] = draft if deflection.is_session_id(draft) else deflection.new_session_id()
    return values


def _shown(draft: dict):
    """(suggestions, answer card) for the draft, the suggestions recorded as shown; (None, None)
    before there is a title or a description to go on (a subject is optional: many customers
    only describe the problem)."""
    if len(draft["title"]) < 3 and len(draft["description"]) < 3:
        return None, None
    page = suggestions_for(PUBLIC, draft["title"][:store.LIMITS["title"]], draft["description"],
                           draft["product"] or None)
    if page is None:
        return None, None
    deflection.record_event(services().engine, draft["draft"], deflection.SUGGESTIONS_SHOWN,
                            article_ids=[hit.id for hit in page.hits],
                            query=draft["title"] or draft["description"][:200])
    card, _ = card_for(PUBLIC, draft["title"][:store.LIMITS["title"]], draft["description"],
                       draft["product"] or None, surface="contact", page=page)
    return page, card


def _form(draft: dict, shown=(None, None), status: int = 200):
    page, card = shown
    return render_template("support/contact.html", draft=draft, page=page, answer=card,
                           answer_back=url_for("support.contact")), status


@bp.route("/help/contact", methods=["GET", "POST"])
def contact():
    """The form; "Find answers" shows suggestions, "Submit" opens a case."""
    if request.method == "GET":
        return _form({"draft": deflection.new_session_id()})
    draft = _draft()
    action = request.form.get("action", "find")
    if action == "submit":
        return _submit(draft)
    return _form(draft, _shown(draft) if action == "find" else (None, None))


@bp.route("/help/contact/suggestions", methods=["POST"])
def live_suggestions():
    """The suggestions panel for what the customer is typing (fetched by suggest.js)."""
    page, card = _shown(_draft())
    return render_template("support/_suggestions.html", page=page, answer=card,
                           answer_back=url_for("support.contact"))


@bp.route("/help/contact/read", methods=["POST"])
def read():
    """A suggested article inside the flow, with "did this solve your problem?"."""
    draft = _draft()
    article = catalog().get(PUBLIC, request.form.get("article_id", ""))
    if article is None:
        abort(404)
    deflection.record_event(services().engine, draft["draft"], deflection.ARTICLE_CLICKED,
                            article_ids=[article.id])
    return render_template("support/read.html", draft=draft, article=article,
                           view=article_view(article, PUBLIC, "help.article"),
                           share_url=url_for("help.article", article_id=article.id, _external=True),
                           feedback_url=url_for("help.feedback", article_id=article.id))


@bp.route("/help/contact/solved", methods=["POST"])
def solved():
    """The article solved it: record the deflection; no ticket is opened."""
    draft = _draft()
    article = catalog().get(PUBLIC, request.form.get("article_id", ""))
    if article is None:
        abort(404)
    deflection.record_event(services().engine, draft["draft"], deflection.SOLVED, article_ids=[article.id],
                            query=draft["title"] or draft["description"][:200])
    return render_template("support/solved.html", article=article)


def _submit(draft: dict):
    """Open the case (channel "portal") and record that the draft became one."""
    customer = g.user.name if g.user is not None else draft["email"]
    if g.user is None and not _EMAIL.match(draft["email"]):
        flash("Enter your email address so we can reply.", "error")
        return _form(draft, status=400)
    try:
        case = store.create_case(services().engine, channel="portal",
                                 created_by=g.user.name if g.user else None, title=draft["title"],
                                 description=draft["description"],
                                 product=draft["product"] or None, customer=customer)
    except store.CaseFieldError as exc:
        flash(f"{exc.field.capitalize()} {exc.message}.", "error")
        return _form(draft, status=400)
    deflection.record_event(services().engine, draft["draft"], deflection.SUBMITTED, case_id=case.id,
                            query=case.title)
    return render_template("support/submitted.html", case=case)
