"""What every build does, whole or incremental: scanning, parsing, writers, sidecars, counts."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from whoosh.index import LockError

from indexer.article_files import ArticleFile, walk_articles
from indexer.engine import missing_sidecars, write_sidecars
from indexer.engine.whoosh_adapter import writer_codec
from indexer.layout import SYNONYMS_JSON
from indexer.manifest import reuse_of
from indexer.synonyms import Synonyms
from kb.articles import ParseResult, is_article_file, parse_article
from kb.errors import IndexBusy
from kb.kcs.policy import HELP_CENTER_PUBLISHED, HELP_CENTER_VALIDATED
from kb.mapping import Mapping as ReadingRules
from kb.mapping import mapping_for
from kb.model import Problem
from kb.visibility import in_public_index

Progress = Callable[[int, int, str], None]

# Above this many articles a full rebuild parses and indexes in worker processes, and
# sidecars are written by two; below it, starting processes costs more than it saves.
PARALLEL_THRESHOLD = 5000
WRITER_MEMORY_MB = 512


class Unusable(Exception):
    """The live generation can't be opened or read; a full rebuild replaces it."""


class BuildSteps:
    """One build's state: where things are, what was found, and the report being filled."""

    def __init__(self, articles: Path, root: Path, report, progress: Progress | None,
                 signals: Mapping[str, object] | None, lock_timeout: float, procs: int | None,
                 mapping: ReadingRules | None = None, *, strict: bool | None = None):
        self.articles = articles
        self.mapping = mapping or mapping_for(articles)
        self.strict = strict
        # The help center's rule from the mapping file: validated public articles only, or all.
        self.validated_only = self.mapping.policy.validated_only
        self.root = root
        self.report = report
        self.progress = progress
        self.signals = signals
        self.lock_timeout = lock_timeout
        self.procs = procs
        # (versions written: content hash -> (title, text), hashes replaced) of an
        # incremental update; None after a full build (every vector is then checked).
        self.vector_changes: tuple[dict[str, tuple[str, str]], set[str]] | None = None

    # -- shared steps ---------------------------------------------------------------------

    def stat_paths(self, paths: list[str]) -> dict[str, ArticleFile]:
        """The given article files that exist now, by relative path."""
        out = {}
        for rel in paths:
            path = self.articles / rel
            if not is_article_file(Path(rel), self.mapping):
                continue
            try:
                st = path.stat()
            except OSError:
                continue  # gone: deleted from the index
            out[rel] = ArticleFile(path, f"{st.st_size}:{st.st_mtime_ns}".encode())
        return out

    def scan(self) -> dict[str, ArticleFile]:
        """Every article file by relative path, with its size and modification time (no reading)."""
        return {rel: ArticleFile(path, stamp) for rel, path, stamp in walk_articles(self.articles, self.mapping)}

    def parse(self, file: ArticleFile) -> ParseResult:
        """Parse one file, recording its problems (``ok`` says whether it may be indexed)."""
        result = parse_article(file.path, self.articles, file.data, mapping=self.mapping, strict=self.strict)
        self.report.problems.extend(result.problems)
        if result.skipped:
            self.report.skipped.append(file.path.relative_to(self.articles).as_posix())
        return result

    def reuse_for(self, article_id: str, previous: int = 0) -> int:
        return reuse_count(self.signals, article_id, previous)

    @property
    def public_policy(self) -> str:
        return HELP_CENTER_VALIDATED if self.validated_only else HELP_CENTER_PUBLISHED

    def is_public(self, fields: Mapping) -> bool:
        """Whether a document (its fields, or stored fields) belongs in the public index."""
        return is_public(fields, self.validated_only)

    def tick(self, done: int, total: int, label: str) -> None:
        self._last_total = total
        if self.progress is not None:
            self.progress(done, total, label)

    def writer(self, ix):
        """A writer that waits for Whoosh's lock and writes plain (non-compound) segment files.

        Whoosh reads a compound segment by copying each of its parts into memory, once per
        open reader; with one reader per search thread that costs hundreds of MB at 100k
        articles. Separate files are read through the OS page cache instead.
        """
        try:
            return ix.writer(limitmb=WRITER_MEMORY_MB, timeout=self.lock_timeout, compound=False,
                             codec=writer_codec())
        except LockError:
            raise IndexBusy(
                f"The Whoosh index {ix.storage.folder} is locked by another writer; waited "
                f"{self.lock_timeout:g} s. Only `kb index` should write to {self.root}; stop the other "
                "writer and run `kb index` again.") from None

    def duplicate(self, rel: str, article_id: str, line: int | None, owner: str) -> None:
        self.report.problems.append(Problem(
            (self.articles / rel).as_posix(), line, "id",
            f"'{article_id}' is already used by {(self.articles / owner).as_posix()}", rule="duplicate-id"))

    def save_synonyms(self, gen_dir: Path, synonyms: Synonyms) -> None:
        """Write the synonym groups next to the indexes, atomically (searchers reload them)."""
        target = gen_dir / SYNONYMS_JSON
        text = synonyms.to_json()
        if target.exists() and target.read_text(encoding="utf-8") == text:
            return
        tmp = gen_dir / f".{SYNONYMS_JSON}.{os.getpid()}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)

    def write_sidecars(self, ix_int, ix_pub) -> None:
        """Fast-postings sidecars for segments that lack one (see :mod:`indexer.engine.sidecars`)."""
        tasks = missing_sidecars(ix_int) + missing_sidecars(ix_pub)
        if not tasks:
            return
        large = sum(docs for *_, docs in tasks) >= PARALLEL_THRESHOLD
        procs = (self.procs or 2) if large else 1
        end = getattr(self, "_last_total", 0)
        write_sidecars(tasks, procs=procs, progress=lambda done, total: self.tick(
            end, end, f"fast postings: {done} of {total} segments"))

    def finish_counts(self, ix_int, ix_pub) -> None:
        self.report.internal_count = ix_int.doc_count()
        self.report.public_count = ix_pub.doc_count()


def is_public(fields: Mapping, validated_only: bool) -> bool:
    """Whether a document (its fields, or stored fields) belongs in the public index."""
    return in_public_index(fields.get("audience"), fields.get("status"), fields.get("confidence") or None,
                           validated_only=validated_only)


def reuse_count(signals: Mapping[str, object] | None, article_id: str, previous: int = 0) -> int:
    """An article's reuse count: from the signals when a build has them, else as indexed before."""
    if signals is None:
        return previous
    return reuse_of(signals.get(article_id, 0))


def cancel(writer) -> None:
    """Cancel a writer and release its lock, whatever state it is in (a commit that fails can
    leave Whoosh's write lock held)."""
    with contextlib.suppress(Exception):  # already cancelled or committed: the lock is what matters
        writer.cancel()
    lock = getattr(writer, "writelock", None)
    if lock is not None:
        with contextlib.suppress(Exception):  # released by cancel() already
            lock.release()
