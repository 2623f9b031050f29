"""The knowledge loop's API: flags from anyone who can see the article, tasks and insights for staff."""

from __future__ import annotations

import pytest

from kb.cases import store
from kb.kcs import tasks as t
from kb.kcs.flags import flags_for_article
from kb.resolution_codes import load_taxonomy
from tests.conftest import TAXONOMY
from tests.web.helpers import DRAFT_ID, HIDDEN_IDS, INTERNAL_ID, LINKS_ID
from tests.web.schema_check import validate_response

FLAG = {"reason": "outdated", "comment": "Step 2 names a menu that no longer exists."}
FLAGS_PATH = "/api/articles/{article_id}/flags"


def test_anyone_who_can_see_a_public_article_can_flag_it(client, engine, document):
    response = client.post(f"/api/articles/{LINKS_ID}/flags", json=FLAG)
    assert response.status_code == 201
    validate_response(document, FLAGS_PATH, "post", response)
    body = response.get_json()
    assert (body["article_id"], body["reason"]) == (LINKS_ID, "outdated") and "task" not in body
    [flag] = flags_for_article(engine, LINKS_ID)
    assert (flag.source, flag.user_name, flag.comment) == ("api", None, FLAG["comment"])
    assert [task.article_id for task in t.list_tasks(engine)] == [LINKS_ID]


@pytest.mark.parametrize("role", [None, "customer"])
def test_a_hidden_article_answers_a_flag_exactly_like_a_missing_one(client, engine, auth, role):
    headers = auth(role) if role else {}
    missing = client.post("/api/articles/NO-SUCH-ARTICLE/flags", json=FLAG, headers=headers)
    assert missing.status_code == 404
    for hidden in HIDDEN_IDS:
        response = client.post(f"/api/articles/{hidden}/flags", json=FLAG, headers=headers)
        assert (response.status_code, response.get_data()) == (404, missing.get_data())
        # not even a bad body tells them apart: the article is looked up first
        bad = client.post(f"/api/articles/{hidden}/flags", json={"reason": "nonsense"}, headers=headers)
        assert (bad.status_code, bad.get_data()) == (404, missing.get_data())
    assert t.list_tasks(engine, status=None) == []


def test_staff_flag_internal_articles_and_get_the_owners_task(client, engine, auth, document):
    response = client.post(f"/api/articles/{INTERNAL_ID}/flags", json=FLAG, headers=auth("engineer"))
    assert response.status_code == 201
    validate_response(document, FLAGS_PATH, "post", response)
    task = response.get_json()["task"]
    assert (task["kind"], task["owner"], task["owner_source"], task["events"]) == ("flag", "tier3-team", "article", 1)
    again = client.post(f"/api/articles/{INTERNAL_ID}/flags", json={"reason": "unclear"}, headers=auth("author"))
    assert again.get_json()["task"]["id"] == task["id"] and again.get_json()["task"]["events"] == 2


def test_a_flag_names_the_case_it_was_raised_on(client, engine, auth):
    case = store.create_case(engine, title="Spooler stops")
    response = client.post(f"/api/articles/{LINKS_ID}/flags", json={**FLAG, "case_id": case.display_id},
                           headers=auth("engineer"))
    assert response.status_code == 201
    [flag] = flags_for_article(engine, LINKS_ID)
    assert (flag.source, flag.case_id) == ("case", case.id)
    unknown = client.post(f"/api/articles/{LINKS_ID}/flags", json={**FLAG, "case_id": "CAS-999999"},
                          headers=auth("engineer"))
    assert (unknown.status_code, unknown.get_json()["parameter"]) == (400, "case_id")


@pytest.mark.parametrize(("body", "parameter"), [
    ({"reason": "because"}, "reason"), ({}, "reason"), ({"reason": "other", "comment": "x" * 2001}, "comment"),
    ({"reason": "other", "comment": 5}, "comment"),
])
def test_a_bad_flag_is_refused_naming_the_parameter(client, body, parameter, document):
    response = client.post(f"/api/articles/{LINKS_ID}/flags", json=body)
    assert (response.status_code, response.get_json()["parameter"]) == (400, parameter)
    validate_response(document, FLAGS_PATH, "post", response)


def test_flags_from_readers_who_are_not_staff_are_limited_per_address(make_app, auth, document):
    client = make_app(ANONYMOUS_FLAGS_PER_WINDOW=2).test_client()
    assert [client.post(f"/api/articles/{LINKS_ID}/flags", json=FLAG).status_code for _ in range(2)] == [201, 201]
    refused = client.post(f"/api/articles/{LINKS_ID}/flags", json=FLAG)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    validate_response(document, FLAGS_PATH, "post", refused)
    hidden = client.post(f"/api/articles/{INTERNAL_ID}/flags", json=FLAG)
    assert hidden.status_code == 429  # limited before the lookup: no timing or status tells hidden from missing
    assert client.post(f"/api/articles/{LINKS_ID}/flags", json=FLAG, headers=auth("engineer")).status_code == 201


