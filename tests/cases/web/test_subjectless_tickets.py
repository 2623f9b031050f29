"""Tickets without a subject: an e-mail without one, a chat's first message, a form whose
subject is optional. A description alone gets suggestions and opens a case; with neither,
the error names both fields."""

from __future__ import annotations

from kb.cases import store
from tests.cases.web.test_support import start
from tests.web.helpers import LINKS_ID, soup

DESCRIPTION = "The print spooler stops after the driver update; every job fails with 0x00000709."


def test_suggest_api_answers_a_description_alone(client):
    response = client.post("/api/suggest", json={"description": DESCRIPTION})
    assert response.status_code == 200, response.get_json()
    assert LINKS_ID in [hit["id"] for hit in response.get_json()["results"]]


def test_suggest_api_names_both_fields_when_both_are_empty(client):
    for body in ({}, {"title": "", "description": "  "}, {"product": "Windows"}):
        response = client.post("/api/suggest", json=body)
        assert response.status_code == 400
        error = response.get_json()
        assert "'title'" in error["error"] and "'description'" in error["error"] and error["parameter"] == "title"


def test_case_api_opens_a_case_from_a_description_alone(client, auth, engine):
    response = client.post("/api/cases", json={"description": DESCRIPTION}, headers=auth("engineer"))
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["title"] == store.subject_from(DESCRIPTION) and case["title"].endswith("…")
    assert case["description"] == DESCRIPTION
    assert LINKS_ID in [hit["id"] for hit in case["suggestions"]]
    empty = client.post("/api/cases", json={"title": " ", "description": ""}, headers=auth("engineer"))
    assert empty.status_code == 400
    assert "'title'" in empty.get_json()["error"] and "'description'" in empty.get_json()["error"]


def test_the_contact_form_takes_details_without_a_subject(client, engine):
    draft = {**start(client), "title": "", "description": DESCRIPTION}
    found = soup(client.post("/help/contact", data={**draft, "action": "find"}))
    assert LINKS_ID in [b["value"] for b in found.select("#suggestions button[name=article_id]")]
    submitted = client.post("/help/contact", data={**draft, "action": "submit"})
    assert submitted.status_code == 200
    reference = soup(submitted).select_one("#case-ref").text
    case = store.get_case(engine, reference)
    assert (case.title, case.description, case.channel) == (store.subject_from(DESCRIPTION), DESCRIPTION, "portal")
    neither = client.post("/help/contact", data={**draft, "description": "", "action": "submit"})
    assert neither.status_code == 400
    message = soup(neither).select_one(".flash-error").text
    assert "Title" in message and "'description'" in message


def test_a_case_without_a_title_is_titled_by_its_first_line():
    assert store.subject_from("Printer offline\nsince Monday") == "Printer offline since Monday"
    long = "word " * 40
    assert len(store.subject_from(long)) <= store.SUBJECT_CHARS + 1 and store.subject_from(long).endswith("…")
