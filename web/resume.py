"""What a person typed survives an expired session: kept, signed back in, put back in the form.

A form posted after the session expired fails its CSRF check (the token lived in the
session). Instead of an error page, :func:`expired` keeps the form's fields, says what
happened, and sends the person to sign in (staff pages) or back to the page they were on
(the help center), with the page to return to. The page with the form then calls
:func:`take` and fills the form in again; nothing is submitted until they press the
button again, so a forged cross-site post can't act, and only same-origin posts are kept
at all.

The kept text travels in the signed session cookie, so it is capped at
:data:`BUDGET_BYTES` (browsers drop cookies over 4 KB); longer notes are cut at the
budget and the page says so, and the case page's script keeps the full text in the
tab's own storage as well.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import flash, redirect, request, session, url_for

from web.util import safe_next

KEY = "_kept"
BUDGET_BYTES = 2400
SKIPPED_FIELDS = frozenset({"csrf_token", "password", "action"})
# Forms under these paths belong to signed-in staff: keeping them means signing in again.
STAFF_PATHS = ("/cases", "/articles", "/authoring", "/admin", "/insights")


def same_origin() -> bool:
    """Whether the browser says this request came from one of our own pages."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    return bool(origin) and urlsplit(origin).netloc == request.host


def _referrer_path(default: str) -> str:
    referrer = urlsplit(request.headers.get("Referer", ""))
    if referrer.netloc != request.host:
        return default
    path = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return safe_next(path, default)


def _fit(values: dict[str, str]) -> tuple[dict[str, str], bool]:
    """The values cut to the budget, longest field first; and whether anything was cut."""
    values = dict(values)
    cut = False
    while len(json.dumps(values).encode("utf-8")) > BUDGET_BYTES:
        name = max(values, key=lambda k: len(values[k]))
        if not values[name]:
            break
        keep = max(0, len(values[name]) - max(64, len(values[name]) // 4))
        values[name] = values[name][:keep]
        cut = True
    return values, cut


def keep(path: str, values: dict[str, str]) -> None:
    """Keep ``values`` posted to ``path`` until a page of that area takes them."""
    fitted, cut = _fit({k: v for k, v in values.items() if k not in SKIPPED_FIELDS and v})
    session[KEY] = {"path": path, "values": fitted, "cut": cut}


def take(prefix: str) -> dict | None:
    """The kept form posted under ``prefix`` (``{"path", "values", "cut"}``), removed once taken."""
    kept = session.get(KEY)
    if not isinstance(kept, dict) or not str(kept.get("path", "")).startswith(prefix):
        return None
    session.pop(KEY, None)
    return kept


def carry_over() -> dict | None:
    """The kept form, to set again after signing in clears the session."""
    kept = session.get(KEY)
    return kept if isinstance(kept, dict) else None


def expired():
    """The response to a form posted with an expired session: keep it, then sign in or go back."""
    form = {k: v for k, v in request.form.items() if isinstance(v, str)}
    keep(request.path, form)
    back = _referrer_path(url_for("help.home"))
    if request.path.startswith(STAFF_PATHS):
        flash("You were signed out before that was saved. Sign in again: what you typed is kept, "
              "and you'll be back on the same page.", "info")
        return redirect(url_for("auth.login", next=back))
    flash("This page had been open a long time, so nothing was sent. Your text is kept: check it and "
          "send it again.", "info")
    return redirect(back)
