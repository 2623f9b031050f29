"""The engineer's case workspace, without JavaScript: forms, suggestions, links, closing, capture."""

from __future__ import annotations

import re

import pytest

from kb.articles import load_knowledge_base
from kb.cases import store
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
    assert store.count_cases(engine) == 0

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
    forms = page.select("#suggestions form.link-form")
    assert forms and forms[0].select_one("input[name=article_id]")["value"] == LINKS_ID
    assert [b.text for b in forms[0].select("button")] == ["This solved it", "Related"]

    response = post(engineer, f"/cases/{case.display_id}/links", {"article_id": LINKS_ID, "solved": "1"},
                    f"/cases/{case.display_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("#links")
    assert store.get_case(engine, case.id).solved_articles == (LINKS_ID,)
    page = soup(engineer.get(f"/cases/{case.display_id}"))
    assert "Solved it" in page.select_one("#links").text

    hidden = post(engineer, f"/cases/{case.display_id}/links", {"article_id": "not-there", "solved": "0"},
                  f"/cases/{case.display_id}")
    assert hidden.status_code == 302
    assert [link.article_id for link in store.get_case(engine, case.id).links] == [LINKS_ID]


def test_live_suggestions_fragment(engineer, engine):
    case = store.create_case(engine, title="Something else entirely")
    response = post(engineer, "/cases/suggestions", {"title": "spooler stops", "description": "driver",
                                                     "case_id": case.display_id}, "/cases/new")
    assert response.status_code == 200
    fragment = soup(response)
    assert fragment.select_one(".suggestion-title")["href"].endswith(LINKS_ID)
    assert fragment.select_one("form.link-form")["action"].endswith(f"/cases/{case.display_id}/links")


def test_close_form_shows_the_broken_rule_and_keeps_the_notes(engineer, engine):
    case = store.create_case(engine, title="Print spooler stops")
    page = f"/cases/{case.display_id}"
    solved = {"resolution_code": "solved-existing-article", "notes": "Rolled back."}
    refused = post(engineer, f"{page}/close", {**solved, "action": "close"}, page)
    assert refused.status_code == 409
    html = soup(refused)
    assert "needs an article linked" in html.select_one(".flash-error").text
    assert html.select_one("#notes").text == "Rolled back."
    assert html.select_one("#resolution_code option[selected]")["value"] == "solved-existing-article"

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
    assert html.select_one("#close") is None and html.select_one("#case-form fieldset").has_attr("disabled")


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
    flashed = soup(engineer.get(response.headers["Location"])).select_one(".flash-success").text
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
        return [td.text for td in soup(engineer.get(url)).select(".case-table tbody td:nth-of-type(2)")]

    assert titles("/cases") == ["Open one"]
    assert titles("/cases?status=all") == ["Done one", "Open one"]
    assert soup(engineer.get("/cases?status=closed&q=done")).select_one(".result-count strong").text == "1"
