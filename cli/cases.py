"""``kb cases``: import, list, show, link, close and capture support cases from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.app import articles_option, db_option, json_output, main
from kb import settings


@main.group("cases")
def cases_group() -> None:
    """Work with support cases: import them, link articles, close them, capture knowledge."""


def _articles_root(articles_dir: str | None) -> Path:
    return Path(settings.get("articles_dir", articles_dir))


def _taxonomy(articles_dir: str | None):
    """The resolution codes beside the articles; refuses to go on without a usable taxonomy."""
    from kb.errors import KBError
    from kb.resolution_codes import TAXONOMY_FILE, load_taxonomy

    root = _articles_root(articles_dir)
    if not root.is_dir():
        raise KBError(f"No articles folder at {root}: it holds the resolution codes. Pass --articles DIR.")
    path = root / TAXONOMY_FILE
    taxonomy, problems = load_taxonomy(path)
    if not taxonomy.codes:
        details = "; ".join(str(p) for p in problems[:3])
        raise KBError(f"No resolution codes could be read from {path} ({details}). Pass --articles DIR.")
    return taxonomy


def _rule_errors(func):
    """Show which rule refused an action, as the API does."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from kb.cases.rules import CaseRuleError

        try:
            return func(*args, **kwargs)
        except CaseRuleError as exc:
            raise click.ClickException(f"{exc} [rule: {exc.rule}]") from None

    return wrapper


@cases_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="File format (default: from the extension: .csv, .jsonl or .ndjson).")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=500, show_default=True,
              help="Rows written per transaction; a crash loses at most the batch being written.")
@articles_option
@db_option
def cases_import(file: Path, fmt: str | None, batch_size: int, articles_dir: str | None,
                 db_url: str | None) -> None:
    """Import cases from FILE (CSV with a header row, or one JSON object per line).

    Columns: title (required), description, product, severity, priority, status, customer,
    owner, external_ref, created_at, resolved_at, closed_at, resolution_code,
    resolution_notes, bug_reference, articles (ids that solved the case) and
    related_articles. Bad rows are reported as `line N: field: message` and the good rows
    still load; rows whose external_ref was already imported are skipped. Exits 1 when
    any row was bad.
    """
    from kb.articles import load_knowledge_base
    from kb.cases.importer import import_file
    from kb.db import engine_for

    root = _articles_root(articles_dir)
    known = set(load_knowledge_base(root).articles) if root.is_dir() else None
    report = import_file(engine_for(db_url), file, _taxonomy(articles_dir), fmt=fmt, known_articles=known,
                         batch_size=batch_size)
    for problem in report.problems:
        click.echo(f"{file}: {problem}")
    click.echo(report.summary())
    raise SystemExit(1 if report.problems else 0)


