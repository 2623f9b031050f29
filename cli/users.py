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

    user = add_user(engine_for(db_url), name, role, _read_password(password_stdin))
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
        click.echo(f"{user.name:30} {user.role:10} {'disabled' if user.disabled else ''}".rstrip())


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_group.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (for scripts).")
@db_option
def users_set_password(name: str, password_stdin: bool, db_url: str | None) -> None:
    """Change the password of user NAME; signs them out on every server."""
    from kb.db import engine_for
    from kb.users import set_password

    user = set_password(engine_for(db_url), name, _read_password(password_stdin))
    click.echo(f"Changed the password of '{user.name}'; their sessions have ended.")


@users_group.command("disable")
@click.argument("name")
@db_option
def users_disable(name: str, db_url: str | None) -> None:
    """Disable user NAME: ends their sessions everywhere and refuses their sign-ins and tokens."""
    _set_disabled(name, db_url, True)


@users_group.command("enable")
@click.argument("name")
@db_option
def users_enable(name: str, db_url: str | None) -> None:
    """Enable user NAME again (they sign in anew; old sessions stay ended)."""
    _set_disabled(name, db_url, False)


def _set_disabled(name: str, db_url: str | None, disabled: bool) -> None:
    from kb.db import engine_for
    from kb.users import set_disabled

    user, ended = set_disabled(engine_for(db_url), name, disabled)
    click.echo(f"Disabled '{user.name}' and ended {ended} session(s)." if disabled
               else f"Enabled '{user.name}'.")


@users_group.command("sign-out")
@click.argument("name")
@db_option
def users_sign_out(name: str, db_url: str | None) -> None:
    """End every session of user NAME on every server (a lost laptop, a shared computer)."""
    from kb.db import engine_for
    from kb.users import end_sessions

    ended = end_sessions(engine_for(db_url), name)
    click.echo(f"Ended {ended} session(s) of '{name}'.")


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
