"""Signing in and out, sessions, rate limiting, roles and the admin users page.

Every test here that touches the database runs on SQLite and on PostgreSQL: the module
gets one database and one app per backend.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from kb.db import engine_for
from kb.logins import DatabaseFailures, login_failures
from kb.users import ROLES, add_user, get_user
from tests.conftest import new_database
from tests.databases import BACKEND_PARAMS
from tests.web.conftest import app_config
from tests.web.helpers import PASSWORD, Account, account, csrf_token_from, login_client, soup
from web.ratelimit import LoginLimiter, MemoryFailures
from web.util import safe_next


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def db_url(request, tmp_path_factory):
    """This module's database, once per backend (users are created once: hashing is slow)."""
    return new_database(request, request.param, tmp_path_factory.mktemp("auth-db"))


@pytest.fixture(scope="module")
def app(corpus, index_dir, db_url, tmp_path_factory):
    from web import create_app

    return create_app(app_config(corpus, index_dir, db_url, tmp_path_factory.mktemp("instance")))


def test_login_page_is_accessible(client):
    page = soup(client.get("/login"))
    form = page.find("form", action="/login")
    for field in ("name", "password"):
        control = form.find("input", attrs={"name": field})
        assert page.find("label", attrs={"for": control["id"]}), f"{field} has no label"
    assert page.find("main", id="main")
    assert page.find("a", class_="skip-link")["href"] == "#main"


def test_engineer_signs_in_and_lands_on_search(client, db_url):
    acct = account(db_url, "engineer")
    response = login_client(client, acct)
    assert response.status_code == 302
    assert response.headers["Location"] == "/search"
    page = soup(client.get("/search"))
    assert acct.name in page.find(class_="account").get_text()


def test_customer_lands_on_help_center(client, db_url):
    response = login_client(client, account(db_url, "customer"))
    assert response.headers["Location"] == "/help"


def test_login_follows_only_local_next(client, db_url):
    acct = account(db_url, "engineer")
    assert login_client(client, acct, "/articles/KB0009").headers["Location"] == "/articles/KB0009"
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/search"))})
    assert login_client(client, acct, "https://evil.example/").headers["Location"] == "/search"


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example",
                                    "javascript:x",
                                    "", None, "/ok\r\nSet-Cookie: x"])
def test_safe_next_rejects_offsite_targets(target):
    assert safe_next(target, "/home") == "/home"


def test_safe_next_keeps_local_paths():
    assert safe_next("/search?q=x", "/home") == "/search?q=x"


def test_wrong_password_says_so_without_revealing_which_part(client, db_url):
    acct = account(db_url, "engineer")
    bad = Account(acct.name, acct.role, "not-the-password")
    text = soup(login_client(client, bad)).get_text()
    assert "Wrong name or password" in text
    text = soup(login_client(client, Account("no-such-user", "engineer", "whatever-long"))).get_text()
    assert "Wrong name or password" in text


def test_new_session_on_login_prevents_fixation(client, db_url):
    token_before = csrf_token_from(client.get("/login"))
    cookie_before = client.get_cookie("kb_session").value
    login_client(client, account(db_url, "engineer"))
    assert client.get_cookie("kb_session").value != cookie_before
    token_after = csrf_token_from(client.get("/search"))
    assert token_after != token_before


def test_planted_session_cookie_does_not_survive_login(app, db_url):
    attacker = app.test_client()
    attacker.get("/login")
    planted = attacker.get_cookie("kb_session").value
    victim = app.test_client()
    victim.set_cookie("kb_session", planted)
    login_client(victim, account(db_url, "engineer"))
    # The attacker's copy of the old cookie is still anonymous.
    attacker.set_cookie("kb_session", planted)
    assert attacker.get("/search").status_code == 302


def test_logout_needs_post_and_csrf(client, login):
    login("engineer")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    token = csrf_token_from(client.get("/search"))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/search").status_code == 302  # signed out: back to the login page


@pytest.fixture
def forget_failures(db_url):
    """Failed sign-ins are shared through the session-wide database: clear them afterwards."""
    yield
    with engine_for(db_url).begin() as conn:
        conn.execute(login_failures.delete())


@pytest.mark.usefixtures("forget_failures")
def test_rate_limit_blocks_after_five_failures(make_app, db_url):
    app = make_app()
    client = app.test_client()
    acct = account(db_url, "engineer")
    bad = Account(acct.name, acct.role, "wrong-password-x")
    for _ in range(5):
        assert login_client(client, bad).status_code == 200
    response = login_client(client, acct)  # even the right password is refused while blocked
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in soup(response).get_text()
    assert int(response.headers["Retry-After"]) > 0
    # Another name from the same address is still allowed.
    assert login_client(client, account(db_url, "author")).status_code == 302


