"""Authoring pages: review queue, content-health report, live preview; review states and redirects."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime

import pytest

from kb.activity import SearchRecord, record_searches
from kb.db import engine_for
from tests.conftest import TAXONOMY, article_text
from tests.web.helpers import account, login_client, soup

TSG = ("## Symptoms\n\nThe {w} spooler stops.\n\n## Cause\n\nA driver.\n\n"
       "## Resolution\n\n1. Restart the {w} spooler.\n")

CORPUS = {
    "print/spooler.md": article_text(
        "id: KB0100\ntitle: Print spooler stops after a driver update\ntype: tsg\nstatus: published",
        TSG.format(w="zebraprint")),
    "print/old-spooler.md": article_text(
        "id: KB0090\ntitle: Spooler crashes (old article)\ntype: tsg\nstatus: archived\n"
        "superseded_by: KB0100",
        TSG.format(w="oldspoolword")),
    "print/review.md": article_text(
        "id: KB0101\ntitle: Scanner sends blank pages\ntype: tsg\nstatus: review\nupdated: 2026-11-01",
        TSG.format(w="scanner")),
    "print/draft.md": article_text(
        "id: KB0102\ntitle: Label printer prints garbage\ntype: tsg\nstatus: draft",
        TSG.format(w="label") + "\n> TODO: add a screenshot\n"),
    "print/overdue.md": article_text(
        "id: KB0103\ntitle: Badge printer offline\nstatus: published\nreview_by: 2020-01-01\n"
        "related: [KB0100]"),
}


def git(repo, *args):
    env = {**os.environ, "GIT_AUTHOR_NAME": "Ada Author", "GIT_AUTHOR_EMAIL": "ada@example.com",
           "GIT_COMMITTER_NAME": "Ada Author", "GIT_COMMITTER_EMAIL": "ada@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


@pytest.fixture
def site(tmp_path):
    """A corpus in a Git repository, its index, a database and an app over them."""
    from indexer import build_index
    from web import create_app

    root = tmp_path / "articles"
    root.mkdir()
    shutil.copy(TAXONOMY, root / TAXONOMY.name)
    for rel, text in CORPUS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    if shutil.which("git"):
        git(root, "init", "-q")
        git(root, "add", ".")
        git(root, "commit", "-q", "-m", "Printing articles")
    index = tmp_path / "index"
    build_index(root, index)
    db = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    app = create_app({"TESTING": True, "ARTICLES_DIR": str(root), "INDEX_DIR": str(index), "DB_URL": db,
                      "INSTANCE_DIR": str(tmp_path / "instance"), "SEARCH_LOG_BATCH": 1,
                      "SIGNALS_TTL_SECONDS": 0, "WATCH": False})
    yield app, root, db
    app.extensions["kb"].catalog.searcher.close()
    engine_for(db).dispose()


def client_as(app, db, role):
    client = app.test_client()
    if role:
        assert login_client(client, account(db, role)).status_code == 302
    return client


@pytest.mark.parametrize("path", ["/authoring/queue", "/authoring/report", "/authoring/preview/KB0100"])
def test_authoring_pages_are_for_authors(site, path):
    app, _, db = site
    assert client_as(app, db, None).get(path).status_code == 302
    assert client_as(app, db, "engineer").get(path).status_code == 403
    assert client_as(app, db, "author").get(path).status_code == 200
    assert client_as(app, db, "admin").get(path).status_code == 200


def test_queue_lists_review_overdue_and_drafts(site):
    app, root, db = site
    (root / "print" / "broken.md").write_text("---\ntitle: [\n---\n")
    page = soup(client_as(app, db, "author").get("/authoring/queue"))
    sections = {s.h2["id"]: s for s in page.select("section")}
    ids = {key: {c.get_text() for c in s.select("code.result-id")} for key, s in sections.items()}
    assert ids["review-title"] == {"KB0101"}
    assert ids["overdue-title"] == {"KB0103"}
    assert ids["drafts-title"] == {"KB0102"}
    assert "print/broken.md" in sections["broken-title"].get_text()
    link = sections["review-title"].select_one("a")["href"]
    assert link == "/authoring/preview/KB0101"


def test_report_page_and_json(site):
    app, _, db = site
    record_searches(engine_for(db), [SearchRecord("fax toner", "internal", 0, 2.0, at=datetime.now())] * 3)
    client = client_as(app, db, "author")
    page = soup(client.get("/authoring/report"))
    assert "fax toner" in page.select_one("#unanswered").get_text()
    assert "KB0103" in page.select_one("#stale").get_text()
    orphans = page.select_one("#orphans").get_text()
    assert "KB0101" in orphans and "KB0100" not in orphans  # KB0103 links to KB0100
    data = client.get("/authoring/report?format=json").get_json()
    assert data["unanswered"][0]["query"] == "fax toner" and data["unanswered"][0]["searches"] == 3


def test_preview_shows_the_file_as_saved_with_guidance_warnings_and_history(site):
    app, root, db = site
    path = root / "print" / "draft.md"
    path.write_text(path.read_text().replace("Label printer prints garbage", "Label printer prints noise"))
    page = soup(client_as(app, db, "author").get("/authoring/preview/KB0102"))
    # The file as saved, not the indexed title.
    assert page.select_one("#article-title").get_text() == "Label printer prints noise"
    problems = page.select_one(".problems").get_text()
    assert "unfilled-template" in problems and "add a screenshot" in problems
    live = page.select_one("[data-version-url]")
    assert live["data-version-url"] == "/authoring/preview/KB0102/version"
    assert page.find("script", src="/static/authoring.js") is not None
    assert page.find("script", src=None) is None  # nothing inline: the CSP forbids it
    if shutil.which("git"):
        history = page.select_one(".history").get_text()
        assert "Ada Author" in history and "Printing articles" in history
        assert "not committed" in history


def similar_box_of_new_draft(site, article_id: str, title: str, word: str):
    """The "existing articles like this one" box on the preview of a new draft."""
    app, root, db = site
    (root / "print" / f"{article_id}.md").write_text(article_text(
        f"id: {article_id}\ntitle: {title}\ntype: tsg\nstatus: draft", TSG.format(w=word)))
    return soup(client_as(app, db, "author").get(f"/authoring/preview/{article_id}")).select_one(".similar")


def test_preview_warns_about_likely_duplicates(site):
    similar = similar_box_of_new_draft(site, "KB0104", "Print spooler stops after driver updates",
                                       "zebraprint")
    assert "Possible duplicate" in similar.get_text()
    assert similar.select_one("li.likely-duplicate code").get_text() == "KB0100"


def test_preview_lists_no_zero_percent_matches(site):
    similar = similar_box_of_new_draft(site, "KB0105", "Quasar telemetry ingest backlog", "quasarword")
    text = similar.get_text(" ", strip=True)
    assert " 0% similar" not in text
    assert "Nothing similar found" in text or "% similar" in text


def test_broken_file_shows_its_errors_and_the_last_good_version(site):
    app, root, db = site
    client = client_as(app, db, "author")
    before = client.get("/authoring/preview/KB0100/version").get_json()["version"]
    (root / "print" / "spooler.md").write_text("---\nid: KB0100\ntitle: [unclosed\n---\nBroken now.\n")
    after = client.get("/authoring/preview/KB0100/version").get_json()["version"]
    assert after and after != before
    response = client.get("/authoring/preview/KB0100")
    assert response.status_code == 200
    page = soup(response)
    assert "doesn't load" in page.get_text()
    errors = page.select(".problem-error")
    assert errors and "front matter" in errors[0].get_text()
    assert page.select_one("#article-title").get_text() == "Print spooler stops after a driver update"
    # Readers still get the last good version.
    reader = client_as(app, db, "engineer").get("/articles/KB0100")
    assert reader.status_code == 200 and "zebraprint" in reader.get_data(as_text=True)


def test_version_endpoint(site):
    app, _, db = site
    client = client_as(app, db, "author")
    data = client.get("/authoring/preview/KB0100/version").get_json()
    assert data["path"] == "print/spooler.md" and len(data["version"]) == 64
    assert client.get("/authoring/preview/NOPE/version").status_code == 404
    assert client.get("/authoring/preview/NOPE").status_code == 404


# -- review states and archived articles -------------------------------------------------------

def test_archived_article_redirects_readers_to_its_replacement(site):
    app, _, db = site
    client = client_as(app, db, "engineer")
    response = client.get("/articles/KB0090")
    assert response.status_code == 302 and "/articles/KB0100" in response.headers["Location"]
    page = soup(client.get(response.headers["Location"]))
    assert "KB0090" in page.select_one(".banner-info").get_text()
    archived = soup(client.get("/articles/KB0090?archived=1"))
    assert "Archived" in archived.select_one(".banner-warning").get_text()


def test_archived_articles_stay_out_of_default_search_but_staff_can_filter(site):
    app, _, db = site
    client = client_as(app, db, "engineer")
    default = soup(client.get("/search?q=oldspoolword")).get_text()
    assert "KB0090" not in default and "Spooler crashes" not in default
    filtered = soup(client.get("/search?q=oldspoolword&status=archived")).get_text()
    assert "Spooler crashes" in filtered


def test_drafts_and_reviews_are_for_authors_only(site):
    app, _, db = site
    assert client_as(app, db, "engineer").get("/articles/KB0101").status_code == 404
    assert client_as(app, db, "author").get("/articles/KB0101").status_code == 200
    assert "Review." in soup(client_as(app, db, "author").get("/articles/KB0101")).get_text()


def test_watch_config_starts_a_watcher(tmp_path, site):
    from web import create_app

    _, root, db = site
    app = create_app({"TESTING": True, "ARTICLES_DIR": str(root), "INDEX_DIR": str(tmp_path / "index"),
                      "DB_URL": db, "INSTANCE_DIR": str(tmp_path / "instance2"), "WATCH": True})
    watcher = app.extensions["kb_authoring"]["watcher"]
    try:
        assert watcher.running and watcher.articles_dir == root
    finally:
        watcher.stop()
    plain = create_app({"TESTING": True, "ARTICLES_DIR": str(root), "DB_URL": db,
                        "INSTANCE_DIR": str(tmp_path / "instance3")})
    assert "watcher" not in plain.extensions.get("kb_authoring", {})


def test_article_history_helper_is_for_staff_only(site):
    from flask import g

    from kb.users import User
    from web.authoring import article_history

    app, _, _ = site
    article = app.extensions["kb"].catalog.searcher.get_article("KB0100", audience="internal")
    with app.test_request_context("/"):
        g.user = None
        assert article_history(article) is None
        g.user = User(1, "c", "customer")
        assert article_history(article) is None
        g.user = User(2, "e", "engineer")
        history = article_history(article)
        assert history is not None
        if shutil.which("git"):
            assert history.last.subject == "Printing articles"
