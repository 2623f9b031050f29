"""An article's change history, read from Git when the articles folder is in a repository.

History is a courtesy, never a requirement: when the folder is not in a Git work tree,
Git is not installed, the repository has no commits yet, or Git is slow or fails,
:func:`file_history` returns a history with ``available`` False and nothing breaks.

Git runs as a subprocess with a timeout, no terminal prompts and no pager. Results are
cached per file and invalidated when the file or the repository's HEAD changes, so an
article page doesn't start a process on every view.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

GIT_TIMEOUT_SECONDS = 3.0
DEFAULT_LIMIT = 10
CACHE_SECONDS = 60.0
_CACHE_SIZE = 512
# Unit and record separators: they can't appear in names or subjects git prints.
_FIELDS = "%h%x1f%an%x1f%aI%x1f%s%x1e"


@dataclass(frozen=True)
class Change:
    """One commit that touched the file."""

    commit: str  # abbreviated hash
    author: str
    when: datetime
    subject: str


@dataclass(frozen=True)
class History:
    """Recent changes to one article file, newest first."""

    available: bool
    changes: tuple[Change, ...] = ()
    reason: str = ""  # why there is no history, for logs and tooltips
    uncommitted: bool = False  # the file differs from the last commit (or is new)

    @property
    def last(self) -> Change | None:
        """The most recent change, if any."""
        return self.changes[0] if self.changes else None


@dataclass
class _Entry:
    key: tuple
    history: History
    at: float = field(default_factory=time.monotonic)


_cache: dict[tuple[str, str], _Entry] = {}
_cache_lock = threading.Lock()


def run_git(cwd: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Git in ``cwd`` without prompts, pager or locks; raises subprocess.TimeoutExpired after ``timeout``."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    return subprocess.run(
        ["git", "-c", "core.quotepath=off", "--no-pager", *args],
        cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", errors="replace",
        timeout=timeout, check=False, stdin=subprocess.DEVNULL,
    )


def _stamp(path: Path, root: Path) -> tuple:
    """What must stay the same for a cached history to still be right."""
    stamp = []
    for candidate in (path, *_git_markers(root)):
        try:
            st = candidate.stat()
            stamp.append((st.st_mtime_ns, st.st_size))
        except OSError:
            stamp.append(None)
    return tuple(stamp)


_markers: dict[str, tuple[Path, ...]] = {}


def _git_markers(root: Path) -> tuple[Path, ...]:
    """Files that change on every commit, checkout or staging in the repository holding ``root``."""
    key = str(root)
    if key not in _markers:
        found: tuple[Path, ...] = ()
        for folder in (root, *root.parents):
            dot_git = folder / ".git"
            if dot_git.is_dir():
                found = (dot_git / "HEAD", dot_git / "logs" / "HEAD", dot_git / "index")
                break
            if dot_git.is_file():  # a worktree or submodule: HEAD lives elsewhere, rely on the TTL
                break
        _markers[key] = found
    return _markers[key]


def file_history(articles_dir: Path | str, relpath: str, *, limit: int = DEFAULT_LIMIT,
                 timeout: float = GIT_TIMEOUT_SECONDS) -> History:
    """The last ``limit`` commits that changed ``relpath`` (following renames), newest first.

    :param articles_dir: the articles folder; it may be anywhere inside a Git work tree.
    :param relpath: the article's path relative to ``articles_dir`` (forward slashes).
    :param timeout: seconds before Git is given up on (the history is then unavailable).
    """
    root = Path(articles_dir).resolve()
    path = root / relpath
    key = (str(root), relpath)
    stamp = (limit, _stamp(path, root))
    with _cache_lock:
        entry = _cache.get(key)
        if entry and entry.key == stamp and time.monotonic() - entry.at < CACHE_SECONDS:
            return entry.history
    history = _read_history(root, relpath, limit, timeout)
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[key] = _Entry(stamp, history)
    return history


def clear_cache() -> None:
    """Forget cached histories (tests, or after rewriting a repository)."""
    with _cache_lock:
        _cache.clear()
        _markers.clear()


def _read_history(root: Path, relpath: str, limit: int, timeout: float) -> History:
    if not root.is_dir():
        return History(False, reason=f"{root.as_posix()} is not a folder")
    try:
        result = run_git(root, "log", "--follow", f"--max-count={max(1, limit)}", f"--format={_FIELDS}",
                          "--", relpath, timeout=timeout)
    except FileNotFoundError:
        return History(False, reason="git is not installed")
    except subprocess.TimeoutExpired:
        return History(False, reason=f"git log took longer than {timeout:g} s")
    except OSError as exc:
        return History(False, reason=f"git could not run: {exc}")
    if result.returncode != 0:
        message = (result.stderr.strip().splitlines() or ["git log failed"])[0]
        if "does not have any commits" in message:
            return History(True, (), "", uncommitted=True)
        return History(False, reason=message)
    changes = []
    for record in result.stdout.split("\x1e"):
        parts = record.strip("\n").split("\x1f")
        if len(parts) != 4:
            continue
        commit, author, when, subject = parts
        try:
            moment = datetime.fromisoformat(when)
        except ValueError:
            continue
        changes.append(Change(commit, author, moment, subject))
    return History(True, tuple(changes), uncommitted=_is_uncommitted(root, relpath, timeout))


def _is_uncommitted(root: Path, relpath: str, timeout: float) -> bool:
    try:
        result = run_git(root, "status", "--porcelain", "--", relpath, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and bool(result.stdout.strip())
