"""Cited answers through the app: the API by role, abstention, the checks, feedback, and the card on pages.

The corpus is the web suite's (sample articles plus the planted hidden ones). Rules about
what may leak to the public are also attacked in tests/web/test_leaks.py; browser tests of
the card are in tests/web/test_answer_browser.py.
"""

from __future__ import annotations

import sqlalchemy as sa

from kb.activity import search_log
from kb.answers.feedback import answer_feedback, unanswered
from kb.db import engine_for
from tests.web.helpers import INTERNAL_ID, LINKS_ID, NEVER_PUBLIC, SECRET, csrf_token_from, soup
from tests.web.schema_check import validate_response

SPOOLER = "The print spooler stops after a driver update and printing fails with 0x00000709"
SECRET_QUESTION = f"{SECRET} appliance reset drops session tokens"
OFF_TOPIC = "What is the best temperature to bake sourdough bread?"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def ask(client, question: str, headers: dict | None = None, **fields):
    return client.post("/api/answer", json={"question": question, **fields}, headers=headers or {})


def flush(app) -> None:
    app.extensions["kb"].search_log.flush()


def test_an_answer_quotes_the_fix_and_cites_the_section_it_comes_from(app, client):
    document = client.get("/api/openapi.json").get_json()
    response = ask(client, SPOOLER)
    assert response.status_code == 200
    validate_response(document, "/api/answer", "post", response)
    data = response.get_json()
    assert data["abstained"] is False and data["reason"] is None
    answer = data["answer"]
    quoted = answer["citations"][0]
    assert quoted["id"] == LINKS_ID and quoted["quoted"] is True and quoted["section"] == "Resolution"
    assert quoted["url"] == f"http://localhost/help/articles/{LINKS_ID}#sec-resolution"
    assert answer["text"].startswith("Roll back the driver.")
    assert "Roll back the driver" in answer["html"] and "<script" not in answer["html"]
    assert any("0x00000709" in reason for reason in answer["why"])
    assert 0.5 <= answer["confidence"] <= 1 and answer["feedback_token"]
    assert LINKS_ID in [r["id"] for r in data["results"]]


def test_every_answered_question_cites_and_its_text_is_the_quoted_article_s(client, token_for):
    questions = [SPOOLER, "Users get access denied 0x80070005 on the file share",
                 "Outlook keeps asking for my password", "AADSTS50076 sign-in loop with MFA", OFF_TOPIC]
    answered = 0
    for question in questions:
        for headers in ({}, bearer(token_for("engineer"))):
            data = ask(client, question, headers).get_json()
            if data["abstained"]:
                assert data["answer"] is None and data["reason"]
                continue
            answered += 1
            citations = data["answer"]["citations"]
            assert citations and citations[0]["quoted"] and all(not c["quoted"] for c in citations[1:])
            assert citations[0]["id"] in [r["id"] for r in data["results"]]
    assert answered >= 6


def test_a_customer_s_answer_never_comes_from_or_names_a_hidden_article(client, token_for):
    for headers in ({}, bearer(token_for("customer"))):
        response = ask(client, SECRET_QUESTION, headers, explain=True)
        data = response.get_json()
        body = response.get_data(as_text=True).replace(SECRET_QUESTION, "")
        assert not [s for s in NEVER_PUBLIC if s.lower() in body.lower()], body[:500]
        cited = [c["id"] for c in (data["answer"] or {}).get("citations", [])]
        assert INTERNAL_ID not in cited and INTERNAL_ID not in str(data.get("considered"))


def test_an_engineer_s_answer_comes_from_the_internal_knowledge_base(client, token_for):
    data = ask(client, SECRET_QUESTION, bearer(token_for("engineer"))).get_json()
    assert data["abstained"] is False
    assert data["answer"]["citations"][0]["id"] == INTERNAL_ID
    assert data["answer"]["citations"][0]["url"].endswith(f"/articles/{INTERNAL_ID}#sec-resolution")


def test_kb_abstains_when_nothing_answers_and_still_lists_what_it_found(app, client):
    data = ask(client, OFF_TOPIC).get_json()
    assert data["abstained"] is True and data["answer"] is None
    assert "enough support" in data["reason"] or "Nothing" in data["reason"]
    assert data["confidence"] < 0.5 and isinstance(data["results"], list)
    flush(app)
    with engine_for(app.config["DB_URL"]).connect() as conn:
        rows = conn.execute(sa.select(search_log).where(search_log.c.kind == "answer",
                                                        search_log.c.query == OFF_TOPIC)).fetchall()
    assert rows and all(r.total == 0 for r in rows)
    assert any(u["question"] == OFF_TOPIC.lower() and u["kind"] == "answer"
               for u in unanswered(engine_for(app.config["DB_URL"])))


