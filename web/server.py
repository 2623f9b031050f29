"""Running the app for real: make sure an index exists, then serve it.

Several processes (gunicorn's pre-fork arbiter, one request at a time per process) when
asked for more than one and the platform can fork; otherwise one waitress process with
threads. Search is CPU-bound Python: threads of one process take turns on one core, and
measured at 100k articles, processes that each take the next waiting request gave about
half the 95th-percentile latency of threads. Each process opens the index itself after the
fork; the posting sidecars are memory-mapped, so the processes share them through the
page cache. In both, requests are read by an event loop and reach the app only once they
have fully arrived (web/worker.py), so clients on slow networks cannot tie up a process.
"""

from __future__ import annotations

import gc
import os
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
    if not _writable(Path(index_dir)):
        raise KBError(f"No index at {index_dir}, and that folder is read-only here. Build it with `kb index` "
                      "where it is written and copy it to this server (docs/deployment.md).")
    echo(f"No index at {index_dir}: building it from {articles_dir} ...")
    report = build_index(articles_dir, index_dir)
    echo(f"Index built: {_summary(report)}")


def _writable(path: Path) -> bool:
    """Whether ``path``, or the nearest folder above it that exists, may be written to."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return os.access(path, os.W_OK)


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


def serve(*, articles_dir: str, index_dir: str, db_url: str, host: str, port: int, workers: int = 1,
          threads: int | None = None, watch: bool = False, echo: Callable[[str], None] = print) -> None:
    """Build the index if needed, then serve until interrupted; ``watch`` reindexes changed files."""
    ensure_index(articles_dir, index_dir, echo)
    from kb.db import engine_for

    engine_for(db_url).dispose()  # migrate the database once, before any worker starts
    config = {"articles_dir": articles_dir, "index_dir": index_dir, "db_url": db_url, "WATCH": watch}
    if workers > 1 and _can_fork():
        echo(f"kb serving {articles_dir} on http://{host}:{port}/ with {workers} processes "
             "(help center at /help, API at /api/)")
        _serve_processes(config, host, port, workers)
        return
    app = _open_app(config)
    # Stop cleanly on SIGTERM (service managers, `kill`) so the finally below still runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    echo(f"kb serving {articles_dir} on http://{host}:{port}/ (help center at /help, API at /api/)")
    try:
        from web.worker import buffered_server

        # The body limit is enforced by Flask (413).
        server, _ = buffered_server(app, {}, threads=threads or 8, host=host, port=port)
        server.run()
    finally:
        app.extensions["kb"].search_log.flush()


def _open_app(config: dict) -> Flask:
    app = build_app(**config)
    # Open the index now (fail at start, not on first use) and load what searches need.
    app.extensions["kb"].catalog.searcher.warm()
    # What is loaded now lives as long as the process: keep the collector from walking it
    # again and again (full collections over 100k-article caches showed as latency spikes).
    gc.collect()
    gc.freeze()
    return app


def _can_fork() -> bool:
    if not hasattr(os, "fork"):
        return False
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def _serve_processes(config: dict, host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    opened: list[Flask] = []

    def flush_log(_server, _worker) -> None:
        for app in opened:
            app.extensions["kb"].search_log.flush()

    class Server(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": f"{host}:{port}", "workers": workers,
                # Each process reads requests in an event loop and answers them in one
                # thread (web/worker.py): a slow client holds a socket, not a process.
                "worker_class": "web.worker.BufferedWorker",
                "timeout": 60, "graceful_timeout": 10,
                "proc_name": "kb", "accesslog": None, "errorlog": "-", "loglevel": "warning",
                "worker_exit": flush_log,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            # One process per CPU already: a second BLAS thread (the sentence encoder's
            # matrix products) would only take a core from another process.
            from threadpoolctl import threadpool_limits

            threadpool_limits(1, user_api="blas")
            app = _open_app(config)
            opened.append(app)
            return app

    Server().run()
