"""Live preview: notice edits under articles/ and reindex only what changed.

A polling watcher, stdlib only: every ``interval`` seconds it takes a snapshot of the
articles folder (:func:`kb.live.scan`: the (mtime, size) of each Markdown and YAML file)
and compares it with the previous one. After a change it waits until the tree has been
quiet for ``debounce`` seconds (editors save in bursts: temp file, rename, backup), then
calls ``build_index`` once. The indexer is incremental by content hash, so an unchanged
file costs a hash, and a file that stops parsing keeps its last good indexed version.

Polling rather than inotify/FSEvents: it works the same on every OS, on network shares
and in containers, and needs no dependency. On a large tree the interval stretches to
twice the scan time, so the watcher never uses more than about a third of a core.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from indexer.build import build_index, prepare_updates
from kb.live import Snapshot, changed_paths, scan

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 0.3
DEFAULT_DEBOUNCE = 0.1


@dataclass
class WatchState:
    """What the watcher has done so far (read by the web app and by tests)."""

    generation: int = 0  # bumped after every reindex, successful or not
    last_report: object | None = None  # the indexer's BuildReport
    last_error: str | None = None
    last_changed: set[str] = field(default_factory=set)
    last_seconds: float = 0.0  # from noticing the change to the end of the reindex


class Watcher:
    """Reindex ``articles_dir`` into ``index_dir`` whenever its files change.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. ``build`` defaults
    to ``indexer.build_index``; ``on_reindex(report)`` runs after each successful reindex
    (the web app refreshes its searcher there). :meth:`poll` does one scan synchronously,
    which is what tests use.
    """

    def __init__(self, articles_dir: Path | str, index_dir: Path | str, *,
                 interval: float = DEFAULT_INTERVAL, debounce: float = DEFAULT_DEBOUNCE,
                 build: Callable[..., object] | None = None,
                 on_reindex: Callable[[object], None] | None = None):
        self.articles_dir = Path(articles_dir)
        self.index_dir = Path(index_dir)
        self.interval = interval
        self.debounce = debounce
        self._build = build
        self.on_reindex = on_reindex
        self.state = WatchState()
        self._snapshot: Snapshot = scan(self.articles_dir)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._changed = threading.Condition()
        self.scan_seconds = 0.0  # how long the last scan took

    # -- one step -------------------------------------------------------------------------

    def poll(self) -> bool:
        """Scan once; when something changed, wait for quiet, reindex, and return True."""
        started = time.monotonic()
        current = scan(self.articles_dir)
        self.scan_seconds = time.monotonic() - started
        changed = changed_paths(self._snapshot, current)
        if not changed:
            return False
        # Settle: keep rescanning until nothing moved for `debounce` seconds.
        while not self._stop.is_set():
            time.sleep(self.debounce)
            again = scan(self.articles_dir)
            moved = changed_paths(current, again)
            if not moved:
                break
            changed |= moved
            current = again
        self._snapshot = current
        self._reindex(changed, started)
        return True

    def _reindex(self, changed: set[str], started: float) -> None:
        build = self._build
        report, error = None, None
        try:
            if build is None:
                # Only Markdown changed: name the files, so the indexer skips scanning the
                # whole folder (a one-file update stays fast at any size). A YAML change
                # (synonyms, taxonomy) touches everything, so it gets a full incremental pass.
                only_markdown = all(path.lower().endswith(".md") for path in changed)
                report = build_index(self.articles_dir, self.index_dir,
                                     paths=sorted(changed) if only_markdown else None)
            else:
                report = build(self.articles_dir, self.index_dir)
        except Exception as exc:  # noqa: BLE001  (the watcher must outlive any one bad reindex)
            error = f"{type(exc).__name__}: {exc}"
            log.warning("reindex after changes to %s failed: %s", ", ".join(sorted(changed)), error)
            # Forget what was seen, so the next poll tries again even if nothing else changes.
            for path in changed:
                self._snapshot.pop(path, None)
        if report is not None and self.on_reindex is not None:
            try:
                self.on_reindex(report)
            except Exception:  # noqa: BLE001
                log.exception("on_reindex callback failed")
        with self._changed:
            self.state.generation += 1
            self.state.last_report = report
            self.state.last_error = error
            self.state.last_changed = changed
            self.state.last_seconds = time.monotonic() - started
            self._changed.notify_all()
        if report is not None:
            log.info("reindexed after changes to %s in %.2f s", ", ".join(sorted(changed)),
                     self.state.last_seconds)

    # -- the thread -----------------------------------------------------------------------

    def start(self) -> Watcher:
        """Start polling in a daemon thread (idempotent)."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="kb-watch", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop polling and wait for a reindex in progress to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> Watcher:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the polling thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        prepare_updates()
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:  # noqa: BLE001
                log.exception("watching %s failed; still watching", self.articles_dir)
            # A scan of a huge tree takes a while: wait at least twice as long as it took.
            self._stop.wait(max(self.interval, 2 * self.scan_seconds))

    def wait_for(self, generation: int, timeout: float) -> bool:
        """Block until ``state.generation`` reaches ``generation``; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.state.generation < generation:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True
