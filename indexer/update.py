"""An incremental update: added, changed and deleted files applied to the live generation.

Files are compared with the index by size and modification time, then by content hash;
only what changed is touched. The internal index is the source of truth; the public index
is derived from it (its published public documents), so if a build dies between the two
commits the next one repairs the public side from the internal one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from whoosh import index as whoosh_index

from indexer.article_files import ArticleFile
from indexer.build_steps import BuildSteps, Unusable, cancel
from indexer.layout import Pointer
from indexer.manifest import (
    Entry,
    Owners,
    fields_from_stored,
    narrowed,
    path_of_id,
    read_entries,
    read_manifest,
)
from indexer.schema import document_fields

PUBLIC_SYNC_FILE = "public.synced"


class Update(BuildSteps):
    """Applies added, changed and deleted files to the live generation in place."""

    def run(self, pointer: Pointer, paths: list[str] | None = None) -> None:
        """Apply added, changed and deleted files to the live generation in place.

        :param paths: only look at these files (relative to the articles folder); without
            them every file is checked (by size and modification time, then hash).
        """
        report = self.report
        report.generation = pointer.generation
        gen_dir = pointer.path(self.root)
        try:
            ix_int = whoosh_index.open_dir(str(gen_dir / "internal"))
            ix_pub = whoosh_index.open_dir(str(gen_dir / "public"))
            before = ix_int.latest_generation()
            searcher = ix_int.searcher()
        except Exception as exc:  # noqa: BLE001 - whatever the cause, a rebuild replaces it
            raise Unusable(f"{type(exc).__name__}: {exc}") from exc
        with searcher:
            lookup = None
            if paths is None:
                manifest, files = read_manifest(searcher), self.scan()
            else:
                manifest, files = read_entries(searcher, paths), self.stat_paths(paths)
                lookup = path_of_id(searcher)
            fresh, touched = self._update_internal(ix_int, manifest, files, lookup)
        self.vector_changes = ({f["content_hash"]: (f["title"], f["text"]) for f in fresh.values()},
                               {manifest[rel].hash for rel in touched if rel in manifest})
        self._sync_public(ix_int, ix_pub, fresh, touched, gen_dir, before)
        self.write_sidecars(ix_int, ix_pub)
        self.finish_counts(ix_int, ix_pub)

    def _update_internal(self, ix_int, manifest: dict[str, Entry], files: dict[str, ArticleFile],
                         lookup: Callable[[str], str | None] | None = None,
                         ) -> tuple[dict[str, dict], set[str]]:
        """Write changes to the internal index.

        :param manifest: what the index holds for the files considered (all, or only ``paths``).
        :param files: those files as found on disk now.
        :param lookup: id -> indexed path, for ids outside ``manifest`` (targeted updates).
        Returns the fields written (by path) and every path whose document changed.
        """
        report = self.report
        deleted = [rel for rel in manifest if rel not in files]
        to_parse = []
        for rel in sorted(files):
            file, entry = files[rel], manifest.get(rel)
            if entry is not None and file.stamp and entry.stamp == file.stamp:
                continue  # same size and modification time as when it was indexed
            file.read()
            if entry is not None and file.hash is not None and file.hash == entry.hash:
                continue  # touched but not changed
            to_parse.append(rel)
        staying = Owners({e.id: rel for rel, e in manifest.items() if rel in files and rel not in to_parse},
                          lookup, excluded=set(deleted) | set(to_parse))
        old_by_id = {e.id: e for e in manifest.values()}
        fresh: dict[str, dict] = {}
        narrowing: dict[str, tuple[str, str]] = {}  # kept versions whose broken file hides them more
        for done, rel in enumerate(to_parse, 1):
            self.tick(done - 1, len(to_parse), rel)
            result = self.parse(files[rel])
            if result.skipped:
                if rel in manifest:
                    deleted.append(rel)  # no longer an article (no front matter, no title)
                continue
            article = result.article if result.ok else None
            owner = staying.owner(article.id) if article is not None else None
            if article is not None and owner is not None and owner != rel:
                self.duplicate(rel, article.id, article.line_of("id"), owner)
                article = None
            if article is None:
                if rel in manifest:
                    entry = manifest[rel]
                    report.kept.append(rel)
                    staying[entry.id] = rel
                    visibility = narrowed(entry.audience, entry.status, result.visibility)
                    if visibility != (entry.audience, entry.status):
                        narrowing[rel] = visibility
                continue
            staying[article.id] = rel
            old = old_by_id.get(article.id)
            reuse = self.reuse_for(article.id, old.reuse if old else 0)
            fresh[rel] = document_fields(article, reuse) | {"file_stamp": files[rel].stamp}
        if to_parse:
            self.tick(len(to_parse), len(to_parse), "committing")
        refresh = list(narrowing)
        if self.signals is not None:
            refresh += [rel for rel, e in manifest.items() if rel in files and rel not in fresh
                        and rel not in narrowing and self.reuse_for(e.id, e.reuse) != e.reuse]
        # Deleted files and the previous version of every re-parsed file go by path.
        removed = deleted + list(fresh)
        if removed or refresh:
            writer = self.writer(ix_int)
            try:
                for rel in removed:
                    writer.delete_by_term("path", rel)
                with ix_int.searcher() as searcher:
                    for rel in refresh:
                        entry = manifest[rel]
                        writer.delete_by_term("path", rel)
                        writer.add_document(**fields_from_stored(searcher.stored_fields(entry.docnum),
                                                                 self.reuse_for(entry.id, entry.reuse),
                                                                 narrowing.get(rel)))
                for fields in fresh.values():
                    writer.add_document(**fields)
                writer.commit()
            except BaseException:
                cancel(writer)
                raise
        self._classify_incremental(manifest, fresh, staying, files, to_parse)
        return fresh, set(removed) | set(refresh)

    def _classify_incremental(self, manifest: dict[str, Entry], fresh: dict[str, dict],
                              staying: Owners, files: dict, to_parse: list[str]) -> None:
        """Added, changed (edited, renamed or moved) and deleted ids, by comparing id sets."""
        report = self.report
        old_ids = {e.id for e in manifest.values()}
        for fields in fresh.values():
            (report.changed if fields["id"] in old_ids else report.added).append(fields["id"])
        report.deleted = sorted(i for i in old_ids if staying.owner(i) is None)
        report.unchanged = sum(1 for rel in files if rel not in to_parse and rel in manifest)
        report.added.sort()
        report.changed.sort()

    def _sync_public(self, ix_int, ix_pub, fresh: dict[str, dict], touched: set[str], gen_dir: Path,
                     before: int) -> None:
        """Bring the public index in line with the internal one.

        Normally only the paths this build touched are copied over. If the public side
        missed an earlier internal commit (a build died between the two), everything is
        compared and repaired: the marker file records which internal commit the public
        index was last synchronized with.
        """
        if read_sync_marker(gen_dir) == before and read_sync_policy(gen_dir) == self.public_policy:
            if touched:
                self._copy_public(ix_int, ix_pub, fresh, sorted(touched))
        else:
            self._repair_public(ix_int, ix_pub, fresh)
        write_sync_marker(gen_dir, ix_int.latest_generation(), self.public_policy)

    def _copy_public(self, ix_int, ix_pub, fresh: dict[str, dict], paths: list[str]) -> None:
        """Replace the public documents of ``paths`` with the internal ones that are public."""
        writer = self.writer(ix_pub)
        try:
            with ix_int.searcher() as s_int:
                for rel in paths:
                    writer.delete_by_term("path", rel)
                    docnum = s_int.document_number(path=rel)
                    if docnum is None:
                        continue
                    stored = s_int.stored_fields(docnum)
                    if not self.is_public(stored):
                        continue
                    fields = fresh.get(rel)
                    if fields is None or fields["content_hash"] != stored.get("content_hash"):
                        reuse = s_int.reader().column_reader("reuse_count")[docnum]
                        fields = fields_from_stored(stored, int(reuse or 0))
                    writer.add_document(**fields)
            writer.commit()
        except BaseException:
            cancel(writer)
            raise

    def _repair_public(self, ix_int, ix_pub, fresh: dict[str, dict]) -> None:
        """Make the public index hold exactly the internal index's published public documents."""
        with ix_int.searcher() as s_int, ix_pub.searcher() as s_pub:
            desired = {rel: e for rel, e in read_manifest(s_int).items() if e.is_public(self.validated_only)}
            current = read_manifest(s_pub)
            stale = [rel for rel, e in current.items()
                     if rel not in desired or (e.id, e.hash, e.reuse) != (desired[rel].id, desired[rel].hash,
                                                                         desired[rel].reuse)]
            missing = [rel for rel in desired if rel not in current or rel in stale]
            if not stale and not missing:
                return
            writer = self.writer(ix_pub)
            try:
                for rel in stale:
                    writer.delete_by_term("path", rel)
                for rel in missing:
                    entry = desired[rel]
                    fields = fresh.get(rel)
                    if fields is None or fields["content_hash"] != entry.hash or fields["id"] != entry.id:
                        fields = fields_from_stored(s_int.stored_fields(entry.docnum), entry.reuse)
                    writer.add_document(**fields)
                writer.commit()
            except BaseException:
                cancel(writer)
                raise


def _read_marker(gen_dir: Path) -> list[str]:
    try:
        return (gen_dir / PUBLIC_SYNC_FILE).read_text(encoding="utf-8").split()
    except OSError:
        return []


def read_sync_marker(gen_dir: Path) -> int | None:
    """The internal commit the public index was last synchronized with, if recorded."""
    parts = _read_marker(gen_dir)
    try:
        return int(parts[0]) if parts else None
    except ValueError:
        return None


def read_sync_policy(gen_dir: Path) -> str | None:
    """The help-center rule the public index was synchronized under ("validated" or "published")."""
    parts = _read_marker(gen_dir)
    return parts[1] if len(parts) > 1 else None


def write_sync_marker(gen_dir: Path, generation: int, policy: str = "validated") -> None:
    tmp = gen_dir / f".{PUBLIC_SYNC_FILE}.{os.getpid()}.tmp"
    tmp.write_text(f"{generation} {policy}", encoding="utf-8")
    os.replace(tmp, gen_dir / PUBLIC_SYNC_FILE)
