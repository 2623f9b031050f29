"""The front door: send each reader to their starting page, and a health check."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, redirect

from web.auth import home_for

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    """Engineers start at search, everyone else at the help center."""
    return redirect(home_for(g.user))


@bp.route("/healthz")
def health():
    """Liveness for load balancers and for scripts waiting on `kb serve`."""
    return jsonify({"status": "ok"})
