"""Security headers on every response, and the session cookie's Secure flag.

The Content-Security-Policy allows no inline script or style at all, so templates use
classes and ``web/static`` files only; an injected ``<script>`` or ``style=`` is inert.
"""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from web.util import is_api_request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with ``SESSION_COOKIE_SECURE = "auto"`` meaning
    "Secure when this request arrived over https" (the same app runs on plain loopback
    in development and behind TLS in production)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        setting = app.config["SESSION_COOKIE_SECURE"]
        if setting == "auto":
            return request.is_secure
        return bool(setting)


def add_headers(response: Response) -> Response:
    """Set the security headers; keep signed-in pages out of shared caches."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if g.get("user") is not None:
        response.headers["Cache-Control"] = "private, no-store"
    response.vary.add("Cookie")
    if is_api_request():
        response.vary.add("Authorization")  # what the API returns depends on who asks
    return response


def init_app(app: Flask) -> None:
    """Install the session interface, proxy handling and the header hook."""
    app.session_interface = SessionInterface()
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.after_request(add_headers)