@cases_group.command("list")
@click.option("--status", multiple=True, help="Only cases in this status (repeatable).")
@click.option("--owner", default=None, help="Only cases this user owns.")
@click.option("--product", default=None, help="Only cases about this product.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@json_output
@db_option
def cases_list(status: tuple[str, ...], owner: str | None, product: str | None, limit: int, as_json: bool,
               db_url: str | None) -> None:
    """List cases, newest first."""
    from kb.cases.lookup import list_cases
    from kb.db import engine_for

    found = list_cases(engine_for(db_url), status=status or None, owner=owner, product=product, limit=limit)
    if as_json:
        click.echo(json.dumps([c.as_dict() for c in found], indent=2))
        return
    if not found:
        click.echo("No cases match.")
    for case in found:
        click.echo(f"{case.display_id}  {case.status:20} sev {case.severity} p{case.priority}  "
                   f"{(case.owner or '-'):12} {case.title}")


@cases_group.command("show")
@click.argument("case_id")
@json_output
@db_option
def cases_show(case_id: str, as_json: bool, db_url: str | None) -> None:
    """Show one case with its links (CASE_ID like CAS-000123 or 123)."""
    from kb.cases.store import get_case
    from kb.db import engine_for

    case = get_case(engine_for(db_url), case_id)
    if as_json:
        click.echo(json.dumps(case.as_dict(), indent=2))
        return
    click.echo(f"{case.display_id}: {case.title}")
    click.echo(f"Status: {case.status_label}   Severity: {case.severity}   Priority: {case.priority}")
    for label, value in (("Product", case.product), ("Customer", case.customer), ("Owner", case.owner),
                         ("Created", case.created_at), ("Closed", case.closed_at),
                         ("Resolution", case.resolution_code), ("Bug", case.bug_reference)):
        if value:
            click.echo(f"{label}: {value}")
    if case.description:
        click.echo("\n" + case.description)
    if case.resolution_notes:
        click.echo("\nResolution notes:\n" + case.resolution_notes)
    if case.links:
        click.echo("\nArticles:")
        for link in case.links:
            click.echo(f"  {link.article_id}  {'solved it' if link.solved else 'related'}")


@cases_group.command("link")
@click.argument("case_id")
@click.argument("article_id")
@click.option("--solved", is_flag=True, help="The article solved the case (counts toward its reuse).")
@click.option("--by", "linked_by", default=None, help="Who linked it (a user name).")
@articles_option
@db_option
@_rule_errors
def cases_link(case_id: str, article_id: str, solved: bool, linked_by: str | None, articles_dir: str | None,
               db_url: str | None) -> None:
    """Link ARTICLE_ID to a case, as related or (with --solved) as the article that solved it."""
    from kb.articles import did_you_mean, load_knowledge_base
    from kb.cases.store import get_case, link_article
    from kb.db import engine_for
    from kb.errors import NotFound

    kb = load_knowledge_base(_articles_root(articles_dir))
    if article_id not in kb.articles:
        hint = did_you_mean(article_id, kb.articles)
        suffix = f"; did you mean '{hint}'?" if hint else "."
        raise NotFound(f"No article '{article_id}' in {kb.root}{suffix}")
    engine = engine_for(db_url)
    link = link_article(engine, case_id, article_id, solved=solved, linked_by=linked_by)
    click.echo(f"Linked {link.article_id} to {get_case(engine, case_id).display_id} "
               f"({'solved it' if link.solved else 'related'}).")


@cases_group.command("close")
@click.argument("case_id")
@click.option("--code", required=True, help="Resolution code from resolution-codes.yaml.")
@click.option("--notes", default=None, help="How the problem was solved (the resolution notes).")
@click.option("--bug-ref", "bug_reference", default=None, help="Bug or defect reference (product-bug-filed).")
@articles_option
@db_option
@_rule_errors
def cases_close(case_id: str, code: str, notes: str | None, bug_reference: str | None,
                articles_dir: str | None, db_url: str | None) -> None:
    """Close a case with a resolution code; the code's rules (linked article, bug reference) apply."""
    from kb.cases.store import close_case
    from kb.db import engine_for

    case = close_case(engine_for(db_url), _taxonomy(articles_dir), case_id, code, notes, bug_reference)
    click.echo(f"Closed {case.display_id} as {case.resolution_code}.")


@cases_group.command("capture")
@click.argument("case_id")
@click.option("--type", "article_type", type=click.Choice(["known-issue", "tsg"]), default="known-issue",
              show_default=True, help="Kind of draft article to write.")
@click.option("--by", "captured_by", default=None, help="Who captured it (owner when the case has none).")
@articles_option
@db_option
@_rule_errors
def cases_capture(case_id: str, article_type: str, captured_by: str | None, articles_dir: str | None,
                  db_url: str | None) -> None:
    """Write a draft article from a resolved or closed case that has no article, and link it."""
    from kb.cases.capture import capture_from_case
    from kb.db import engine_for

    captured = capture_from_case(engine_for(db_url), case_id, _articles_root(articles_dir),
                                 article_type=article_type, captured_by=captured_by)
    click.echo(f"Wrote draft {captured.article_id} to {captured.path} and linked it to "
               f"{captured.case.display_id}. Fill in its Cause, then `kb lint`.")
