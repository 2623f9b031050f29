"""Messages shown where the action happened, not in a banner at the top of the page.

After a POST the view calls :func:`notify` with the place the message belongs ("links",
"close", a form's id) and redirects (POST-redirect-GET). The next page's template
renders ``page_notice`` inside that place with ``role="status"``; kb.js moves focus to
it, so keyboard and screen-reader users land on the confirmation. A page that has no
such place shows the message with the other flashed messages (``base.html``), so no
message is ever lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, g, session

KEY = "_notice"


@dataclass(frozen=True)
class Notice:
    """A message for one place on the next page; ``kind`` is success, error or info."""

    text: str
    at: str
    kind: str = "success"
    subject: str = ""  # what it is about (an article id), so the page can mark that item


def notify(text: str, at: str, kind: str = "success", subject: str = "") -> None:
    """Show ``text`` at the place ``at`` on the next page this browser renders."""
    session[KEY] = {"text": text, "at": at, "kind": kind, "subject": subject}


def take() -> Notice | None:
    """The pending notice, removed from the session (it is shown once)."""
    raw = session.pop(KEY, None)
    if not isinstance(raw, dict) or not raw.get("text"):
        return None
    return Notice(str(raw["text"]), str(raw.get("at", "")), str(raw.get("kind", "success")),
                  str(raw.get("subject", "")))


def _pending() -> Notice | None:
    if "page_notice" not in g:
        g.page_notice = take() if KEY in session else None
    return g.page_notice


def notice_here(at: str, subject: str | None = None) -> Notice | None:
    """The pending notice if it belongs at ``at`` (and is about ``subject``); marks it shown."""
    notice = _pending()
    if notice is None or notice.at != at or (subject is not None and notice.subject != subject):
        return None
    g.page_notice_shown = True
    return notice


def notice_left() -> Notice | None:
    """The pending notice if no place on the page showed it (``base.html`` shows it last)."""
    notice = _pending()
    return None if notice is None or g.get("page_notice_shown") else notice


def init_app(app: Flask) -> None:
    """Templates get ``notice_here(at)`` for a place and ``notice_left()`` for the rest."""
    app.jinja_env.globals.update(notice_here=notice_here, notice_left=notice_left)
