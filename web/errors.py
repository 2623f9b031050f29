"""The one error handler: every failure becomes ``errors/<status>.html`` or JSON for the API.

Error pages never echo the requested path or id: a 404 for an internal article must be
byte-for-byte the 404 for an id that doesn't exist.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from jinja2 import TemplateNotFound
from werkzeug.exceptions import HTTPException, InternalServerError

from kb.errors import IndexBusy, IndexMissing, KBError, NotFound
from web.util import is_api_request

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request", 401: "Sign-in required", 403: "Not allowed", 404: "Not found",
    405: "Method not allowed", 413: "Request too large", 429: "Too many requests",
    500: "Something went wrong", 503: "Search is not available yet",
}

# Fixed messages for statuses whose detail could reveal something about the request.
PUBLIC_MESSAGES = {
    404: "There is no page at this address, or you don't have access to it.",
    500: "An unexpected error happened. It has been logged; please try again.",
}

API_MESSAGES = {404: "Not found, or not visible to you."}

# The headline of an error page, in the reader's words.
HEADINGS = {403: "This page isn’t open to your account", 404: "We couldn't find that page"}

# What a page says when the code that refused gave no reason of its own (werkzeug's stock
# texts, such as "read-protected or not readable by the server", mean nothing to a person).
PAGE_MESSAGES = {
    400: "Something in that request wasn't right. Go back and try again.",
    401: "Sign in to see this page.",
    403: "Your account can't open this page. If you need it for your work, ask an administrator.",
    405: "This address can't be used that way. Go back and use the page's buttons.",
    413: "That was more than kb accepts at once. Send less, or split it up.",
    429: "Too many requests in a short time. Wait a moment and try again.",
}


def error_area() -> str:
    """Whose pages the error appears among: "help" (customers, the help center) or "staff".

    Decided only by the address's area and the reader's role, never by what was asked
    for, so a hidden article's 404 stays identical to a missing one's.
    """
    user = g.get("user")
    if request.path == "/help" or request.path.startswith("/help/") or user is None or not user.is_staff:
        return "help"
    return "staff"


def _status_and_message(exc: Exception) -> tuple[int, str, Exception]:
    if isinstance(exc, HTTPException):
        stock = exc.description == type(exc).description
        return exc.code or 500, "" if stock else (exc.description or ""), exc
    if isinstance(exc, NotFound):
        return 404, str(exc), exc
    if isinstance(exc, IndexMissing | IndexBusy):
        return 503, str(exc), exc
    if isinstance(exc, KBError):
        return 400, str(exc), exc
    if current_app.testing:  # let tests see the real traceback instead of a tidy 500 page
        raise exc
    log.error("unhandled error", exc_info=exc)
    return 500, "", InternalServerError()


def handle_error(exc: Exception) -> Response:
    """Render any error for the reader: JSON under /api/, a page elsewhere."""
    status, message, original = _status_and_message(exc)
    api = is_api_request()
    message = PUBLIC_MESSAGES.get(status) or message or (None if api else PAGE_MESSAGES.get(status)) \
        or TITLES.get(status, "Error")
    if api:
        message = API_MESSAGES.get(status, message)
        body = {"error": message, "status": status}
        parameter = getattr(original, "parameter", None) or ("body" if status == 413 else None)
        if parameter:
            body["parameter"] = parameter
        response = jsonify(body)
        response.status_code = status
    else:
        area = error_area()
        context = {"status": status, "title": TITLES.get(status, "Error"), "message": message, "area": area,
                   "heading": HEADINGS.get(status, TITLES.get(status, "Error")),
                   "error_layout": "help/_layout.html" if area == "help" else "errors/_staff_layout.html"}
        try:
            html = render_template(f"errors/{status}.html", **context)
        except TemplateNotFound:
            html = render_template("errors/error.html", **context)
        response = current_app.make_response((html, status))
    if isinstance(original, HTTPException):
        for name, value in original.get_headers():
            if name.lower() not in ("content-type", "content-length"):
                response.headers[name] = value
    if status == 401 and is_api_request():
        challenge = 'Bearer realm="kb"' + (', error="invalid_token"' if g.get("token_error") else "")
        response.headers["WWW-Authenticate"] = challenge
    return response


def init_app(app: Flask) -> None:
    """Route every exception through :func:`handle_error`."""
    app.register_error_handler(Exception, handle_error)
