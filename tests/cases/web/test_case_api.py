"""The case API through the Flask test client: auth, the 201/200/409 flows and the OpenAPI shapes."""

from __future__ import annotations

import pytest

from kb.cases import lookup, store
from tests.web.helpers import DRAFT_ID, INTERNAL_ID, LINKS_ID, csrf_token_from
from tests.web.schema_check import validate_response

TICKET = {"title": "Print spooler stops after a driver update",
          "description": "Printing fails with 0x00000709 since the new driver.", "severity": "B"}


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").get_json()


@pytest.fixture
def engineer(auth):
    return auth("engineer")


def open_case(client, headers, **fields) -> dict:
    response = client.post("/api/cases", json={**TICKET, **fields}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def link(client, headers, case: dict, *, solved: bool, article_id: str = LINKS_ID):
    body = {"article_id": article_id, "solved": solved}
    response = client.post(f"/api/cases/{case['id']}/links", json=body, headers=headers)
    assert response.status_code == 201
    return response


@pytest.mark.parametrize("method,path,body", [
    ("post", "/api/cases", TICKET),
    ("get", "/api/cases", None),
    ("get", "/api/cases/CAS-000001", None),
    ("post", "/api/cases/CAS-000001/links", {"article_id": LINKS_ID, "solved": True}),
    ("post", "/api/cases/CAS-000001/close", {"resolution_code": "configuration-change"}),
    ("get", "/api/resolution-codes", None),
])
def test_without_auth_401_and_nothing_changes(client, engine, auth, method, path, body):
    store.create_case(engine, title="Existing")
    response = getattr(client, method)(path, json=body)
    assert response.status_code == 401 and response.is_json
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert lookup.count_cases(engine) == 1
    case = store.get_case(engine, 1)
    assert case.status == "new" and case.links == ()
    customer = getattr(client, method)(path, json=body, headers=auth("customer"))
    assert customer.status_code == 403
    assert lookup.count_cases(engine) == 1


def test_open_a_case_answers_201_with_suggestions(client, engineer, document, engine):
    response = client.post("/api/cases", json=TICKET, headers=engineer)
    assert response.status_code == 201
    validate_response(document, "/api/cases", "post", response)
    case = response.get_json()
    assert case["id"] == "CAS-000001" and response.headers["Location"].endswith("/api/cases/CAS-000001")
    assert (case["status"], case["severity"], case["priority"], case["channel"]) == ("new", "B", 3, "api")
    assert case["suggestions"] and case["suggestions"][0]["id"] == LINKS_ID
    assert {"id", "title", "type", "product", "audience", "url", "snippet", "score"} <= set(
        case["suggestions"][0])
    assert store.get_case(engine, 1).owner == case["owner"]


@pytest.mark.parametrize("body,parameter", [
    ({"title": " ", "description": ""}, "title"),
    ({"title": "x", "severity": "Z"}, "severity"),
    ({"title": "x", "priority": 9}, "priority"),
    ({"title": "x", "description": "y" * 20_001}, "description"),
    ([1, 2], "body"),
    ({"title": 0}, "title"),
    ({"title": "x", "customer": 42}, "customer"),
    ({"title": "x", "priority": "2"}, "priority"),
])
def test_bad_case_bodies_name_the_field(client, engineer, body, parameter):
    response = client.post("/api/cases", json=body, headers=engineer)
    assert response.status_code == 400
    assert response.get_json()["parameter"] == parameter


def test_get_case_includes_links_and_suggestions(client, engineer, document):
    case = open_case(client, engineer)
    link(client, engineer, case, solved=True)
    for case_id in (case["id"], str(case["number"])):
        response = client.get(f"/api/cases/{case_id}", headers=engineer)
        assert response.status_code == 200
        validate_response(document, "/api/cases/{case_id}", "get", response)
        data = response.get_json()
        assert data["suggestions"]
        assert data["links"] == [{**data["links"][0], "article_id": LINKS_ID, "solved": True}]
        assert data["links"][0]["title"].startswith("Print spooler")
    assert client.get("/api/cases/CAS-000999", headers=engineer).status_code == 404
    assert client.get("/api/cases/nonsense", headers=engineer).status_code == 404


def test_links_need_an_article_the_caller_can_see(client, engineer, auth, document):
    case = open_case(client, engineer)
    path = f"/api/cases/{case['id']}/links"
    response = client.post(path, json={"article_id": INTERNAL_ID, "solved": False}, headers=engineer)
    assert response.status_code == 201
    validate_response(document, "/api/cases/{case_id}/links", "post", response)
    assert response.get_json()["solved"] is False
    assert client.post(path, json={"article_id": "no-such-article"}, headers=engineer).status_code == 404
    # A draft exists, but engineers can't see drafts: the same 404. Authors can.
    assert client.post(path, json={"article_id": DRAFT_ID}, headers=engineer).status_code == 404
    assert client.post(path, json={"article_id": DRAFT_ID}, headers=auth("author")).status_code == 201
    bad = client.post(path, json={"article_id": LINKS_ID, "solved": "yes"}, headers=engineer)
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "solved"


@pytest.mark.parametrize("body,rule,message", [
    ({}, "resolution_code", "needs a resolution code"),
    ({"resolution_code": "solved-existing-artcle"}, "resolution_code",
     "Did you mean 'solved-existing-article'?"),
    ({"resolution_code": "solved-existing-article"}, "requires_article", "needs an article linked"),
    ({"resolution_code": "product-bug-filed", "notes": "Filed."}, "requires_bug_reference", "bug reference"),
])
def test_close_refusals_answer_409_with_the_rule(client, engineer, document, engine, body, rule, message):
    case = open_case(client, engineer)
    response = client.post(f"/api/cases/{case['id']}/close", json=body, headers=engineer)
    assert response.status_code == 409
    validate_response(document, "/api/cases/{case_id}/close", "post", response)
    data = response.get_json()
    assert data["rule"] == rule and message in data["error"]
    assert store.get_case(engine, case["number"]).status == "new"


def test_close_flow_counts_reuse_for_engineers(client, engineer, document):
    before = client.get(f"/api/articles/{LINKS_ID}", headers=engineer).get_json()["reuse_count"]
    case = open_case(client, engineer)
    close = f"/api/cases/{case['id']}/close"
    solved_body = {"resolution_code": "solved-existing-article", "notes": "Rolled back the driver."}
    link(client, engineer, case, solved=False)
    assert client.post(close, json=solved_body, headers=engineer).get_json()["rule"] == "requires_article"
    link(client, engineer, case, solved=True)
    response = client.post(close, json=solved_body, headers=engineer)
    assert response.status_code == 200
    validate_response(document, "/api/cases/{case_id}/close", "post", response)
    closed = response.get_json()
    assert (closed["status"], closed["resolution_code"]) == ("closed", "solved-existing-article")
    assert closed["resolution_notes"] == "Rolled back the driver." and closed["closed_at"]
    assert client.get(f"/api/articles/{LINKS_ID}", headers=engineer).get_json()["reuse_count"] == before + 1
    again = client.post(close, json=solved_body, headers=engineer)
    assert again.status_code == 409 and again.get_json()["rule"] == "transition"
    public = client.get(f"/api/articles/{LINKS_ID}").get_json()
    assert "reuse_count" not in public


def test_bug_reference_closes_product_bugs(client, engineer):
    case = open_case(client, engineer)
    response = client.post(f"/api/cases/{case['id']}/close", headers=engineer,
                           json={"resolution_code": "product-bug-filed", "bug_reference": "BUG-123"})
    assert response.status_code == 200 and response.get_json()["bug_reference"] == "BUG-123"


def test_resolution_codes(client, engineer, document):
    response = client.get("/api/resolution-codes", headers=engineer)
    assert response.status_code == 200
    validate_response(document, "/api/resolution-codes", "get", response)
    codes = {c["code"]: c for c in response.get_json()["resolution_codes"]}
    assert codes["solved-existing-article"]["requires_article"] is True
    assert codes["solved-existing-article"]["solved_by_knowledge"] is True
    assert codes["product-bug-filed"]["requires_bug_reference"] is True
    assert codes["configuration-change"]["name"] == "Configuration change"


def test_list_cases(client, engineer, document):
    open_case(client, engineer, title="First")
    second = open_case(client, engineer, title="Second")
    client.post(f"/api/cases/{second['id']}/close", json={"resolution_code": "advisory-answered"},
                headers=engineer)
    response = client.get("/api/cases", query_string={"status": "new"}, headers=engineer)
    validate_response(document, "/api/cases", "get", response)
    data = response.get_json()
    assert data["total"] == 1 and [c["title"] for c in data["cases"]] == ["First"]
    assert client.get("/api/cases?status=open", headers=engineer).get_json()["parameter"] == "status"


def test_find_cases_by_number_and_by_customer_first(client, engineer, document):
    northwind = open_case(client, engineer, title="VPN drops", customer="Northwind Traders")
    open_case(client, engineer, title="Northwind asked about invoices", customer="Fabrikam")
    other = open_case(client, engineer, title="Printer offline", customer="Contoso")
    for query in (other["id"], other["id"].lower(), str(other["number"])):
        response = client.get("/api/cases", query_string={"q": query}, headers=engineer)
        validate_response(document, "/api/cases", "get", response)
        assert response.get_json()["cases"][0]["id"] == other["id"]
    found = client.get("/api/cases", query_string={"q": "northwind"}, headers=engineer).get_json()
    assert found["total"] == 2 and found["cases"][0]["id"] == northwind["id"]
    assert client.get("/api/cases?q=nothing-like-it", headers=engineer).get_json()["total"] == 0


def test_cases_sort_by_a_named_field_and_refuse_unknown_ones(client, engineer):
    for customer in ("Beta", "Alpha", "Gamma"):
        open_case(client, engineer, title=f"Case of {customer}", customer=customer)
    data = client.get("/api/cases?sort=customer&order=asc", headers=engineer).get_json()
    assert [c["customer"] for c in data["cases"]] == ["Alpha", "Beta", "Gamma"]
    data = client.get("/api/cases?sort=customer&order=desc", headers=engineer).get_json()
    assert [c["customer"] for c in data["cases"]] == ["Gamma", "Beta", "Alpha"]
    assert client.get("/api/cases?sort=secret", headers=engineer).get_json()["parameter"] == "sort"
    assert client.get("/api/cases?sort=title&order=up", headers=engineer).get_json()["parameter"] == "order"
    assert client.get("/api/cases?q=" + "x" * 300, headers=engineer).get_json()["parameter"] == "q"


def test_a_signed_in_session_needs_the_csrf_header(client, login, engine):
    login("engineer")
    assert client.post("/api/cases", json=TICKET).status_code == 400
    assert lookup.count_cases(engine) == 0
    token = csrf_token_from(client.get("/cases/new"))
    response = client.post("/api/cases", json=TICKET, headers={"X-CSRF-Token": token})
    assert response.status_code == 201 and response.get_json()["channel"] == "engineer"
