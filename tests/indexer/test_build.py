"""Index builds: incremental updates, broken files, strictness, atomic switches, locks and crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from whoosh.writing import SegmentWriter

from indexer import Searcher, build_index, index_exists
from indexer.layout import LOCK_FILE, Pointer, existing_generations, read_pointer, write_pointer
from indexer.update import Update
from kb.errors import IndexBusy, IndexMissing
from tests.conftest import REPO
from tests.indexer.conftest import tsg, write

BASE = {
    "db/odbc.md": tsg("A1", "ODBC login timeout", symptoms="Login timeout expired (SQLSTATE HYT00)."),
    "db/ora.md": tsg("A2", "ORA-12154 could not resolve", symptoms="ORA-12154: TNS could not resolve."),
    "net/vpn.md": tsg("A3", "VPN drops every few minutes", symptoms="The tunnel drops.", audience="internal"),
}


def ids(searcher: Searcher, query: str, **kwargs) -> list[str]:
    return [h.id for h in searcher.search(query, limit=50, **kwargs).hits]


def fresh(root: Path) -> Searcher:
    return Searcher(root, check_interval=0)


def test_first_build_then_nothing_to_do(corpus) -> None:
    articles, root = corpus(BASE)
    report = build_index(articles, root)
    assert report.rebuilt and sorted(report.added) == ["A1", "A2", "A3"]
    assert (report.internal_count, report.public_count) == (3, 2)
    assert index_exists(root)
    again = build_index(articles, root)
    assert not again.rebuilt and again.touched == 0 and again.unchanged == 3
    assert again.generation == report.generation


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    assert not index_exists(tmp_path)
    with pytest.raises(IndexMissing, match="kb index"):
        Searcher(tmp_path).search("anything")


def test_incremental_add_change_delete_and_rename(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    write(articles, "db/new.md", tsg("A4", "Deadlock victim error 1205"))
    write(articles, "db/odbc.md", tsg("A1", "ODBC login timeout", symptoms="Now mentions zanzibarite."))
    (articles / "db/ora.md").unlink()
    (articles / "net/vpn.md").rename(articles / "vpn-moved.md")
    report = build_index(articles, root)
    assert not report.rebuilt
    assert report.added == ["A4"]
    assert report.changed == ["A1", "A3"]  # edited, and moved
    assert report.deleted == ["A2"]
    assert report.unchanged == 0
    with fresh(root) as s:
        assert ids(s, "zanzibarite") == ["A1"]
        assert ids(s, "ORA-12154", audience="internal") == []
        assert ids(s, "deadlock") == ["A4"]
        assert s.get_article("A3", audience="internal").path == "vpn-moved.md"
        assert s.stats("internal")["doc_count"] == 3


def test_incremental_change_is_searchable_within_a_second(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    with Searcher(root, check_interval=0.5) as s:
        assert ids(s, "quokkaquirk") == []
        write(articles, "db/odbc.md", tsg("A1", "ODBC login timeout", symptoms="quokkaquirk appears."))
        started = time.monotonic()
        build_index(articles, root)
        deadline = started + 1.0
        while ids(s, "quokkaquirk") != ["A1"]:
            assert time.monotonic() < deadline, "change not visible within 1 s"
            time.sleep(0.05)


def test_broken_file_keeps_its_last_good_version(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    write(articles, "db/odbc.md", "---\nid: A1\ntitle: [unclosed\naudience: public\n---\nbody\n")
    report = build_index(articles, root)
    assert report.kept == ["db/odbc.md"]
    assert report.errors and report.errors[0].path.endswith("db/odbc.md")
    with fresh(root) as s:
        assert ids(s, "login timeout") == ["A1"]
        article = s.get_article("A1")
        assert article.title == "ODBC login timeout" and "HYT00" in article.body
    # Still reported (and still kept) on the next build, until it is fixed.
    again = build_index(articles, root)
    assert again.kept == ["db/odbc.md"] and again.errors
    write(articles, "db/odbc.md", tsg("A1", "ODBC login timeout fixed"))
    fixed = build_index(articles, root)
    assert fixed.changed == ["A1"] and not fixed.errors


def test_broken_file_survives_a_full_rebuild(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    write(articles, "db/ora.md", "---\ntitle: ok\naudience: public\ntags: [broken\n---\n")
    report = build_index(articles, root, rebuild=True)
    assert report.rebuilt and report.kept == ["db/ora.md"]
    with fresh(root) as s:
        assert ids(s, "ORA-12154") == ["A2"]


def test_new_broken_file_is_reported_and_not_indexed(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    write(articles, "bad.md", "---\ntitle: [unclosed\n---\nbody\n")
    report = build_index(articles, root)
    assert report.errors and not report.kept and report.internal_count == 3


def test_duplicate_id_keeps_the_indexed_file(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    write(articles, "dup.md", tsg("A1", "Another article claiming A1"))
    report = build_index(articles, root)
    assert any(p.rule == "duplicate-id" for p in report.problems)
    with fresh(root) as s:
        assert s.get_article("A1").path == "db/odbc.md"


def test_strict_refuses_to_write_while_lint_errors_remain(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    write(articles, "db/new.md", tsg("A4", "Brand new article about wombats"))
    write(articles, "bad.md", "---\ntitle: x\nfoo: bar\n---\n")
    report = build_index(articles, root, strict=True)
    assert report.refused and report.errors and report.touched == 0
    with fresh(root) as s:
        assert ids(s, "wombats") == []
    (articles / "bad.md").unlink()
    report = build_index(articles, root, strict=True)
    assert not report.refused and report.added == ["A4"]


def test_schema_version_change_rebuilds_automatically(corpus) -> None:
    articles, root = corpus(BASE)
    first = build_index(articles, root)
    pointer = read_pointer(root)
    write_pointer(root, Pointer(pointer.generation, pointer.dir, 0, pointer.built_at, pointer.updated_at))
    report = build_index(articles, root)
    assert report.rebuilt and report.generation == first.generation + 1
    assert any("schema version 0" in n for n in report.notices)
    assert read_pointer(root).schema_version != 0


def test_rebuild_switches_atomically_while_a_reader_is_open(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    with Searcher(root, check_interval=3600) as s:
        assert ids(s, "login timeout") == ["A1"]
        write(articles, "db/odbc.md", tsg("A1", "ODBC login timeout", symptoms="gnarlywidget"))
        build_index(articles, root, rebuild=True)
        build_index(articles, root, rebuild=True)  # the reader's generation is now deleted from disk
        assert len(existing_generations(root)) == 2
        # The searcher still serves the version it opened...
        assert ids(s, "login timeout") == ["A1"] and ids(s, "gnarlywidget") == []
        assert s.get_article("A1").title == "ODBC login timeout"
        assert s.list_articles(sort="updated", audience="internal")[0] == 3
        assert s.facet_values()["type"][0].count == 2
        assert s.autocomplete("odbc")[0]["id"] == "A1"
        # ...and picks up the new one without a restart.
        s.refresh()
        assert ids(s, "gnarlywidget") == ["A1"]


def test_second_writer_waits_then_gets_a_clear_busy_error(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    write(articles, "db/new.md", tsg("A4", "Slow article"))
    entered, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow_progress(done: int, total: int, label: str) -> None:
        entered.set()
        release.wait(10)

    def first() -> None:
        try:
            build_index(articles, root, progress=slow_progress)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    assert entered.wait(10)
    started = time.monotonic()
    with pytest.raises(IndexBusy) as info:
        build_index(articles, root, lock_timeout=0.3)
    assert time.monotonic() - started >= 0.3
    message = str(info.value)
    assert LOCK_FILE in message and "kb index" in message and f"pid {os.getpid()}" in message
    release.set()
    thread.join(10)
    assert not errors
    with fresh(root) as s:
        assert ids(s, "slow") == ["A4"]
    assert build_index(articles, root).touched == 0


def test_second_writer_waits_for_the_first_when_the_timeout_allows(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    entered = threading.Event()

    def progress(done: int, total: int, label: str) -> None:
        entered.set()
        time.sleep(0.3)

    write(articles, "db/new.md", tsg("A4", "Another article"))
    thread = threading.Thread(target=build_index, args=(articles, root), kwargs={"progress": progress})
    thread.start()
    assert entered.wait(10)
    report = build_index(articles, root, lock_timeout=10)
    thread.join(10)
    assert report.touched == 0 and report.internal_count == 4


LOCK_HOLDER = """
import sys, time
from pathlib import Path
from indexer.layout import WriteLock
WriteLock(Path(sys.argv[1])).acquire()
print("locked", flush=True)
time.sleep(60)
"""


def _python(code: str, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, text=True, **kwargs)


def test_writer_in_another_process_blocks_and_a_crash_frees_the_lock(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    holder = _python(LOCK_HOLDER, str(root))
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexBusy, match=f"pid {holder.pid}"):
            build_index(articles, root, lock_timeout=0.2)
    finally:
        holder.kill()
        holder.wait(10)
        holder.stdout.close()
    report = build_index(articles, root, lock_timeout=5)
    assert any("did not finish" in n and LOCK_FILE in n for n in report.notices)
    assert report.touched == 0


CRASHING_BUILD = """
import os, signal, sys
from indexer.build import build_index

