"""An engineer's case work in a real Chromium, at desktop and phone size, with axe-core on every page.

Each test walks one workflow the way a person does it (typing, clicking, reading what the
page says back) against `kb serve` over the sample site, and checks the result in the
database as well as on the screen.
"""

from __future__ import annotations

import re

import pytest

from kb.cases import lookup, store
from tests.ui.browser import assert_accessible
from tests.ui.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def new_case(site, title: str, **fields) -> store.Case:
    return store.create_case(site.engine, title=title, owner=site.accounts["engineer"], **fields)


def focus_settles_on(page, condition: str) -> None:
    """Wait until the focused element meets ``condition`` (JS over ``e``, the active element)."""
    page.wait_for_function(f"() => {{ const e = document.activeElement; return !!e && ({condition}); }}")


def test_link_an_article_kb_did_not_suggest_then_close_as_solved(open_page, site, size):
    case = new_case(site, "Customer's reports are slow on Monday mornings",
                    description="The finance team says the weekly report takes ages.", customer="Litware Ltd")
    page = open_page(size, "engineer")
    page.goto(f"/cases/{case.display_id}")
    assert_accessible(page, "open case")
    suggested = page.locator("#knowledge-results .suggestion .result-id").all_inner_texts()
    assert "KB0008" not in suggested, "the article to link is one kb did not suggest"

    # Search inside the knowledge panel: the results replace the suggestions without a page load.
    page.get_by_label("Find an article for this case").fill("ODBC driver manager trace")
    page.locator("form.knowledge-search").get_by_role("button", name="Search").click()
    hit = page.locator("#hit-KB0008")
    hit.wait_for()
    assert "kq=" in page.url
    hit.get_by_role("button", name="Related: KB0008").click()
    page.wait_for_url(re.compile(r"#hit-KB0008$"))
    confirmation = hit.get_by_role("status")
    assert confirmation.inner_text().startswith("Linked KB0008")
    focus_settles_on(page, "e.getAttribute('role') === 'status' && e.closest('#hit-KB0008') !== null")
    assert hit.get_by_text("Linked as related").is_visible(), "the button changed to what was done"

    # Related -> Solved, from the list of links.
    page.locator("#link-KB0008").get_by_role("button", name="Mark as solved it: KB0008").click()
    page.wait_for_url(re.compile(r"#links$"))
    assert "Marked KB0008" in page.locator("#links").get_by_role("status").inner_text()

    page.get_by_label("How did the case end?").select_option(
        label="Solved by an existing article (needs the article that solved it)")
    page.get_by_label("Resolution notes").fill("Enabled the trace, found the slow query, sent the fix.")
    page.get_by_role("button", name="Close case").click()
    page.wait_for_url(re.compile(r"#resolution$"))
    assert "Solved by an existing article" in page.locator("#resolution").inner_text()
    assert page.locator("#close").count() == 0 and page.locator("#knowledge").count() == 0, "compact record"
    assert_accessible(page, "closed case")
    closed = store.get_case(site.engine, case.id)
    assert (closed.status, closed.solved_articles) == ("closed", ("KB0008",))


def test_link_by_id_from_the_panel_and_from_an_article_page(open_page, site, size):
    case = new_case(site, "Capture traffic for the VPN drops", description="Need a trace.")
    page = open_page(size, "engineer")
    page.goto(f"/cases/{case.display_id}")
    page.get_by_label("Link an article by its id").fill("KB0030")
    page.locator("#link-by-id").get_by_role("button", name="Related").click()
    page.wait_for_url(re.compile(r"#link-by-id$"))
    assert "Linked KB0030" in page.locator("#link-by-id").get_by_role("status").inner_text()

    page.goto("/articles/KB0026")
    assert_accessible(page, "article page")
    page.get_by_label("Case number").fill(case.display_id)
    page.locator("#link-case").get_by_role("button", name="Solved it").click()
    page.wait_for_url(re.compile(rf"/cases/{case.display_id}#links$"))
    assert "Linked KB0026" in page.locator("#links").get_by_role("status").inner_text()
    assert set(store.get_case(site.engine, case.id).solved_articles) == {"KB0026"}


