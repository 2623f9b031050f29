"""The public contact form through the test client: every step recorded, nothing internal shown."""

from __future__ import annotations

import pytest

from kb.cases import deflection, lookup, store
from kb.cases.schema import deflection_events
from tests.web.helpers import BODY_SECRET, HIDDEN_IDS, INTERNAL_ID, LINKS_ID, SECRET, csrf_token_from, soup

DRAFT = {"title": "Print spooler stops", "description": "Printing fails after the driver update.",
         "product": "", "email": "pat@example.com"}


def start(client) -> dict:
    """Open the form; the draft fields plus its id and CSRF token, as the browser would send them."""
    page = client.get("/help/contact")
    assert page.status_code == 200
    html = soup(page)
    return {**DRAFT, "draft": html.select_one("input[name=draft]")["value"],
            "csrf_token": csrf_token_from(page)}


def events(engine, draft: dict) -> list[tuple[str, tuple[str, ...]]]:
    return [(e.kind, e.article_ids) for e in deflection.session_events(engine, draft["draft"])]


def test_find_answers_without_script_shows_public_suggestions(client, engine):
    draft = start(client)
    response = client.post("/help/contact", data={**draft, "action": "find"})
    html = soup(response)
    shown = [b["value"] for b in html.select("#suggestions button[name=article_id]")]
    assert shown and shown[0] == LINKS_ID
    assert html.select_one("#title")["value"] == DRAFT["title"]
    assert events(engine, draft) == [("suggestions_shown", tuple(shown))]


def test_opening_an_article_then_solved_is_a_deflection(client, engine):
    draft = start(client)
    read = client.post("/help/contact/read", data={**draft, "article_id": LINKS_ID})
    assert read.status_code == 200
    html = soup(read)
    assert html.select_one("#article-title").text.startswith("Print spooler")
    carried = {i["name"]: i["value"] for i in html.select("#contact-form input[type=hidden]")}
    assert carried["draft"] == draft["draft"] and carried["description"] == DRAFT["description"]
    solved = client.post("/help/contact/solved", data={**carried, "article_id": LINKS_ID})
    assert "Glad that helped" in soup(solved).h1.text
    assert events(engine, draft) == [("article_clicked", (LINKS_ID,)), ("solved", (LINKS_ID,))]
    assert deflection.session_outcome(engine, draft["draft"]) == deflection.DEFLECTED
    assert lookup.count_cases(engine) == 0


def test_submitting_opens_a_portal_case(client, engine):
    draft = start(client)
    client.post("/help/contact", data={**draft, "action": "find"})
    response = client.post("/help/contact", data={**draft, "action": "submit"})
    assert response.status_code == 200
    assert soup(response).select_one("#case-ref").text == "CAS-000001"
    case = store.get_case(engine, 1)
    assert (case.channel, case.customer, case.title) == ("portal", "pat@example.com", DRAFT["title"])
    assert [kind for kind, _ in events(engine, draft)] == ["suggestions_shown", "submitted"]
    assert deflection.deflection_stats(engine).rate == 0.0


@pytest.mark.parametrize("change,message", [({"email": "not-an-email"}, "email"),
                                            ({"title": "", "description": ""}, "Title")])
def test_bad_submissions_show_the_form_again(client, engine, change, message):
    draft = start(client)
    response = client.post("/help/contact", data={**draft, **change, "action": "submit"})
    assert response.status_code == 400
    assert message in soup(response).select_one(".flash-error").text
    assert lookup.count_cases(engine) == 0


def test_signed_in_customers_need_no_email(client, engine, login):
    acct = login("customer")
    draft = start(client)
    response = client.post("/help/contact", data={**draft, "email": "", "action": "submit"})
    assert response.status_code == 200
    assert store.get_case(engine, 1).customer == acct.name


def test_internal_content_never_reaches_the_contact_flow(client, engine, login):
    login("author")  # even staff see only public articles on the customer's form
    draft = {**start(client), "title": f"{SECRET} appliance reset", "description": f"{SECRET} tokens dropped"}
    for response in (client.post("/help/contact", data={**draft, "action": "find"}),
                     client.post("/help/contact/suggestions", data=draft)):
        text = response.get_data(as_text=True)
        assert BODY_SECRET not in text
        assert not any(hidden in text for hidden in HIDDEN_IDS)
    assert client.post("/help/contact/read", data={**draft, "article_id": INTERNAL_ID}).status_code == 404
    assert client.post("/help/contact/solved", data={**draft, "article_id": INTERNAL_ID}).status_code == 404
    assert all(kind == "suggestions_shown" for kind, _ in events(engine, draft))


def test_a_forged_draft_id_gets_a_fresh_one(client, engine):
    draft = {**start(client), "draft": "../../etc"}
    html = soup(client.post("/help/contact", data={**draft, "action": "find"}))
    fresh = html.select_one("input[name=draft]")["value"]
    assert deflection.is_session_id(fresh) and fresh != "../../etc"
    with engine.connect() as conn:
        assert {r.session_id for r in conn.execute(deflection_events.select())} == {fresh}


def test_without_csrf_token_nothing_is_recorded(client, engine):
    draft = start(client)
    del draft["csrf_token"]
    assert client.post("/help/contact", data={**draft, "action": "submit"}).status_code == 400
    assert lookup.count_cases(engine) == 0
