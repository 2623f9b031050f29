"""The ``kb`` command group and the options several subcommands share."""

from __future__ import annotations

import functools

import click

from kb import __version__, settings
from kb.errors import KBError


class KBGroup(click.Group):
    """Turns kb's typed errors into clean command-line errors, once, for every command."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KBError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=KBGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="kb")
def main() -> None:
    """kb: search, write and check a support knowledge base.

    Articles are Markdown files with YAML front matter under articles/. Check them with
    `kb lint`, index them with `kb index`, search with `kb search` and serve the web app
    with `kb serve`.
    """


def articles_option(func):
    """``--articles DIR``: the knowledge base folder."""
    return click.option("--articles", "articles_dir", type=click.Path(file_okay=False, path_type=str),
                        default=None, help=settings.help_for("articles_dir"))(func)


def index_option(func):
    """``--index DIR``: the root holding the public and internal indexes."""
    return click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=str),
                        default=None, help=settings.help_for("index_dir"))(func)


def db_option(func):
    """``--db URL``: the database for users, cases and events."""
    return click.option("--db", "db_url", default=None, metavar="URL", help=settings.help_for("db_url"))(func)


def json_output(func):
    """``--json``: machine-readable output."""
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper
