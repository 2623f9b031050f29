"""``kb users`` and ``kb tokens``: accounts and API tokens, scriptable without a terminal."""

from __future__ import annotations

import sys

import click

from cli.app import db_option, main


@main.group("users")
def users_group() -> None:
    """Manage sign-in accounts (roles: customer, engineer, author, admin)."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["customer", "engineer", "author", "admin"]), default="engineer",
              show_default=True, help="What the user may see and do.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (for scripts).")
@db_option
def users_add(name: str, role: str, password_stdin: bool, db_url: str | None) -> None:
    """Create user NAME; prompts for the password unless --password-stdin is given."""
    from kb.db import engine_for
    from kb.users import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = add_user(engine_for(db_url), name, role, password)
    click.echo(f"Created user '{user.name}' with role {user.role}.")


@users_group.command("list")
@db_option
def users_list(db_url: str | None) -> None:
    """List users and their roles."""
    from kb.db import engine_for
    from kb.users import list_users

    found = list_users(engine_for(db_url))
    if not found:
        click.echo("No users yet. Create one with `kb users add NAME --role engineer`.")
    for user in found:
        click.echo(f"{user.name:30} {user.role}")


@users_group.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(["customer", "engineer", "author", "admin"]))
@db_option
def users_set_role(name: str, role: str, db_url: str | None) -> None:
    """Change the role of user NAME."""
    from kb.db import engine_for
    from kb.users import set_role

    user = set_role(engine_for(db_url), name, role)
    click.echo(f"User '{user.name}' now has role {user.role}.")


@main.group("tokens")
def tokens_group() -> None:
    """Manage API tokens (sent as `Authorization: Bearer TOKEN`)."""


@tokens_group.command("create")
@click.argument("name")
@click.option("--label", default="", help="What the token is for, to recognise it later.")
@db_option
def tokens_create(name: str, label: str, db_url: str | None) -> None:
    """Create an API token for user NAME and print it (it is shown only once)."""
    from kb.db import engine_for
    from kb.users import create_token

    token = create_token(engine_for(db_url), name, label)
    click.echo(f"API token for '{name}' (store it now; it can't be shown again):", err=True)
    click.echo(token)


@tokens_group.command("revoke")
@click.argument("name")
@db_option
def tokens_revoke(name: str, db_url: str | None) -> None:
    """Revoke every API token of user NAME."""
    from kb.db import engine_for
    from kb.users import revoke_tokens

    count = revoke_tokens(engine_for(db_url), name)
    click.echo(f"Revoked {count} token(s) of '{name}'.")
