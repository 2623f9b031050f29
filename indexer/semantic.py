"""Article vectors for ranking ticket suggestions by meaning, and the ticket's similarity to them.

Why: customers describe a problem in their own words ("remove my FB account", "make the
text crossed out"); articles use the product's words ("delete your Facebook account",
"strikethrough"). Key terms find most answers, but the right article often lands second
or fifth behind one that shares more words. The words' best candidates are therefore
re-ranked by their cosine to the ticket, from a sentence encoder (:mod:`indexer.encoder`);
how the cosine and the words' score are blended is :mod:`indexer.ranking`.

Article vectors are computed once per article version by ``kb index`` (after the word
index is switched, so searching never waits for them) and kept in ``vectors.sqlite`` in
the index root, keyed by the article's content hash: a full rebuild reuses them, an
interrupted run resumes where it stopped, and versions no index holds any more are
pruned. The store also records what its vectors depend on (model, weights, runtime, text
cut): vectors of another encoder are never mixed in. Many missing vectors (a first build)
are computed by one process per core. An article without a vector yet takes the average
similarity of the others.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from pathlib import Path

import numpy as np

from indexer.encoder import Encoder, encoder_identity

log = logging.getLogger(__name__)

STORE_FILE = "vectors.sqlite"
DOC_TOKENS = 32  # title and opening of an article: enough to say what it is about
QUERY_TOKENS = 32  # of a ticket: its title and opening lines (longer ranked no better, cost more)
DOC_CHARS = 1000  # of the article's text handed to the tokenizer (it keeps DOC_TOKENS)
BATCH = 256  # articles per write: the unit an interrupted run loses at most
READ_TIMEOUT = 0.5  # seconds a reader waits while kb index commits a batch
LOOKUP_CHUNK = 500  # keys per IN (...) query: under SQLite's limit on bound parameters
# Embedding processes: one per core, started (about a second each) only for this many
# missing vectors or more; fewer are computed in the building process itself.
PARALLEL_FROM = 1000
TASK = 64  # articles per task handed to an embedding process


def article_text(title: str, text: str) -> str:
    """What an article's vector is computed from."""
    return f"{title}\n{(text or '')[:DOC_CHARS]}"


def ticket_text(title: str, description: str) -> str:
    """What a ticket's vector is computed from."""
    return f"{title}\n{description}".strip()


def store_identity() -> str:
    """What a stored vector depends on (model, weights, runtime, text cut); a store
    written with anything else is emptied by the next build and ignored by readers."""
    return f"{encoder_identity()} doc_tokens={DOC_TOKENS}"


class VectorStore:
    """Article vectors by content hash, in SQLite beside the index generations.

    Readers open the file read-only, one connection per thread and process (a forked
    server worker never reuses its parent's). A missing file is an empty store. Only
    ``kb index`` writes, under the index write lock, one batch per transaction, through
    one connection that :meth:`close` ends.
    """

    def __init__(self, root: str | os.PathLike):
        self.path = Path(root) / STORE_FILE
        self.identity = store_identity()
        self._local = threading.local()
        self._conn: sqlite3.Connection | None = None

    def _reader(self) -> sqlite3.Connection | None:
        # The file's identity is checked on every use: when the index folder is deleted and
        # rebuilt under a running server, an open connection would keep reading the unlinked
        # old file (a stat costs microseconds; a lookup, hundreds of them).
        try:
            st = os.stat(self.path)
            identity = (st.st_dev, st.st_ino)
        except OSError:
            identity = None
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            if self._local.pid == os.getpid() and self._local.identity == identity:
                return conn
            if self._local.pid == os.getpid():
                conn.close()  # a forked worker never closes its parent's connection
            self._local.conn = None
        if identity is None:
            return None
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False,
                               timeout=READ_TIMEOUT)
        row = conn.execute("SELECT value FROM meta WHERE key = 'identity'").fetchone()
        if not row or row[0] != self.identity:
            conn.close()
            return None
        self._local.conn, self._local.pid, self._local.identity = conn, os.getpid(), identity
        return conn

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors among ``keys`` (float32 unit vectors)."""
        try:
            conn = self._reader()
            if conn is None or not keys:
                return {}
            marks = ",".join("?" * len(keys))
            sql = f"SELECT key, vector FROM vectors WHERE key IN ({marks})"
            rows = conn.execute(sql, list(keys)).fetchall()
        except sqlite3.Error:
            self._local.conn = None
            return {}
        return {k: np.frombuffer(v, dtype=np.float16).astype(np.float32) for k, v in rows}

    # -- writing (kb index holds the index write lock while it does this) -------------------

    def _writer(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path)
        # A rollback journal, not WAL: read-only connections to a WAL database rebuild the
        # WAL index on every read (50-150 ms for 50 lookups at 100k vectors, against 0.4 ms).
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        row = conn.execute("SELECT value FROM meta WHERE key = 'identity'").fetchone()
        if not row or row[0] != self.identity:
            with conn:
                conn.execute("DELETE FROM vectors")
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('identity', ?)", (self.identity,))
        self._conn = conn
        return conn

    def close(self) -> None:
        """End the writing connection (reading connections end with their thread)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def missing(self, keys: Iterable[str]) -> set[str]:
        """Those of ``keys`` that have no vector."""
        wanted = list(dict.fromkeys(keys))
        have: set[str] = set()
        conn = self._writer()
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start:start + LOOKUP_CHUNK]
            sql = f"SELECT key FROM vectors WHERE key IN ({','.join('?' * len(chunk))})"
            have.update(k for (k,) in conn.execute(sql, chunk))
        return set(wanted) - have

    def put(self, rows: Sequence[tuple[str, np.ndarray]]) -> None:
        with self._writer() as conn:
            conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                             [(k, np.asarray(v, dtype=np.float16).tobytes()) for k, v in rows])

    def prune(self, keep: set[str] | None = None, *, drop: Iterable[str] = ()) -> int:
        """Delete the vectors of ``drop``, or of every version not in ``keep``; returns how many."""
        conn = self._writer()
        if keep is not None:
            gone = [(k,) for (k,) in conn.execute("SELECT key FROM vectors") if k not in keep]
        else:
            gone = [(k,) for k in drop]
        with conn:
            conn.executemany("DELETE FROM vectors WHERE key = ?", gone)
        return len(gone)

    def count(self) -> int:
        """How many vectors are stored."""
        conn = self._conn or self._reader()
        return conn.execute("SELECT count(*) FROM vectors").fetchone()[0] if conn else 0