def test_fix_a_refused_close_in_one_click(open_page, site, size):
    case = new_case(site, "Named instance not found: SQLSTATE 08001")
    store.link_article(site.engine, case.id, "KB0002", solved=False, linked_by="dana")
    page = open_page(size, "engineer")
    page.goto(f"/cases/{case.display_id}")
    page.get_by_label("How did the case end?").select_option("solved-existing-article")
    page.get_by_label("Resolution notes").fill("Opened UDP 1434 on the firewall.")
    page.get_by_role("button", name="Close case").click()
    page.wait_for_url(re.compile(rf"/cases/{case.display_id}#resolution_code$"))

    focus_settles_on(page, "e.id === 'resolution_code' && e.getAttribute('aria-invalid') === 'true'")
    error = page.locator("#resolution_code-error").inner_text()
    assert "Solved by an existing article" in error and "solved-existing-article" not in error
    assert page.get_by_label("Resolution notes").input_value() == "Opened UDP 1434 on the firewall."
    assert_accessible(page, "refused close")

    page.reload()  # POST-redirect-GET: a reload asks nothing and sends nothing again
    assert store.get_case(site.engine, case.id).status == "new"
    assert page.locator("[aria-invalid=true]").count() == 0

    page.get_by_label("How did the case end?").select_option("solved-existing-article")
    page.get_by_label("Resolution notes").fill("Opened UDP 1434 on the firewall.")
    page.get_by_role("button", name="Close case").click()
    page.get_by_role("button", name="Link KB0002 as solved and close").click()
    page.wait_for_url(re.compile(r"#resolution$"))
    closed = store.get_case(site.engine, case.id)
    assert (closed.status, closed.solved_articles, closed.resolution_notes) == (
        "closed", ("KB0002",), "Opened UDP 1434 on the firewall.")


def test_find_a_case_by_number_and_by_customer(open_page, site, size):
    target = new_case(site, "Quarterly export fails", customer="Northwind Traders")
    page = open_page(size, "engineer")
    page.goto("/cases")
    assert_accessible(page, "case list")
    box = page.get_by_label("Find a case")
    box.fill(target.display_id.lower())
    box.press("Enter")
    page.wait_for_url(re.compile(r"/cases\?"))
    assert page.locator(".case-table td.col-number").first.inner_text() == target.display_id

    box = page.get_by_label("Find a case")
    box.fill("Northwind")
    page.get_by_label("Status").select_option("all")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url(re.compile(r"q=Northwind"))
    customers = page.locator(".case-table td.col-customer").all_inner_texts()
    assert customers and all("Northwind" in c for c in customers[:3])
    assert_accessible(page, "case list, found")
    # Sorting: by the column header on a desktop, by the "Sort by" links on a phone (no header row).
    sorter = page.get_by_role("navigation", name="Sort cases") if size == "phone" else page.locator(
        ".case-table thead")
    sorter.get_by_role("link", name="Customer").click()
    page.wait_for_url(re.compile(r"sort=customer"))
    assert "order=asc" in page.url and "q=Northwind" in page.url, "sorting keeps the search"
    customers = page.locator(".case-table td.col-customer").all_inner_texts()
    assert customers == sorted(customers)
    if size == "phone":
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"the case list fits the phone's width ({width}px)"

    found = page.request.get(f"/api/cases?q={target.display_id}").json()
    assert found["cases"][0]["id"] == target.display_id
    assert lookup.find_cases(site.engine, "Northwind").total >= 1

    # A case number typed in the search box on any staff page opens the case.
    page.goto("/insights")
    topbar = page.get_by_role("searchbox", name="Search articles, or open a case by its number")
    topbar.fill(target.display_id)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/cases/{target.display_id}$"))
    assert page.locator("#case-title").inner_text() == "Quarterly export fails"


def test_an_expired_session_keeps_the_notes_and_returns_to_the_case(open_page, site, size):
    case = new_case(site, "Outlook keeps asking for a password")
    page = open_page(size, "engineer")
    page.goto(f"/cases/{case.display_id}")
    notes = "Cleared the cached credentials; the prompts stopped after sign-in. " * 3
    page.get_by_label("How did the case end?").select_option("configuration-change")
    page.get_by_label("Resolution notes").fill(notes)
    page.context.clear_cookies()  # the session expires while the engineer types
    page.get_by_role("button", name="Close case").click()
    page.wait_for_url(re.compile(r"/login\?next="))
    assert "what you typed is kept" in page.locator(".flashes").inner_text()
    assert "CSRF" not in page.content()
    assert_accessible(page, "login")
    sign_in(page, site, "engineer", here=True)
    page.wait_for_url(re.compile(rf"/cases/{case.display_id}$"))
    assert page.get_by_label("Resolution notes").input_value() == notes
    assert page.get_by_label("How did the case end?").input_value() == "configuration-change"
    assert "signed out before this was saved" in page.locator("#close").inner_text()
    assert store.get_case(site.engine, case.id).status == "new", "nothing was submitted behind their back"
    page.get_by_role("button", name="Close case").click()
    page.wait_for_url(re.compile(r"#resolution$"))
    assert store.get_case(site.engine, case.id).resolution_notes == notes.strip()


def test_closing_is_a_few_tab_presses_from_the_top_of_a_case(open_page, site, size):
    case = new_case(site, "Printer queue stuck after patch Tuesday")
    page = open_page(size, "engineer")
    page.goto(f"/cases/{case.display_id}")
    presses = 0
    while presses < 40:
        presses += 1
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == "Resolve or close":
            break
    assert presses <= 15, f"{presses} Tab presses to reach the case's actions"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#close$"))
    box = page.locator("#close").bounding_box()
    assert box["y"] < page.viewport_size["height"], "following it brings the closing form into view"
