"""The index versions a Searcher has open, and how it follows ``kb index`` to newer ones.

A Searcher keeps its Whoosh searchers open and checks at most every ``check_interval``
seconds whether a build switched generations or committed changes; if so it opens the new
version for new searches while searches in flight finish on the old one, which is closed
when its last user leaves.

A new generation (a full rebuild) shares no segment with the one being served, so its
first searches would load everything (field lengths, columns, the vocabularies typos are
matched in: seconds at 100k articles). With a ``warm`` callable, such a version is warmed
on a thread of its own while the old one keeps serving, and takes over once warm, or after
:data:`MAX_WARM_SECONDS` at the latest (or at once if the old one's files are gone), so a
rebuild is never held back for long. Commits to the current generation (edits, deletions,
audience changes) add small segments and are served at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index

from indexer.engine import IndexVersion, SegmentCache
from indexer.engine import whoosh_adapter as adapter
from indexer.engine.sidecars import index_folder
from indexer.facets import IndexCaches
from indexer.layout import SYNONYMS_JSON, Pointer, read_pointer
from indexer.schema import SCHEMA_VERSION
from indexer.synonyms import Synonyms
from kb.errors import IndexMissing, KBError
from kb.model import AUDIENCES
from kb.visibility import index_for

log = logging.getLogger(__name__)

MAX_WARM_SECONDS = 1.0  # a rebuilt index serves after this long even if still warming



class Stale(Exception):
    """A pinned index version vanished (merged away); reopen the current one."""


class VersionView:
    """One open version (Whoosh TOC generation) of one audience's index.

    Searches borrow a Whoosh searcher from a small pool (Whoosh searchers are not safe to
    share between threads); every searcher of a view reads the same pinned version, so
    per-version caches (facet lists, error-code vocabulary, the engine's arrays) are shared
    by all of them.
    """

    def __init__(self, ix, audience: str, pointer: Pointer, segments: SegmentCache):
        self.ix = ix
        self.folder = index_folder(ix)
        self.segments = segments
        self.audience = audience
        self.pointer = pointer
        self.toc = ix.latest_generation()
        self._pool: list = []
        self._lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self.users = 0
        self.retired = False
        self.closed = False
        self._primary = self._open()
        self._caches: IndexCaches | None = None
        self._engine: IndexVersion | None = None

    def _open(self):
        try:
            return adapter.pinned_searcher(self.ix, self.toc)
        except OSError as exc:
            raise Stale(str(exc)) from exc

    def take(self):
        with self._lock:
            if self._pool:
                return self._pool.pop()
        return self._open()

    def give(self, searcher) -> None:
        with self._lock:
            if not self.closed:
                self._pool.append(searcher)
                return
        searcher.close()

    def is_current(self) -> bool:
        try:
            return self.ix.latest_generation() == self.toc
        except OSError:
            return False

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            pool, self._pool = self._pool, []
        for s in [*pool, self._primary]:
            try:
                s.close()
            except Exception:  # noqa: BLE001 - closing a half-gone index must not fail a search
                log.debug("error closing a retired searcher", exc_info=True)

    @property
    def facets(self) -> IndexCaches:
        """Facet values, error codes and filter sets of this version (per-segment caches)."""
        with self._cache_lock:
            if self._caches is None:
                self._caches = IndexCaches(self._primary, self.folder, self.segments, self._cache_lock)
            return self._caches

    @property
    def engine(self) -> IndexVersion:
        """The evaluation engine's data for this version: document space, live documents, sidecars."""
        with self._cache_lock:
            if self._engine is None:
                self._engine = IndexVersion(self._primary, self.folder, self.segments)
            return self._engine

    def segment_keys(self) -> set[str]:
        return self.facets.segment_ids

    def has_code(self, code: str) -> bool:
        return self.facets.has_code(code)


@dataclass
class Context:
    """What one search uses: the version, a borrowed searcher on it and the synonyms."""

    view: VersionView
    searcher: object
    synonyms: Synonyms

    @property
    def reader(self):
        return self.searcher.reader()

    @property
    def engine(self) -> IndexVersion:
        return self.view.engine

    def column(self, name: str) -> list:
        """Every document's value of a column field (read once per segment, then cached)."""
        return self.view.engine.column(name, self.searcher)


class Versions:
    """The current version of each audience's index under an index root, kept up to date."""

    def __init__(self, root: Path, check_interval: float, warm: Callable[[Context], None] | None = None):
        self.root = root
        self.check_interval = check_interval
        self.pointer: Pointer | None = None
        self._lock = threading.RLock()
        self._views: dict[str, VersionView] = {}
        self._warm = warm
        # audience -> a new generation being warmed, and since when (monotonic seconds)
        self._warming: dict[str, tuple[VersionView, float]] = {}
        self._warmers: list[threading.Thread] = []
        self._segments = SegmentCache()
        self._synonyms = Synonyms()
        self._synonyms_stamp: tuple[str, int] | None = None
        self._checked = float("-inf")

    def close(self) -> None:
        with self._lock:
            views = [*self._views.values(), *(view for view, _since in self._warming.values())]
            self._views, self._warming = {}, {}
        for view in views:
            view.close()

    def refresh(self) -> None:
        with self._lock:
            self._check()

    def _check(self) -> None:
        """Follow the pointer: open a new generation, or a newer commit of the current one."""
        self._checked = time.monotonic()
        pointer = read_pointer(self.root)
        if pointer is None:
            if not self._views:
                raise IndexMissing(self.root)
            return
        if pointer.schema_version != SCHEMA_VERSION and not self._views:
            raise KBError(f"The index at {self.root} was built with schema version {pointer.schema_version}; "
                          f"this kb needs version {SCHEMA_VERSION}. Run `kb index` to rebuild it.")
        for audience in AUDIENCES:
            old = self._views.get(audience)
            same_generation = old is not None and old.pointer.dir == pointer.dir
            if same_generation and old.is_current():
                continue
            pending = self._warming.get(audience, (None, 0.0))[0]
            if pending is not None and pending.pointer.dir == pointer.dir:
                continue  # this generation is being warmed already
            try:
                folder = pointer.path(self.root) / audience
                ix = old.ix if same_generation else whoosh_index.open_dir(str(folder))
                view = VersionView(ix, audience, pointer, self._segments)
            except Exception as exc:  # noqa: BLE001 - keep serving the version we have
                if old is None:
                    raise IndexMissing(pointer.path(self.root) / audience) from exc
                log.warning("could not open the %s index at %s: %s", audience, pointer.path(self.root), exc)
                continue
            if old is not None and not same_generation and self._warm is not None:
                if pending is not None:
                    pending.close()  # an older generation still warming: never served
                self._warming[audience] = (view, time.monotonic())
                warmer = threading.Thread(target=self._warm_then_serve, args=(audience, view),
                                          name=f"kb-warm-{audience}", daemon=True)
                self._warmers = [t for t in self._warmers if t.is_alive()] + [warmer]
                warmer.start()
                continue
            self._serve(audience, view)
        self.pointer = pointer
        self._load_synonyms(pointer)
        self._forget_unused_segments()

    def _serve(self, audience: str, view: VersionView) -> None:
        old = self._views.get(audience)
        self._views[audience] = view
        if old is not None:
            self._retire(old)

    def _warm_then_serve(self, audience: str, view: VersionView) -> None:
        """Load what a new generation's first searches would, then serve it."""
        try:
            searcher = view.take()
            try:
                self._warm(Context(view, searcher, self._synonyms))
            finally:
                view.give(searcher)
        except Exception:  # noqa: BLE001 - a version that can't be warmed is served cold
            log.warning("warming the new %s index failed; serving it as it is", audience, exc_info=True)
        with self._lock:
            if self._views.get(audience) is view:
                return  # already serving: its time was up, or the old version's files went
            if self._warming.get(audience, (None, 0.0))[0] is not view:
                view.close()  # replaced by a newer generation, or the Searcher closed
                return
            del self._warming[audience]
            self._serve(audience, view)
            self._forget_unused_segments()

    def _promote(self, audience: str, *, now: bool = False) -> None:
        """Serve the generation being warmed for ``audience`` if its time is up (or ``now``)."""
        view, since = self._warming.get(audience, (None, 0.0))
        if view is not None and (now or time.monotonic() - since >= MAX_WARM_SECONDS):
            del self._warming[audience]
            self._serve(audience, view)

    def wait_warm(self, timeout: float) -> bool:
        """Wait until no new generation is being warmed (True), or ``timeout`` seconds (False)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            warmers = list(self._warmers)
        for warmer in warmers:
            warmer.join(max(0.0, deadline - time.monotonic()))
        return not any(warmer.is_alive() for warmer in warmers)

    def _forget_unused_segments(self) -> None:
        """Forget cached data of segments no current or warming version uses (merged away,
        old generations); views still finishing a search keep their own references."""
        live: set[str] = set()
        for view in [*self._views.values(), *(view for view, _since in self._warming.values())]:
            live |= view.segment_keys()
        self._segments.keep_only(live)

    def _load_synonyms(self, pointer: Pointer) -> None:
        path = pointer.path(self.root) / SYNONYMS_JSON
        try:
            stamp = (str(path), path.stat().st_mtime_ns)
        except OSError:
            self._synonyms, self._synonyms_stamp = Synonyms(), None
            return
        if stamp == self._synonyms_stamp:
            return
        try:
            self._synonyms = Synonyms.from_json(path.read_text(encoding="utf-8"))
            self._synonyms_stamp = stamp
        except (OSError, ValueError) as exc:
            log.warning("could not read synonyms %s: %s", path, exc)

    def _retire(self, view: VersionView) -> None:
        view.retired = True
        if view.users == 0:
            view.close()

    @contextmanager
    def use(self, audience: str) -> Iterator[Context]:
        """Borrow a searcher on the current version of an audience's index."""
        index = index_for(audience)  # which index this audience may read: kb.visibility decides
        for attempt in range(2):
            with self._lock:
                if attempt or time.monotonic() - self._checked >= self.check_interval or not self._views:
                    self._check()
                if self._warming:
                    self._promote(index, now=bool(attempt))
                view = self._views[index]
                view.users += 1
                synonyms = self._synonyms
            try:
                try:
                    searcher = view.take()
                except Stale:
                    if attempt:
                        raise IndexMissing(self.root) from None
                    continue
                try:
                    yield Context(view, searcher, synonyms)
                finally:
                    view.give(searcher)
                return
            finally:
                with self._lock:
                    view.users -= 1
                    if view.retired and view.users == 0:
                        view.close()
