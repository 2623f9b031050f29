"""The articles folder as it is on disk now: file snapshots, what changed, the live knowledge base.

A snapshot is the (mtime, size) of every Markdown and YAML file under the folder, hidden
folders such as ``.git`` skipped; comparing two tells which files were added, deleted or
modified without reading any of them. The watcher (``indexer/watch.py``) reindexes from
that, and :class:`LiveKnowledgeBase` re-parses only those files for the authoring pages.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

WATCHED_SUFFIXES = (".md", ".yaml", ".yml")

Snapshot = dict[str, tuple[int, int]]  # relative path -> (mtime_ns, size)


def scan(root: Path) -> Snapshot:
    """(mtime, size) of every watched file under ``root``; hidden folders are skipped."""
    found: Snapshot = {}
    stack = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = os.scandir(folder)
        except OSError:
            continue
        with entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((entry.path, f"{prefix}{entry.name}/"))
                    elif entry.name.lower().endswith(WATCHED_SUFFIXES):
                        st = entry.stat()
                        found[prefix + entry.name] = (st.st_mtime_ns, st.st_size)
                except OSError:
                    continue  # deleted between listing and stat: the next scan sees it gone
    return found


def changed_paths(before: Snapshot, after: Snapshot) -> set[str]:
    """Relative paths added, deleted or modified between two snapshots."""
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


class LiveKnowledgeBase:
    """The knowledge base as it is on disk now, re-reading only the files that changed.

    Authoring pages (queue, report, preview) need every article, links included, which the
    search index doesn't keep. Loading 100,000 files per request is out of the question;
    this keeps each file's parse result and re-parses a file only when its (mtime, size)
    changed. ``get()`` rescans at most every ``min_interval`` seconds.
    """

    def __init__(self, root: Path | str, *, min_interval: float = 1.0):
        self.root = Path(root)
        self.min_interval = min_interval
        self._stamps: Snapshot = {}
        self._results: dict[str, object] = {}  # rel -> ParseResult
        self._last_good: dict[str, str] = {}  # rel -> id of its last version that parsed
        self._taxonomy = None
        self._kb = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def get(self):
        """The current :class:`~kb.articles.KnowledgeBase` (rescanned if older than ``min_interval``)."""
        with self._lock:
            if self._kb is None or time.monotonic() - self._checked >= self.min_interval:
                self._refresh()
            return self._kb

    def expire(self) -> None:
        """Rescan at the next ``get()`` (a file was just written by this process)."""
        with self._lock:
            self._checked = float("-inf")

    def last_good_id(self, relpath: str) -> str | None:
        """The id a file had the last time it parsed (for a file that is broken now)."""
        with self._lock:
            return self._last_good.get(relpath)

    def _refresh(self) -> None:
        from kb.articles import KnowledgeBase, parse_article
        from kb.mapping import MAPPING_FILE, mapping_for
        from kb.model import Problem
        from kb.resolution_codes import TAXONOMY_FILE, load_taxonomy

        self._checked = time.monotonic()
        current = scan(self.root)
        changed = changed_paths(self._stamps, current)
        if self._kb is not None and not changed:
            return
        if self._taxonomy is None or TAXONOMY_FILE in changed:
            self._taxonomy = load_taxonomy(self.root / TAXONOMY_FILE)
        mapping = mapping_for(self.root)
        if MAPPING_FILE in changed:  # a new mapping reads every file differently
            changed |= set(current) | set(self._results)
        for rel in changed:
            if rel not in current or not mapping.is_article_file(rel):
                self._results.pop(rel, None)
                continue
            result = parse_article(self.root / rel, self.root, mapping=mapping)
            self._results[rel] = result
            if result.ok:
                self._last_good[rel] = result.article.id
        self._stamps = current
        taxonomy, problems = self._taxonomy
        problems = [*problems, *mapping.problems]
        articles: dict = {}
        results: dict = {}
        if not self.root.is_dir():
            problems.append(Problem(self.root.as_posix(), 1, "folder", "does not exist or is not a folder",
                                    rule="missing"))
        # The order load_knowledge_base uses (by path parts), so the same duplicate id wins.
        for rel in sorted(self._results, key=lambda r: r.split("/")):
            result = self._results[rel]
            results[rel] = result
            problems.extend(result.problems)
            if not result.ok:
                continue
            article = result.article
            if article.id in articles:
                first = articles[article.id]
                where = (self.root / first.path).as_posix()
                problems.append(Problem(result.path, article.line_of("id"), "id",
                                        f"'{article.id}' is already used by {where}", rule="duplicate-id"))
                continue
            articles[article.id] = article
        self._kb = KnowledgeBase(self.root, articles, problems, taxonomy, results, mapping)
