"""`kb serve --watch` end to end: a real server and Chromium; the preview reloads on save."""

from __future__ import annotations

import time

import pytest

from tests.authoring.test_web import CORPUS
from tests.conftest import article_text
from tests.web.helpers import account, sign_in, start_server, stop_server
from tests.web.test_browser import LAUNCH_ARGS, chromium_path

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def watched_server(tmp_path, make_kb):
    """``kb serve --watch`` over a small corpus; yields (url, articles folder, database URL)."""
    root = make_kb(CORPUS)
    db = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    server = start_server(root, tmp_path / "index", db, tmp_path, extra_args=("--watch",))
    yield server.url, root, db
    stop_server(server)


def test_preview_reloads_on_save_and_the_edit_becomes_searchable(watched_server):
    from playwright.sync_api import expect, sync_playwright

    url, root, db = watched_server
    acct = account(db, "author")
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        try:
            page = browser.new_context(base_url=url).new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.set_default_timeout(10_000)
            sign_in(page, acct)

            page.goto("/authoring/preview/KB0100")
            assert page.locator("#article-title").inner_text() == "Print spooler stops after a driver update"
            (root / "print" / "spooler.md").write_text(article_text(
                "id: KB0100\ntitle: Print spooler halts after a driver update\ntype: tsg",
                "## Symptoms\n\nThe wumpelstaff spooler stops.\n\n## Cause\n\nA driver.\n\n"
                "## Resolution\n\n1. Restart it.\n"))
            saved = time.monotonic()
            # The page's own script notices the new version and reloads (no eval: the CSP forbids it).
            expect(page.locator("#article-title")).to_have_text("Print spooler halts after a driver update",
                                                                timeout=5_000)
            assert time.monotonic() - saved < 5

            # Searchable through the server soon after the save.
            while True:
                page.goto("/search?q=wumpelstaff")
                if page.locator(".result").count() or time.monotonic() - saved > 5:
                    break
                time.sleep(0.1)
            assert page.locator(".result").count() >= 1
        finally:
            browser.close()
    assert not errors, errors
