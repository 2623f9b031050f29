"""Security headers, cookies, the CSRF layer and the secret key."""

from __future__ import annotations

import os
import secrets
import stat

import pytest

from tests.web.helpers import csrf_token_from, soup
from web import create_app, load_or_create_secret_key
from web.security import CONTENT_SECURITY_POLICY

PAGES = ["/help", "/login", "/help/search?q=printer", "/no-such-page", "/api/search?q=printer",
         "/api/articles/nope", "/static/kb.css", "/sitemap.xml", "/help/feed.xml"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "no-referrer")


def test_csp_forbids_inline_script_and_style():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/help", "/login", "/help/search?q=printer", "/no-such-page",
                                  "/help/articles/KB0009"])
def test_pages_have_no_inline_script_or_style(client, path):
    page = soup(client.get(path))
    for script in page.find_all("script"):
        assert script.get("src"), "inline <script> would be blocked by the CSP"
        assert not script.string
    assert not page.find_all("style")
    assert not page.find_all(style=True)
    for tag in page.find_all(True):
        assert not [a for a in tag.attrs if a.startswith("on")], tag


def test_session_cookie_is_httponly_and_lax(client):
    response = client.get("/login")  # renders a form, so it creates the session
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http in tests


def test_session_cookie_is_secure_over_https(client):
    response = client.get("/login", base_url="https://kb.example")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_secure_cookie_can_be_forced(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/login")
    assert "Secure" in response.headers["Set-Cookie"]


def test_pages_without_forms_set_no_cookie(client):
    assert "Set-Cookie" not in client.get("/help").headers


# --- CSRF ----------------------------------------------------------------------------------

def test_post_without_csrf_token_is_refused(client):
    client.get("/login")
    response = client.post("/login", data={"name": "someone", "password": "whatever-long"})
    assert response.status_code == 400
    assert "expired or came from another site" in soup(response).get_text()
    assert "CSRF" not in soup(response).get_text(), "plain words, not the mechanism's name"


def test_post_with_wrong_csrf_token_is_refused(client):
    client.get("/login")
    response = client.post("/login", data={"name": "x", "password": "y", "csrf_token": "forged"})
    assert response.status_code == 400


def test_csrf_token_from_another_session_is_refused(app):
    first, second = app.test_client(), app.test_client()
    token = csrf_token_from(first.get("/login"))
    second.get("/login")
    assert second.post("/login", data={"name": "x", "password": "y", "csrf_token": token}).status_code == 400


def test_csrf_header_is_accepted_for_scripts(client):
    token = csrf_token_from(client.get("/login"))
    response = client.post("/login", data={"name": "nobody", "password": "wrong-password"},
                           headers={"X-CSRF-Token": token})
    assert response.status_code == 200  # reached the view: wrong password, not a CSRF refusal
    assert "Wrong name or password" in soup(response).get_text()


def test_csrf_applies_to_put_patch_delete(client):
    client.get("/login")
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)("/login").status_code in (400, 405)
        assert getattr(client, method)("/help/articles/KB0009/feedback").status_code in (400, 405)


def test_feedback_without_token_is_refused_even_for_signed_in_users(client, login):
    login("engineer")
    response = client.post("/articles/KB0009/feedback", data={"vote": "yes"})
    assert response.status_code == 400


def test_api_post_with_session_cookie_needs_the_csrf_header(client, login):
    login("engineer")
    body = {"title": "Access denied opening share"}
    assert client.post("/api/suggest", json=body).status_code == 400
    token = csrf_token_from(client.get("/login"))
    assert client.post("/api/suggest", json=body, headers={"X-CSRF-Token": token}).status_code == 200


def test_api_post_without_any_cookie_is_exempt(app):
    response = app.test_client(use_cookies=False).post("/api/suggest", json={"title": "Access denied"})
    assert response.status_code == 200


def test_api_post_with_bearer_token_is_exempt(client, token_for):
    client.get("/login")  # even with a session cookie present, the bearer token is the authority
    response = client.post("/api/suggest", json={"title": "Access denied"},
                           headers={"Authorization": f"Bearer {token_for('engineer')}"})
    assert response.status_code == 200


# --- secret key ----------------------------------------------------------------------------

def test_secret_key_is_generated_once_and_private(tmp_path):
    instance = tmp_path / "instance"
    key = load_or_create_secret_key(instance)
    assert len(key) >= 64
    assert load_or_create_secret_key(instance) == key
    mode = stat.S_IMODE(os.stat(instance / "secret_key").st_mode)
    assert mode == 0o600


def test_secret_key_from_environment_wins(monkeypatch, tmp_path, corpus, index_dir, db_url):
    monkeypatch.setenv("KB_SECRET_KEY", "from-the-environment-" + "x" * 20)
    app = create_app({"INSTANCE_DIR": str(tmp_path), "INDEX_DIR": str(index_dir), "DB_URL": db_url,
                      "ARTICLES_DIR": str(corpus)})
    assert app.config["SECRET_KEY"].startswith("from-the-environment-")
    assert not (tmp_path / "secret_key").exists()


def test_two_instances_get_different_keys(tmp_path):
    assert load_or_create_secret_key(tmp_path / "a") != load_or_create_secret_key(tmp_path / "b")


def test_no_hard_coded_secret_in_the_web_package():
    import web

    source = "".join(p.read_text() for p in __import__("pathlib").Path(web.__file__).parent.glob("*.py"))
    assert "SECRET_KEY\"] = \"" not in source and "SECRET_KEY = \"" not in source


@pytest.mark.parametrize("proxies", ["1", "0"])
def test_behind_a_trusted_load_balancer_sign_in_failures_count_per_forwarded_client(monkeypatch, make_app,
                                                                                    proxies):
    monkeypatch.setenv("KB_TRUSTED_PROXIES", proxies)
    app = make_app(LOGIN_MAX_FAILURES_PER_IP=2)
    balancer = {"REMOTE_ADDR": "10.9.8.7"}  # every request reaches kb from the load balancer
    guesser, colleague = (f"198.51.100.{n}" for n in secrets.SystemRandom().sample(range(1, 255), 2))

    def sign_in(forwarded_for: str, name: str) -> int:
        client = app.test_client()
        token = csrf_token_from(client.get("/login", environ_base=balancer))
        return client.post("/login", data={"name": name, "password": "wrong", "csrf_token": token},
                           environ_base=balancer, headers={"X-Forwarded-For": forwarded_for}).status_code

    for _ in range(2):
        assert sign_in(guesser, f"nobody-{secrets.token_hex(3)}") == 200
    assert sign_in(guesser, f"nobody-{secrets.token_hex(3)}") == 429
    # Trusted, the header tells clients apart; untrusted, anyone could forge it, so it is ignored.
    assert sign_in(colleague, f"nobody-{secrets.token_hex(3)}") == (200 if proxies == "1" else 429)