@pytest.mark.usefixtures("forget_failures")
def test_rate_limit_is_per_address(make_app, db_url):
    app = make_app()
    acct = account(db_url, "customer")
    bad = Account(acct.name, acct.role, "wrong-password-x")
    one = app.test_client()
    for _ in range(5):
        login_client(one, bad)
    other = app.test_client()
    token = csrf_token_from(other.get("/login", environ_base={"REMOTE_ADDR": "10.0.0.2"}))
    response = other.post("/login", data={"name": acct.name, "password": acct.password, "csrf_token": token},
                          environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert response.status_code == 302


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def fail(limiter: LoginLimiter, name: str, address: str):
    """A counted attempt whose password turned out wrong."""
    attempt = limiter.attempt(name, address)
    assert attempt.wait == 0, "the attempt was refused"
    return attempt


def test_limiter_window_slides():
    clock = FakeClock()
    limiter = LoginLimiter(max_failures=5, max_per_address=50, window=900, clock=clock)
    for _ in range(5):
        fail(limiter, "Alice", "1.2.3.4")
    assert 0 < limiter.retry_after("alice", "1.2.3.4") <= 900  # names are case-insensitive
    assert 0 < limiter.attempt("alice", "1.2.3.4").wait <= 900
    assert limiter.retry_after("bob", "1.2.3.4") == 0
    clock.now += 901
    assert limiter.retry_after("alice", "1.2.3.4") == 0


def test_limiter_blocks_password_spraying_per_address():
    limiter = LoginLimiter(max_failures=5, max_per_address=10, window=900, clock=FakeClock())
    for i in range(10):
        fail(limiter, f"user{i}", "5.6.7.8")
    assert limiter.attempt("someone-new", "5.6.7.8").wait > 0
    assert limiter.attempt("someone-new", "9.9.9.9").wait == 0


def test_limiter_success_clears_the_name():
    limiter = LoginLimiter(max_failures=2, clock=FakeClock())
    fail(limiter, "a", "ip")
    limiter.succeeded(fail(limiter, "a", "ip"))
    fail(limiter, "a", "ip")
    assert limiter.retry_after("a", "ip") == 0


def test_limiter_refused_attempts_do_not_extend_the_block():
    clock = FakeClock()
    limiter = LoginLimiter(max_failures=2, window=900, clock=clock)
    fail(limiter, "a", "ip")
    fail(limiter, "a", "ip")
    for _ in range(20):
        clock.now += 10
        assert limiter.attempt("a", "ip").wait > 0
    clock.now = 1000.0 + 901  # the window after the two real failures, not after the refusals
    assert limiter.attempt("a", "ip").wait == 0


def test_limiter_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(MemoryFailures, "MAX_KEYS", 100)
    limiter = LoginLimiter(clock=FakeClock())
    for i in range(500):
        fail(limiter, f"user{i}", f"ip{i}")
    assert len(limiter.store.times) <= 200


@pytest.mark.usefixtures("forget_failures")
def test_processes_sharing_a_database_share_the_limit(db_url):
    """Two server processes are two limiters on one database: attempts add up."""
    engine = engine_for(db_url)
    clock = FakeClock()
    first, second = (LoginLimiter(max_failures=4, clock=clock, store=DatabaseFailures(engine))
                     for _ in range(2))
    fail(first, "alice", "1.2.3.4")
    fail(second, "alice", "1.2.3.4")
    fail(first, "alice", "1.2.3.4")
    assert first.retry_after("alice", "1.2.3.4") == 0
    fail(second, "alice", "1.2.3.4")
    assert first.attempt("alice", "1.2.3.4").wait > 0 and second.attempt("Alice", "1.2.3.4").wait > 0
    clock.now += 901
    assert second.retry_after("alice", "1.2.3.4") == 0
    fail(second, "bob", "1.2.3.4")  # old rows are forgotten as new attempts arrive
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(login_failures)).scalar() == 2
    first.succeeded(fail(first, "carol", "5.5.5.5"))
    assert second.store.recent("user:carol|5.5.5.5", 0) == []
    assert second.store.recent("addr:5.5.5.5", 0) == []  # a success takes its own attempt back


@pytest.mark.usefixtures("forget_failures")
def test_parallel_attempts_on_a_shared_database_never_pass_the_limit(db_url):
    """Sixteen threads, four limiters (four server processes) on one database: exactly five pass."""
    engine = engine_for(db_url)
    limiters = [LoginLimiter(max_failures=5, store=DatabaseFailures(engine)) for _ in range(4)]
    start = threading.Barrier(16)

    def attempt(i: int) -> int:
        start.wait()
        return limiters[i % 4].attempt("mallory", "198.51.100.7").wait

    with ThreadPoolExecutor(16) as pool:
        waits = list(pool.map(attempt, range(16)))
    assert waits.count(0) == 5, waits
    assert all(w > 0 for w in waits if w)


def test_a_forged_cookie_naming_a_user_is_nobody(app, db_url):
    """Only a live session on the server signs someone in; a cookie signed with the app's key
    that merely names a user id (as cookies once did) is anonymous."""
    victim = get_user(engine_for(db_url), account(db_url, "admin").name)
    forged = app.session_interface.get_signing_serializer(app).dumps({"uid": victim.id, "sid": "made-up"})
    client = app.test_client()
    client.set_cookie("kb_session", forged)
    assert client.get("/admin/users").status_code == 302


# --- who may see which pages ----------------------------------------------------------------

