"""A full rebuild: a complete new generation written beside the live one, then switched to.

Searchers keep reading the old generation until the pointer is replaced (atomically). A
file that does not parse keeps its last good version, copied from the old generation.
Files are parsed and indexed by :mod:`indexer.rebuild_jobs`; which file owns each id is
decided here, in path order: the first file claims it, a later one is reported.
"""

from __future__ import annotations

import shutil
from itertools import chain

from whoosh import index as whoosh_index

from indexer.article_files import ArticleFile
from indexer.build_steps import PARALLEL_THRESHOLD, BuildSteps, cancel
from indexer.engine.whoosh_adapter import commit_segments
from indexer.layout import (
    Pointer,
    existing_generations,
    generation_dir_name,
    now_iso,
    remove_old_generations,
    write_pointer,
)
from indexer.manifest import Entry, read_manifest
from indexer.rebuild_jobs import Job, Outcome, Shared, can_run_in_workers, fill, kept_fields, run_jobs, split
from indexer.schema import SCHEMA_VERSION, ArticleSchema
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
        ordered = sorted(files.items())
        procs = self.procs or (2 if len(files) >= PARALLEL_THRESHOLD else 1)
        old_internal = pointer.path(self.root) / "internal" if pointer and old_searcher is not None else None
        shared = Shared(self.articles, gen_dir, self.mapping, self.strict, self.validated_only, self.signals,
                        {e.id: e.reuse for e in previous.values()}, old_internal)
        jobs = split(ordered, previous, procs)
        total = len(ordered)
        try:
            self.tick(0, total, ordered[0][0] if ordered else "")
            tick = lambda done, label: self.tick(min(done, total), total, label)  # noqa: E731
            if can_run_in_workers():
                outcomes, int_segments, pub_segments = run_jobs(shared, jobs, procs, tick)
                self.tick(total, total, "committing")
                for ix, segments in ((ix_int, int_segments), (ix_pub, pub_segments)):
                    writer = self.writer(ix)
                    try:
                        commit_segments(writer, segments)
                    except BaseException:
                        cancel(writer)
                        raise
            else:
                outcomes = self._run_jobs_locked(shared, jobs, ix_int, ix_pub, tick)
            owners = self._settle_owners(list(chain.from_iterable(outcomes)), files, previous, old_searcher,
                                         ix_int, ix_pub)
            self.write_sidecars(ix_int, ix_pub)
        except BaseException:
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

    def _run_jobs_locked(self, shared: Shared, jobs: list[Job], ix_int, ix_pub, tick) -> list[list[Outcome]]:
        """The jobs through Whoosh's public API, for any Whoosh the adapter was not written
        for: one process, each job committed as a segment by locked writers."""
        results, count = [], 0

        def one_more(rel: str) -> None:
            nonlocal count
            count += 1
            tick(count, rel)

        for job in jobs:
            writers = (self.writer(ix_int), self.writer(ix_pub))
            try:
                results.append(fill(shared, job, *writers, one_more))
            except BaseException:
                for writer in writers:
                    cancel(writer)
                raise
            for writer in writers:
                writer.commit(merge=False)
        return results

    def _settle_owners(self, outcomes: list[Outcome], files, previous: dict[str, Entry], old_searcher,
                       ix_int, ix_pub) -> dict[str, str]:
        """Decide, in path order, which file owns each id; remove the documents of the files
        that lost, putting back their last good version where its id is still free."""
        report = self.report
        owners: dict[str, str] = {}
        losers: list[Outcome] = []
        replacements: list[dict] = []
        for outcome in outcomes:
            report.problems.extend(outcome.problems)
            if outcome.skipped:
                report.skipped.append(outcome.rel)
                continue
            if outcome.article_id is None:
                continue
            if outcome.article_id not in owners:
                owners[outcome.article_id] = outcome.rel
                if outcome.kept:
                    report.kept.append(outcome.rel)
                else:
                    files[outcome.rel].hash = outcome.content_hash
                continue
            losers.append(outcome)
            if outcome.kept:
                continue  # a broken file's last good version whose id another file now has
            self.duplicate(outcome.rel, outcome.article_id, outcome.id_line, owners[outcome.article_id])
            entry = previous.get(outcome.rel)
            if entry is not None and old_searcher is not None and entry.id not in owners:
                stored = old_searcher.stored_fields(entry.docnum)
                fields = kept_fields(self.signals, entry, outcome.visibility, stored)
                if fields is not None:
                    owners[entry.id] = outcome.rel
                    report.kept.append(outcome.rel)
                    replacements.append(fields)
        if losers or replacements:
            self._replace(ix_int, losers, replacements)
            self._replace(ix_pub, [o for o in losers if o.public],
                          [f for f in replacements if self.is_public(f)])
        return owners

    def _replace(self, ix, losers: list[Outcome], replacements: list[dict]) -> None:
        """Delete the losing files' documents (each file has one, found by its path) and add
        the replacements, as one more segment."""
        if not losers and not replacements:
            return
        writer = self.writer(ix)
        try:
            for outcome in losers:
                writer.delete_by_term("path", outcome.rel)
            for fields in replacements:
                writer.add_document(**fields)
        except BaseException:
            cancel(writer)
            raise
        writer.commit(merge=False)

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
