"""``kb serve``: the web app on a production WSGI server (gunicorn processes, or waitress)."""

from __future__ import annotations

import click

from cli.app import articles_option, db_option, index_option, main
from kb import settings


@main.command("serve")
@articles_option
@index_option
@db_option
@click.option("--host", default=None, help=settings.help_for("host"))
@click.option("--port", type=click.IntRange(0, 65535), default=None, help=settings.help_for("port"))
@click.option("--workers", type=click.IntRange(1, 64), default=None, help=settings.help_for("workers"))
@click.option("--threads", type=click.IntRange(1, 64), default=None,
              help="Threads answering requests when serving with one process (waitress). Default: 8.")
@click.option("--watch", is_flag=True, default=None, help=settings.help_for("watch"))
def serve_command(articles_dir: str | None, index_dir: str | None, db_url: str | None, host: str | None,
                  port: int | None, workers: int | None, threads: int | None, watch: bool | None) -> None:
    """Serve search, articles, the help center and the API.

    Builds the index first when there is none yet. Search is CPU-bound Python, so several
    processes (gunicorn; one per CPU by default) answer more requests, and more evenly,
    than threads can; with --workers 1, or where gunicorn can't run, one waitress process
    serves with threads. --watch uses one process. Requests are read in full before a process
    answers them, so slow clients can't tie one up. The session key comes from KB_SECRET_KEY
    or is generated once into INSTANCE/secret_key. Several servers on one index and one
    PostgreSQL: see docs/deployment.md.
    """
    from web.server import serve

    watch = settings.get("watch", watch or None)
    serve(articles_dir=settings.get("articles_dir", articles_dir),
          index_dir=settings.get("index_dir", index_dir),
          db_url=settings.get("db_url", db_url), host=settings.get("host", host),
          port=settings.get("port", port), workers=1 if watch else settings.get("workers", workers),
          threads=threads, watch=watch, echo=click.echo)
