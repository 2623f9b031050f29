"""Every JSON endpoint refuses unacceptable JSON with a 400 naming `body`, and never logs a
traceback for what a client sent: deep nesting, lone surrogates, bad bytes, wrong shapes.

The endpoints are found from the app's URL map (every POST, PUT and PATCH under /api/), so
an endpoint added later is covered without editing this file. Hypothesis builds the bodies.
"""

from __future__ import annotations

import json
import logging
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.cases import store
from kb.db import engine_for
from tests.web.conftest import app_config

FIELDS = ("title", "description", "product", "article_id", "resolution_code", "notes", "customer", "severity")


@pytest.fixture(scope="module")
def site(corpus, index_dir, tmp_path_factory):
    from web import create_app

    workdir = tmp_path_factory.mktemp("json-bodies")
    db_url = f"sqlite:///{workdir / 'kb.sqlite3'}"
    app = create_app(app_config(corpus, index_dir, db_url, workdir / "instance"))
    from tests.web.helpers import account
    from kb.users import create_token

    token = create_token(engine_for(db_url), account(db_url, "engineer").name, "json tests")
    case = store.create_case(engine_for(db_url), title="Printer offline", description="Since the update.")
    return app, {"Authorization": f"Bearer {token}"}, case.display_id


def json_endpoints(app, case_id: str) -> list[tuple[str, str]]:
    """(method, path) of every JSON endpoint that takes a body, with ids filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH"}):
            path = re.sub(r"<(?:\w+:)?case_id>", case_id, rule.rule)
            path = re.sub(r"<(?:\w+:)?article_id>", "KB0001", path)
            found.append((method, re.sub(r"<[^>]+>", "x", path)))
    return sorted(found)


def test_the_json_endpoints_are_found(site):
    app, _, case_id = site
    paths = {path for _, path in json_endpoints(app, case_id)}
    assert {"/api/suggest", "/api/cases", f"/api/cases/{case_id}/links", f"/api/cases/{case_id}/close"} <= paths


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


def deep_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


hostile_bodies = st.one_of(
    st.integers(min_value=40, max_value=6_000).map(nested),  # the 2 KB [[[[...]]]] and worse
    st.integers(min_value=40, max_value=2_000).map(deep_object),
    st.tuples(st.sampled_from(FIELDS), st.integers(min_value=40, max_value=5_000)).map(
        lambda t: f'{{"{t[0]}": {nested(t[1], chr(34) + "x" + chr(34))}}}'),
    # lone surrogates, escaped as JSON allows them to be
    st.tuples(st.sampled_from(FIELDS), st.sampled_from(["\\ud800", "\\udfff", "a\\udc00b", "\\ud83d"])).map(
        lambda t: f'{{"{t[0]}": "{t[1]}", "title": "Printer offline"}}'),
    # one surrogate code point, alone (two in a row could be a valid pair, which JSON allows)
    st.tuples(st.sampled_from(FIELDS), st.characters(categories=["Cs"])).map(
        lambda t: json.dumps({"title": "x", t[0]: t[1]} if t[0] != "title" else {"title": t[1]})),
    st.binary(min_size=1, max_size=200).filter(lambda b: not b.strip().startswith((b"{", b"["))).map(
        lambda b: b),
    st.sampled_from([b'{"title": "\xff\xfe"}', b"\xef\xbb\xbf{", b'{"title": "Caf\xe9"}', b"null", b"[]",
                     b'"just a string"', b"1e999999", b'{"title": NaN}', b'{"a": 1,}']),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(body=hostile_bodies, which=st.integers(min_value=0, max_value=100))
def test_unacceptable_json_is_a_400_naming_body_on_every_endpoint(site, caplog, body, which):
    app, headers, case_id = site
    endpoints = json_endpoints(app, case_id)
    method, path = endpoints[which % len(endpoints)]
    data = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        response = app.test_client().open(path, method=method, data=data, headers=headers,
                                          content_type="application/json")
    assert response.status_code == 400, (method, path, body[:80], response.get_data(as_text=True)[:300])
    payload = response.get_json()
    assert payload["parameter"] == "body", payload
    assert not [r for r in caplog.records if r.exc_info], "a client's input never logs a traceback"


@pytest.mark.parametrize("field", FIELDS)
def test_a_lone_surrogate_in_any_field_of_a_new_case_is_refused_cleanly(site, field):
    app, headers, _ = site
    body = '{"title": "Printer offline", "description": "x", "%s": "\\ud800"}' % field
    response = app.test_client().post("/api/cases", data=body, headers=headers, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["parameter"] == "body"


def test_an_oversized_body_names_body(site):
    app, headers, _ = site
    body = json.dumps({"title": "x", "description": "y" * 200_000})
    response = app.test_client().post("/api/suggest", data=body, headers=headers, content_type="application/json")
    assert response.status_code in (400, 413) and response.get_json()["parameter"] == "body"


def test_deeply_nested_json_over_real_http_is_a_400_not_a_500(live_server):
    import urllib.error
    import urllib.request

    for path in ("/api/suggest", "/api/cases"):
        request = urllib.request.Request(live_server.url + path, data=nested(5000).encode(),
                                         headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        assert caught.value.code in (400, 401), path  # /api/cases wants a token; never a 500
        if caught.value.code == 400:
            assert json.load(caught.value)["parameter"] == "body"
    log = live_server.log.read_text()
    assert "RecursionError" not in log and "Traceback" not in log
