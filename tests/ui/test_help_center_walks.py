"""Customers in the help center, and the error pages, in a real Chromium at desktop and phone size.

axe-core runs on every page type visited: no serious or critical violations.
"""

from __future__ import annotations

import re

import pytest

from kb.cases import lookup, store
from tests.ui.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SUGGEST = "**/help/contact/suggestions"


def until(page, condition, seconds: float = 20) -> None:
    """Let Playwright dispatch events (route handlers) until ``condition()`` holds, within ``seconds``."""
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        page.wait_for_timeout(20)  # yields to Playwright's event loop; the loop ends on the condition


def test_contact_form_says_loading_and_failed_and_the_second_suggestion_stays_reachable(open_page, size):
    page = open_page(size)
    page.goto("/help/contact")
    assert_accessible(page, "contact form")
    held = []
    page.route(SUGGEST, lambda route: held.append(route))  # answered below, when the test says so
    with page.expect_request(lambda r: r.url.endswith("/help/contact/suggestions")):
        page.get_by_label("What’s the problem, in one line?").fill("VPN connection drops every few minutes")
    status = page.locator("[data-suggest-status]")
    status.filter(has_text="Looking for articles").wait_for()
    page.wait_for_function("() => document.querySelector('#suggestions').ariaBusy === 'true'")
    until(page, lambda: held)
    held[0].continue_()
    first_list = page.locator("#suggestions .suggestion-title")
    first_list.first.wait_for()
    status.filter(has_text="may answer this").wait_for()
    assert first_list.count() >= 2

    # The server fails on the next change: the old suggestions are marked out of date, not left as current.
    page.unroute(SUGGEST)
    page.route(SUGGEST, lambda route: route.fulfill(status=500, body="boom"))
    page.get_by_label("Details").fill("It started after the client update to 5.3.0.")
    status.filter(has_text="Couldn’t update the suggestions").wait_for()
    assert "is-stale" in page.locator("#suggestions").get_attribute("class")
    assert_accessible(page, "contact form, failed")
    page.unroute(SUGGEST)
    status.get_by_role("button", name="Try again").click()
    status.filter(has_text="may answer this").wait_for()
    assert "is-stale" not in (page.locator("#suggestions").get_attribute("class") or "")

    if size == "phone":  # the suggestions sit right under the text, above the submit button
        panel = page.locator("#suggestions-panel").bounding_box()
        submit = page.get_by_role("button", name="Submit request").bounding_box()
        details = page.get_by_label("Details").bounding_box()
        assert details["y"] < panel["y"] < submit["y"]

    titles = page.locator("#suggestions .suggestion-title")
    first, second = titles.nth(0).inner_text(), titles.nth(1).inner_text()
    titles.nth(0).click()
    page.wait_for_url(re.compile(r"/help/contact/read$"))
    assert_accessible(page, "article inside the contact flow")
    assert page.get_by_role("heading", name="Did this solve your problem?").count() == 1
    assert page.get_by_role("heading", name="Was this article helpful?").count() == 0, "asked once"
    question = page.locator(".solved-question").bounding_box()
    body = page.locator(".article-body").bounding_box()
    assert question["y"] > body["y"], "the question comes after the article"
    page.get_by_role("button", name="No, back to my request").click()
    page.wait_for_url(re.compile(r"/help/contact$"))
    assert page.get_by_label("What’s the problem, in one line?").input_value().startswith("VPN connection")
    read = page.locator("#suggestions .suggestion.is-read .suggestion-title")
    assert read.inner_text() == first, "the article already read is marked"
    page.locator("#suggestions .suggestion-title", has_text=second).click()
    page.wait_for_url(re.compile(r"/help/contact/read$"))
    assert page.locator("#article-title").inner_text() == second


def test_a_signed_in_customer_follows_their_requests(open_page, site, size):
    page = open_page(size, "customer")
    title = f"Scanner sends blank pages ({size})"
    page.goto("/help/contact")
    page.get_by_label("What’s the problem, in one line?").fill(title)
    page.get_by_label("Details").fill("Every scan is a white page since Monday.")
    page.get_by_role("button", name="Submit request").click()
    page.wait_for_url(re.compile(r"/help/contact$"))
    reference = page.locator("#case-ref").inner_text()
    page.get_by_role("link", name="My requests").first.click()
    page.wait_for_url(re.compile(r"/help/requests$"))
    assert_accessible(page, "my requests")
    item = page.locator(".request", has_text=title)
    assert "Received" in item.inner_text() and reference in item.inner_text()
    item.get_by_role("link", name=title).click()
    page.wait_for_url(re.compile(rf"/help/requests/{reference}$"))
    assert_accessible(page, "one request")
    assert "Every scan is a white page" in page.locator("main").inner_text()

    someone_else = store.create_case(site.engine, title="Not yours", created_by=site.accounts["engineer"],
                                     channel="portal")
    response = page.goto(f"/help/requests/{someone_else.display_id}")
    assert response.status == 404
    assert page.locator(".brand").inner_text().strip().endswith("Help center"), "help-center branding"
    assert_accessible(page, "help 404")
    assert lookup.find_cases(site.engine, requester=site.accounts["customer"]).total >= 1


def test_help_center_words_are_the_customers(open_page, size):
    page = open_page(size)
    page.goto("/help")
    assert_accessible(page, "help home")
    tiles = page.locator(".tile-list").last.inner_text()
    assert "Troubleshooting guide" in tiles and "tsg" not in tiles and "known-issue" not in tiles
    page.goto("/help/articles/KB0027")
    assert_accessible(page, "help article")
    text = page.locator("main").inner_text()
    assert "workaround-provided" not in text
    assert page.get_by_role("heading", name="Still need help?").is_visible()
    nav = page.get_by_role("navigation", name="Main").get_by_role("link", name="Contact support")
    page.goto("/help/contact")
    assert nav.count() == 1, "Contact support appears once in the navigation"
    page.goto("/help/search?q=zzqxv+nothing+matches")
    assert_accessible(page, "help search, no results")
    assert page.get_by_role("link", name="Contact support").last.is_visible()
    box = page.get_by_role("combobox")
    box.fill("vpn")
    page.locator("#q-listbox li").first.wait_for()
    assert page.locator("#q-listbox .option-id").count() == 0, "no internal ids in customer autocomplete"


def test_error_pages_speak_for_where_they_happen(open_page, size):
    anonymous = open_page(size)
    response = anonymous.goto("/help/articles/NO-SUCH-ARTICLE")
    assert response.status == 404
    assert anonymous.locator("footer").get_by_role("link", name="API").count() == 0
    assert anonymous.locator(".brand").inner_text().strip().endswith("Help center")
    anonymous.goto("/login")
    assert "kb users add" not in anonymous.locator("main").inner_text()
    assert anonymous.locator("footer").get_by_role("link", name="API").count() == 0, "API link for staff only"

    engineer = open_page(size, "engineer")
    response = engineer.goto("/authoring/queue")
    assert response.status == 403
    main = engineer.locator("main").inner_text()
    assert "for authors" in main and "read-protected" not in main
    assert engineer.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").is_visible() or \
        engineer.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").count() == 1
    assert_accessible(engineer, "403 for an engineer")
    response = engineer.goto("/articles/NO-SUCH-ARTICLE")
    assert response.status == 404
    assert engineer.get_by_role("searchbox").first.is_visible()
    assert_accessible(engineer, "staff 404")
