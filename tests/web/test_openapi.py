"""The OpenAPI document's data files: every value they quote from the code is filled in.

Responses are validated against the document in ``tests/web/test_api.py`` and
``tests/cases/web/test_case_api.py``; these tests are about the files in ``web/openapi/``.
"""

from __future__ import annotations

import json

import pytest

from web import openapi, payloads
from web.openapi import CONSTANTS, FILES, FOLDER, OpenAPIDataError, load_fragment, openapi_document


def test_no_placeholder_is_left_in_the_document():
    assert "${" not in json.dumps(openapi_document())


def test_every_constant_is_quoted_by_some_data_file():
    text = "".join((FOLDER / name).read_text(encoding="utf-8") for name in FILES)
    assert [name for name in CONSTANTS if "${" + name + "}" not in text] == []


def test_the_document_states_the_limits_the_api_enforces():
    schemas = openapi_document()["components"]["schemas"]
    suggest = schemas["SuggestRequest"]["properties"]
    assert suggest["title"]["maxLength"] == payloads.MAX_TITLE_CHARS
    assert suggest["description"]["maxLength"] == payloads.MAX_DESCRIPTION_CHARS
    assert suggest["limit"]["maximum"] == payloads.MAX_SUGGEST_LIMIT
    assert schemas["CaseRequest"]["properties"]["description"]["maxLength"] == payloads.MAX_DESCRIPTION_CHARS
    assert f"{payloads.MAX_BODY_BYTES // 1024} KB" in openapi_document()["info"]["description"]


def test_an_unknown_placeholder_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "extra.yaml"
    path.write_text("paths:\n  /api/x: {get: {summary: 'up to ${no_such_limit}'}}\n", encoding="utf-8")
    with pytest.raises(OpenAPIDataError, match=r"extra\.yaml: unknown placeholder '\$\{no_such_limit\}'"):
        load_fragment(path)


def test_broken_yaml_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("paths: [unclosed\n", encoding="utf-8")
    with pytest.raises(OpenAPIDataError, match=r"^broken\.yaml: "):
        load_fragment(path)


def test_a_path_described_twice_is_refused(tmp_path, monkeypatch):
    (tmp_path / "api.yaml").write_text((FOLDER / "api.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "again.yaml").write_text("paths:\n  /api/search: {get: {summary: again}}\n", encoding="utf-8")
    monkeypatch.setattr(openapi, "FOLDER", tmp_path)
    monkeypatch.setattr(openapi, "FILES", ("api.yaml", "again.yaml"))
    openapi._document.cache_clear()
    try:
        clash = r"again\.yaml: paths already described elsewhere: /api/search"
        with pytest.raises(OpenAPIDataError, match=clash):
            openapi_document()
    finally:
        openapi._document.cache_clear()


def test_callers_cannot_change_the_shared_document():
    first = openapi_document("http://a")
    first["paths"].clear()
    assert openapi_document("http://b")["paths"] and openapi_document("http://b")["servers"] == [
        {"url": "http://b"}]


def test_every_operation_with_a_body_documents_its_refusals():
    # json_body() answers 400 for a bad body and the app 413 for one over the size limit.
    for path, methods in openapi_document()["paths"].items():
        for method, operation in methods.items():
            if "requestBody" in operation:
                assert {"400", "413"} <= set(operation["responses"]), (method, path)


@pytest.mark.parametrize(("path", "method"), [("/api/search", "get"), ("/api/suggest", "post")])
def test_costly_operations_document_429_with_retry_after(path, method):
    document = openapi_document()
    response = document["paths"][path][method]["responses"]["429"]
    name = response["$ref"].rsplit("/", 1)[-1]
    assert "Retry-After" in document["components"]["responses"][name]["headers"]


def test_body_fields_are_refused_by_the_types_the_document_declares():
    from web.params import BadParameter, json_type

    from web.bodies import declared_fields

    declared = declared_fields("SuggestRequest")
    documented = openapi_document()["components"]["schemas"]["SuggestRequest"]["properties"]
    assert {k: v.get("type") for k, v in declared.items()} == {k: v.get("type") for k, v in documented.items()}
    with pytest.raises(BadParameter, match="'title' must be text"):
        json_type({"title": 0}, "title", declared["title"])
    assert json_type({"limit": 2.0}, "limit", declared["limit"]) == 2
    assert json_type({"product": None}, "product", declared["product"]) is None
