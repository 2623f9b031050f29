"""``kb lint``: check articles and the resolution-code taxonomy."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.app import articles_option, main
from kb import settings


@main.command("lint", short_help="Check articles and the resolution-code taxonomy.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@articles_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format; json is a list of {path, line, field, message, severity, rule}.")
@click.option("--strict", is_flag=True,
              help="The strict kb format: unknown fields, unusable values, files without front matter "
                   "and unusable ids are errors, not warnings (kb.yaml can make this the default).")
@click.option("--rules", "list_rules", is_flag=True, help="List the lint rules and exit.")
def lint_command(paths: tuple[Path, ...], articles_dir: str | None, fmt: str, strict: bool,
                 list_rules: bool) -> None:
    """Check articles and report every problem as FILE:LINE: FIELD: MESSAGE.

    PATHS are article files or folders (default: the articles folder). The whole
    knowledge base is always loaded, so links and ids resolve; only problems in PATHS
    are reported. Exits 1 when there are errors, 0 when there are only warnings.

    Trees written for other tools (MkDocs, Docusaurus, Hugo, Microsoft Learn) are read as
    they are: keys kb doesn't know are warnings. articles/kb.yaml maps their keys and
    values onto kb's (see articles/README.md).
    """
    from kb.articles import load_knowledge_base
    from kb.lint import RULES, lint

    if list_rules:
        for rule, text in RULES.items():
            click.echo(f"{rule:26} {text}")
        return
    root = _root_for(paths, articles_dir)
    kb = load_knowledge_base(root, strict=True if strict else None)
    problems = lint(kb)
    if paths:
        wanted = [p.resolve() for p in paths]
        problems = [p for p in problems if _under(Path(p.path).resolve(), wanted)]
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if fmt == "json":
        click.echo(json.dumps([p.as_dict() for p in problems], indent=2))
    else:
        for p in problems:
            click.echo(str(p))
        checked = len(kb.results)
        click.echo(f"{checked} article files checked: {errors} error(s), {warnings} warning(s)", err=True)
        _needs_validation(kb, paths)
    raise SystemExit(1 if errors else 0)


def _needs_validation(kb, paths: tuple[Path, ...]) -> None:
    """Name the articles readers use that no approver validated (not problems: KCS work to do)."""
    from kb.kcs.confidence import needing_validation

    wanted = [p.resolve() for p in paths]
    waiting = [a for a in needing_validation(kb.articles.values())
               if not paths or _under((kb.root / a.path).resolve(), wanted)]
    if waiting:
        shown = ", ".join(a.id for a in waiting[:10]) + (f" and {len(waiting) - 10} more" if len(waiting) > 10 else "")
        click.echo(f"{len(waiting)} article(s) need validation (not validated, readers use them): {shown}. "
                   "Validate with `kb validate ID --by NAME` or from the review queue.", err=True)


def _root_for(paths: tuple[Path, ...], articles_dir: str | None) -> Path:
    """The knowledge base folder: --articles, else a single folder argument, else the default."""
    if articles_dir:
        return Path(articles_dir)
    if len(paths) == 1 and paths[0].is_dir():
        return paths[0]
    default = Path(settings.get("articles_dir"))
    if default.is_dir():
        return default
    if paths:
        return paths[0] if paths[0].is_dir() else paths[0].parent
    return default


def _under(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)
