"""The API over real loopback HTTP against `kb serve` (waitress) in a subprocess."""

from __future__ import annotations

import http.client
import json
import os
import stat
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.web.helpers import INTERNAL_ID, LINKS_ID, SECRET
from tests.web.schema_check import validate_response
from web.security import CONTENT_SECURITY_POLICY


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


def call(base: str, method: str, path: str, *, body: bytes | None = None,
         headers: dict | None = None) -> Reply:
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def get_json(base, path, **kw) -> Reply:
    return call(base, "GET", path, headers={"Accept": "application/json", **kw.pop("headers", {})}, **kw)


def post_json(base, path, payload, headers=None) -> Reply:
    return call(base, "POST", path, body=json.dumps(payload).encode(),
                headers={"Content-Type": "application/json", **(headers or {})})


@pytest.fixture(scope="module")
def base(live_server) -> str:
    return live_server.url


@pytest.fixture(scope="module")
def document(base):
    return get_json(base, "/api/openapi.json").json


def test_search_over_http_matches_the_document(base, document):
    reply = get_json(base, "/api/search?" + urllib.parse.urlencode({"q": "spooler", "limit": 5}))
    assert reply.status == 200
    validate_response(document, "/api/search", "get", reply)
    assert reply.json["results"][0]["id"] == LINKS_ID
    assert reply.json["results"][0]["url"].startswith(base + "/help/articles/")


def test_security_headers_over_http(base):
    for path in ("/help", "/api/search?q=x", "/static/kb.css", "/nothing"):
        reply = call(base, "GET", path)
        assert reply.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["X-Frame-Options"] == "DENY"


def test_suggest_over_http(base, document):
    reply = post_json(base, "/api/suggest", {"title": "Printing fails after driver update",
                                             "description": "0x00000709 when printing", "limit": 3})
    assert reply.status == 200
    validate_response(document, "/api/suggest", "post", reply)
    assert reply.json["results"][0]["id"] == LINKS_ID


def test_bearer_token_over_http(base, token_for, document):
    auth = {"Authorization": f"Bearer {token_for('engineer')}"}
    hidden = get_json(base, f"/api/articles/{INTERNAL_ID}")
    assert hidden.status == 404
    visible = get_json(base, f"/api/articles/{INTERNAL_ID}", headers=auth)
    assert visible.status == 200
    validate_response(document, "/api/articles/{article_id}", "get", visible)
    found = get_json(base, f"/api/search?q={SECRET}", headers=auth)
    assert INTERNAL_ID in [r["id"] for r in found.json["results"]]


def test_bad_token_over_http(base):
    reply = get_json(base, "/api/search?q=x", headers={"Authorization": "Bearer kb_nope"})
    assert reply.status == 401
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert reply.json["error"]


def test_bad_parameter_over_http(base, document):
    reply = get_json(base, "/api/search?q=x&limit=1000")
    assert reply.status == 400 and reply.json["parameter"] == "limit"
    validate_response(document, "/api/search", "get", reply)


def test_malformed_json_over_http(base):
    reply = call(base, "POST", "/api/suggest", body=b"{oops", headers={"Content-Type": "application/json"})
    assert reply.status == 400 and reply.json["parameter"] == "body"


def test_oversize_body_over_http(base):
    reply = call(base, "POST", "/api/suggest", body=b"x" * (200 * 1024),
                 headers={"Content-Type": "application/json"})
    assert reply.status == 413
    assert reply.json["status"] == 413


def test_oversize_query_over_http(base):
    from indexer import MAX_QUERY_CHARS

    reply = get_json(base, "/api/search?q=" + "a" * (MAX_QUERY_CHARS + 10))
    assert reply.status in (400, 413)


def test_concurrent_clients(base):
    queries = ["spooler", "access denied", "0x80070005", "odbc timeout", "dns", "vpn", "outlook password"] * 4

    def one(q):
        return get_json(base, "/api/search?" + urllib.parse.urlencode({"q": q})).status

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(one, queries)) == {200}


def test_help_center_over_http(base):
    reply = call(base, "GET", "/help")
    assert reply.status == 200 and b"<html" in reply.body[:500].lower()


def test_kb_serve_built_the_missing_index(live_server):
    """The live server was started without an index: it built one instead of failing."""
    assert "building it" in live_server.log.read_text()
    assert (live_server.log.parent / "index").is_dir()


def test_kb_serve_keeps_its_secret_key_private(live_server):
    key = live_server.log.parent / "instance" / "secret_key"
    assert key.exists() and stat.S_IMODE(os.stat(key).st_mode) == 0o600


def test_kb_serve_without_an_index_on_a_read_only_folder_says_where_to_build_it(corpus, tmp_path,
                                                                                monkeypatch):
    from kb.errors import KBError
    from web.server import ensure_index

    read_only = tmp_path / "mounted-read-only"
    read_only.mkdir()
    real_access = os.access
    # The tests run as root, which may write anywhere but to a read-only mount: stand in for one.
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: (
        False if Path(path) == read_only and mode & os.W_OK else real_access(path, mode, **kw)))
    with pytest.raises(KBError, match="read-only here.*kb index.*docs/deployment.md"):
        ensure_index(str(corpus), str(read_only / "index"))
    assert not (read_only / "index").exists()
