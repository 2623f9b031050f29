"""A full rebuild's documents, written by worker processes, one slice of the files each.

Reading, parsing, outlining and analysing an article costs several milliseconds of CPU;
done by one process for 100,000 articles that alone takes minutes. A job here takes a
slice of the files in path order, parses them and writes one new segment to each index
(every article to the internal one, public ones to the public one too), so all cores
parse and analyse. Which file owns an id is decided afterwards by :mod:`indexer.rebuild`
from the jobs' outcomes, in path order, exactly as a one-process build would.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from indexer.article_files import ArticleFile
from indexer.build_steps import WRITER_MEMORY_MB, is_public, reuse_count
from indexer.engine.sidecars import SIDECAR_MIN_DF, write_sidecar
from indexer.engine.whoosh_adapter import (
    fast_path,
    finish_segment,
    segment_writer,
    writer_codec,
    written_lists,
)
from indexer.manifest import Entry, fields_from_stored, narrowed
from indexer.schema import document_fields
from kb.articles import parse_article
from kb.mapping import Mapping as ReadingRules
from kb.model import Problem

# At most this many files per job, so per segment. A job holds its segment's postings in
# memory (some 40 KB an article with its public copies and the lists its sidecar is written
# from: about 1.1 GB at this size); fewer, larger segments make searches cheaper, since much
# of a search is done once per segment (100k articles in 4 segments instead of 10: 12% less
# CPU a search on the query mix).
JOB_FILES = 25_000
INDEXES = ("internal", "public")  # the two indexes of a generation, each job a segment in both


@dataclass(frozen=True)
class Shared:
    """What every job of a rebuild needs; sent to each worker process once."""

    articles: Path
    gen_dir: Path
    mapping: ReadingRules
    strict: bool | None
    validated_only: bool
    signals: Mapping[str, object] | None
    previous_reuse: dict[str, int]  # article id -> its reuse count in the previous index
    old_internal: Path | None  # the previous generation's internal index, for last good versions


@dataclass
class Outcome:
    """What a job did with one file; ``article_id`` is set when it wrote a document."""

    rel: str
    article_id: str | None = None
    kept: bool = False  # the document is the file's last good version (the file did not parse)
    content_hash: str | None = None
    id_line: int | None = None
    public: bool = False
    skipped: bool = False
    problems: list[Problem] = field(default_factory=list)
    visibility: tuple[str, str] | None = None  # (audience, status) the file asks for, if readable


@dataclass
class Job:
    files: list[tuple[str, ArticleFile]]  # in path order
    previous: dict[str, Entry]  # the previous index's entries of these files


def split(files: list[tuple[str, ArticleFile]], previous: Mapping[str, Entry], procs: int) -> list[Job]:
    """Path-ordered slices of at most :data:`JOB_FILES`, at least one per process."""
    if not files:
        return []
    count = max(math.ceil(len(files) / JOB_FILES), procs if procs > 1 else 1)
    size = math.ceil(len(files) / count)
    jobs = []
    for start in range(0, len(files), size):
        part = files[start:start + size]
        jobs.append(Job(part, {rel: previous[rel] for rel, _ in part if rel in previous}))
    return jobs


class _LastGood:
    """The previous generation's stored documents, opened on first need."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.searcher = None

    def stored(self, docnum: int) -> dict | None:
        if self.folder is None:
            return None
        if self.searcher is None:
            try:
                self.searcher = whoosh_index.open_dir(str(self.folder)).searcher()
            except Exception:  # noqa: BLE001 - an unreadable old index has no last good versions
                self.folder = None
                return None
        return self.searcher.stored_fields(docnum)

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()


def document_for(shared: Shared, rel: str, file: ArticleFile, entry: Entry | None,
                 last_good: _LastGood) -> tuple[Outcome, dict | None]:
    """One file's outcome and the fields to index for it: freshly parsed, or its last good version."""
    result = parse_article(file.path, shared.articles, file.data, mapping=shared.mapping,
                           strict=shared.strict)
    outcome = Outcome(rel, problems=list(result.problems), skipped=result.skipped,
                      visibility=result.visibility)
    if result.skipped:
        return outcome, None
    article = result.article if result.ok else None
    if article is not None:
        reuse = reuse_count(shared.signals, article.id, shared.previous_reuse.get(article.id, 0))
        fields = document_fields(article, reuse) | {"file_stamp": file.stamp}
        outcome.article_id, outcome.content_hash = article.id, article.content_hash
        outcome.id_line = article.line_of("id")
    else:
        stored = last_good.stored(entry.docnum) if entry is not None else None
        fields = kept_fields(shared.signals, entry, result.visibility, stored)
        if fields is None:
            return outcome, None
        outcome.article_id, outcome.kept = entry.id, True
    outcome.public = is_public(fields, shared.validated_only)
    return outcome, fields


