"""The contact-support flow and the case workspace in a real Chromium against `kb serve`.

Debian's browser through Playwright, as in tests/web/test_browser.py (whose launch settings
are reused); a server of our own so the database starts empty and the counts are exact.
"""

from __future__ import annotations

import re

import pytest

from kb.cases import deflection, lookup, store
from kb.db import engine_for
from tests.web.helpers import LINKS_ID, account, sign_in, start_server, stop_server
from tests.web.test_browser import browser  # noqa: F401  (the module's Chromium)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(corpus, index_dir, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("cases-serve")
    server = start_server(corpus, index_dir, f"sqlite:///{workdir / 'kb.sqlite3'}", workdir)
    yield server
    stop_server(server)


@pytest.fixture
def new_page(browser, server):
    """``new_page(javascript=True)``: a page that fails the test on console errors (CSP included)."""
    contexts, errors = [], []

    def make(javascript: bool = True):
        context = browser.new_context(base_url=server.url, java_script_enabled=javascript)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"browser console errors: {errors}"


@pytest.fixture
def engine(server):
    return engine_for(server.db_url)


def draft_id(page) -> str:
    return page.locator("input[name=draft]").first.get_attribute("value")


def test_customer_finds_the_answer_while_typing_and_no_ticket_is_opened(new_page, engine):
    page = new_page()
    page.goto("/help/contact")
    draft = draft_id(page)
    page.get_by_label("What’s the problem, in one line?").press_sequentially("Print spooler stops", delay=20)
    page.get_by_label("Details").fill("Printing fails with 0x00000709 after the driver update.")
    suggestion = page.locator("#suggestions .suggestion-title").first
    suggestion.wait_for()  # appeared without a page load: the debounced fetch
    assert page.url.endswith("/help/contact")
    suggestion.click()
    page.wait_for_url(re.compile(r".*/help/contact/read$"))
    assert page.get_by_role("heading", name="Did this solve your problem?").is_visible()
    page.get_by_role("button", name="Yes, this solved my problem").click()
    page.get_by_role("heading", name="Glad that helped").wait_for()

    kinds = [e.kind for e in deflection.session_events(engine, draft)]
    assert kinds[0] == "suggestions_shown" and kinds[-2:] == ["article_clicked", "solved"]
    assert deflection.session_outcome(engine, draft) == deflection.DEFLECTED
    assert lookup.count_cases(engine) == 0


def test_without_javascript_the_customer_finds_answers_then_submits(new_page, engine):
    page = new_page(javascript=False)
    page.goto("/help/contact")
    draft = draft_id(page)
    page.get_by_label("What’s the problem, in one line?").fill("Print spooler stops")
    page.get_by_role("button", name="Find answers").click()
    page.wait_for_load_state()
    page.locator("#suggestions .suggestion-title").first.click()
    page.get_by_role("button", name="No, back to my request").click()
    page.wait_for_load_state()
    assert page.get_by_label("What’s the problem, in one line?").input_value() == "Print spooler stops"
    page.get_by_label("Details").fill("Still broken after the rollback.")
    page.get_by_label("Your email").fill("pat@example.com")
    page.get_by_role("button", name="Submit request").click()
    reference = page.locator("#case-ref")
    reference.wait_for()

    case = store.get_case(engine, reference.text_content())
    assert (case.channel, case.customer, case.description) == ("portal", "pat@example.com",
                                                               "Still broken after the rollback.")
    events = deflection.session_events(engine, draft)
    assert [e.kind for e in events] == ["suggestions_shown", "article_clicked", "submitted"]
    assert events[1].article_ids == (LINKS_ID,) and events[2].case_id == case.id


def test_engineer_links_the_article_that_solved_it_and_closes(new_page, server, engine):
    page = new_page()
    sign_in(page, account(server.db_url, "engineer"))

    page.goto("/cases/new")
    page.get_by_label("Title").press_sequentially("Spooler stops after driver update", delay=10)
    page.locator("#suggestions .suggestion-title").first.wait_for()
    page.get_by_role("button", name="Open case").click()
    page.wait_for_url(re.compile(r".*/cases/CAS-\d{6}$"))
    case_id = page.url.rsplit("/", 1)[-1]

    page.locator("#knowledge-results .suggestion").first.get_by_role("button", name="Solved it").click()
    page.wait_for_url(re.compile(r".*#hit-[\w.-]+$"))
    page.get_by_label("How did the case end?").select_option("solved-existing-article")
    page.get_by_label("Resolution notes").fill("Rolled back the driver.")
    page.get_by_role("button", name="Close case").click()
    page.locator("#case-status", has_text="Closed").wait_for()
    case = store.get_case(engine, case_id)
    assert case.status == "closed" and case.solved_articles == (LINKS_ID,)

    page.goto("/insights")
    from web.insights import REPORTS

    assert page.locator("section.insight svg").count() == len(REPORTS)  # every case report and KCS measure
