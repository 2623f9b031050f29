"""A full rebuild parsed and indexed by worker processes gives the very index and report
a one-process rebuild gives, and so does Whoosh's public writer path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer import Searcher, build_index
from indexer.engine import whoosh_adapter
from indexer.rebuild_jobs import split
from tests.indexer.conftest import generation, tsg, write

FIRST = {
    "a/login.md": tsg("A1", "ODBC login timeout", symptoms="Login timeout expired (SQLSTATE HYT00)."),
    "a/ora.md": tsg("A2", "ORA-12154 could not resolve", symptoms="ORA-12154: TNS could not resolve."),
    "b/vpn.md": tsg("A3", "VPN drops every few minutes", symptoms="The tunnel drops.", audience="internal"),
    "b/printer.md": tsg("A4", "Printer spooler stops", symptoms="Spooler service stops after a job."),
    "b/draft.md": tsg("A5", "Draft about certificates", status="draft"),
    "c/disk.md": tsg("A6", "Disk full on the log volume", symptoms="No space left on device."),
    "c/proxy.md": tsg("P1", "Proxy refuses the login", symptoms="HTTP 407 proxy authentication required."),
    "d/mail.md": tsg("A7", "Mail stuck in the outbox", symptoms="Outlook keeps mail in the outbox."),
    "d/teams.md": tsg("A8", "Teams camera is black", symptoms="The camera preview stays black."),
    "e/wifi.md": tsg("A9", "Wi-Fi drops on battery", symptoms="Wireless disconnects when unplugged."),
}


def _change(articles: Path) -> None:
    """A later edit: duplicates across slices, broken files with and without a last good
    version, a file that is not an article."""
    write(articles, "c/proxy.md", tsg("A1", "Proxy page now claiming A1", symptoms="zebraquartz"))
    write(articles, "e/copy.md", tsg("A2", "A copy of the ORA article", symptoms="copyonlyword"))
    write(articles, "d/mail.md", "---\nid: A7\ntitle: [unclosed\naudience: internal\n---\nbody\n")
    write(articles, "e/new-broken.md", "---\ntitle: [unclosed\n---\nbody\n")
    write(articles, "e/notes.md", "just some notes, no front matter and no heading\n")


def _rebuilt(make_kb, tmp_path: Path, name: str, **kwargs):
    articles = make_kb(FIRST)
    target = tmp_path / f"articles-{name}"
    shutil.copytree(articles, target)
    root = tmp_path / f"index-{name}"
    build_index(target, root, embed=False, **kwargs)
    _change(target)
    report = build_index(target, root, rebuild=True, embed=False, **kwargs)
    return report, root


def _summary(report) -> dict:
    return {
        "added": report.added, "changed": report.changed, "deleted": report.deleted,
        "unchanged": report.unchanged, "kept": report.kept,
        "skipped": report.skipped, "counts": (report.internal_count, report.public_count),
        "problems": [(Path(p.path).name, p.line, p.field, p.rule, p.severity) for p in report.problems],
    }


def _documents(root: Path) -> dict:
    out = {}
    for audience in ("internal", "public"):
        from whoosh import index as whoosh_index

        with whoosh_index.open_dir(str(generation(root, audience))).searcher() as s:
            out[audience] = sorted((d["id"], d["path"], d["content_hash"]) for d in s.all_stored_fields())
    return out


def _hits(root: Path) -> dict:
    with Searcher(root, check_interval=0) as s:
        return {q: [(h.id, round(h.score, 4)) for h in s.search(q, limit=20).hits]
                for q in ("login timeout", "ORA-12154", "zebraquartz", "copyonlyword", "outbox", "proxy")}


@pytest.fixture
def one_process(make_kb, tmp_path):
    return _rebuilt(make_kb, tmp_path, "one", procs=1)


def test_worker_processes_build_what_one_process_builds(make_kb, tmp_path, one_process) -> None:
    report, root = one_process
    workers, workers_root = _rebuilt(make_kb, tmp_path, "two", procs=2)
    assert _summary(workers) == _summary(report)
    assert _documents(workers_root) == _documents(root)
    assert _hits(workers_root) == _hits(root)


def test_the_first_file_in_path_order_owns_an_id(one_process) -> None:
    report, root = one_process
    duplicates = sorted(p.path.split("/articles-one/", 1)[1]
                        for p in report.problems if p.rule == "duplicate-id")
    assert duplicates == ["c/proxy.md", "e/copy.md"]
    # The proxy page's previous version (P1) stays: its id is still free. The copy had none.
    assert report.kept == ["c/proxy.md", "d/mail.md"]
    docs = _documents(root)
    assert [(i, p) for i, p, _ in docs["internal"] if i in ("A1", "A2", "P1", "A7")] == [
        ("A1", "a/login.md"), ("A2", "a/ora.md"), ("A7", "d/mail.md"), ("P1", "c/proxy.md")]
    # The broken mail page asks to be internal now: its last good version leaves the help center.
    assert "A7" not in [i for i, _, _ in docs["public"]]
    assert report.skipped == ["e/notes.md"]
    hits = _hits(root)
    assert hits["zebraquartz"] == [] and hits["copyonlyword"] == []


def test_whooshs_public_writers_build_the_same(make_kb, tmp_path, one_process) -> None:
    report, root = one_process
    previous = whoosh_adapter.set_fast_path(False)
    try:
        public, public_root = _rebuilt(make_kb, tmp_path, "public", procs=2)
        public_docs = _documents(public_root)
    finally:
        whoosh_adapter.set_fast_path(previous)
    assert _summary(public) == _summary(report)
    assert public_docs == _documents(root)
    # Each public article analysed once for both indexes scores as when analysed twice.
    assert _hits(public_root) == _hits(root)


def test_files_are_split_in_path_order_one_slice_per_process_at_least() -> None:
    files = [(f"f{i:03}.md", None) for i in range(25)]
    jobs = split(files, {}, procs=2)
    assert [len(j.files) for j in jobs] == [13, 12]
    assert [rel for j in jobs for rel, _ in j.files] == [rel for rel, _ in files]
    assert len(split(files, {}, procs=1)) == 1 and split([], {}, procs=2) == []


@pytest.mark.parametrize("procs", [1, 2])
def test_each_job_writes_its_segments_sidecars_as_the_segments_files_give_them(make_kb, tmp_path, procs) -> None:
    from whoosh import index as whoosh_index

    from indexer.engine.sidecars import sidecar_path, write_sidecar
    from indexer.engine.term_table import table_path

    articles = make_kb({**FIRST, **{f"f/extra{n}.md": tsg(f"X{n}", f"Login timeout variant {n}",
                                                           symptoms=f"Login timeout number {n} expired.")
                                     for n in range(30)}})
    root = tmp_path / "index"
    labels = []
    build_index(articles, root, rebuild=True, embed=False, procs=procs,
                progress=lambda done, total, label: labels.append(label))
    assert not [label for label in labels if label.startswith("fast postings")], \
        "no sidecar is left to write after the commit"
    checked = 0
    for audience in ("internal", "public"):
        folder = generation(root, audience)
        with whoosh_index.open_dir(str(folder)).reader() as reader:
            for sub, _offset in reader.leaf_readers():
                sidecar, table = sidecar_path(folder, sub), table_path(folder, sub)
                written = sidecar.read_bytes(), table.read_bytes()
                write_sidecar(folder, sub)  # again, from the segment's files
                assert (sidecar.read_bytes(), table.read_bytes()) == written
                checked += 1
    assert checked == 2 * max(procs, 1)
