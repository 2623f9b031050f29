"""Flag it, from every place a reader meets an article: its page, a case, the help center, the API.

One function, :func:`flag`, does the checks every route shares, in the order that keeps
hidden articles hidden: readers who aren't staff are rate-limited first (per address, in
the database every server process shares), then the article is looked up *as this reader
sees it* (a hidden or unknown id is the same 404), and only then is the reason checked.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from werkzeug.exceptions import TooManyRequests

from kb.cases import store as case_store
from kb.errors import NotFound
from kb.kcs.flags import REASONS, Flag, FlagError, flag_article
from kb.kcs.tasks import Task
from kb.visibility import PUBLIC, Reader
from web import params
from web.auth import staff_required
from web.loop import loop
from web.services import catalog, services
from web.util import client_address

bp = Blueprint("flags", __name__)

# Flags from readers who aren't support staff, per address and window (app config can change them).
ANONYMOUS_FLAGS_PER_WINDOW = 10
ANONYMOUS_FLAG_WINDOW_SECONDS = 3600


class FlagRefused(params.BadParameter):
    """A flag the domain refused, as a 400 naming the parameter."""


def flag(reader: Reader, article_id: str, reason: object, comment: object, *, source: str,
         case_id: object = None) -> tuple[Flag, Task]:
    """Record a flag from ``reader`` on an article they can see (see the module docstring).

    :raises werkzeug.exceptions.TooManyRequests: too many flags from this address lately.
    :raises werkzeug.exceptions.NotFound: the reader can't see the article (or it doesn't exist).
    :raises FlagRefused: an unknown reason, a comment too long, an unknown case.
    """
    if not reader.is_staff:
        wait = loop().flag_limiter.attempt(client_address())
        if wait:
            raise TooManyRequests(description="Too many reports from your address; please try again later.",
                                  retry_after=wait)
    article = catalog().get(reader, article_id, include_archived=reader.is_staff)
    if article is None:
        abort(404)
    number = None
    if case_id not in (None, "") and reader.is_staff:
        try:
            number = case_store.get_case(services().engine, str(case_id)).id
        except NotFound:
            raise FlagRefused("case_id", f"'{str(case_id)[:40]}' is not a case.") from None
        source = "case"
    try:
        return flag_article(services().engine, article, reason, comment, source=source, policy=loop().policy,
                            user_name=reader.user.name if reader.user else None, case_id=number)
    except FlagError as exc:
        raise FlagRefused(exc.field, str(exc)) from None


def _back(default: str) -> str:
    """Where the form came from, when it is a page of this site (else ``default``)."""
    from web.util import safe_next

    return safe_next(request.form.get("next"), default)


@bp.route("/articles/<article_id>/flags", methods=["POST"])
@staff_required
def staff_flag(article_id: str):
    """Flag from the engineer's article page, or from a case while reusing the article."""
    back = _back(url_for("articles.article", article_id=article_id, _anchor="flag"))
    try:
        _flag, task = flag(g.reader, article_id, request.form.get("reason"), request.form.get("comment"),
                           source="article", case_id=request.form.get("case_id"))
    except FlagRefused as exc:
        flash(exc.description, "error")
        return redirect(back)
    owner = f" for {task.owner}" if task.owner else " (no owner yet: a knowledge manager will assign it)"
    flash(f"Flag recorded: task {task.id}{owner}.", "success")
    return redirect(back)


@bp.route("/help/articles/<article_id>/flags", methods=["POST"])
def help_flag(article_id: str):
    """"This didn't help": a help-center reader tells the article's owner why."""
    back = url_for("help.article", article_id=article_id, _anchor="flag")
    try:
        flag(PUBLIC, article_id, request.form.get("reason"), request.form.get("comment"), source="help")
    except FlagRefused as exc:
        flash(exc.description, "error")
        return redirect(back)
    flash("Thank you. The team that maintains this article will look at it.", "success")
    return redirect(back)


def reason_choices() -> list[tuple[str, str]]:
    """(value, label) of every reason, for the forms."""
    return list(REASONS.items())


@bp.app_context_processor
def flag_helpers() -> dict:
    return {"flag_reasons": reason_choices}
