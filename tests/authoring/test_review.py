"""Reviewing from the queue: approve or request changes, recorded in the file and its Git history."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from kb.review import APPROVE, REQUEST_CHANGES, ReviewError, decide
from tests.authoring.test_web import client_as, git, site  # noqa: F401  (the site fixture)
from tests.conftest import article_text
from tests.web.helpers import account, csrf_token_from, soup

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def log(root, *args) -> str:
    return subprocess.run(["git", "log", *args], cwd=root, capture_output=True, text=True, check=True).stdout


def post_review(client, article_id: str, decision: str, note: str = ""):
    token = csrf_token_from(client.get("/authoring/queue"))
    return client.post(f"/authoring/review/{article_id}",
                       data={"decision": decision, "note": note, "csrf_token": token})


@needs_git
def test_approving_publishes_the_file_and_commits_it_as_the_reviewer(site):  # noqa: F811
    app, root, db = site
    client = client_as(app, db, "author")
    before = (root / "print/review.md").read_text()
    response = post_review(client, "KB0101", APPROVE, "Checked the steps on a test scanner.")
    assert response.status_code == 302 and response.headers["Location"].endswith("#review-done")
    after = (root / "print/review.md").read_text()
    assert "status: published" in after and "status: review" not in after
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert all(line.startswith(("status:", "updated:")) for line in changed), "only the decision changes"
    message = log(root, "-1", "--format=%an%n%B", "--", "print/review.md")
    assert message.startswith(account(db, "author").name)
    assert "Approve KB0101" in message and "Checked the steps on a test scanner." in message
    page = soup(client.get("/authoring/queue"))
    assert "Approved and published: KB0101" in page.select_one("#review-done [role=status]").text
    assert "KB0101" not in page.select_one("section[aria-labelledby=review-title]").text


@needs_git
def test_requesting_changes_sends_it_back_to_draft_and_needs_a_note(site):  # noqa: F811
    app, root, db = site
    client = client_as(app, db, "author")
    post_review(client, "KB0101", REQUEST_CHANGES, "")
    assert "status: review" in (root / "print/review.md").read_text(), "no note, no decision"
    page = soup(client.get("/authoring/queue"))
    assert "Say what should change" in page.select_one("#review-KB0101 [role=alert]").text
    post_review(client, "KB0101", REQUEST_CHANGES, "Add the driver version to Symptoms.")
    assert "status: draft" in (root / "print/review.md").read_text()
    assert "Add the driver version" in log(root, "-1", "--format=%B")


def test_only_authors_review_and_only_articles_in_review(site):  # noqa: F811
    app, _, db = site
    engineer = client_as(app, db, "engineer")
    token = csrf_token_from(engineer.get("/cases"))
    assert engineer.post("/authoring/review/KB0101", data={"decision": APPROVE,
                                                           "csrf_token": token}).status_code == 403
    author = client_as(app, db, "author")
    post_review(author, "KB0100", APPROVE)
    assert "not in review" in soup(author.get("/authoring/queue")).select_one("[role=alert]").text


def test_a_decision_without_git_still_changes_the_file(make_kb):
    root = make_kb({"a.md": article_text("id: KB0001\ntitle: A thing\nstatus: review")})
    done = decide(root, "a.md", "KB0001", APPROVE, reviewer="rev")
    assert (done.status, done.commit) == ("published", None)
    assert "status: published" in (root / "a.md").read_text()
    with pytest.raises(ReviewError, match="not in review"):
        decide(root, "a.md", "KB0001", APPROVE, reviewer="rev")
    with pytest.raises(ReviewError, match="not inside"):
        decide(root, "../outside.md", "X", APPROVE, reviewer="rev")


def test_a_draft_has_a_readers_page_in_preview(site):  # noqa: F811
    app, _, db = site
    client = client_as(app, db, "author")
    preview = soup(client.get("/authoring/preview/KB0102"))
    link = next(a["href"] for a in preview.select("a") if a.text == "Open the reader's page")
    response = client.get(link)
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("#article-title").text == "Label printer prints garbage"
    assert "Reader's view of draft KB0102" in page.text