def update_vectors(store: VectorStore, keys: Sequence[str],
                   texts: Callable[[list[str]], list[tuple[str, str]]], encoder: Encoder, *,
                   progress: Callable[[int, int], None] | None = None, prune: set[str] | None = None,
                   processes: int | None = None) -> int:
    """Compute the vectors the store lacks among ``keys``, then prune.

    :param keys: content hashes of article versions that need a vector.
    :param texts: (title, plain text) for each of a list of keys; asked only for missing ones.
    :param prune: the hashes to delete; None means ``keys`` is every indexed version and
        everything else goes.
    :param processes: embedding processes; None: one per core when at least
        ``PARALLEL_FROM`` vectors are missing, else this process alone.
    :returns: how many vectors were computed.
    """
    todo = sorted(store.missing(keys))
    if processes is None:
        processes = _cores() if len(todo) >= PARALLEL_FROM else 1
    done = 0
    pending: list[tuple[str, np.ndarray]] = []
    for batch, vectors in _embedded(todo, texts, encoder, processes):
        pending.extend(zip(batch, vectors, strict=True))
        if len(pending) >= BATCH or len(pending) + done == len(todo):
            store.put(pending)
            done += len(pending)
            pending = []
            if progress:
                progress(done, len(todo))
    if prune is None:
        store.prune(set(keys))
    elif prune:
        store.prune(drop=prune)
    return done


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _embedded(todo: list[str], texts: Callable[[list[str]], list[tuple[str, str]]], encoder: Encoder,
              processes: int) -> Iterator[tuple[list[str], np.ndarray]]:
    """(keys, their vectors) for ``todo`` in order, computed by ``processes`` processes.

    Why processes: the encoder's work is one text at a time on one core (see
    :mod:`indexer.encoder`), so a second process doubles the throughput where a second
    thread per matrix product gained little. They are spawned, not forked: the building
    process holds open indexes, databases and the encoder's own threads. If they cannot
    start or die, the rest is computed here.
    """
    position = 0
    if processes > 1 and len(todo) > TASK and hasattr(encoder, "directory"):
        try:
            for batch, vectors in _embedded_by_processes(todo, texts, encoder, processes):
                position += len(batch)
                yield batch, vectors
            return
        except (OSError, BrokenProcessPool) as exc:
            log.warning("embedding processes failed (%s); computing the remaining %d vectors here",
                        exc, len(todo) - position)
    for start in range(position, len(todo), TASK):
        batch = todo[start:start + TASK]
        yield batch, encoder.encode([article_text(*t) for t in texts(batch)], max_tokens=DOC_TOKENS)


def _embedded_by_processes(todo: list[str], texts: Callable[[list[str]], list[tuple[str, str]]],
                           encoder: Encoder, processes: int) -> Iterator[tuple[list[str], np.ndarray]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    running: deque = deque()
    window = 2 * processes  # tasks in flight: each process has its next one waiting
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_start_embedding_process,
                             initargs=(encoder.directory, encoder.runtime)) as pool:
        for start in range(0, len(todo), TASK):
            batch = todo[start:start + TASK]
            running.append((batch, pool.submit(_embed_in_process, [article_text(*t) for t in texts(batch)])))
            if len(running) >= window:
                batch, task = running.popleft()
                yield batch, task.result()
        while running:
            batch, task = running.popleft()
            yield batch, task.result()


_process_encoder: Encoder | None = None


def _start_embedding_process(directory: Path, runtime: str) -> None:
    global _process_encoder
    from threadpoolctl import threadpool_limits

    # A pool's processes outlive a building process that is killed (they hold their own end
    # of the task queue, so they never see it close): each leaves once its parent is gone.
    parent = os.getppid()

    def leave_with_parent() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=leave_with_parent, name="parent-watch", daemon=True).start()

    threadpool_limits(1)
    _process_encoder = Encoder(directory, runtime)


def _embed_in_process(texts: list[str]) -> np.ndarray:
    return _process_encoder.encode(texts, max_tokens=DOC_TOKENS)


def similarities(encoder: Encoder, store: VectorStore, query: str, keys: Sequence[str]) -> list[float | None]:
    """Cosine between the ticket and each candidate (None where no vector is stored yet)."""
    stored = store.get(list(dict.fromkeys(keys)))
    if not stored:
        return [None] * len(keys)
    q = query_vector(encoder, query)
    return [float(stored[k] @ q) if k in stored else None for k in keys]


@lru_cache(maxsize=2048)
def query_vector(encoder: Encoder, query: str) -> np.ndarray:
    """A query's or ticket's vector (read-only), kept for recent texts: the searches people
    type recur ("vpn", "password reset"), and search-as-you-type repeats them."""
    vector = encoder.encode([query], max_tokens=QUERY_TOKENS)[0]
    vector.flags.writeable = False
    return vector


__all__ = ["VectorStore", "article_text", "similarities", "store_identity", "ticket_text", "update_vectors"]
