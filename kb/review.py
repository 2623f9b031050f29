"""A reviewer's decision on an article in review: approve it or send it back for changes.

The decision is recorded where articles live: the file's front matter changes (``status:
published``, or ``status: draft`` with changes requested; ``updated:`` becomes today on
approval), and when the articles folder is in a Git work tree the change is committed on
its own with the reviewer as author and their note in the message, so the article's
history says who approved what and why. Only the ``status`` and ``updated`` lines change:
the rest of the file stays byte for byte as its author wrote it.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kb.errors import KBError
from kb.history import GIT_TIMEOUT_SECONDS, run_git

APPROVE, REQUEST_CHANGES = "approve", "request-changes"
DECISIONS = {APPROVE: "published", REQUEST_CHANGES: "draft"}
MAX_NOTE_CHARS = 2000
_FRONT = re.compile(r"\A(\ufeff?---[ \t]*\r?\n)(.*?)(\r?\n---[ \t]*(?:\r?\n|\Z))", re.S)


class ReviewError(KBError):
    """A decision that can't be recorded: the article isn't in review, or the file can't be changed."""


@dataclass(frozen=True)
class Decision:
    """What was recorded: the new status, and the commit when Git recorded it."""

    article_id: str
    status: str
    path: str
    commit: str | None  # abbreviated hash; None when the folder isn't in a Git work tree
    note: str = ""


def _set_field(front: str, name: str, value: str) -> str:
    line = re.compile(rf"^{name}[ \t]*:.*$", re.M)
    if line.search(front):
        return line.sub(f"{name}: {value}", front, count=1)
    return front.rstrip("\n") + f"\n{name}: {value}"


def _status_of(front: str) -> str | None:
    match = re.search(r"^status[ \t]*:[ \t]*['\"]?([A-Za-z-]+)", front, re.M)
    return match.group(1).lower() if match else None


def _in_git(folder: Path) -> bool:
    try:
        done = run_git(folder, "rev-parse", "--is-inside-work-tree", timeout=GIT_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == "true"


def _commit(folder: Path, path: Path, message: str, reviewer: str) -> str:
    author = f"{reviewer} <{re.sub(r'[^A-Za-z0-9._-]', '-', reviewer) or 'reviewer'}@kb.invalid>"
    rel = str(path.relative_to(folder))
    steps = (("add", "--", rel),
             ("-c", f"user.name={reviewer}", "-c", f"user.email={author.split('<')[1][:-1]}",
              "commit", "--quiet", "--no-verify", f"--author={author}", "-m", message, "--", rel),
             ("rev-parse", "--short", "HEAD"))
    out = ""
    for args in steps:
        try:
            done = run_git(folder, *args, timeout=GIT_TIMEOUT_SECONDS * 3)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReviewError(f"The file was changed but Git did not answer: {exc}") from None
        if done.returncode != 0:
            raise ReviewError("The file was changed but Git could not commit it: "
                              f"{done.stderr.strip()[:300]}")
        out = done.stdout.strip()
    return out


def decide(articles_dir: Path | str, relpath: str, article_id: str, decision: str, *, reviewer: str,
           note: str = "", today: date | None = None) -> Decision:
    """Record ``decision`` (approve or request-changes) on the article in review at ``relpath``.

    :raises ReviewError: unknown decision, a note that is too long, a file that isn't in
        review, or a file that can't be read, written or committed.
    """
    if decision not in DECISIONS:
        raise ReviewError(f"Unknown decision '{decision}'; use {APPROVE} or {REQUEST_CHANGES}.")
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise ReviewError(f"The note is {len(note):,} characters; keep it under {MAX_NOTE_CHARS:,}.")
    if decision == REQUEST_CHANGES and not note:
        raise ReviewError("Say what should change, so the author knows what to do.")
    root = Path(articles_dir).resolve()
    path = (root / relpath).resolve()
    if root not in path.parents:
        raise ReviewError(f"{relpath} is not inside the articles folder.")
    try:
        raw = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewError(f"Can't read {relpath}: {exc}.") from None
    match = _FRONT.match(raw)
    if not match:
        raise ReviewError(f"{relpath} has no front matter to record the decision in.")
    if _status_of(match.group(2)) != "review":
        raise ReviewError(f"{article_id} is not in review any more (its file says status: "
                          f"{_status_of(match.group(2)) or 'nothing'}); reload the queue.")
    status = DECISIONS[decision]
    front = _set_field(match.group(2), "status", status)
    if decision == APPROVE:
        front = _set_field(front, "updated", (today or date.today()).isoformat())
    text = match.group(1) + front + match.group(3) + raw[match.end():]
    try:
        path.write_bytes(text.encode("utf-8"))
    except OSError as exc:
        raise ReviewError(f"Can't write {relpath}: {exc}.") from None
    commit = None
    if _in_git(root):
        title = "Approve" if decision == APPROVE else "Request changes to"
        message = f"{title} {article_id}" + (f"\n\n{note}" if note else "") + f"\n\nReviewed-by: {reviewer}"
        commit = _commit(root, path, message, reviewer)
    return Decision(article_id, status, path.relative_to(root).as_posix(), commit, note)
