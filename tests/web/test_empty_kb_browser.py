"""A new team's first hour: `kb serve` over an empty articles folder, in a real Chromium.

Every page (help center, engineer search, cases, insights, authoring) and the JSON API work
with zero articles, say what to do next, and raise no console or CSP error.
"""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from tests.web.helpers import account, checked_page, sign_in, start_server, stop_server
from tests.web.test_browser import browser  # noqa: F401  (the module's Chromium, shared)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("empty-kb")
    (workdir / "articles").mkdir()  # nothing in it: not even resolution codes
    server = start_server(workdir / "articles", workdir / "index", f"sqlite:///{workdir / 'kb.sqlite3'}",
                          workdir)
    yield server
    stop_server(server)


@pytest.fixture
def page(browser, server):
    with checked_page(browser, server.url) as page:
        yield page


def test_the_help_center_is_usable_with_no_articles(page):
    response = page.goto("/help")
    assert response.status == 200
    assert page.get_by_role("heading", name="How can we help?").is_visible()
    assert page.get_by_text("No articles yet").first.is_visible()
    box = page.get_by_role("combobox")
    box.fill("printer offline")
    box.press("Enter")
    page.wait_for_url(re.compile(r".*/help/search\?q=printer"))
    assert page.locator(".empty-state").is_visible()
    assert page.goto("/help/browse").status == 200
    assert page.goto("/help/feed.xml").status == 200


def test_a_customer_can_still_ask_for_help(page, server):
    page.goto("/help/contact")
    page.get_by_label("What’s the problem, in one line?").press_sequentially("Printer offline", delay=20)
    page.get_by_label("Details").fill("The printer shows offline since this morning.")
    page.wait_for_timeout(800)  # the debounced suggestion fetch comes back empty, without an error
    assert page.locator("#suggestions .suggestion-title").count() == 0
    page.get_by_label("Your email").fill("pat@example.com")
    page.get_by_role("button", name="Submit request").click()
    page.locator("#case-ref").wait_for()


def test_engineer_search_cases_and_insights_say_what_to_do_next(page, server):
    sign_in(page, account(server.db_url, "engineer"))
    page.goto("/search")
    assert page.get_by_role("heading", name="The knowledge base has no articles yet").is_visible()
    assert page.get_by_text("kb import zendesk").is_visible()
    page.goto("/search?q=printer")
    assert page.locator(".empty-state").is_visible()

    page.goto("/cases/new")
    page.get_by_label(re.compile("^Title")).fill("Scanner jams on every page")
    page.get_by_label(re.compile("^Description")).fill("Paper jam error E-204 on the NX-400.")
    page.get_by_role("button", name=re.compile("Create|Open case")).click()
    page.wait_for_url(re.compile(r".*/cases/CAS-\d+"))
    assert page.get_by_role("heading", name=re.compile("Scanner jams")).is_visible()
    page.wait_for_timeout(500)  # the suggestions panel has loaded (empty) without an error

    assert page.goto("/cases").status == 200
    assert page.locator("text=Scanner jams on every page").first.is_visible()
    assert page.goto("/insights").status == 200
    assert page.get_by_text("No data yet").first.is_visible()


def test_authors_and_admins_pages_load(page, server):
    sign_in(page, account(server.db_url, "admin"))
    for path in ("/authoring/queue", "/authoring/report", "/admin/users", "/insights?days=365"):
        assert page.goto(path).status == 200, path


def test_every_json_endpoint_answers_with_zero_articles(server):
    def call(path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(server.url + path, data=data,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as exc:
            return exc.code, json.load(exc)

    status, page = call("/api/search?q=printer")
    assert (status, page["total"], page["results"]) == (200, 0, [])
    status, page = call("/api/suggest", {"title": "Printer offline", "description": "Since the update."})
    assert status == 200 and page["results"] == []
    assert call("/api/autocomplete?q=pri")[0] == 200
    assert call("/api/articles/KB0001")[0] == 404
    assert call("/api/resolution-codes")[0] in (200, 401)
    assert call("/api/openapi.json")[0] == 200
    assert call("/healthz")[0] == 200
