"""The engineer's case workspace, without JavaScript: forms, suggestions, links, closing, capture."""

from __future__ import annotations

import re

import pytest

from kb.articles import load_knowledge_base
from kb.cases import lookup, store
from kb.lint import lint
from tests.web.helpers import INTERNAL_ID, LINKS_ID, csrf_token_from, soup


@pytest.fixture
def engineer(client, login):
    login("engineer")
    return client


def post(client, path: str, data: dict, page: str):
    """Submit a form the way a browser would: with the CSRF token of the page it came from."""
    return client.post(path, data={**data, "csrf_token": csrf_token_from(client.get(page))})


def test_staff_only(client, login):
    assert client.get("/cases").headers["Location"].startswith("/login")
    login("customer")
    assert client.get("/cases/new").headers["Location"].endswith("/help")


def test_new_case_finds_articles_then_opens(engineer, engine):
    fields = {"title": "Print spooler stops after driver update", "description": "0x00000709 on every job.",
              "severity": "A", "priority": "1"}
    found = post(engineer, "/cases/new", {**fields, "action": "find"}, "/cases/new")
    assert found.status_code == 200
    html = soup(found)
    assert html.select_one("#title")["value"] == fields["title"]
    assert LINKS_ID in [a["href"].rsplit("/", 1)[-1] for a in html.select("#suggestions .suggestion-title")]
    assert lookup.count_cases(engine) == 0

    opened = post(engineer, "/cases/new", fields, "/cases/new")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/cases/CAS-000001")
    case = store.get_case(engine, 1)
    assert (case.severity, case.priority, case.channel) == ("A", 1, "engineer")

    bad = post(engineer, "/cases/new", {**fields, "title": " ", "description": ""}, "/cases/new")
    assert "title: or 'description' is required" in soup(bad).select_one(".flash-error").text
    described = post(engineer, "/cases/new", {**fields, "title": ""}, "/cases/new")
    assert described.status_code == 302, "a description alone opens a case"
    assert store.get_case(engine, 2).title == "0x00000709 on every job."


def test_case_page_shows_suggestions_and_links_in_one_click(engineer, engine):
    case = store.create_case(engine, title="Print spooler stops", description="After the driver update.")
    page = soup(engineer.get(f"/cases/{case.display_id}"))
    assert page.select_one("#case-title").text == "Print spooler stops"
    forms = page.select("#knowledge-results form.link-form")
    assert forms and forms[0].select_one("input[name=article_id]")["value"] == LINKS_ID
    assert [b.text for b in forms[0].select("button")] == ["Solved it", "Related"]
    assert forms[0].select_one("button")["aria-label"] == f"Solved it: {LINKS_ID}"

    response = post(engineer, f"/cases/{case.display_id}/links",
                    {"article_id": LINKS_ID, "solved": "1", "at": f"hit-{LINKS_ID}"},
                    f"/cases/{case.display_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#hit-{LINKS_ID}")
    assert store.get_case(engine, case.id).solved_articles == (LINKS_ID,)
    page = soup(engineer.get(response.headers["Location"]))
    hit = page.select_one(f"#hit-{LINKS_ID}")
    assert "Linked as solved it" in hit.text, "the buttons show what was done"
    assert hit.select_one("[role=status]").text.startswith(f"Linked {LINKS_ID}"), "confirmed where clicked"
    assert not page.select(".flashes"), "and not in a banner at the top"
    assert "Solved it" in page.select_one("#links").text

    hidden = post(engineer, f"/cases/{case.display_id}/links", {"article_id": "not-there", "solved": "0"},
                  f"/cases/{case.display_id}")
    assert hidden.status_code == 302
    assert [link.article_id for link in store.get_case(engine, case.id).links] == [LINKS_ID]
    assert "no article “not-there”" in soup(engineer.get(hidden.headers["Location"])).select_one(
        "#links [role=alert]").text


def test_live_suggestions_fragment(engineer, engine):
    response = post(engineer, "/cases/suggestions", {"title": "spooler stops", "description": "driver"},
                    "/cases/new")
    assert response.status_code == 200
    fragment = soup(response)
    assert fragment.select_one(".suggestion-title")["href"].endswith(LINKS_ID)