def kept_fields(signals: Mapping[str, object] | None, entry: Entry | None, visibility,
                stored: dict | None) -> dict | None:
    """The fields of a file's last good version (its stored fields), narrowed to what its
    file now asks (``visibility``, None when the file says nothing readable)."""
    if entry is None or stored is None:
        return None
    reuse = reuse_count(signals, entry.id, entry.reuse)
    return fields_from_stored(stored, reuse, narrowed(entry.audience, entry.status, visibility))


def fill(shared: Shared, job: Job, w_int, w_pub, done: Callable[[str], None] | None = None) -> list[Outcome]:
    """Add every file of a job to the two writers (``done`` is called with each file's path);
    returns the outcomes in path order."""
    outcomes = []
    last_good = _LastGood(shared.old_internal)
    try:
        for rel, file in job.files:
            outcome, fields = document_for(shared, rel, file, job.previous.get(rel), last_good)
            if fields is not None:
                w_int.add_document(**fields)
                if outcome.public:
                    w_pub.add_document(**fields)
            outcomes.append(outcome)
            if done is not None:
                done(rel)
    finally:
        last_good.close()
    return outcomes


# -- in worker processes: segments written without a lock, committed by the parent ----------

_SHARED: Shared | None = None
_COUNTER = None


def _start_worker(shared: Shared, counter) -> None:
    global _SHARED, _COUNTER
    _SHARED, _COUNTER = shared, counter


def write_segments(shared: Shared, job: Job, done: Callable[[str], None] | None = None):
    """(outcomes, internal segment, public segment) of a job; a segment is None when empty.

    Each segment's sidecar is written here too, from the posting lists the writer just
    wrote, rather than decoded back from the segment's files after the commit."""
    writers = []
    try:
        for name in INDEXES:
            ix = whoosh_index.open_dir(str(shared.gen_dir / name))
            writers.append(segment_writer(ix, limitmb=WRITER_MEMORY_MB, codec=writer_codec(), keep=SIDECAR_MIN_DF))
        share_analysis(writers[0].schema, writers[1].schema)
        outcomes = fill(shared, job, writers[0], writers[1], done)
        segments = []
        for name, writer in zip(INDEXES, writers, strict=True):
            segment = finish_segment(writer)
            lists = written_lists(writer, segment)
            if lists is not None:
                write_sidecar(shared.gen_dir / name, lists)
            segments.append(segment)
        return outcomes, *segments
    except BaseException:
        for writer in writers:
            with contextlib.suppress(Exception):
                writer.cancel()
        raise


def share_analysis(first, second) -> None:
    """Let two writers' schemas analyse a document's values once: a public article goes to
    both indexes with the very same field values, right after each other, so each field
    remembers the terms of the last value it analysed (by identity) and gives them again."""
    for name in first.names():
        if not first[name].indexed or name not in second:
            continue
        remembered: list = [None, None]
        for fieldtype in (first[name], second[name]):
            fieldtype.index = _remembering(fieldtype.index, remembered)


def _remembering(index, remembered: list):
    def remembered_index(value, **kwargs):
        if kwargs:
            return index(value, **kwargs)
        if value is not remembered[0]:
            remembered[0], remembered[1] = value, list(index(value))
        return remembered[1]
    return remembered_index


def _count_one(rel: str) -> None:
    with _COUNTER.get_lock():
        _COUNTER.value += 1


def _worker_job(job: Job):
    return write_segments(_SHARED, job, _count_one)


Tick = Callable[[int, str], None]  # (files done, what is being done)


def run_jobs(shared: Shared, jobs: list[Job], procs: int,
             tick: Tick) -> tuple[list[list[Outcome]], list, list]:
    """Run the jobs, in ``procs`` processes when there are several; returns the outcomes of
    each job in order and the internal and public segments written (to be committed together)."""
    results = []
    if procs > 1 and len(jobs) > 1:
        results = _in_processes(shared, jobs, procs, tick)
    else:
        count = 0

        def one_more(rel: str) -> None:
            nonlocal count
            count += 1
            tick(count, rel)

        for job in jobs:
            results.append(write_segments(shared, job, one_more))
    outcomes = [r[0] for r in results]
    internal = [r[1] for r in results if r[1] is not None]
    public = [r[2] for r in results if r[2] is not None]
    return outcomes, internal, public


def _in_processes(shared: Shared, jobs: list[Job], procs: int, tick: Tick) -> list:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    counter = context.Value("q", 0)
    pool = context.Pool(min(procs, len(jobs)), initializer=_start_worker, initargs=(shared, counter))
    try:
        pending = [pool.apply_async(_worker_job, (job,)) for job in jobs]
        while not all(p.ready() for p in pending):
            time.sleep(0.25)
            tick(counter.value, f"in {min(procs, len(jobs))} processes")
        results = [p.get() for p in pending]  # raises a job's exception here
        pool.close()
        return results
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def can_run_in_workers() -> bool:
    """Workers write segments without Whoosh's lock, through Whoosh internals: only on the
    Whoosh the adapter was written for."""
    return fast_path()
