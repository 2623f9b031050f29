"""A real Chromium (Debian's, through Playwright) against `kb serve` on loopback.

Run `make browser` when the browser is missing; these tests fail rather than skip, so a
CI machine without it can't pass silently.
"""

from __future__ import annotations

import re

import pytest

from tests.ui import browser as browser_kit
from tests.ui.browser import LAUNCH_ARGS  # noqa: F401  (shared with other browser tests)
from tests.web import helpers
from tests.web.helpers import INTERNAL_ID, LINKS_ID, SECRET, account

pytestmark = pytest.mark.browser


def chromium_path() -> str:
    """Debian's Chromium; fails (never skips) with the command that installs it."""
    try:
        return browser_kit.chromium_path()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def browser():
    chromium_path()
    with browser_kit.chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, live_server):
    # 404 pages are expected in these tests; CSP violations and script errors are not.
    with helpers.checked_page(browser, live_server.url) as page:
        yield page


def sign_in(page, role: str, db_url: str) -> None:
    helpers.sign_in(page, account(db_url, role))


def test_engineer_searches_with_a_typo_filters_and_opens_an_article(page, live_server):
    sign_in(page, "engineer", live_server.db_url)
    box = page.get_by_role("combobox")
    box.fill("spoolr")
    box.press("Enter")
    page.wait_for_url(re.compile(r".*/search\?q=spoolr"))
    did_you_mean = page.locator(".did-you-mean a, a.did-you-mean-link")
    if did_you_mean.count():
        did_you_mean.first.click()
        page.wait_for_url(re.compile(r".*q=spooler"))
    results = page.locator("ol.results .result-title a")
    assert results.count() > 0
    facet = page.locator("aside.facets a.facet-link").first
    facet.click()
    page.wait_for_load_state()
    assert page.locator("ul.chips a.chip").count() == 1
    page.locator("ol.results .result-title a").first.click()
    page.wait_for_url(re.compile(r".*/articles/"))
    assert page.locator("h1#article-title").is_visible()
    assert page.locator("nav.toc").count() <= 1
    assert page.get_by_role("button", name="Copy link").is_visible()  # revealed by the script


def test_autocomplete_is_keyboard_navigable(page, live_server):
    sign_in(page, "engineer", live_server.db_url)
    box = page.get_by_role("combobox")
    box.press_sequentially("print", delay=30)
    listbox = page.get_by_role("listbox")
    listbox.wait_for(state="visible")
    assert box.get_attribute("aria-expanded") == "true"
    box.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    box.press("Escape")
    assert listbox.is_hidden() and box.get_attribute("aria-expanded") == "false"
    box.press("ArrowDown")
    listbox.wait_for(state="visible")
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(re.compile(r".*/articles/"))


def test_customer_cannot_reach_internal_articles(page, live_server):
    page.goto("/help")
    assert page.get_by_role("heading", name="How can we help?").is_visible()
    page.get_by_role("link", name=re.compile("Print Services")).first.click()
    page.wait_for_url(re.compile(r".*/help/browse"))
    assert page.locator(f'a[href="/help/articles/{LINKS_ID}"]').count() == 1

    sign_in(page, "customer", live_server.db_url)
    box = page.get_by_role("combobox")
    box.press_sequentially(SECRET[:5], delay=30)
    page.wait_for_timeout(600)  # debounce plus a round trip
    assert page.get_by_role("option").count() == 0
    box.press("Enter")
    page.wait_for_url(re.compile(r".*/help/search"))
    assert page.locator("ol.results li").count() == 0
    assert page.locator(".empty-state").is_visible()

    response = page.goto(f"/help/articles/{INTERNAL_ID}")
    assert response.status == 404
    response = page.goto(f"/articles/{INTERNAL_ID}")
    assert page.url.endswith("/help")  # customers are sent to the help center
    api = page.request.get(f"/api/articles/{INTERNAL_ID}")
    assert api.status == 404
    search = page.request.get(f"/api/search?q={SECRET}").json()
    assert search["total"] == 0
    assert SECRET not in page.content().lower()


def test_post_without_csrf_token_is_refused(page, live_server):
    sign_in(page, "engineer", live_server.db_url)
    page.goto(f"/articles/{LINKS_ID}")
    # A forged form: same action, no token (what another site could submit).
    status = page.evaluate("""async (url) => {
        const r = await fetch(url, {method: 'POST', body: new URLSearchParams({vote: 'yes'}),
                                    credentials: 'same-origin'});
        return r.status;
    }""", f"/articles/{LINKS_ID}/feedback")
    assert status == 400
    # The page's own form, with its token, works.
    page.get_by_role("button", name="Yes, it helped").click()
    page.wait_for_url(re.compile(r".*#feedback$"))
    assert page.get_by_text("Thanks for your feedback").is_visible()


def test_pages_have_no_console_or_csp_errors(page, live_server):
    for path in ("/help", f"/help/articles/{LINKS_ID}", "/help/search?q=printer", "/login", "/no-such-page"):
        page.goto(path)
    sign_in(page, "author", live_server.db_url)
    for path in ("/search?q=spooler", f"/articles/{INTERNAL_ID}"):
        page.goto(path)