def test_a_refused_close_shows_the_reason_at_the_field_and_keeps_the_notes(engineer, engine):
    case = store.create_case(engine, title="Print spooler stops")
    page = f"/cases/{case.display_id}"
    solved = {"resolution_code": "solved-existing-article", "notes": "Rolled back."}
    refused = post(engineer, f"{page}/close", {**solved, "action": "close"}, page)
    assert refused.status_code == 302, "POST-redirect-GET: reloading the page can't submit again"
    assert refused.headers["Location"].endswith(f"{page}#resolution_code")
    html = soup(engineer.get(refused.headers["Location"]))
    field = html.select_one("#resolution_code")
    assert field["aria-invalid"] == "true" and field.has_attr("data-focus-on-load")
    error = html.select_one("#resolution_code-error").text
    assert "Solved by an existing article" in error and "solved-existing-article" not in error
    assert "resolution_code-error" in field["aria-describedby"]
    assert html.select_one("#notes").text == "Rolled back."
    assert html.select_one("#resolution_code option[selected]")["value"] == "solved-existing-article"
    assert not soup(engineer.get(page)).select("[aria-invalid]"), "the refusal is shown once"

    post(engineer, f"{page}/links", {"article_id": LINKS_ID, "solved": "1"}, page)
    resolved = post(engineer, f"{page}/close", {**solved, "action": "resolve"}, page)
    assert resolved.status_code == 302
    assert store.get_case(engine, case.id).status == "resolved"
    closed = post(engineer, f"{page}/close", {"resolution_code": "", "action": "close"}, page)
    assert closed.status_code == 302
    after = store.get_case(engine, case.id)
    assert (after.status, after.resolution_code, after.resolution_notes) == (
        "closed", "solved-existing-article", "Rolled back.")
    html = soup(engineer.get(page))
    assert html.select_one("#close") is None and html.select_one("#case-form") is None
    assert html.select_one("#knowledge") is None, "a closed case is a compact record"
    assert html.select_one("#resolution strong").text == "Solved by an existing article"


def test_a_refused_close_offers_the_one_click_fix_that_links_and_closes(engineer, engine):
    case = store.create_case(engine, title="Print spooler stops after a driver update")
    page = f"/cases/{case.display_id}"
    post(engineer, f"{page}/links", {"article_id": LINKS_ID, "solved": "0"}, page)
    refused = post(engineer, f"{page}/close", {"resolution_code": "solved-existing-article",
                                               "notes": "Rolled the driver back.", "action": "close"}, page)
    html = soup(engineer.get(refused.headers["Location"]))
    fix = html.select_one(".one-click-fix form")
    assert fix.select_one("button").text == f"Link {LINKS_ID} as solved and close"
    data = {i["name"]: i.get("value", "") for i in fix.select("input")}
    data["action"] = fix.select_one("button")["value"]
    done = engineer.post(fix["action"], data=data)
    assert done.status_code == 302
    after = store.get_case(engine, case.id)
    assert (after.status, after.solved_articles, after.resolution_notes) == (
        "closed", (LINKS_ID,), "Rolled the driver back.")


def test_a_bug_code_without_a_reference_points_at_the_bug_field(engineer, engine):
    case = store.create_case(engine, title="Printer queue stuck")
    page = f"/cases/{case.display_id}"
    refused = post(engineer, f"{page}/close", {"resolution_code": "product-bug-filed", "action": "resolve"},
                   page)
    assert refused.headers["Location"].endswith("#bug_reference")
    html = soup(engineer.get(page))
    assert html.select_one("#bug_reference")["aria-invalid"] == "true"
    assert "Product bug filed" in html.select_one("#bug_reference-error").text
    assert html.select_one(".one-click-fix") is None


def test_status_moves(engineer, engine):
    case = store.create_case(engine, title="VPN drops")
    page = f"/cases/{case.display_id}"
    post(engineer, f"{page}/status", {"status": "waiting-on-customer"}, page)
    assert store.get_case(engine, case.id).status == "waiting-on-customer"
    buttons = [b["value"] for b in soup(engineer.get(page)).select("form[action$='/status'] button")]
    assert buttons == ["active"]


def test_create_article_from_a_case_without_one(engineer, engine, articles_dir):
    case = store.create_case(engine, title="Outlook shows a blank calendar after the update",
                             description="The calendar is empty for shared mailboxes.", product="Outlook")
    page = f"/cases/{case.display_id}"
    assert soup(engineer.get(page)).select_one("#capture") is None  # open cases can't be captured yet
    post(engineer, f"{page}/close", {"resolution_code": "configuration-change", "action": "close",
                                     "notes": "Reset the view with outlook.exe /cleanviews."}, page)
    html = soup(engineer.get(page))
    assert html.select_one("#capture button").text == "Create article from case"

    response = post(engineer, f"{page}/capture", {"type": "tsg"}, page)
    assert response.status_code == 302
    flashed = soup(engineer.get(response.headers["Location"])).select_one("#links [role=status]").text
    article_id = re.search(r"Draft (KB\d+)", flashed).group(1)
    kb = load_knowledge_base(articles_dir)
    article = kb.get(article_id)
    assert (article.status, article.audience, article.type) == ("draft", "internal", "tsg")
    assert [p for p in lint(kb) if p.is_error and article.path in p.path] == []
    assert store.get_case(engine, case.id).solved_articles == (article_id,)
    assert soup(engineer.get(page)).select_one("#capture") is None


