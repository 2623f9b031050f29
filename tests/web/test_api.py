"""The JSON API through the Flask test client: visibility, parameters, errors and the OpenAPI document."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.helpers import ARCHIVED_INTERNAL_ID, DRAFT_ID, INTERNAL_ID, LINKS_ID, REVIEW_ID, SECRET
from tests.web.schema_check import errors as schema_errors
from tests.web.schema_check import validate_response


@pytest.fixture(scope="module")
def document(app):
    return app.test_client().get("/api/openapi.json").get_json()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def ids(response) -> list[str]:
    return [r["id"] for r in response.get_json()["results"]]


# --- search ------------------------------------------------------------------------------------

def test_search_shape_matches_the_document(client, document):
    response = client.get("/api/search", query_string={"q": "spooler", "limit": 5})
    assert response.status_code == 200
    validate_response(document, "/api/search", "get", response)
    data = response.get_json()
    assert data["query"] == "spooler" and data["limit"] == 5 and data["offset"] == 0
    first = data["results"][0]
    assert first["id"] == LINKS_ID
    assert first["url"] == f"http://localhost/help/articles/{LINKS_ID}"
    assert "<mark>" in first["snippet"]


def test_anonymous_search_sees_only_public(client):
    response = client.get("/api/search", query_string={"q": SECRET})
    assert response.get_json()["total"] == 0


def test_engineer_token_sees_internal(client, token_for, document):
    response = client.get("/api/search", query_string={"q": SECRET}, headers=bearer(token_for("engineer")))
    validate_response(document, "/api/search", "get", response)
    assert INTERNAL_ID in ids(response)
    hit = next(r for r in response.get_json()["results"] if r["id"] == INTERNAL_ID)
    assert hit["url"] == f"http://localhost/articles/{INTERNAL_ID}"
    assert hit["audience"] == "internal"


def test_customer_token_sees_only_public(client, token_for):
    response = client.get("/api/search", query_string={"q": SECRET}, headers=bearer(token_for("customer")))
    assert response.get_json()["total"] == 0


def test_session_cookie_works_for_browsers(client, login):
    login("engineer")
    assert INTERNAL_ID in ids(client.get("/api/search", query_string={"q": SECRET}))


def test_filters_and_status(client, token_for):
    engineer = bearer(token_for("engineer"))
    data = client.get("/api/search", query_string={"q": "spooler", "type": "tsg"},
                      headers=engineer).get_json()
    assert data["results"] and all(r["type"] == "tsg" for r in data["results"])
    archived = client.get("/api/search", query_string={"q": f"{SECRET} gateway", "status": "archived"},
                          headers=engineer)
    assert ids(archived) == [ARCHIVED_INTERNAL_ID]


def test_explain_adds_explanations(client, document):
    response = client.get("/api/search", query_string={"q": "spooler", "explain": "1"})
    validate_response(document, "/api/search", "get", response)
    assert all("explanation" in r for r in response.get_json()["results"])
    plain = client.get("/api/search", query_string={"q": "spooler"}).get_json()
    assert all("explanation" not in r for r in plain["results"])


@pytest.mark.parametrize("article_id", ["vpn-drops", "KB5003637.v2", "a~b_c", "kb-article-id", "..",
                                        "two words", "café", "x/y", "50%", "a?b#c"])
@pytest.mark.parametrize("audience", ["public", "internal"])
def test_result_urls_are_the_article_pages_the_reader_may_open(app, article_id, audience):
    from flask import url_for

    from kb.visibility import Reader
    from web.payloads import article_endpoint, article_urls

    reader = Reader(audience, ("published",))
    with app.test_request_context("/api/search", base_url="https://kb.example.com:8443/support/"):
        expected = url_for(article_endpoint(reader), article_id=article_id, _external=True)
        assert article_urls(reader)(article_id) == expected


def test_paging(client):
    first = client.get("/api/search", query_string={"q": "error", "limit": 2}).get_json()
    second = client.get("/api/search", query_string={"q": "error", "limit": 2, "offset": 2}).get_json()
    assert first["total"] == second["total"] > 4
    assert {r["id"] for r in first["results"]}.isdisjoint(r["id"] for r in second["results"])


@pytest.mark.parametrize("query,parameter", [
    ({"q": "x", "limit": "0"}, "limit"),
    ({"q": "x", "limit": "101"}, "limit"),
    ({"q": "x", "limit": "ten"}, "limit"),
    ({"q": "x", "offset": "-1"}, "offset"),
    ({"q": "x", "offset": "10001"}, "offset"),
    ({"q": "x", "explain": "maybe"}, "explain"),
    ({"q": "x", "status": "retired"}, "status"),
    ({"q": "x", "status": ""}, "status"),
    ({"q": "x", "limit": ""}, "limit"),
    ({"q": "x", "offset": " "}, "offset"),
    ({"q": "x", "type": "t" * 300}, "type"),
    ({}, "q"),
    ({"q": "   "}, "q"),
])
def test_bad_parameters_are_named(client, document, query, parameter):
    response = client.get("/api/search", query_string=query)
    assert response.status_code == 400
    validate_response(document, "/api/search", "get", response)
    assert response.get_json()["parameter"] == parameter


@pytest.mark.parametrize(("status", "role"), [("archived", None), ("draft", None), ("draft", "engineer"),
                                             ("review", "engineer")])
def test_a_status_the_callers_role_may_not_see_is_forbidden(client, document, token_for, status, role):
    headers = bearer(token_for(role)) if role else {}
    response = client.get("/api/search", query_string={"q": "x", "status": status}, headers=headers)
    assert response.status_code == 403
    validate_response(document, "/api/search", "get", response)
    assert response.get_json()["parameter"] == "status"


def test_empty_numbers_are_refused_with_a_message_saying_so(client):
    response = client.get("/api/search", query_string={"q": "x", "limit": ""})
    assert "'limit' is empty" in response.get_json()["error"]


def test_oversize_query_is_refused_fast(client):
    from indexer import MAX_QUERY_CHARS

    response = client.get("/api/search", query_string={"q": "a" * (MAX_QUERY_CHARS + 1)})
    assert response.status_code in (400, 413)
    assert response.get_json()["parameter"] == "q"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(min_size=1, max_size=80))
def test_hostile_queries_never_break_search(client, q):
    response = client.get("/api/search", query_string={"q": q})
    assert response.status_code in (200, 400)
    assert response.is_json


@pytest.mark.parametrize("q", ['"unbalanced ( *', "title:", "*", "AND OR NOT", "a:b:c", "((((", "\\", "%00"])
def test_known_hostile_queries(client, q):
    assert client.get("/api/search", query_string={"q": q}).status_code in (200, 400)


# --- suggest -----------------------------------------------------------------------------------

def test_suggest_returns_search_results(client, document):
    response = client.post("/api/suggest", json={
        "title": "Printing stopped after driver update",
        "description": "Spooler service stops; users get 0x00000709 when printing.", "limit": 3})
    assert response.status_code == 200
    validate_response(document, "/api/suggest", "post", response)
    data = response.get_json()
    assert data["results"][0]["id"] == LINKS_ID
    assert len(data["results"]) <= 3


def test_suggest_respects_visibility(client, token_for):
    body = {"title": f"{SECRET} appliance reset", "description": f"{SECRET_CODE_TEXT}"}
    assert INTERNAL_ID not in ids(client.post("/api/suggest", json=body))
    assert INTERNAL_ID in ids(client.post("/api/suggest", json=body, headers=bearer(token_for("engineer"))))


SECRET_CODE_TEXT = "The gateway logs QDX-77810 after reset."


@pytest.mark.parametrize("body,parameter", [
    (b"{not json", "body"),
    (b"[1, 2]", "body"),
    (b"", "body"),
    (b'{"title": " ", "description": ""}', "title"),
    (b'{"title": 5}', "title"),
    (b'{"title": "x", "limit": 0}', "limit"),
    (b'{"title": "x", "limit": 2.5}', "limit"),
    (b'{"title": "x", "limit": true}', "limit"),
    (b'{"title": "x", "product": ["a"]}', "product"),
    (b'{"title": 0}', "title"),
    (b'{"description": 0}', "description"),
    (b'{"title": "x", "explain": "yes"}', "explain"),
    (b'{"title": "x", "limit": "5"}', "limit"),
])
def test_suggest_bad_bodies_are_named(client, document, body, parameter):
    response = client.post("/api/suggest", data=body, content_type="application/json")
    assert response.status_code == 400
    validate_response(document, "/api/suggest", "post", response)
    assert response.get_json()["parameter"] == parameter


def test_oversize_body_is_refused(client, document):
    response = client.post("/api/suggest", data=b'{"title": "' + b"a" * 70_000 + b'"}',
                           content_type="application/json")
    assert response.status_code == 413
    validate_response(document, "/api/suggest", "post", response)


# --- autocomplete and articles -------------------------------------------------------------------

def test_autocomplete(client, document, token_for):
    response = client.get("/api/autocomplete", query_string={"q": "print"})
    validate_response(document, "/api/autocomplete", "get", response)
    assert any(s["id"] == LINKS_ID for s in response.get_json()["suggestions"])
    secret = client.get("/api/autocomplete", query_string={"q": SECRET[:4]}).get_json()
    assert all(s["id"] != INTERNAL_ID for s in secret["suggestions"])
    staff = client.get("/api/autocomplete", query_string={"q": SECRET[:4]},
                       headers=bearer(token_for("engineer")))
    assert any(s["id"] == INTERNAL_ID for s in staff.get_json()["suggestions"])
    assert client.get("/api/autocomplete").get_json()["suggestions"] == []


def test_public_article(client, document):
    response = client.get(f"/api/articles/{LINKS_ID}")
    validate_response(document, "/api/articles/{article_id}", "get", response)
    data = response.get_json()
    assert data["related"] == ["KB0009"]  # hidden related ids are filtered out
    assert "<h2" in data["html"] and "Symptoms" in data["text"]
    assert "reuse_count" not in data and "owner" not in data and "path" not in data
    assert INTERNAL_ID not in data["html"] and DRAFT_ID not in data["html"]


def test_staff_article_has_reuse_count(client, document, token_for):
    response = client.get(f"/api/articles/{INTERNAL_ID}", headers=bearer(token_for("engineer")))
    validate_response(document, "/api/articles/{article_id}", "get", response)
    data = response.get_json()
    assert data["audience"] == "internal" and isinstance(data["reuse_count"], int)
    assert data["resolution_code_names"] == {"configuration-change": "Configuration change"}


@pytest.mark.parametrize("article_id", [INTERNAL_ID, DRAFT_ID, REVIEW_ID, ARCHIVED_INTERNAL_ID, "NOPE",
                                        "../etc/passwd", "a" * 300])
def test_hidden_or_missing_articles_are_the_same_404(client, document, article_id):
    response = client.get(f"/api/articles/{article_id}")
    assert response.status_code == 404
    validate_response(document, "/api/articles/{article_id}", "get", response)
    assert response.get_data() == client.get("/api/articles/NO-SUCH-THING").get_data()


def test_author_token_reaches_drafts(client, token_for):
    assert client.get(f"/api/articles/{DRAFT_ID}", headers=bearer(token_for("author"))).status_code == 200
    assert client.get(f"/api/articles/{DRAFT_ID}", headers=bearer(token_for("engineer"))).status_code == 404


# --- authentication ---------------------------------------------------------------------------

@pytest.mark.parametrize("header", ["Bearer kb_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz",
                                    "kb_token"])
def test_bad_tokens_get_401_with_a_challenge(client, document, header):
    response = client.get("/api/search", query_string={"q": "x"}, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.is_json and response.get_json()["error"]


def test_me_requires_authentication(client, document, token_for):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="kb"'
    validate_response(document, "/api/me", "get", response)
    me = client.get("/api/me", headers=bearer(token_for("engineer")))
    validate_response(document, "/api/me", "get", me)
    assert me.get_json()["audience"] == "internal"


def test_api_errors_are_json(client):
    for response in (client.get("/api/nothing-here"), client.delete("/api/search"),
                     client.post("/api/search")):
        assert response.is_json
        assert response.get_json()["status"] == response.status_code


# --- the document itself ---------------------------------------------------------------------------

def test_openapi_document_is_3_1_and_self_consistent(document):
    assert document["openapi"].startswith("3.1")
    schemas = document["components"]["schemas"]
    for name, schema in schemas.items():
        assert schema.get("type") == "object", name
        known_keywords_only = {key: value for key, value in schema.items() if key not in ("required", "anyOf")}
        assert schema_errors({}, known_keywords_only, document) == [], name  # only known keywords
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            assert op["responses"], (path, method)
            for status, resp in op["responses"].items():
                for media in resp.get("content", {}).values():
                    ref = media["schema"]["$ref"]
                    assert ref.rsplit("/", 1)[-1] in schemas, (path, status, ref)


def test_openapi_documents_every_api_route(app, document):
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule) for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/")}
    assert routes == set(document["paths"])