def test_tasks_are_for_staff(client, auth):
    assert client.get("/api/tasks").status_code == 401
    assert client.get("/api/tasks", headers=auth("customer")).status_code == 403
    assert client.post("/api/tasks/1", json={"note": "x"}, headers=auth("customer")).status_code == 403


def test_the_queue_filters_by_owner_status_and_kind_and_sorts_by_impact(client, engine, auth, articles_dir,
                                                                        document):
    (articles_dir / "kb.yaml").write_text("owners:\n  teams: {tier3-team: [%s]}\n" % auth_name(client, auth),
                                          encoding="utf-8")
    headers = auth("engineer")
    client.post(f"/api/articles/{INTERNAL_ID}/flags", json=FLAG, headers=headers)
    client.post(f"/api/articles/{LINKS_ID}/flags", json=FLAG, headers=headers)
    everyone = client.get("/api/tasks", headers=headers)
    validate_response(document, "/api/tasks", "get", everyone)
    assert {x["article_id"] for x in everyone.get_json()["tasks"]} == {INTERNAL_ID, LINKS_ID}
    mine = client.get("/api/tasks?owner=me", headers=headers).get_json()["tasks"]
    assert [x["article_id"] for x in mine] == [INTERNAL_ID]  # tier3-team's, and the engineer is in it
    assert [x["article_id"] for x in client.get("/api/tasks?owner=unassigned", headers=headers)
            .get_json()["tasks"]] == [LINKS_ID]
    assert client.get("/api/tasks?kind=review", headers=headers).get_json()["tasks"] == []
    bad = client.get("/api/tasks?kind=chores", headers=headers)
    assert (bad.status_code, bad.get_json()["parameter"]) == (400, "kind")


def auth_name(client, auth) -> str:
    return client.get("/api/me", headers=auth("engineer")).get_json()["name"]


def test_resolving_records_what_was_done_once(client, engine, auth, document):
    headers = auth("engineer")
    task_id = client.post(f"/api/articles/{LINKS_ID}/flags", json=FLAG, headers=headers).get_json()["task"]["id"]
    vague = client.post(f"/api/tasks/{task_id}", json={"status": "dismissed"}, headers=headers)
    assert (vague.status_code, vague.get_json()["parameter"]) == (400, "note")
    done = client.post(f"/api/tasks/{task_id}", json={"status": "done", "fixed_in": "9c1e2f0"}, headers=headers)
    assert done.status_code == 200
    validate_response(document, "/api/tasks/{task_id}", "post", done)
    assert (done.get_json()["status"], done.get_json()["fixed_in"]) == ("done", "9c1e2f0")
    again = client.post(f"/api/tasks/{task_id}", json={"note": "again"}, headers=headers)
    assert again.status_code == 409
    validate_response(document, "/api/tasks/{task_id}", "post", again)
    assert client.post("/api/tasks/424242", json={"note": "x"}, headers=headers).status_code == 404
    assert client.get("/api/tasks?status=done", headers=headers).get_json()["total"] == 1


def test_gap_topics_group_what_the_knowledge_base_failed_to_answer(client, engine, auth, document):
    taxonomy = load_taxonomy(TAXONOMY)[0]
    for title in ("Label printer prints blank pages after firmware update",
                  "Blank pages from the label printer since the firmware update",
                  "Firmware update: label printer output is blank"):
        case = store.create_case(engine, title=title, description="Every label comes out blank.")
        store.close_case(engine, taxonomy, case.id, "configuration-change", "Rolled back the firmware.")
    response = client.get("/api/insights/gaps", headers=auth("engineer"))
    assert response.status_code == 200
    validate_response(document, "/api/insights/gaps", "get", response)
    topics = response.get_json()["topics"]
    assert topics[0]["size"] == 3 and topics[0]["counts"] == {"case": 3}
    assert "label" in topics[0]["terms"] or "printer" in topics[0]["terms"]
    assert client.get("/api/insights/gaps", headers=auth("customer")).status_code == 403


def test_duplicates_name_only_articles_the_caller_may_see(client, auth, document):
    response = client.get("/api/insights/duplicates?limit=500", headers=auth("engineer"))
    assert response.status_code == 200
    validate_response(document, "/api/insights/duplicates", "get", response)
    named = {x for p in response.get_json()["pairs"] for x in (p["a"], p["b"])}
    assert DRAFT_ID not in named  # engineers don't see drafts
