"""Running the app for real: make sure an index exists, then serve it with waitress."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from kb.errors import KBError


def ensure_index(articles_dir: str, index_dir: str, echo: Callable[[str], None] = print) -> None:
    """Build the index when there is none, so a first ``kb serve`` works without ``kb index``."""
    from indexer import build_index, index_exists

    if index_exists(index_dir):
        return
    if not Path(articles_dir).is_dir():
        raise KBError(f"No index at {index_dir} and no articles folder at {articles_dir} to build one from. "
                      "Pass --articles DIR.")
    echo(f"No index at {index_dir}: building it from {articles_dir} ...")
    report = build_index(articles_dir, index_dir)
    echo(f"Index built: {_summary(report)}")


def _summary(report) -> str:
    for name in ("summary", "describe"):
        method = getattr(report, name, None)
        if callable(method):
            return str(method())
    return str(report)


def build_app(*, articles_dir: str, index_dir: str, db_url: str, **config) -> Flask:
    """The production app for these folders."""
    from web import create_app

    return create_app({"ARTICLES_DIR": articles_dir, "INDEX_DIR": index_dir, "DB_URL": db_url, **config})


def serve(*, articles_dir: str, index_dir: str, db_url: str, host: str, port: int, threads: int = 8,
          echo: Callable[[str], None] = print) -> None:
    """Build the index if needed, then serve until interrupted."""
    import waitress

    ensure_index(articles_dir, index_dir, echo)
    app = build_app(articles_dir=articles_dir, index_dir=index_dir, db_url=db_url)
    _ = app.extensions["kb"].catalog.searcher  # open the index now: fail at start, not on first use
    # Stop cleanly on SIGTERM (service managers, `kill`) so the finally below still runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    echo(f"kb serving {articles_dir} on http://{host}:{port}/ (help center at /help, API at /api/)")
    try:
        # Generous connection limit for busy teams; the body limit is enforced by Flask (413).
        waitress.serve(app, host=host, port=port, threads=threads, ident="kb", connection_limit=200,
                       channel_timeout=60)
    finally:
        app.extensions["kb"].search_log.flush()
