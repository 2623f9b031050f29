"""The watcher: notices edits, waits for quiet, reindexes, survives failures."""

from __future__ import annotations

import os
import threading
import time

from indexer.watch import Watcher
from kb.live import changed_paths, scan
from tests.conftest import article_text


class FakeBuild:
    """Stands in for build_index: records calls, can fail on demand."""

    def __init__(self):
        self.calls: list[tuple] = []
        self.fail = False
        self.lock = threading.Lock()

    def __call__(self, articles_dir, index_dir):
        with self.lock:
            self.calls.append((articles_dir, index_dir))
        if self.fail:
            raise RuntimeError("index is busy")
        return {"call": len(self.calls)}


def touch(path, text):
    """Write a file and move its mtime forward, so coarse clocks still see a change."""
    path.write_text(text)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def test_scan_sees_markdown_and_yaml_but_not_hidden_folders(make_kb):
    root = make_kb({"a.md": "x", "sub/b.md": "y", ".git/c.md": "z", "notes.txt": "n"})
    assert set(scan(root)) == {"a.md", "sub/b.md", "resolution-codes.yaml"} | (
        {"synonyms.yaml"} if (root / "synonyms.yaml").exists() else set())


def test_changed_paths():
    assert changed_paths({"a": (1, 1), "b": (1, 1)}, {"a": (2, 1), "c": (1, 1), "b": (1, 1)}) == {"a", "c"}


def test_poll_reindexes_only_after_a_change(make_kb, tmp_path):
    root = make_kb({"a.md": article_text("title: A")})
    build = FakeBuild()
    seen = []
    watcher = Watcher(root, tmp_path / "index", build=build, debounce=0.01, on_reindex=seen.append)
    assert watcher.poll() is False and build.calls == []
    touch(root / "a.md", article_text("title: A2"))
    (root / "new.md").write_text(article_text("title: New"))
    assert watcher.poll() is True
    assert build.calls == [(root, tmp_path / "index")]
    assert seen == [{"call": 1}]
    assert watcher.state.generation == 1 and watcher.state.last_changed == {"a.md", "new.md"}
    assert watcher.poll() is False
    (root / "new.md").unlink()
    assert watcher.poll() is True and watcher.state.last_changed == {"new.md"}


def test_a_burst_of_saves_is_one_reindex(make_kb, tmp_path):
    root = make_kb({"a.md": "x"})
    build = FakeBuild()
    watcher = Watcher(root, tmp_path / "index", build=build, debounce=0.15)

    def editor():
        for i in range(5):
            touch(root / "a.md", f"version {i}")
            time.sleep(0.03)

    thread = threading.Thread(target=editor)
    thread.start()
    time.sleep(0.01)
    watcher.poll()
    thread.join()
    watcher.poll()
    assert len(build.calls) == 1


def test_failed_reindex_is_retried_and_does_not_stop_the_watcher(make_kb, tmp_path):
    root = make_kb({"a.md": "x"})
    build = FakeBuild()
    build.fail = True
    watcher = Watcher(root, tmp_path / "index", build=build, debounce=0.01)
    touch(root / "a.md", "y")
    assert watcher.poll() is True
    assert "index is busy" in watcher.state.last_error
    build.fail = False
    assert watcher.poll() is True  # retried although nothing changed since
    assert watcher.state.last_error is None and watcher.state.generation == 2


def test_thread_notices_a_change_quickly(make_kb, tmp_path):
    root = make_kb({"a.md": "x"})
    build = FakeBuild()
    with Watcher(root, tmp_path / "index", build=build, interval=0.05, debounce=0.02) as watcher:
        assert watcher.running
        started = time.monotonic()
        touch(root / "a.md", "changed")
        assert watcher.wait_for(1, timeout=2.0)
        assert time.monotonic() - started < 1.0
    assert not watcher.running


def test_wait_for_times_out(make_kb, tmp_path):
    watcher = Watcher(make_kb({}), tmp_path / "index", build=FakeBuild())
    assert watcher.wait_for(1, timeout=0.05) is False


def test_missing_folder_is_not_fatal(tmp_path):
    watcher = Watcher(tmp_path / "nope", tmp_path / "index", build=FakeBuild())
    assert watcher.poll() is False


def test_stop_is_prompt(make_kb, tmp_path):
    watcher = Watcher(make_kb({}), tmp_path / "index", build=FakeBuild(), interval=0.05).start()
    started = time.monotonic()
    watcher.stop()
    assert time.monotonic() - started < 1.0


