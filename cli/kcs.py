"""The knowledge loop from the shell: ``kb report duplicates``, ``kb report gaps``, ``kb tasks``,
``kb validate``.

The domain (:mod:`kb.kcs`) compares texts it is given; this module wires in what it needs
from the search engine: the articles' meaning vectors from the index's vector store, and
the sentence encoder for texts that have none (cases, searches).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.app import articles_option, db_option, index_option, json_output, main
from cli.authoring import report_command
from kb import settings


def duplicate_pairs(articles_dir: Path, index_dir: Path, limit: int):
    """The knowledge base's likely duplicate pairs, most likely first, and whether meaning was used."""
    from kb.articles import load_knowledge_base
    from web.loop import duplicate_pairs as pairs_of

    return pairs_of(load_knowledge_base(articles_dir).articles.values(), index_dir, limit)


@report_command.command("duplicates")
@articles_option
@index_option
@click.option("--limit", type=click.IntRange(min=1, max=100_000), default=50, show_default=True,
              help="How many pairs to list, most likely first.")
@json_output
def duplicates_command(articles_dir: str | None, index_dir: str | None, limit: int, as_json: bool) -> None:
    """List pairs of articles that probably say the same thing, most likely first.

    Each pair has a score and why: shared error codes, the words they share, and how
    close their meaning is (from the index's vectors; without an index, words alone).
    Merge a pair by archiving one article with superseded_by the other.
    """
    root = Path(settings.get("articles_dir", articles_dir))
    index = Path(settings.get("index_dir", index_dir))
    pairs, with_meaning = duplicate_pairs(root, index, limit)
    if as_json:
        click.echo(json.dumps({"pairs": [p.as_dict() for p in pairs], "meaning": with_meaning}, indent=2))
        return
    if not with_meaning:
        click.echo("Comparing by words only: no meaning vectors in the index (run `kb index`).", err=True)
    if not pairs:
        click.echo("No likely duplicates.")
    for p in pairs:
        click.echo(f"{p.score:6.3f}  {p.a}  {p.b}")
        for reason in p.why:
            click.echo(f"        {reason}")


@report_command.command("gaps")
@articles_option
@db_option
@click.option("--days", type=click.IntRange(min=1), default=90, show_default=True,
              help="Only what happened in the last DAYS days counts.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Most topics to list.")
@json_output
def gaps_command(articles_dir: str | None, db_url: str | None, days: int, limit: int, as_json: bool) -> None:
    """Group what the knowledge base failed to answer into topics, biggest first.

    Cases closed without an article, searches that found nothing or whose results nobody
    opened, tickets filed after the suggestions didn't help, and "didn't help" flags,
    grouped by meaning and key terms.
    """
    from datetime import timedelta

    from kb.db import utcnow
    from kb.kcs.gaps import collect_items, find_topics
    from kb.report import engine_if_exists
    from web.loop import text_encoder

    engine = engine_if_exists(db_url)
    if engine is None:
        topics = []
    else:
        items = collect_items(engine, since=utcnow() - timedelta(days=days))
        topics = find_topics(items, embed=text_encoder() if items else None)[:limit]
    if as_json:
        click.echo(json.dumps({"topics": [t.as_dict() for t in topics]}, indent=2))
        return
    if not topics:
        click.echo("No knowledge gaps found." if engine else "No database yet: no gaps to show.")
    for t in topics:
        click.echo(f"{t.size:5}  {t.id}  {t.label}")
        for item in t.examples[:3]:
            click.echo(f"        {item.kind:7} {item.text[:90]}")


@main.group("tasks")
def tasks_group() -> None:
    """The knowledge loop's tasks: flags, reviews due, duplicates, gaps, for each owner."""


@tasks_group.command("list")
@db_option
@click.option("--owner", default=None, help="Only this owner's tasks (a user or team name).")
@click.option("--status", type=click.Choice(["open", "done", "dismissed", "all"]), default="open",
              show_default=True, help="Which tasks to list.")
