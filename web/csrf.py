"""A small CSRF layer: one random token per session, required on every unsafe request.

Forms carry it in a hidden ``csrf_token`` field (``{{ csrf_field() }}``); scripts send it
in the ``X-CSRF-Token`` header (read from ``<meta name="csrf-token">``). Two kinds of
request are exempt because they carry no ambient authority another site could borrow:

* API calls authenticated by a bearer token (a cross-site page can't add that header);
* API calls that send no session cookie at all (they are anonymous, public visibility).

Everything else that is not GET/HEAD/OPTIONS/TRACE must match, or gets 400.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, current_app, g, request, session
from markupsafe import Markup, escape

from web import resume
from web.util import is_api_request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SESSION_KEY = "_csrf"


def generate_token() -> str:
    """This session's token, created on first use (so anonymous pages without forms set no cookie)."""
    token = session.get(SESSION_KEY)
    if not token:
        token = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def csrf_field() -> Markup:
    """The hidden input a form needs."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(generate_token())}">')


def is_exempt() -> bool:
    """Requests that can't be forged by another site (see the module docstring)."""
    if not is_api_request():
        return False
    if g.get("token_auth"):
        return True
    return current_app.config["SESSION_COOKIE_NAME"] not in request.cookies


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def protect():
    """Refuse an unsafe request whose token is missing or wrong.

    A form from one of our own pages whose session has expired (no token in it any more)
    is not an attack: :func:`web.resume.expired` keeps what was typed and asks the person
    to sign in again instead of showing an error.
    """
    if request.method in SAFE_METHODS or is_exempt():
        return None
    expected = session.get(SESSION_KEY)
    form = request.mimetype in FORM_TYPES
    sent = request.headers.get(HEADER)
    if sent is None and form:
        sent = request.form.get(FIELD)
    if expected and sent and hmac.compare_digest(str(expected), str(sent)):
        return None
    if not expected and form and sent and not is_api_request() and resume.same_origin():
        return resume.expired()
    abort(400, description="This form could not be accepted: it has expired or came from another site. "
                           "Go back, reload the page and try again.")


def init_app(app: Flask) -> None:
    """Check every request after the user is loaded; give templates the token helpers."""
    app.before_request(protect)
    app.jinja_env.globals.update(csrf_token=generate_token, csrf_field=csrf_field)
