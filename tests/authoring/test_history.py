"""Article history from Git, and no history (without errors) when there is no Git."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from kb import history
from kb.history import file_history

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture(autouse=True)
def _fresh_cache():
    history.clear_cache()
    yield
    history.clear_cache()


def git(repo, *args, author="Ada Author <ada@example.com>", date="2026-01-02T10:00:00+00:00"):
    name, email = author[:-1].split(" <")
    env = {**os.environ, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
           "GIT_COMMITTER_EMAIL": email, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    """A Git repository whose articles/ folder holds one file with three commits and a rename."""
    root = tmp_path / "repo"
    articles = root / "articles"
    articles.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (articles / "old-name.md").write_text("---\ntitle: T\n---\nFirst.\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "Add printer article")
    (articles / "old-name.md").write_text("---\ntitle: T\n---\nFirst.\nSecond.\n")
    git(root, "commit", "-q", "-am", "Explain the spooler", author="Bob Reviewer <bob@example.com>",
        date="2026-02-03T11:00:00+00:00")
    git(root, "mv", "articles/old-name.md", "articles/new-name.md")
    git(root, "commit", "-q", "-m", "Rename for the new title", author="Cy Editor <cy@example.com>",
        date="2026-03-04T12:00:00+00:00")
    return root


def test_history_follows_renames_newest_first(repo):
    h = file_history(repo / "articles", "new-name.md")
    assert h.available and not h.uncommitted
    assert [c.subject for c in h.changes] == ["Rename for the new title", "Explain the spooler",
                                              "Add printer article"]
    assert [c.author for c in h.changes] == ["Cy Editor", "Bob Reviewer", "Ada Author"]
    assert h.last.when.isoformat() == "2026-03-04T12:00:00+00:00"
    assert len(h.last.commit) >= 7
    assert all("@" not in c.author for c in h.changes)  # names only, no e-mail addresses


def test_limit(repo):
    assert len(file_history(repo / "articles", "new-name.md", limit=1).changes) == 1


def test_new_commits_show_up_despite_the_cache(repo):
    assert len(file_history(repo / "articles", "new-name.md").changes) == 3
    (repo / "articles" / "new-name.md").write_text("---\ntitle: T\n---\nThird.\n")
    assert file_history(repo / "articles", "new-name.md").uncommitted
    git(repo, "commit", "-q", "-am", "Third change", date="2026-04-05T12:00:00+00:00")
    h = file_history(repo / "articles", "new-name.md")
    assert h.last.subject == "Third change" and not h.uncommitted


def test_untracked_file_has_no_changes_yet(repo):
    (repo / "articles" / "draft.md").write_text("---\ntitle: D\n---\n")
    h = file_history(repo / "articles", "draft.md")
    assert h.available and h.changes == () and h.uncommitted and h.last is None


def test_repository_without_commits(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "a.md").write_text("x")
    h = file_history(tmp_path, "a.md")
    assert h.changes == () and h.reason == ""


def test_outside_a_repository(tmp_path):
    (tmp_path / "a.md").write_text("x")
    h = file_history(tmp_path, "a.md")
    assert not h.available and h.changes == () and h.reason


def test_missing_folder(tmp_path):
    assert not file_history(tmp_path / "nope", "a.md").available


def test_git_not_installed(repo, monkeypatch, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    h = file_history(repo / "articles", "new-name.md")
    assert not h.available and "not installed" in h.reason


def test_slow_git_times_out(repo, monkeypatch, tmp_path):
    bin_dir = tmp_path / "slow-bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text("#!/bin/sh\nexec sleep 5\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    h = file_history(repo / "articles", "new-name.md", timeout=0.3)
    assert not h.available and "longer than" in h.reason
