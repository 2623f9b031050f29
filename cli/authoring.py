"""``kb new``, ``kb report`` and ``kb watch``: writing articles and keeping them healthy."""

from __future__ import annotations

from pathlib import Path

import click

from cli.app import articles_option, db_option, index_option, main
from kb import settings
from kb.model import ARTICLE_TYPES, AUDIENCES


@main.command("new")
@click.argument("article_type", metavar="TYPE", type=click.Choice(ARTICLE_TYPES))
@click.argument("title")
@articles_option
@index_option
@click.option("--product", default=None, help="Product the article is about (front matter 'product').")
@click.option("--audience", type=click.Choice(AUDIENCES), default="internal", show_default=True,
              help="Who may read it once published.")
@click.option("--dir", "subdir", default=None, metavar="SUBFOLDER",
              help="Folder inside the knowledge base to write to (default: its top level).")
@click.option("--owner", default=None, help="Person or team that keeps the article correct.")
def new_command(article_type: str, title: str, articles_dir: str | None, index_dir: str | None,
                product: str | None, audience: str, subdir: str | None, owner: str | None) -> None:
    """Write a new draft article of TYPE titled TITLE from its template, and print its path.

    The file gets the next free KBnnnn id, status draft and the sections TYPE needs, with
    'TODO:' guidance to replace (`kb lint` lists what is left). Existing articles that look
    like the new one are listed first, with likely duplicates flagged: check them before
    writing. Nothing is ever overwritten.
    """
    from kb.authoring import create_article

    root = Path(settings.get("articles_dir", articles_dir))
    created = create_article(root, article_type, title, audience=audience, product=product, subdir=subdir,
                             owner=owner, lookup=index_lookup(Path(settings.get("index_dir", index_dir))))
    similar = created.similar
    if similar.articles:
        source = "search index" if similar.source == "index" else "title comparison"
        click.echo(f"Existing articles like this one (by {source}):", err=True)
        for s in similar.articles:
            flag = "  <- likely duplicate" if s.likely_duplicate else ""
            click.echo(f"  {s.id:10} {s.similarity:4.0%}  {s.title}{flag}", err=True)
        if similar.duplicates:
            ids = ", ".join(s.id for s in similar.duplicates)
            click.secho(f"Warning: {ids} may already cover this. Consider improving that article instead, "
                        "and delete the new file if so.", fg="yellow", err=True)
    click.echo(f"Created {created.id} ({article_type}, draft). Fill in the TODO lines, then run `kb lint`.",
               err=True)
    click.echo(created.path.as_posix())


def index_lookup(index_dir: Path):
    """A :data:`kb.authoring.SimilarLookup` asking the search index at ``index_dir``.

    It searches what an author sees (internal articles, drafts and reviews included) and
    answers None while there is no usable index, so titles are compared instead.
    """
    def lookup(title: str, text: str, limit: int):
        if not index_dir.is_dir():
            return None
        from indexer import Searcher
        from kb.errors import KBError
        from kb.visibility import AUTHOR_STATUSES, INTERNAL_AUDIENCE

        try:
            with Searcher(index_dir) as searcher:
                return searcher.suggest(title, text, audience=INTERNAL_AUDIENCE, statuses=AUTHOR_STATUSES,
                                        limit=limit).hits
        except (KBError, OSError):
            return None

    return lookup


@main.group("report", invoke_without_command=True)
@articles_option
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--stale-days", type=click.IntRange(min=1), default=365, show_default=True,
              help="An article not updated for this many days is stale.")
@click.option("--low-results", type=click.IntRange(min=0), default=2, show_default=True,
              help="A search that showed at most this many results found no good answer.")
@click.option("--days", "window_days", type=click.IntRange(min=1), default=90, show_default=True,
              help="Only searches from the last DAYS days count.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="Most findings per list (0: all).")
@click.pass_context
def report_command(ctx: click.Context, articles_dir: str | None, db_url: str | None, fmt: str, stale_days: int,
                   low_results: int, window_days: int, limit: int) -> None:
    """Report stale articles, orphans and the most-searched terms with no good answer.

    Case usage and the search log come from the database; when there is none yet, the
    report says so and counts them as empty. `kb report duplicates` lists articles that
    probably say the same thing.
    """
    if ctx.invoked_subcommand is not None:
        return
    from kb.articles import load_knowledge_base
    from kb.report import build_report, engine_if_exists

    kb = load_knowledge_base(settings.get("articles_dir", articles_dir))
    report = build_report(kb, engine=engine_if_exists(db_url), stale_after_days=stale_days,
                          low_results=low_results, window_days=window_days, limit=limit)
    click.echo(report.to_json() if fmt == "json" else report.to_text(), nl=fmt == "json")


@main.command("watch")
@articles_option
@index_option
@click.option("--interval", type=click.FloatRange(min=0.05), default=0.3, show_default=True,
              help="Seconds between scans of the articles folder.")
def watch_command(articles_dir: str | None, index_dir: str | None, interval: float) -> None:
    """Reindex the articles folder whenever a file in it changes, until interrupted.

    For authors who search from the command line; `kb serve --watch` does the same
    inside the web server.
    """
    import time

    from indexer.watch import Watcher

    root = Path(settings.get("articles_dir", articles_dir))
    index = Path(settings.get("index_dir", index_dir))

    def reindexed(report) -> None:
        counts = ", ".join(f"{n} {name}" for name in ("added", "changed", "deleted")
                           if (n := len(getattr(report, name, ()) or ())))
        click.echo(f"{time.strftime('%H:%M:%S')} reindexed: {counts or 'nothing to do'}")
        for problem in getattr(report, "problems", ()) or ():
            click.echo(f"  {problem}")

    watcher = Watcher(root, index, interval=interval, on_reindex=reindexed)
    click.echo(f"Watching {root.as_posix()} (index: {index.as_posix()}); press Ctrl+C to stop.", err=True)
    watcher.start()
    try:
        while watcher.running:
            time.sleep(0.5)
            if watcher.state.last_error:
                click.echo(f"reindex failed: {watcher.state.last_error}", err=True)
                watcher.state.last_error = None
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
