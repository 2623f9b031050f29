"""A full rebuild: a complete new generation written beside the live one, then switched to.

Searchers keep reading the old generation until the pointer is replaced (atomically). A
file that does not parse keeps its last good version, copied from the old generation.
"""

from __future__ import annotations

import shutil

from whoosh import index as whoosh_index

from indexer.article_files import ArticleFile
from indexer.build_steps import (
    PARALLEL_BATCH,
    PARALLEL_THRESHOLD,
    SERIAL_BATCH,
    BuildSteps,
    cancel,
    commit_both,
)
from indexer.layout import (
    Pointer,
    existing_generations,
    generation_dir_name,
    now_iso,
    remove_old_generations,
    write_pointer,
)
from indexer.manifest import Entry, fields_from_stored, narrowed, read_manifest
from indexer.schema import SCHEMA_VERSION, ArticleSchema, document_fields
from indexer.synonyms import Synonyms
from indexer.update import write_sync_marker


class Rebuild(BuildSteps):
    """Writes a complete new generation and switches the pointer to it."""

    def run(self, pointer: Pointer | None, synonyms: Synonyms) -> None:
        """Write a complete new generation and switch the pointer to it."""
        report = self.report
        report.rebuilt = True
        old = self._open_previous(pointer)
        previous_entries: dict[str, Entry] = {}
        old_searcher = None
        if old is not None:
            try:
                old_searcher = old.searcher()
                previous_entries = read_manifest(old_searcher)
            except Exception:  # noqa: BLE001 - an unreadable old index has no last good versions
                previous_entries = {}
        try:
            self._write_generation(pointer, synonyms, previous_entries, old_searcher)
        finally:
            if old_searcher is not None:
                old_searcher.close()

    def _open_previous(self, pointer: Pointer | None):
        if pointer is None:
            return None
        try:
            return whoosh_index.open_dir(str(pointer.path(self.root) / "internal"))
        except Exception:  # noqa: BLE001 - any unreadable old index just means "no last good versions"
            return None

    def _write_generation(self, pointer: Pointer | None, synonyms: Synonyms,
                          previous: dict[str, Entry], old_searcher) -> None:
        report = self.report
        number = max([*existing_generations(self.root), pointer.generation if pointer else 0]) + 1
        gen_dir = self.root / generation_dir_name(number)
        shutil.rmtree(gen_dir, ignore_errors=True)  # leftovers of a crashed build
        (gen_dir / "internal").mkdir(parents=True)
        (gen_dir / "public").mkdir()
        ix_int = whoosh_index.create_in(str(gen_dir / "internal"), ArticleSchema())
        ix_pub = whoosh_index.create_in(str(gen_dir / "public"), ArticleSchema())
        files = self.scan()
        parallel = (self.procs or (2 if len(files) >= PARALLEL_THRESHOLD else 1)) > 1
        batch = PARALLEL_BATCH if parallel else SERIAL_BATCH
        w_int = w_pub = None
        owners: dict[str, str] = {}
        previous_by_id = {e.id: e for e in previous.values()}
        try:
            in_batch = 0
            for done, (rel, file) in enumerate(sorted(files.items()), 1):
                self.tick(done - 1, len(files), rel)
                fields, article_id = self._fields_for_rebuild(rel, file, previous, previous_by_id, owners,
                                                              old_searcher)
                if fields is None:
                    continue
                owners[article_id] = rel
                if w_int is None:
                    w_int = self.writer(ix_int, parallel=parallel)
                    w_pub = self.writer(ix_pub, parallel=parallel)
                w_int.add_document(**fields)
                if self.is_public(fields):
                    w_pub.add_document(**fields)
                in_batch += 1
                if in_batch >= batch:
                    # One segment per batch, sorted in memory: Whoosh's spill-to-disk path
                    # (pickling every posting) is several times slower than this.
                    w_int, w_pub = commit_both(w_int, w_pub)
                    in_batch = 0
            self.tick(len(files), len(files), "committing")
            w_int, w_pub = commit_both(w_int, w_pub)
            self.write_sidecars(ix_int, ix_pub)
        except BaseException:
            for w in (w_int, w_pub):
                if w is not None:
                    cancel(w)
            shutil.rmtree(gen_dir, ignore_errors=True)
            raise
        self._classify_rebuild(previous, owners, files)
        write_sync_marker(gen_dir, ix_int.latest_generation(), self.public_policy)
        self.save_synonyms(gen_dir, synonyms)
        stamp = now_iso()
        write_pointer(self.root, Pointer(number, gen_dir.name, SCHEMA_VERSION, stamp, stamp))
        keep = {number} | ({pointer.generation} if pointer else set())
        remove_old_generations(self.root, keep)
        report.generation = number
        self.finish_counts(ix_int, ix_pub)

    def _fields_for_rebuild(self, rel: str, file: ArticleFile, previous: dict[str, Entry],
                            previous_by_id: dict[str, Entry], owners: dict[str, str], old_searcher):
        """Fields for one file in a rebuild: freshly parsed, or its last good version."""
        result = self.parse(file)
        article = result.article if result.ok else None
        if result.skipped:
            return None, None
        if article is not None:
            if article.id in owners:
                self.duplicate(rel, article, owners[article.id])
                article = None
            else:
                old = previous_by_id.get(article.id)
                reuse = self.reuse_for(article.id, old.reuse if old else 0)
                file.hash = article.content_hash
                return document_fields(article, reuse) | {"file_stamp": file.stamp}, article.id
        entry = previous.get(rel)
        if entry is None or old_searcher is None or entry.id in owners:
            return None, None
        self.report.kept.append(rel)
        stored = old_searcher.stored_fields(entry.docnum)
        visibility = narrowed(entry.audience, entry.status, result.visibility)
        return fields_from_stored(stored, self.reuse_for(entry.id, entry.reuse), visibility), entry.id

    def _classify_rebuild(self, previous: dict[str, Entry], owners: dict[str, str],
                          files: dict[str, ArticleFile]) -> None:
        report = self.report
        old_by_id = {e.id: e for e in previous.values()}
        for article_id, rel in owners.items():
            old = old_by_id.get(article_id)
            if old is None:
                report.added.append(article_id)
            elif old.path != rel or old.hash != files[rel].hash:
                report.changed.append(article_id)
            else:
                report.unchanged += 1
        report.deleted = sorted(set(old_by_id) - set(owners))
        report.added.sort()
        report.changed.sort()
