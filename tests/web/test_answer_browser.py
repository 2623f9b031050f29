"""The answer card in a real Chromium against `kb serve`: engineer search, the help center's
search, the contact form (live, before the request is sent) and the case workspace.

Debian's browser through Playwright with tests/web/test_browser.py's fixtures;
every page fails the test on console errors (CSP violations included).
"""

from __future__ import annotations

import re

import pytest

from tests.web import helpers
from tests.web import test_browser as browser_tests
from tests.web.helpers import INTERNAL_ID, LINKS_ID, SECRET, account

pytestmark = pytest.mark.browser

# The same Chromium (one per module) and checked pages as the other browser tests.
browser = browser_tests.browser
page = browser_tests.page

SPOOLER = "The print spooler stops after a driver update and printing fails with 0x00000709"


def vote(page, answer: str, expected: str) -> None:
    """Answer "Did this answer help?" on the card and wait for the thanks (no page load)."""
    url = page.url
    card = page.locator("section.answer-card")
    card.get_by_role("button", name=answer).click()
    status = card.locator(".answer-feedback-status")
    status.wait_for(state="visible")
    assert expected in status.inner_text()
    assert page.url == url


def test_engineer_search_leads_with_the_card_and_takes_a_vote(page, live_server):
    helpers.sign_in(page, account(live_server.db_url, "engineer"))
    page.goto(f"/search?q={SECRET}+appliance+reset+drops+session+tokens")
    card = page.locator("section.answer-card")
    card.wait_for()
    cited = card.locator("a[data-citation]").first.get_attribute("href")
    assert cited == f"/articles/{INTERNAL_ID}#sec-resolution"
    assert card.locator("blockquote.answer-quote").is_visible()
    # the card comes before the results
    assert page.locator("section.answer-card + *, section.answer-card ~ .results-layout").count() >= 1
    vote(page, "Yes", "glad it helped")


def test_the_help_center_answers_a_customer_and_the_citation_opens_the_section(page):
    page.goto(f"/help/search?q={SPOOLER.replace(' ', '+')}")
    card = page.locator("section.answer-card")
    assert "Roll back the driver" in card.locator("blockquote").inner_text()
    card.locator("summary", has_text="Why this answer").click()
    assert "0x00000709" in card.locator(".answer-why").inner_text()
    vote(page, "No", "Thanks for telling us")
    card.locator("a[data-citation]").first.click()
    page.wait_for_url(re.compile(rf".*/help/articles/{LINKS_ID}#sec-resolution$"))
    assert page.locator("#sec-resolution").is_visible()


def test_the_help_center_says_so_when_nothing_answers(page):
    page.goto("/help/search?q=best+temperature+to+bake+sourdough+bread")
    card = page.locator("section.answer-card[data-answer=none]")
    assert card.is_visible()
    card.get_by_role("link", name="contact support").click()
    page.wait_for_url(re.compile(r".*/help/contact$"))


def test_the_contact_form_shows_the_answer_while_the_customer_types(page):
    page.goto("/help/contact")
    page.get_by_label("What’s the problem, in one line?").fill(SPOOLER)
    card = page.locator("#suggestions section.answer-card")
    card.wait_for()
    assert card.locator("a[data-citation]").first.get_attribute("href") == \
        f"/help/articles/{LINKS_ID}#sec-resolution"
    vote(page, "Yes", "glad it helped")
    # the draft is still there: nothing was sent and the page did not reload
    assert page.get_by_label("What’s the problem, in one line?").input_value() == SPOOLER


def test_the_case_workspace_shows_the_answer_beside_the_case(page, live_server):
    helpers.sign_in(page, account(live_server.db_url, "engineer"))
    page.goto("/cases/new")
    page.get_by_label("Title").fill(SPOOLER)
    page.get_by_role("button", name=re.compile("Open case|Create case")).click()
    page.wait_for_url(re.compile(r".*/cases/CAS-\d+$"))
    card = page.locator("section.answer-card")
    card.wait_for()
    cited = card.locator("a[data-citation]").first.get_attribute("href")
    assert cited == f"/articles/{LINKS_ID}#sec-resolution"
    card.get_by_role("button", name="Yes").focus()
    page.keyboard.press("Enter")  # keyboard users vote too
    card.locator(".answer-feedback-status").wait_for(state="visible")
