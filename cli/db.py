"""``kb db``: bring the database's schema up to date, or check that it is.

``kb serve`` and every command migrate on first use, so these are for operators: run
``kb db upgrade`` once before starting new servers against a shared PostgreSQL, and
``kb db check`` in deployment scripts and health checks (it changes nothing).
"""

from __future__ import annotations

import json

import click

from cli.app import db_option, json_output, main


@main.group("db")
def db_group() -> None:
    """Upgrade or check the database's schema (SQLite file or PostgreSQL server).

    The database is --db URL, else KB_DB, else INSTANCE/kb.sqlite3. PostgreSQL URLs look
    like postgresql://USER:PASSWORD@HOST:5432/DATABASE (or ?host=/run/postgresql for a
    Unix socket).
    """


@db_group.command("upgrade")
@db_option
def db_upgrade(db_url: str | None) -> None:
    """Apply every pending migration, in order; safe to run again (and from several hosts at once)."""
    from kb.db import current_version, display_url, engine_for, resolve_url, upgrade

    url = resolve_url(db_url)
    engine = engine_for(url, migrate=False)
    before = current_version(engine)
    applied = upgrade(engine)
    if applied:
        click.echo(f"Upgraded {display_url(url)} from version {before} to {current_version(engine)}: applied "
                   f"{len(applied)} migration(s) ({', '.join(map(str, applied))}).")
    else:
        click.echo(f"{display_url(url)} is up to date (version {current_version(engine)}).")


@db_group.command("check")
@db_option
@json_output
@click.pass_context
def db_check(ctx: click.Context, db_url: str | None, as_json: bool) -> None:
    """Report the schema's version and any pending migration; exits 1 unless up to date.

    Changes nothing. Exit status: 0 up to date, 1 migrations pending (run `kb db upgrade`),
    and 1 with a message when the database can't be reached.
    """
    from kb.db import (
        current_version,
        display_url,
        engine_for,
        latest_version,
        pending_migrations,
        resolve_url,
    )

    url = resolve_url(db_url)
    engine = engine_for(url, migrate=False)
    pending = pending_migrations(engine)
    version = current_version(engine)
    if as_json:
        report = {"database": display_url(url), "backend": engine.dialect.name, "version": version,
                  "latest": latest_version(),
                  "pending": [{"version": v, "description": d} for v, d in pending]}
        click.echo(json.dumps(report, indent=2))
    elif pending:
        click.echo(f"{display_url(url)} ({engine.dialect.name}) is at version {version}; "
                   f"{len(pending)} migration(s) pending:")
        for number, description in pending:
            click.echo(f"  {number:>4}  {description}")
        click.echo("Run `kb db upgrade` to apply them.")
    else:
        click.echo(f"{display_url(url)} ({engine.dialect.name}) is up to date (version {version}).")
    if pending:
        ctx.exit(1)
