"""`kb serve --watch` end to end: a real server and Chromium; the preview reloads on save."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request

import pytest

from tests.authoring.test_web import CORPUS
from tests.conftest import TAXONOMY, article_text
from tests.web.helpers import account, free_port, kb_executable
from tests.web.test_browser import LAUNCH_ARGS, chromium_path

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def watched_server(tmp_path):
    """``kb serve --watch`` over a small corpus; yields (url, articles folder, database URL)."""
    root = tmp_path / "articles"
    root.mkdir()
    shutil.copy(TAXONOMY, root / TAXONOMY.name)
    for rel, text in CORPUS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    db = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_INSTANCE=str(tmp_path / "instance"), PYTHONUNBUFFERED="1")
    log = tmp_path / "serve.log"
    process = subprocess.Popen(
        [kb_executable(), "serve", "--watch", "--articles", str(root), "--index", str(tmp_path / "index"),
         "--db", db, "--host", "127.0.0.1", "--port", str(port)],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, cwd=tmp_path, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"kb serve --watch did not start:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                break
        except OSError:
            time.sleep(0.1)
    yield url, root, db
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


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
            page.goto("/login")
            page.get_by_label("User name").fill(acct.name)
            page.get_by_label("Password").fill(acct.password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(re.compile(r".*/search$"))

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
