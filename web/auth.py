"""Sign-in, sessions and API tokens: who is asking.

A browser signs in with a name and password and gets a session cookie; a program sends
``Authorization: Bearer <token>`` to the API. Either way ``g.user`` is the User (or None)
and ``g.reader`` says what they may see, computed only by
:func:`kb.visibility.reader_for`.
"""

from __future__ import annotations

import functools

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from kb.logins import DatabaseFailures
from kb.users import User, authenticate, end_session, session_user, start_session, user_for_token
from kb.visibility import reader_for
from web import resume
from web.ratelimit import LoginLimiter
from web.services import services
from web.util import client_address, is_api_request, safe_next

bp = Blueprint("auth", __name__)

class TokenError(Exception):
    """An Authorization header that is present but not a valid bearer token."""


def _bearer_user() -> User | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenError("Use 'Authorization: Bearer <token>'.")
    user = user_for_token(services().engine, token.strip())
    if user is None:
        raise TokenError("The token is invalid or revoked. Create one with `kb tokens create NAME`.")
    return user


def load_user() -> None:
    """Find who is asking: a bearer token on the API, else the session's user."""
    g.user, g.token_auth = None, False
    if is_api_request():
        try:
            g.user = _bearer_user()
        except TokenError as exc:
            g.token_error = True
            abort(401, description=str(exc))
        g.token_auth = g.user is not None
    if g.user is None and "sid" in session:
        # The session must still exist on the server: signed out, password changed or
        # account disabled ends it everywhere, whatever cookie a browser still holds.
        g.user = session_user(services().engine, session["sid"])
        if g.user is None:
            session.clear()
    g.reader = reader_for(g.user)


def staff_required(view):
    """Views for engineers: anonymous readers sign in first, customers go to the help center."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None:
            if request.method == "POST":  # signed out while the form was open: keep what was typed
                return resume.expired()
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if not g.user.is_staff:
            return redirect(url_for("help.home"))
        return view(*args, **kwargs)
    return wrapped


def admin_required(view):
    """Views for admins only."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if g.user.role != "admin":
            abort(403, description="Managing users is for administrators.")
        return view(*args, **kwargs)
    return wrapped


def home_for(user: User | None) -> str:
    """Where a user lands: engineers search, everyone else browses the help center."""
    return url_for("search.search") if user is not None and user.is_staff else url_for("help.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with name and password; refuse quickly after repeated failures."""
    next_url = request.values.get("next", "")
    if request.method == "GET":
        return render_template("auth/login.html", next=next_url, name="")
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    limiter: LoginLimiter = current_app.extensions["kb_login_limiter"]
    attempt = limiter.attempt(name, client_address())  # counted before the password is checked
    if attempt.wait:
        minutes = max(1, round(attempt.wait / 60))
        flash(f"Too many failed sign-in attempts. Try again in about {minutes} minute"
              f"{'s' if minutes != 1 else ''}.", "error")
        response = current_app.make_response(
            (render_template("auth/login.html", next=next_url, name=name), 429))
        response.headers["Retry-After"] = str(attempt.wait)
        return response
    user = authenticate(services().engine, name, password) if name and password else None
    if user is None:  # the attempt stays counted
        flash("Wrong name or password.", "error")
        return render_template("auth/login.html", next=next_url, name=name), 200
    limiter.succeeded(attempt)
    # A fresh session on sign-in: nothing set before (including the CSRF token) survives,
    # and the cookie's contents change completely, so a planted session is useless.
    kept = resume.carry_over()  # a form kept when the old session expired comes along
    session.clear()
    if kept:
        session[resume.KEY] = kept
    session["sid"] = start_session(services().engine, user.id, current_app.permanent_session_lifetime)
    session.permanent = True
    return redirect(safe_next(next_url, home_for(user)))


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out here and on the server (POST with a CSRF token, so no other site can sign you out)."""
    if "sid" in session:
        end_session(services().engine, session["sid"])
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("help.home"))


def init_app(app: Flask) -> None:
    """Load the user before each request; count failed sign-ins in the database, which
    every server process shares."""
    app.extensions["kb_login_limiter"] = LoginLimiter(
        app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_MAX_FAILURES_PER_IP"],
        app.config["LOGIN_WINDOW_SECONDS"], store=DatabaseFailures(app.extensions["kb"].engine))
    app.before_request(load_user)

    @app.context_processor
    def inject_user() -> dict:
        return {"current_user": g.get("user"), "reader": g.get("reader")}