def test_live_knowledge_base_rereads_only_changed_files(make_kb, monkeypatch):
    from kb import articles as articles_module
    from kb.articles import load_knowledge_base
    from kb.live import LiveKnowledgeBase

    root = make_kb({"a.md": article_text("id: A\ntitle: A"), "b.md": article_text("id: B\ntitle: B"),
                    "sub/a-copy.md": article_text("id: A\ntitle: Duplicate id")})
    live = LiveKnowledgeBase(root, min_interval=0)
    kb = live.get()
    reference = load_knowledge_base(root)
    assert set(kb.articles) == set(reference.articles) == {"A", "B"}
    assert kb.articles["A"].path == reference.articles["A"].path == "a.md"
    assert [p.rule for p in kb.problems] == [p.rule for p in reference.problems] == ["duplicate-id"]
    assert live.get() is kb  # nothing changed: same object

    parsed = []
    real = articles_module.parse_article
    monkeypatch.setattr(articles_module, "parse_article", lambda path, root=None, data=None, **options: (
        parsed.append(path.name), real(path, root, data, **options))[1])
    touch(root / "b.md", "---\ntitle: [broken\n---\n")
    kb = live.get()
    assert parsed == ["b.md"]
    assert "B" not in kb.articles and not kb.results["b.md"].ok
    assert live.last_good_id("b.md") == "B"
    (root / "a.md").unlink()
    assert set(live.get().articles) == {"A"} and live.get().articles["A"].path == "sub/a-copy.md"


# -- with the real indexer -------------------------------------------------------------------

def _hits(searcher, query):
    return [h.id for h in searcher.search(query, audience="internal", statuses=("published", "draft")).hits]


def _within(seconds, condition) -> bool:
    """Whether ``condition()`` becomes true within ``seconds``.

    Counting the watcher's generations instead would race: the searcher can see a new
    version before the watcher has recorded the reindex that wrote it.
    """
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_saved_file_searchable_within_a_second_broken_file_keeps_last_version(make_kb, tmp_path):
    from indexer import Searcher, build_index

    tsg = "## Symptoms\n\n{w} fails.\n\n## Cause\n\nA reason.\n\n## Resolution\n\n1. Fix it.\n"
    root = make_kb({"a.md": article_text("id: A\ntitle: Printer A\ntype: tsg", tsg.format(w="flurbish")),
                    "b.md": article_text("id: B\ntitle: Printer B\ntype: tsg", tsg.format(w="other"))})
    index = tmp_path / "index"
    build_index(root, index)
    with Searcher(index) as searcher:
        assert _hits(searcher, "flurbish") == ["A"]
        with Watcher(root, index, interval=0.1, on_reindex=lambda report: searcher.refresh()) as watcher:
            # An edit becomes searchable within a second of the save.
            started = time.monotonic()
            touch(root / "a.md", article_text("id: A\ntitle: Printer A\ntype: tsg", tsg.format(w="quozzle")))
            while "A" not in _hits(searcher, "quozzle") and time.monotonic() - started < 5:
                time.sleep(0.02)
            elapsed = time.monotonic() - started
            assert _hits(searcher, "quozzle") == ["A"]
            assert elapsed < 1.0, f"searchable after {elapsed:.2f} s"
            assert _hits(searcher, "flurbish") == []

            # A new file too.
            (root / "c.md").write_text(article_text("id: C\ntitle: Scanner C\nstatus: draft", "zirconite\n"))
            assert _within(3, lambda: _hits(searcher, "zirconite") == ["C"])

            # A file that stops parsing: reported, and its last good version stays served.
            touch(root / "a.md", "---\nid: A\ntitle: [broken\n---\nblorptastic\n")
            assert _within(3, lambda: any(p.path.endswith("a.md") and p.is_error
                                          for p in getattr(watcher.state.last_report, "problems", ())))
            assert _hits(searcher, "quozzle") == ["A"] and _hits(searcher, "blorptastic") == []
            assert searcher.get_article("A", audience="internal").title == "Printer A"


def test_kb_watch_command_reports_reindexes(make_kb, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cli import main
    from indexer import watch

    class OneShot:
        def __init__(self, root, index, *, interval, on_reindex):
            self.args = (root, index, interval)
            self.on_reindex = on_reindex
            self.state = watch.WatchState()
            self.running = False

        def start(self):
            report = type("Report", (), {"added": ["A"], "changed": [], "deleted": [], "problems": ["p"]})
            self.on_reindex(report())
            return self

        def stop(self):
            pass

    monkeypatch.setattr(watch, "Watcher", OneShot)
    root = make_kb({})
    result = CliRunner().invoke(main, ["watch", "--articles", str(root), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 0, result.output
    assert "reindexed: 1 added" in result.stdout and "  p" in result.stdout
    assert "Watching" in result.stderr