def test_an_article_for_another_product_is_demoted_or_flagged(client):
    plain = ask(client, SPOOLER).get_json()
    other = ask(client, SPOOLER, product="Contoso CRM").get_json()
    assert other["confidence"] < plain["confidence"]
    if not other["abstained"]:
        assert "product" in [f["kind"] for f in other["answer"]["flags"]]


def test_an_error_code_the_article_does_not_document_is_demoted(client):
    plain = ask(client, SPOOLER).get_json()
    wrong = ask(client, SPOOLER.replace("0x00000709", "0x80070643")).get_json()
    assert wrong["confidence"] < plain["confidence"]
    if not wrong["abstained"] and wrong["answer"]["citations"][0]["id"] == LINKS_ID:
        assert "code" in [f["kind"] for f in wrong["answer"]["flags"]]


def test_bad_requests_name_the_parameter(client):
    for body, parameter in (({}, "question"), ({"question": ""}, "question"), ({"question": 3}, "question"),
                            ({"question": "x" * 2001}, "question"), ({"question": "ok", "limit": 0}, "limit"),
                            ({"question": "ok", "product": ["a"]}, "product")):
        response = client.post("/api/answer", json=body)
        assert response.status_code == 400 and response.get_json()["parameter"] == parameter
    response = client.post("/api/answer", data="not json", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["parameter"] == "body"


def test_did_this_answer_help_is_recorded_and_a_no_counts_as_a_gap(app, client):
    token = ask(client, SPOOLER).get_json()["answer"]["feedback_token"]
    engine = engine_for(app.config["DB_URL"])
    for helpful in ("yes", "no"):
        response = client.post("/api/answer/feedback", json={"token": token, "helpful": helpful})
        assert response.status_code == 200 and response.get_json() == {"recorded": True,
                                                                       "helpful": helpful == "yes"}
    with engine.connect() as conn:
        query = sa.select(answer_feedback).where(answer_feedback.c.article_id == LINKS_ID)
        votes = conn.execute(query).fetchall()
    assert {v.helpful for v in votes} >= {True, False} and all(v.section == "Resolution" for v in votes)
    gaps = unanswered(engine)
    assert any(u["kind"] == "answer-unhelpful" and u["question"] == SPOOLER.lower() for u in gaps)


def test_a_vote_for_an_answer_kb_never_gave_is_refused(client):
    token = ask(client, SPOOLER).get_json()["answer"]["feedback_token"]
    for body, parameter in (({"token": token[:-3] + "abc", "helpful": "yes"}, "token"),
                            ({"token": "made-up", "helpful": "no"}, "token"),
                            ({"token": token, "helpful": "maybe"}, "helpful")):
        response = client.post("/api/answer/feedback", json=body)
        assert response.status_code == 400 and response.get_json()["parameter"] == parameter


# --- the card on pages ------------------------------------------------------------------------


def card(response):
    found = soup(response).select_one("section.answer-card")
    assert found is not None, "no answer card on the page"
    return found


def test_the_help_center_s_search_shows_the_card_above_the_results(client):
    page = card(client.get("/help/search", query_string={"q": SPOOLER}))
    link = page.select_one("a[data-citation]")
    assert link["href"] == f"/help/articles/{LINKS_ID}#sec-resolution"
    assert "Roll back the driver" in page.select_one("blockquote.answer-quote").get_text()
    assert page.select_one("form.answer-feedback input[name=token]")["value"]
    order = [el.get("class", [""])[0] for el in soup(client.get("/help/search", query_string={"q": SPOOLER}))
             .select("section.answer-card, ol.results")]
    assert order == ["answer-card", "results"]


def test_a_one_or_two_word_lookup_gets_results_without_a_card(client, login):
    def has_card(path: str, q: str) -> bool:
        return soup(client.get(path, query_string={"q": q})).select_one("section.answer-card") is not None

    assert not has_card("/help/search", "spooler")
    login("engineer")
    assert not has_card("/search", "print spooler")
    assert has_card("/search", "0x00000709")


def test_the_help_center_offers_contact_support_when_it_abstains(client):
    page = card(client.get("/help/search", query_string={"q": OFF_TOPIC}))
    assert page["data-answer"] == "none" and page.select_one("a[href='/help/contact']")


def test_engineer_search_shows_the_card_with_internal_citations(client, login):
    login("engineer")
    page = card(client.get("/search", query_string={"q": SECRET_QUESTION}))
    assert page.select_one("a[data-citation]")["href"] == f"/articles/{INTERNAL_ID}#sec-resolution"


def test_the_contact_form_shows_the_card_before_the_request_is_sent(client):
    form = client.get("/help/contact")
    response = client.post("/help/contact", data={"csrf_token": csrf_token_from(form), "title": SPOOLER,
                                                  "description": "", "action": "find"})
    page = card(response)
    assert page.select_one("a[data-citation]")["href"] == f"/help/articles/{LINKS_ID}#sec-resolution"
    assert page.select_one("form.answer-feedback input[name=next]")["value"] == "/help/contact"


def test_the_case_workspace_shows_the_card_beside_the_case(client, login):
    login("engineer")
    form = client.get("/cases/new")
    response = client.post("/cases/new", data={"csrf_token": csrf_token_from(form), "title": SPOOLER,
                                               "description": "Since Monday on every client.",
                                               "severity": "C", "priority": "3"})
    assert response.status_code == 302
    page = card(client.get(response.headers["Location"]))
    assert page.select_one("a[data-citation]")["href"] == f"/articles/{LINKS_ID}#sec-resolution"


def test_a_vote_from_the_page_without_script_returns_to_the_page(client):
    response = client.get("/help/search", query_string={"q": SPOOLER})
    form = card(response).select_one("form.answer-feedback")
    fields = {i["name"]: i.get("value", "") for i in form.select("input")}
    voted = client.post(form["action"], data={**fields, "helpful": "yes"})
    assert voted.status_code == 303 and voted.headers["Location"].startswith("/help/search?q=")


def test_a_quote_links_only_to_what_the_reader_may_open(make_kb, tmp_path, db_url, token_for):
    from indexer import build_index
    from tests.web.conftest import app_config
    from web import create_app

    public = """---
id: PUB-1
title: "Badge reader rejects every card after the firmware update"
type: tsg
audience: public
status: published
---
## Symptoms

The badge reader rejects every card after the firmware update.

## Cause

The update resets the card format.

## Resolution

Follow [the reset runbook](kb:INT-1) and set the card format back to 26-bit.
"""
    internal = public.replace("PUB-1", "INT-1").replace("audience: public", "audience: internal").replace(
        "Badge reader rejects", "Runbook: badge reader rejects")
    articles = make_kb({"pub.md": public, "int.md": internal})
    build_index(articles, tmp_path / "index")
    app = create_app(app_config(articles, tmp_path / "index", db_url, tmp_path / "instance"))
    question = {"question": "The badge reader rejects every card since the firmware update"}
    client = app.test_client()
    data = client.post("/api/answer", json=question).get_json()
    assert data["answer"]["citations"][0]["id"] == "PUB-1"
    html = data["answer"]["html"]
    assert "the reset runbook" in html and "INT-1" not in html and "href" not in html
    staff = client.post("/api/answer", json=question, headers=bearer(token_for("engineer")))
    assert "/articles/INT-1" in staff.get_json()["answer"]["html"]


def test_the_card_never_claims_certainty_and_its_code_scrolls_by_keyboard(client, login):
    login("engineer")
    page = card(client.get("/search", query_string={"q":
                                                    "ORA-12154 after installing a second Oracle client"}))
    assert page["data-answer"] == "quoted"
    percent = int(page.select_one(".answer-confidence").get_text().split("%")[0])
    assert 1 <= percent <= 99
    assert page.select_one(".answer-source .badge-type").get_text() == "Troubleshooting guide"
    blocks = page.select("blockquote pre")
    assert blocks and all(b.get("tabindex") == "0" for b in blocks)


def test_questions_asked_on_purpose_are_logged_and_drafts_being_typed_are_not(app, client):
    engine = engine_for(app.config["DB_URL"])

    def logged() -> int:
        app.extensions["kb"].search_log.flush()
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(search_log)
                                .where(search_log.c.kind == "answer")).scalar_one()

    before = logged()
    token = csrf_token_from(client.get("/help/contact"))
    for typed in ("The print", "The print spooler stops", SPOOLER):
        typing = client.post("/help/contact/suggestions", data={"csrf_token": token, "title": typed})
        assert typing.status_code == 200
    assert logged() == before
    client.get("/help/search", query_string={"q": OFF_TOPIC})
    assert ask(app.test_client(), SPOOLER).status_code == 200  # a script: no browser session
    assert logged() == before + 2
