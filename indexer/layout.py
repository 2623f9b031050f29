"""Where the indexes live on disk, which version is current, and who may write.

An index root holds::

    CURRENT            pointer to the live generation (JSON, replaced atomically)
    write.lock         held by the one `kb index` that may write (flock), with who holds it
    gen-000003/
        internal/      every article (Whoosh index)
        public/        published public articles only (Whoosh index)
        synonyms.json  the synonym groups searches of this generation expand with

A full rebuild writes ``gen-<n+1>`` beside the live one and then replaces ``CURRENT``
with ``os.replace``, which is atomic: readers see the old generation or the new one,
never half of either. Incremental builds commit into the live generation; Whoosh writes
new segment files first and switches its own table of contents by rename, so a reader
again sees either the old or the new state.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from kb.errors import IndexBusy

try:  # POSIX; the lock below degrades to "no lock" only where flock does not exist.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

POINTER_FILE = "CURRENT"
LOCK_FILE = "write.lock"
GENERATION_PREFIX = "gen-"
AUDIENCE_DIRS = ("internal", "public")
SYNONYMS_JSON = "synonyms.json"


@dataclass(frozen=True)
class Pointer:
    """The live generation and facts about how it was built."""

    generation: int
    dir: str
    schema_version: int
    built_at: str
    updated_at: str

    def path(self, root: Path) -> Path:
        return root / self.dir


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def generation_dir_name(generation: int) -> str:
    return f"{GENERATION_PREFIX}{generation:06d}"


def read_pointer(root: Path) -> Pointer | None:
    """The live generation, or None when there is no (readable) pointer."""
    try:
        data = json.loads((Path(root) / POINTER_FILE).read_text(encoding="utf-8"))
        return Pointer(int(data["generation"]), str(data["dir"]), int(data["schema_version"]),
                       str(data.get("built_at", "")), str(data.get("updated_at", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_pointer(root: Path, pointer: Pointer) -> None:
    """Replace the pointer atomically: write a temporary file, fsync it, rename it over."""
    root = Path(root)
    tmp = root / f".{POINTER_FILE}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(asdict(pointer), fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / POINTER_FILE)
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def index_dir(root: Path, pointer: Pointer, audience: str) -> Path:
    """The Whoosh index folder of one audience in a generation."""
    return pointer.path(Path(root)) / audience


def index_exists(index_root: str | os.PathLike) -> bool:
    """Whether a complete, searchable index (both audiences) exists under ``index_root``."""
    root = Path(index_root)
    pointer = read_pointer(root)
    if pointer is None:
        return False
    return all(any((index_dir(root, pointer, a)).glob("_MAIN_*.toc")) for a in AUDIENCE_DIRS)


def existing_generations(root: Path) -> list[int]:
    """Numbers of every generation folder under ``root``, ascending."""
    out = []
    for path in Path(root).glob(f"{GENERATION_PREFIX}*"):
        suffix = path.name[len(GENERATION_PREFIX):]
        if path.is_dir() and suffix.isdigit():
            out.append(int(suffix))
    return sorted(out)


def remove_old_generations(root: Path, keep: set[int]) -> list[int]:
    """Delete generation folders not in ``keep``; returns the numbers removed.

    Called under the write lock. Readers that still have files of a removed generation
    open keep working (POSIX keeps unlinked open files alive); new readers follow the pointer.
    """
    removed = []
    for number in existing_generations(root):
        if number not in keep:
            shutil.rmtree(Path(root) / generation_dir_name(number), ignore_errors=True)
            removed.append(number)
    return removed


class WriteLock:
    """The one-writer lock of an index root, with a clear story when it is taken or stale.

    The lock is an ``flock`` on ``write.lock``: the kernel releases it when its holder
    exits, however it exits, so a crash never leaves the index locked. The file also
    records who holds it and whether that build finished; a record that says "running"
    while nobody holds the lock is what a crashed build leaves behind, and the next
    holder reports it (``recovered``) and repairs the index.
    """

    def __init__(self, root: Path, timeout: float = 10.0, poll: float = 0.05):
        self.root = Path(root)
        self.path = self.root / LOCK_FILE
        self.timeout = timeout
        self.poll = poll
        self.recovered: dict | None = None
        self._fd: int | None = None

    def acquire(self) -> WriteLock:
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + max(self.timeout, 0.0)
        while True:
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = self._read(fd)
                    os.close(fd)
                    raise IndexBusy(self._busy_message(holder)) from None
                time.sleep(self.poll)
        self._fd = fd
        previous = self._read(fd)
        if previous.get("state") == "running":
            self.recovered = previous
        self._write({"pid": os.getpid(), "host": socket.gethostname(), "started": now_iso(),
                     "state": "running"})
        return self

    def release(self, finished: bool = True) -> None:
        if self._fd is None:
            return
        try:
            if finished:
                record = self._read(self._fd)
                record["state"] = "finished"
                record["finished"] = now_iso()
                self._write(record)
        finally:
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriteLock:
        return self.acquire()

    def __exit__(self, exc_type, exc, tb) -> None:
        # A failed build still releases the lock; it says "finished" because the index
        # was left consistent (failures happen before the switch or are cancelled).
        self.release()

    def recovery_message(self) -> str | None:
        """What to tell the user when the previous build was interrupted."""
        if not self.recovered:
            return None
        who = _describe(self.recovered)
        return (f"The previous `kb index` ({who}) did not finish (crashed or was killed); its stale lock "
                f"{self.path} was recovered and the index is being brought up to date.")

    def _busy_message(self, holder: dict) -> str:
        who = _describe(holder) if holder else "another process"
        return (f"The index at {self.root} is being updated by another `kb index` ({who}); "
                f"waited {self.timeout:g} s for its lock {self.path}. Try again when that build has "
                f"finished. The lock is released automatically when the process holding it exits, "
                f"so if that process is stuck, stop it and run `kb index` again.")

    @staticmethod
    def _read(fd: int) -> dict:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            data = os.read(fd, 65536)
            record = json.loads(data.decode("utf-8")) if data.strip() else {}
            return record if isinstance(record, dict) else {}
        except (OSError, ValueError):
            return {}

    def _write(self, record: dict) -> None:
        assert self._fd is not None
        data = json.dumps(record).encode("utf-8")
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.ftruncate(self._fd, 0)
        os.write(self._fd, data)
        os.fsync(self._fd)


def _describe(record: dict) -> str:
    parts = []
    if record.get("pid"):
        parts.append(f"pid {record['pid']}")
    if record.get("host"):
        parts.append(f"on {record['host']}")
    if record.get("started"):
        parts.append(f"started {record['started']}")
    return " ".join(parts) or "unknown process"
