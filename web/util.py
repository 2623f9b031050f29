"""Small request helpers shared by several blueprints."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def is_api_request() -> bool:
    """Whether this request is for the JSON API, whose errors are always JSON."""
    return request.path == "/api" or request.path.startswith("/api/")


def client_address() -> str:
    """The client's address (ProxyFix rewrites it when TRUSTED_PROXIES is set)."""
    return request.remote_addr or "unknown"


def safe_next(target: str | None, default: str) -> str:
    """A post-login redirect target only if it stays on this site, else ``default``.

    Rejects absolute URLs, scheme-relative ``//host`` and backslash tricks browsers
    normalise into another host.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    return target