@click.option("--kind", default=None, help="Only tasks of this kind (flag, review, helpfulness, validate, gap, "
                                           "duplicate).")
@json_output
def tasks_list(db_url: str | None, owner: str | None, status: str, kind: str | None, as_json: bool) -> None:
    """List tasks, oldest first, with their owner and age."""
    from kb.db import engine_for
    from kb.kcs.tasks import list_tasks

    found = list_tasks(engine_for(db_url), owners=[owner] if owner else None,
                       status=None if status == "all" else status, kind=kind)
    if as_json:
        click.echo(json.dumps({"tasks": [t.as_dict() for t in found]}, indent=2))
        return
    if not found:
        click.echo("No tasks.")
    for t in found:
        click.echo(f"{t.id:5}  {t.kind:11} {t.status:9} {t.age_days():4}d  {t.owner or '(nobody)':20} {t.title}")


@tasks_group.command("resolve")
@click.argument("task_id")
@db_option
@click.option("--note", default=None, help="What was done (or, with --dismiss, why not).")
@click.option("--fixed-in", default=None, help="The commit or change that fixed it.")
@click.option("--dismiss", is_flag=True, help="Close it without a change; --note says why.")
@click.option("--by", "by", default=None, help="Who resolved it (default: $USER).")
def tasks_resolve(task_id: str, db_url: str | None, note: str | None, fixed_in: str | None, dismiss: bool,
                  by: str | None) -> None:
    """Close a task: done (with --note or --fixed-in) or dismissed (--dismiss --note)."""
    import getpass

    from kb.db import engine_for
    from kb.kcs.tasks import DISMISSED, DONE, resolve_task

    task = resolve_task(engine_for(db_url), task_id, status=DISMISSED if dismiss else DONE, note=note,
                        fixed_in=fixed_in, by=by or getpass.getuser())
    click.echo(f"Task {task.id} {task.status}.")


@tasks_group.command("refresh")
@articles_option
@index_option
@db_option
@click.option("--duplicates/--no-duplicates", default=True, show_default=True,
              help="Also raise tasks for very likely duplicate pairs.")
def tasks_refresh(articles_dir: str | None, index_dir: str | None, db_url: str | None, duplicates: bool) -> None:
    """Raise the tasks that are due (review dates, unhelpful trends, reused but not validated
    articles, duplicates) and close those the files show were handled. Safe to run from cron."""
    from kb.articles import load_knowledge_base
    from kb.cases.store import reuse_counts
    from kb.db import engine_for
    from kb.mapping import mapping_for
    from kb.kcs.sweep import sweep

    root = Path(settings.get("articles_dir", articles_dir))
    kb = load_knowledge_base(root)
    engine = engine_for(db_url)
    pairs = duplicate_pairs(root, Path(settings.get("index_dir", index_dir)), 200)[0] if duplicates else None
    report = sweep(engine, kb.articles.values(), mapping_for(root).policy, reuse=reuse_counts(engine), duplicates=pairs)
    click.echo(report.summary)


@main.command("validate")
@click.argument("article_id")
@articles_option
@click.option("--by", "by", required=True, help="The approver's user name, recorded as validated_by.")
def validate_command(article_id: str, articles_dir: str | None, by: str) -> None:
    """Record that an approver validated ARTICLE_ID: writes confidence, validated_at and
    validated_by into its file (an article in review is published)."""
    from kb.articles import load_knowledge_base
    from kb.errors import NotFound
    from kb.kcs.edit import approve

    root = Path(settings.get("articles_dir", articles_dir))
    article = load_knowledge_base(root).get(article_id)
    if article is None:
        raise NotFound(f"No article '{article_id}' in {root.as_posix()}.")
    edited = approve(root, article, by)
    click.echo(f"{article_id} validated by {by}: {edited.path.as_posix()}")
