"""``kb import``: bring articles over from a hosted help desk."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.app import articles_option, json_output, main
from kb import settings


@main.group("import", short_help="Import articles from another help desk (Zendesk Guide).")
def import_group() -> None:
    """Import articles from another help desk into the articles folder, as Markdown files
    with kb front matter. Running an import again updates the files it wrote."""


@import_group.command("zendesk")
@click.argument("export", type=click.Path(exists=True, path_type=Path))
@articles_option
@click.option("--into", default="zendesk", show_default=True, metavar="FOLDER",
              help="Folder inside the articles folder that receives the articles "
                   "(then LOCALE/CATEGORY/SECTION/ID-TITLE.md).")
@click.option("--dry-run", is_flag=True, help="Report what would be written; write nothing.")
@json_output
def zendesk_command(export: Path, articles_dir: str | None, into: str, dry_run: bool, as_json: bool) -> None:
    """Import Zendesk Guide articles from EXPORT, a folder of JSON files (or one file) as the
    Help Center API returns them: article listings per locale
    (/api/v2/help_center/LOCALE/articles.json), translations, sections and categories.

    Each article in each locale becomes one file: drafts stay drafts, articles restricted
    to a user segment become internal, categories and sections become product and
    component, labels become tags, and the rest is kept under a `zendesk:` field. Images
    stay links to where Zendesk hosts them. What could not be mapped is listed. Then run
    `kb lint` and `kb index`.
    """
    from kb.importers.zendesk import EXTRA_FIELD, import_zendesk
    from kb.mapping import load_mapping

    root = Path(settings.get("articles_dir", articles_dir))
    report = import_zendesk(export, root, into=into, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    verb = "Would write" if dry_run else "Wrote"
    for rel in report.created + report.updated:
        click.echo(f"{verb} {(root / rel).as_posix()}")
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if report.unmapped:
        click.echo(f"Could not be mapped ({len(report.unmapped)}):", err=True)
        for item in report.unmapped:
            click.echo(f"  {item}", err=True)
    if not load_mapping(root).is_expected(EXTRA_FIELD):
        click.echo(f"hint: add `extra_fields: [{EXTRA_FIELD}]` to {(root / 'kb.yaml').as_posix()} so kb lint "
                   f"knows the `{EXTRA_FIELD}:` field each imported article keeps.", err=True)
    click.echo(("Dry run: " if dry_run else "Imported ") + report.summary())
