"""``kb index``: build or update the search indexes from the articles folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cli.app import articles_option, index_option, json_output, main
from kb import settings
from kb.errors import KBError

PROGRESS_MIN_FILES = 200  # smaller builds finish before a bar would be worth drawing
SAME_WARNING_SHOWN = 3  # a warning repeated in more files than this is printed once, with a count


def summarized(problems) -> list[str]:
    """Every error, and each kind of warning (rule and field) once it repeats across files.

    A tree written for another tool has the same unknown keys in every file: a thousand
    identical lines would hide the errors. ``kb lint`` lists every one.
    """
    groups: dict[tuple[str, str], list] = {}
    for problem in problems:
        if not problem.is_error:
            groups.setdefault((problem.rule, problem.field), []).append(problem)
    lines = []
    for problem in problems:
        group = groups.get((problem.rule, problem.field))
        if problem.is_error or len(group) <= SAME_WARNING_SHOWN:
            lines.append(str(problem))
        elif group[0] is problem:
            lines.append(f"{problem} (and {len(group) - 1} more file(s) with this warning; "
                         "`kb lint` lists them all)")
    return lines


class _Progress:
    """Click progress bars that appear only once a build turns out to be long: one for
    parsing and indexing the files, one for the meaning vectors computed after them."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._bar = None
        self._phase = ""
        self._done = 0

    def __call__(self, done: int, total: int, label: str) -> None:
        if not self.enabled or total < PROGRESS_MIN_FILES:
            return
        phase = "Meaning vectors" if label.startswith("meaning vectors") else "Indexing"
        if self._bar is not None and phase != self._phase:
            self.close()
        if self._bar is None:
            self._bar = click.progressbar(length=total, label=phase, file=sys.stderr,
                                          show_pos=True, item_show_func=lambda item: item)
            self._bar.__enter__()
            self._phase, self._done = phase, 0
        self._bar.update(max(done - self._done, 0), label if phase == "Indexing" else None)
        self._done = max(done, self._done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@main.command("index")
@articles_option
@index_option
@click.option("--rebuild", is_flag=True,
              help="Write a complete new index beside the old one and switch to it atomically.")
@click.option("--strict", is_flag=True,
              help="Refuse to write anything while `kb lint` reports an error (for CI).")
@click.option("--lock-timeout", type=float, default=10.0, show_default=True, metavar="SECONDS",
              help="How long to wait for another `kb index` to finish.")
@json_output
def index_command(articles_dir: str | None, index_dir: str | None, rebuild: bool, strict: bool,
                  lock_timeout: float, as_json: bool) -> None:
    """Index the articles for search (only added, changed and deleted files are touched).

    Builds a public index (published public articles only) and an internal one under
    --index. Broken files are reported and keep their last good version in the index;
    the command then exits 1. Searches keep working while it runs.
    """
    from indexer import build_index

    articles = Path(settings.get("articles_dir", articles_dir))
    root = Path(settings.get("index_dir", index_dir))
    progress = _Progress(enabled=not as_json)
    try:
        report = build_index(articles, root, rebuild=rebuild, strict=strict, progress=progress,
                             lock_timeout=lock_timeout)
    except KBError:
        raise
    except Exception as exc:  # noqa: BLE001 - one clear message, never a traceback
        raise click.ClickException(unexpected_failure(exc, root)) from None
    finally:
        progress.close()
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for line in summarized(report.problems):
            click.echo(line, err=True)
        for path in report.kept:
            click.echo(f"{(articles / path).as_posix()}: kept its last good version in the index", err=True)
        for notice in report.notices:
            click.echo(notice, err=True)
        click.echo(report.summary())
    if report.refused or report.errors:
        raise SystemExit(1)


def unexpected_failure(exc: BaseException, root: Path) -> str:
    """The message for a build that stopped on something kb did not expect; the traceback
    goes to a log file beside the index, for a bug report, instead of the terminal."""
    import traceback

    log = root / "kb-index-error.log"
    where = ""
    try:
        root.mkdir(parents=True, exist_ok=True)
        log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        where = f" Details for a bug report are in {log}."
    except OSError:
        pass
    return (f"kb index stopped: {type(exc).__name__}: {exc}. Nothing was switched: the last good index "
            f"keeps serving.{where}")
