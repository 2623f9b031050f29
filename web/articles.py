"""Article pages for engineers at /articles/<id>, and "was this helpful?" votes."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from kb import activity
from kb.cases import lookup
from kb.cases.rules import OPEN_STATUSES
from kb.errors import KBError
from kb.model import Article
from kb.visibility import Reader
from web import throttle
from web.auth import staff_required
from web.loop import loop
from web.notices import notify
from web.render import article_view, send_article_image
from web.services import catalog, services

bp = Blueprint("articles", __name__)

MAX_ANONYMOUS_VOTES = 50  # articles remembered per session to stop repeat anonymous votes
MY_CASES = 10  # the engineer's open cases offered when linking an article to a case


def get_article_or_404(reader: Reader, article_id: str, *, include_archived: bool = False) -> Article:
    """The article if ``reader`` may see it.

    :raises werkzeug.exceptions.NotFound: when it doesn't exist *or* is hidden from the
        reader; both give the same 404 so a page never reveals that a hidden id exists.
    :raises kb.errors.IndexMissing: when there is no index yet (a 503 page).
    """
    article = catalog().get(reader, article_id, include_archived=include_archived)
    if article is None:
        abort(404)
    return article


def redirected_from(reader: Reader, article: Article) -> Article | None:
    """The archived article a reader was redirected from (``?from=ID``), if it really points here."""
    old_id = request.args.get("from")
    if not old_id:
        return None
    old = catalog().get(reader, old_id, include_archived=True)
    return old if old is not None and old.superseded_by == article.id else None


def record_vote(reader: Reader, article: Article, endpoint: str):
    """Store a helpfulness vote from the form and go back to the article."""
    vote = request.form.get("vote")
    back = url_for(endpoint, article_id=article.id, _anchor="feedback")
    if vote not in ("yes", "no"):
        notify("Choose “Yes” or “No”.", "feedback", "error")
        return redirect(back)
    user_id = reader.user.id if reader.user else None
    grant = None
    if user_id is None:
        # Anonymous: one vote per article, by cookie and (for clients that drop cookies) by
        # address; and only so many votes per address (429 beyond: web/throttle.py).
        voted = session.get("voted", [])
        if article.id not in voted:
            grant = throttle.take_vote(article.id)
        if grant is None:
            notify("You already told us about this article. Thank you!", "feedback", "info")
            return redirect(back)
        session["voted"] = (voted + [article.id])[-MAX_ANONYMOUS_VOTES:]
    try:
        activity.record_feedback(services().engine, article.id, vote == "yes",
                                 request.form.get("comment", ""), user_id)
    except KBError as exc:
        if grant is not None:  # the vote was refused, so it doesn't count against the client
            throttle.give_back(grant)
            session["voted"] = [v for v in session.get("voted", []) if v != article.id]
        notify(str(exc), "feedback", "error")
        return redirect(back)
    services().signals.invalidate()
    notify("Thanks for your feedback." if vote == "yes" else
           "Thanks for telling us. We'll use it to improve this article.", "feedback")
    return redirect(back)


@bp.route("/articles/<article_id>")
@staff_required
def article(article_id: str):
    """An article, rendered; an archived one forwards to its replacement unless asked not to."""
    art = get_article_or_404(g.reader, article_id, include_archived=True)
    if art.status == "archived" and art.superseded_by and not request.args.get("archived"):
        replacement = catalog().get(g.reader, art.superseded_by)
        if replacement is not None:
            return redirect(url_for("articles.article", article_id=replacement.id, **{"from": art.id}))
    view = article_view(art, g.reader, "articles.article")
    loop().views.view(art.id)
    loop().note_search_click(art.id)
    mine = lookup.find_cases(services().engine, owner=g.user.name, status=OPEN_STATUSES, limit=MY_CASES,
                             sort="updated").cases
    return render_template("articles/article.html", view=view, article=art, can_link_cases=True,
                           my_cases=mine,
                           redirected_from=redirected_from(g.reader, art),
                           share_url=url_for("articles.article", article_id=art.id, _external=True),
                           feedback_url=url_for("articles.feedback", article_id=art.id),
                           flag_url=url_for("flags.staff_flag", article_id=art.id))


@bp.route("/articles/<article_id>/media/<path:path>")
@staff_required
def media(article_id: str, path: str):
    """An image the article shows, from the articles folder (nothing else is served)."""
    return send_article_image(get_article_or_404(g.reader, article_id, include_archived=True), path)


@bp.route("/articles/<article_id>/feedback", methods=["POST"])
@staff_required
def feedback(article_id: str):
    """Record "was this helpful?" for an article the engineer can see."""
    art = get_article_or_404(g.reader, article_id, include_archived=True)
    return record_vote(g.reader, art, "articles.article")
