"""Sessions end on the server, and the login limit holds under parallel guessing.

Against a real ``kb serve`` with four worker processes (so requests land on different
processes, as behind a load balancer), once on SQLite and once on PostgreSQL. Browsers are
plain HTTP clients with their own cookie jars; a "copied cookie" is a second jar holding the
first one's cookie.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner

from cli import main
from tests.conftest import new_database
from tests.databases import BACKEND_PARAMS
from tests.web.helpers import PASSWORD, Browser, account, start_server, stop_server

GUESSES = 12
LIMIT = 5  # the app's default LOGIN_MAX_FAILURES


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def server(request, corpus, index_dir, tmp_path_factory):
    """kb serve with four processes on this module's database (one per backend)."""
    workdir = tmp_path_factory.mktemp("sessions")
    db_url = new_database(request, request.param, workdir)
    # Ranking by meaning plays no part here; without the encoder, four processes start faster.
    server = start_server(corpus, index_dir, db_url, workdir, extra_args=("--workers", "4"),
                          env={"KB_ENCODER_DIR": "off"})
    yield server
    stop_server(server)


def kb(server, *args: str, password: str | None = None) -> str:
    result = CliRunner().invoke(main, [*args, "--db", server.db_url],
                                input=None if password is None else password + "\n")
    assert result.exit_code == 0, result.output
    return result.output


def new_engineer(server, name: str) -> str:
    kb(server, "users", "add", name, "--role", "engineer", "--password-stdin", password=PASSWORD)
    return name


def test_a_copied_cookie_is_worthless_after_signing_out(server):
    acct = account(server.db_url, "engineer")
    browser = Browser(server.url)
    assert browser.sign_in(acct.name, acct.password) == 302
    thief = browser.copy()
    assert thief.signed_in()  # while the session lives, the cookie is the session
    assert browser.sign_out() == 302
    assert not browser.signed_in()
    assert not thief.signed_in(), "a copy of the cookie still works after signing out"


def test_disabling_a_user_ends_their_sessions_and_enabling_does_not_revive_them(server):
    name = new_engineer(server, "leaver")
    laptop, phone = Browser(server.url), Browser(server.url)
    assert laptop.sign_in(name, PASSWORD) == 302 and phone.sign_in(name, PASSWORD) == 302
    untouched = laptop.copy()  # a copy of the cookie that makes no request while the account is off
    said = kb(server, "users", "disable", name)
    assert not laptop.signed_in() and not phone.signed_in()
    assert Browser(server.url).sign_in(name, PASSWORD) == 200  # refused: "Wrong name or password"
    kb(server, "users", "enable", name)
    assert not untouched.signed_in(), "enabling the account revived a session from before it was disabled"
    assert "ended 2 session(s)" in said
    fresh = Browser(server.url)
    assert fresh.sign_in(name, PASSWORD) == 302 and fresh.signed_in()


def test_a_password_change_ends_every_session(server):
    name = new_engineer(server, "rotator")
    old = Browser(server.url)
    assert old.sign_in(name, PASSWORD) == 302
    kb(server, "users", "set-password", name, "--password-stdin", password="a-brand-new-passphrase")
    assert not old.signed_in()
    assert Browser(server.url).sign_in(name, PASSWORD) == 200
    assert Browser(server.url).sign_in(name, "a-brand-new-passphrase") == 302


def test_signing_a_user_out_everywhere(server):
    name = new_engineer(server, "lost-laptop")
    browsers = [Browser(server.url) for _ in range(3)]
    for browser in browsers:
        assert browser.sign_in(name, PASSWORD) == 302
    said = kb(server, "users", "sign-out", name)
    assert not any(browser.signed_in() for browser in browsers)
    assert "Ended 3 session(s)" in said


def test_parallel_wrong_passwords_reach_the_password_check_at_most_the_limit(server):
    """Twelve guesses released at once, across four processes: five are checked, seven refused."""
    name = new_engineer(server, "target")
    browsers = [Browser(server.url) for _ in range(GUESSES)]
    tokens = [browser.csrf("/login") for browser in browsers]
    start = threading.Barrier(GUESSES)

    def guess(i: int) -> int:
        start.wait()
        return browsers[i].request("/login", {"name": name, "password": f"wrong-guess-{i:04d}",
                                              "csrf_token": tokens[i]})[0]

    with ThreadPoolExecutor(GUESSES) as pool:
        statuses = list(pool.map(guess, range(GUESSES)))
    checked = statuses.count(200)  # "Wrong name or password": the password was checked
    assert sorted(set(statuses)) == [200, 429], statuses
    assert checked == LIMIT, f"{checked} guesses reached the password check; the limit is {LIMIT}"
    # Now even the right password waits out the window.
    browser = Browser(server.url)
    token = browser.csrf("/login")
    status, _, headers = browser.request("/login", {"name": name, "password": PASSWORD, "csrf_token": token})
    assert status == 429 and int(headers["Retry-After"]) > 0