def test_list_filters(engineer, engine):
    store.create_case(engine, title="Open one")
    done = store.create_case(engine, title="Done one")
    store.link_article(engine, done.id, INTERNAL_ID, solved=True)
    from kb.resolution_codes import load_taxonomy
    from tests.conftest import TAXONOMY

    store.close_case(engine, load_taxonomy(TAXONOMY)[0], done.id, "solved-existing-article")
    def titles(url: str) -> list[str]:
        return [td.text.strip() for td in soup(engineer.get(url)).select(".case-table tbody td.col-title")]

    assert titles("/cases") == ["Open one"]
    assert titles("/cases?status=all") == ["Done one", "Open one"]
    assert soup(engineer.get("/cases?status=closed&q=done")).select_one(".result-count strong").text == "1"


def test_the_case_list_finds_by_number_and_customer_and_sorts_by_a_column(engineer, engine):
    northwind = store.create_case(engine, title="VPN drops", customer="Northwind Traders")
    other = store.create_case(engine, title="Printer offline", customer="Contoso")
    store.create_case(engine, title="Northwind asked about invoices", customer="Fabrikam")

    def rows(url: str) -> list[str]:
        return [a.text for a in soup(engineer.get(url)).select(".case-table td.col-number a")]

    assert rows(f"/cases?q={other.display_id}") == [other.display_id]
    assert rows("/cases?q=northwind")[0] == northwind.display_id
    html = soup(engineer.get("/cases?sort=customer&order=asc"))
    assert [td.text for td in html.select("td.col-customer")] == ["Contoso", "Fabrikam", "Northwind Traders"]
    header = html.select_one("th[aria-sort]")
    assert header["aria-sort"] == "ascending" and "Customer" in header.text
    assert "order=desc" in header.select_one("a")["href"], "clicking the sorted column reverses it"
    phone = html.select_one("nav.case-sort")  # the same choices where the header row is hidden
    assert [a.text.split(" ")[0] for a in phone.select("a")] == [th.select_one("a").contents[0]
                                                               for th in html.select("th.sortable")]
    assert "order=desc" in phone.select_one("a[aria-current]")["href"]
    empty = soup(engineer.get("/cases?q=nothing-like-this"))
    assert "No case matches" in empty.select_one(".empty-state").text


def test_cases_imported_with_dates_only_show_no_made_up_time(engineer, engine):
    from datetime import datetime

    dated = store.create_case(engine, title="Imported with a date", channel="import", at=datetime(2026, 3, 1))
    timed = store.create_case(engine, title="Opened at a time", at=datetime(2026, 3, 2, 14, 30))
    cells = {tr.select_one("td.col-number").text: tr.select_one("td.col-updated").text.strip()
             for tr in soup(engineer.get("/cases?status=all")).select(".case-table tbody tr")}
    assert cells[dated.display_id] == "2026-03-01"
    assert cells[timed.display_id] == "2026-03-02 14:30"
    assert "00:00" not in soup(engineer.get(f"/cases/{dated.display_id}")).select_one("main").text


def test_a_case_number_in_the_global_search_opens_the_case(engineer, engine):
    case = store.create_case(engine, title="VPN drops", customer="Northwind Traders")
    response = engineer.get(f"/search?q={case.display_id.lower()}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.display_id}")
    missing = engineer.get("/search?q=CAS-999999")
    assert missing.status_code == 200
    assert "There is no case CAS-999999" in soup(missing).select_one(".flash-error").text
    found = soup(engineer.get("/search?q=northwind"))
    assert found.select_one(".case-hits a.case-id").text == case.display_id
    assert soup(engineer.get("/search?q=42")).select_one(".case-hits") is None


def test_linking_from_an_article_page_goes_to_the_case(engineer, engine):
    case = store.create_case(engine, title="Print spooler stops")
    article = f"/articles/{LINKS_ID}"
    form = soup(engineer.get(article)).select_one("#link-case form")
    assert form["action"] == "/cases/link"
    response = post(engineer, "/cases/link",
                    {"case_id": case.display_id, "article_id": LINKS_ID, "solved": "1"}, article)
    assert response.headers["Location"].endswith(f"/cases/{case.display_id}#links")
    assert store.get_case(engine, case.id).solved_articles == (LINKS_ID,)
    wrong = post(engineer, "/cases/link", {"case_id": "CAS-999999", "article_id": LINKS_ID}, article)
    assert wrong.headers["Location"].endswith(f"{article}#link-case")
    assert "There is no case" in soup(engineer.get(article)).select_one("#link-case [role=alert]").text
