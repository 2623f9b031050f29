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

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from kb.cases import deflection, lookup, store
from kb.cases.rules import CUSTOMER_STATUS_LABELS
from kb.errors import NotFound
from kb.throttle import Refusal
from kb.visibility import PUBLIC
from web import resume, throttle
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


def _shown(draft: dict, *, record: bool = True):
    """(suggestions, answer card) for the draft, the suggestions recorded as shown; (None, None)
    before there is a title or a description to go on (a subject is optional: many customers
    only describe the problem).

    Showing them again on the way back from an article isn't recorded: nothing new was shown.
    """
    if len(draft["title"]) < 3 and len(draft["description"]) < 3:
        return None, None
    page = suggestions_for(PUBLIC, draft["title"][:store.LIMITS["title"]], draft["description"],
                           draft["product"] or None)
    if page is None:
        return None, None
    if record:
        deflection.record_event(services().engine, draft["draft"], deflection.SUGGESTIONS_SHOWN,
                                article_ids=[hit.id for hit in page.hits],
                                query=draft["title"] or draft["description"][:200])
    card, _ = card_for(PUBLIC, draft["title"][:store.LIMITS["title"]], draft["description"],
                       draft["product"] or None, surface="contact", page=page)
    return page, card


def _form(draft: dict, shown=(None, None), status: int = 200, read_id: str | None = None):
    page, card = shown
    return render_template("support/contact.html", draft=draft, page=page, answer=card,
                           answer_back=url_for("support.contact"), read_id=read_id), status


@bp.route("/help/contact", methods=["GET", "POST"])
def contact():
    """The form; "Find answers" shows suggestions, "Submit" opens a case.

    Coming back from an article that didn't help ("back") shows the same suggestions again,
    with the one already read marked, so the next one is a click away.
    """
    if request.method == "GET":
        kept = resume.take(url_for("support.contact"))
        if kept is not None:  # the page had expired when it was sent: its text, to send again
            draft = {name: kept["values"].get(name, "") for name in FIELDS}
            draft["draft"] = kept["values"].get("draft", "")
            if not deflection.is_session_id(draft["draft"]):
                draft["draft"] = deflection.new_session_id()
            return _form(draft, _shown(draft))
        return _form({"draft": deflection.new_session_id()})
    draft = _draft()
    action = request.form.get("action", "find")
    if action == "submit":
        return _submit(draft)
    read_id = request.form.get("read", "") if action == "back" else ""
    shown = _shown(draft, record=action == "find") if action in ("find", "back") else (None, None)
    return _form(draft, shown, read_id=read_id or None)


@bp.route("/help/contact/suggestions", methods=["POST"])
def live_suggestions():
    """The suggestions panel for what the customer is typing (fetched by suggest.js)."""
    page, card = _shown(_draft())
    return render_template("support/_suggestions.html", page=page, answer=card,
                           answer_back=url_for("support.contact"), read_id=None)


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
    grant = None
    if g.user is None:  # anonymous: so many cases per client (web/throttle.py)
        grant = throttle.take_case()
        if isinstance(grant, Refusal):
            flash("Several requests have come from your network in the last hour. Your text is kept "
                  f"below: please send it again in {throttle.wait_text(grant.wait)}, or sign in.", "error")
            response = current_app.make_response(_form(draft, status=429))
            response.headers["Retry-After"] = str(grant.wait)
            return response
    try:
        case = store.create_case(services().engine, channel="portal",
                                 created_by=g.user.name if g.user else None, title=draft["title"],
                                 description=draft["description"],
                                 product=draft["product"] or None, customer=customer)
    except store.CaseFieldError as exc:
        if grant is not None:  # nothing was opened, so it doesn't count against the client
            throttle.give_back(grant)
        flash(f"{exc.field.capitalize()} {exc.message}.", "error")
        return _form(draft, status=400)
    deflection.record_event(services().engine, draft["draft"], deflection.SUBMITTED, case_id=case.id,
                            query=case.title)
    return render_template("support/submitted.html", case=case)


REQUESTS_PER_PAGE = 20


def _signed_in():
    """Anonymous readers sign in first (and come back); None when someone is signed in."""
    if g.user is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return None


@bp.route("/help/requests")
def my_requests():
    """The requests the signed-in person sent through the contact form, newest first."""
    if (login := _signed_in()) is not None:
        return login
    page_no = max(1, request.args.get("page", 1, type=int) or 1)
    found = lookup.find_cases(services().engine, requester=g.user.name, limit=REQUESTS_PER_PAGE,
                              offset=(page_no - 1) * REQUESTS_PER_PAGE)
    pages = max(1, -(-found.total // REQUESTS_PER_PAGE))
    return render_template("support/requests.html", requests=found.cases, total=found.total,
                           page_no=min(page_no, pages), pages=pages, labels=CUSTOMER_STATUS_LABELS)


@bp.route("/help/requests/<case_id>")
def my_request(case_id: str):
    """One of the person's own requests: what they wrote, where it stands, articles that helped.

    Someone else's request is a 404, the same as one that doesn't exist.
    """
    if (login := _signed_in()) is not None:
        return login
    try:
        case = store.get_case(services().engine, case_id)
    except NotFound:
        abort(404)
    if case.created_by != g.user.name:
        abort(404)
    articles = [a for a in (catalog().get(PUBLIC, link.article_id) for link in case.links) if a is not None]
    return render_template("support/request.html", case=case, articles=articles,
                           labels=CUSTOMER_STATUS_LABELS)