def test_anonymous_search_redirects_to_login(client):
    response = client.get("/search?q=printer")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_customer_is_sent_to_the_help_center(client, login):
    login("customer")
    assert client.get("/search?q=x").headers["Location"] == "/help"
    assert client.get("/articles/KB0009").headers["Location"] == "/help"


def test_disabled_user_loses_the_session(client, login, db_url):

    from kb.db import users as users_table

    engine = engine_for(db_url)
    add_user(engine, "short-lived", "engineer", PASSWORD)
    assert login_client(client, Account("short-lived", "engineer", PASSWORD)).status_code == 302
    with engine.begin() as conn:
        conn.execute(users_table.update().where(users_table.c.name == "short-lived").values(disabled=True))
    assert client.get("/search").status_code == 302


# --- admin -------------------------------------------------------------------------------------

def test_users_page_is_for_admins_only(client, login):
    assert client.get("/admin/users").status_code == 302
    login("engineer")
    assert client.get("/admin/users").status_code == 403


def test_admin_lists_users_and_changes_a_role(client, login, db_url):
    login("admin")
    engine = engine_for(db_url)
    target = add_user(engine, "role-change-target", "customer", PASSWORD)
    page = soup(client.get("/admin/users"))
    names = [th.get_text(strip=True) for th in page.select("tbody th[scope=row]")]
    assert "role-change-target" in names
    form = page.find("form", action=f"/admin/users/{target.id}/role")
    select = form.find("select")
    assert page.find("label", attrs={"for": select["id"]})
    assert sorted(o["value"] for o in select.find_all("option")) == sorted(ROLES)
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post(f"/admin/users/{target.id}/role", data={"role": "author", "csrf_token": token},
                           follow_redirects=True)
    assert "role-change-target is now author" in soup(response).get_text()
    assert get_user(engine, "role-change-target").role == "author"


def test_admin_cannot_demote_themselves(client, login, db_url):
    acct = login("admin")
    me = get_user(engine_for(db_url), acct.name)
    token = csrf_token_from(client.get("/admin/users"))
    response = client.post(f"/admin/users/{me.id}/role", data={"role": "engineer", "csrf_token": token},
                           follow_redirects=True)
    assert "can't remove your own admin role" in soup(response).get_text()
    assert get_user(engine_for(db_url), acct.name).role == "admin"


def test_admin_rejects_unknown_role(client, login, db_url):
    login("admin")
    target = add_user(engine_for(db_url), "role-typo-target", "engineer", PASSWORD)
    token = csrf_token_from(client.get("/admin/users"))
    response = client.post(f"/admin/users/{target.id}/role", data={"role": "wizard", "csrf_token": token},
                           follow_redirects=True)
    assert "Unknown role" in soup(response).get_text()


def test_admin_disables_a_user_which_ends_their_sessions_everywhere(app, client, login, db_url):
    login("admin")
    engine = engine_for(db_url)
    target = add_user(engine, "access-target", "engineer", PASSWORD)
    victim = app.test_client()
    assert login_client(victim, Account(target.name, "engineer", PASSWORD)).status_code == 302
    form = soup(client.get("/admin/users")).find("form", action=f"/admin/users/{target.id}/access")
    assert [b["value"] for b in form.find_all("button")] == ["sign-out", "disable"]
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post(f"/admin/users/{target.id}/access",
                           data={"action": "disable", "csrf_token": token}, follow_redirects=True)
    assert "access-target is disabled; 1 session(s) ended" in soup(response).get_text()
    assert victim.get("/search").status_code == 302
    assert login_client(victim, Account(target.name, "engineer", PASSWORD)).status_code == 200  # refused
    form = soup(client.get("/admin/users")).find("form", action=f"/admin/users/{target.id}/access")
    assert [b["value"] for b in form.find_all("button")] == ["enable"]
    client.post(f"/admin/users/{target.id}/access", data={"action": "enable", "csrf_token": token})
    assert login_client(victim, Account(target.name, "engineer", PASSWORD)).status_code == 302


def test_admin_signs_a_user_out_everywhere_but_not_themselves(app, client, login, db_url):
    acct = login("admin")
    engine = engine_for(db_url)
    target = add_user(engine, "sign-out-target", "author", PASSWORD)
    browsers = [app.test_client() for _ in range(2)]
    for browser in browsers:
        login_client(browser, Account(target.name, "author", PASSWORD))
    token = csrf_token_from(client.get("/admin/users"))
    response = client.post(f"/admin/users/{target.id}/access",
                           data={"action": "sign-out", "csrf_token": token}, follow_redirects=True)
    assert "signed out everywhere (2 session(s) ended)" in soup(response).get_text()
    assert [b.get("/search").status_code for b in browsers] == [302, 302]
    me = get_user(engine, acct.name)
    assert soup(client.get("/admin/users")).find("form", action=f"/admin/users/{me.id}/access") is None
    response = client.post(f"/admin/users/{me.id}/access", data={"action": "disable", "csrf_token": token},
                           follow_redirects=True)
    assert "can't disable or sign out your own account" in soup(response).get_text()
    assert client.get("/admin/users").status_code == 200