def progress(done, total, label):
    if done == 2:
        os.kill(os.getpid(), signal.SIGKILL)

build_index(sys.argv[1], sys.argv[2], rebuild=True, progress=progress)
"""


def test_killed_build_leaves_the_last_good_index_serving(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    write(articles, "db/odbc.md", tsg("A1", "ODBC login timeout", symptoms="halfwrittenword"))
    proc = _python(CRASHING_BUILD, str(articles), str(root))
    proc.communicate(timeout=60)
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert len(existing_generations(root)) == 2  # the crashed build's half-written generation
    with fresh(root) as s:
        assert ids(s, "login timeout") == ["A1"] and ids(s, "halfwrittenword") == []
    report = build_index(articles, root)
    assert any("did not finish" in n for n in report.notices)
    assert report.changed == ["A1"]
    with fresh(root) as s:
        assert ids(s, "halfwrittenword") == ["A1"]


def test_failed_commit_leaves_the_index_serving_and_unlocked(corpus, monkeypatch) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    write(articles, "db/odbc.md", tsg("A1", "ODBC login timeout", symptoms="neverwritten"))

    def broken_commit(self, *args, **kwargs):
        raise OSError("disk full")

    # Writing the table of contents is where every commit ends, a rebuild's included.
    monkeypatch.setattr(SegmentWriter, "_commit_toc", broken_commit)
    with pytest.raises(OSError, match="disk full"):
        build_index(articles, root)
    with pytest.raises(OSError, match="disk full"):
        build_index(articles, root, rebuild=True)
    monkeypatch.undo()
    assert len(existing_generations(root)) == 1
    with fresh(root) as s:
        assert ids(s, "login timeout") == ["A1"] and ids(s, "neverwritten") == []
    report = build_index(articles, root, lock_timeout=0.5)
    assert report.changed == ["A1"]


def test_public_index_is_repaired_after_a_crash_between_commits(corpus, monkeypatch) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    write(articles, "db/odbc.md", tsg("A1", "ODBC login timeout", symptoms="publicword"))

    def crash(self, *args):
        raise RuntimeError("killed between commits")

    monkeypatch.setattr(Update, "_sync_public", crash)
    with pytest.raises(RuntimeError):
        build_index(articles, root)
    monkeypatch.undo()
    with fresh(root) as s:
        assert ids(s, "publicword", audience="internal") == ["A1"]
        assert ids(s, "publicword") == []  # the public side missed the commit...
    assert build_index(articles, root).touched == 0
    with fresh(root) as s:
        assert ids(s, "publicword") == ["A1"]  # ...and the next build repaired it


def test_audience_change_moves_an_article_out_of_the_public_index(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    write(articles, "db/ora.md", tsg("A2", "ORA-12154 could not resolve", audience="internal"))
    build_index(articles, root)
    with fresh(root) as s:
        assert ids(s, "ORA-12154") == []
        assert ids(s, "ORA-12154", audience="internal") == ["A2"]


def test_signals_are_stored_and_kept(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root, signals={"A1": 7})
    with fresh(root) as s:
        assert s.search("login timeout").hits[0].reuse_count == 7
    build_index(articles, root)  # no signals: stored counts stay
    with fresh(root) as s:
        assert s.search("login timeout").hits[0].reuse_count == 7
    build_index(articles, root, signals={"A1": 2})
    with fresh(root) as s:
        assert s.search("login timeout").hits[0].reuse_count == 2


def test_progress_is_reported(corpus) -> None:
    articles, root = corpus(BASE)
    calls: list[tuple[int, int, str]] = []
    build_index(articles, root, progress=lambda d, t, label: calls.append((d, t, label)))
    assert calls[0] == (0, 3, "db/odbc.md") and (3, 3, "committing") in calls
    after = [label for _, _, label in calls[calls.index((3, 3, "committing")) + 1:]]
    # A new generation's jobs wrote their segments' sidecars before the commit.
    assert after == ["meaning vectors: 3 of 3 articles"]
    # An update writes its new segment's sidecar after the commit, and says so.
    write(articles, "db/new.md", tsg("A4", "Deadlock victim error 1205"))
    calls.clear()
    build_index(articles, root, progress=lambda d, t, label: calls.append((d, t, label)))
    after = [label for _, _, label in calls[calls.index((1, 1, "committing")) + 1:]]
    assert after[:-1] and all(label.startswith("fast postings") for label in after[:-1]), calls


def test_touched_but_unchanged_files_are_not_reindexed(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    path = articles / "db/odbc.md"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    report = build_index(articles, root)
    assert report.touched == 0 and report.unchanged == 3


def test_scan_finds_the_same_files_as_the_core(corpus) -> None:
    from indexer.article_files import walk_articles
    from kb.articles import iter_article_paths

    articles, _ = corpus({**BASE, "_drafts/x.md": tsg("X", "hidden"), ".git/y.md": "x", "README.md": "# hi",
                          "deep/er/z.md": tsg("Z", "deep")})
    assert sorted(rel for rel, _, _ in walk_articles(articles)) == sorted(
        p.relative_to(articles).as_posix() for p in iter_article_paths(articles))


def test_targeted_update_of_given_paths(corpus) -> None:
    articles, root = corpus(BASE)
    build_index(articles, root)
    write(articles, "db/odbc.md", tsg("A1", "ODBC login timeout", symptoms="targetedword"))
    write(articles, "db/new.md", tsg("A4", "Fresh article"))
    write(articles, "db/dup.md", tsg("A2", "Claims the id of ora.md"))
    (articles / "net/vpn.md").unlink()
    write(articles, "db/ora.md", tsg("A2", "ORA-12154 edited but not listed", symptoms="unlistedword"))
    listed = ["db/odbc.md", articles / "db/new.md", "db/dup.md", "net/vpn.md", "/elsewhere.md"]
    report = build_index(articles, root, paths=listed)
    assert (report.added, report.changed, report.deleted) == (["A4"], ["A1"], ["A3"])
    assert any(p.rule == "duplicate-id" and "db/dup.md" in p.path for p in report.problems)
    with fresh(root) as s:
        assert ids(s, "targetedword") == ["A1"]
        assert ids(s, "unlistedword") == []  # not listed, not looked at
        assert ids(s, "tunnel", audience="internal") == []
    assert build_index(articles, root).changed == ["A2"]  # a full check finds the rest
