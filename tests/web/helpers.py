"""Helpers and test data for the web tests: the planted corpus, users, HTML parsing, servers.

The corpus is the repository's sample articles plus a few planted ones: an internal and a
draft article carrying secret words (for leak tests), an internal article in review, an
archived internal one, a hostile article (for sanitization) and a public article whose
links and related ids point at hidden articles.
"""

from __future__ import annotations

import copy
import http.cookiejar
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

from kb.db import engine_for
from kb.users import add_user

REPO = Path(__file__).resolve().parents[2]
ARTICLES = REPO / "articles"

# Words that exist only in hidden articles. SECRET is what an attacker would search for;
# BODY_SECRET is never sent in any request, so finding it anywhere is a leak, full stop.
SECRET = "quendrilax"
BODY_SECRET = "mordavex"
SECRET_CODE = "QDX-77810"
DRAFT_SECRET = "plimsovar"
DRAFT_BODY_SECRET = "zentaroq"
INTERNAL_ID = "WEB-INT-SECRET"
DRAFT_ID = "WEB-DRAFT-SECRET"
REVIEW_ID = "WEB-REVIEW"
ARCHIVED_INTERNAL_ID = "WEB-ARCH-INT"
HOSTILE_ID = "WEB-XSS"
LINKS_ID = "WEB-LINKS"
OLD_PUBLIC_ID = "WEB-OLD-PUB"
HIDDEN_IDS = (INTERNAL_ID, DRAFT_ID, REVIEW_ID, ARCHIVED_INTERNAL_ID)
NEVER_PUBLIC = (SECRET, BODY_SECRET, SECRET_CODE, DRAFT_SECRET, DRAFT_BODY_SECRET, *HIDDEN_IDS)

PASSWORD = "web-test-" + secrets.token_hex(8)


def _article(front: str, body: str) -> str:
    return f"---\n{textwrap.dedent(front).strip()}\n---\n{textwrap.dedent(body).lstrip()}"


PLANTED = {
    "webtest/internal-secret.md": _article(f"""
        id: {INTERNAL_ID}
        title: "{SECRET.capitalize()} appliance reset drops session tokens"
        type: tsg
        audience: internal
        status: published
        product: {SECRET.capitalize()} Appliance
        component: Gateway
        tags: [{SECRET}, escalation-only]
        error_codes: ["{SECRET_CODE}"]
        resolution_codes: [configuration-change]
        owner: tier3-team
        updated: 2026-09-01
        review_by: 2027-03-01
        """, f"""
        ## Symptoms

        After a reset the {SECRET} appliance logs `{SECRET_CODE}` and drops every {BODY_SECRET} token.

        ## Cause

        The {SECRET} firmware clears the {BODY_SECRET} cache on reset.

        ## Resolution

        1. Re-seed the {BODY_SECRET} cache with the internal tool.
        2. Restart the gateway.
        """),
    "webtest/draft-secret.md": _article(f"""
        id: {DRAFT_ID}
        title: "{DRAFT_SECRET.capitalize()} connector setup for file shares"
        type: how-to
        audience: public
        status: draft
        product: {DRAFT_SECRET.capitalize()} Connector
        tags: [{DRAFT_SECRET}]
        updated: 2026-09-02
        """, f"""
        ## Steps

        Install the {DRAFT_SECRET} connector, then paste the {DRAFT_BODY_SECRET} key.
        """),
    "webtest/review.md": _article(f"""
        id: {REVIEW_ID}
        title: "Mailbox quota warnings after migration (in review)"
        type: known-issue
        audience: internal
        status: review
        product: Exchange Online
        updated: 2026-09-03
        """, """
        ## Symptoms

        Users see quota warnings after the migration batch completes.
        """),
    "webtest/archived-internal.md": _article(f"""
        id: {ARCHIVED_INTERNAL_ID}
        title: "Old {SECRET} gateway reset notes"
        type: reference
        audience: internal
        status: archived
        superseded_by: {INTERNAL_ID}
        updated: 2025-01-01
        """, f"""
        Superseded notes about the {SECRET} gateway and {BODY_SECRET}.
        """),
    "webtest/old-public.md": _article(f"""
        id: {OLD_PUBLIC_ID}
        title: "Print spooler crashes (old notes)"
        type: tsg
        audience: public
        status: archived
        superseded_by: {LINKS_ID}
        product: Print Services
        updated: 2024-01-01
        """, """
        Replaced by the newer spooler article.
        """),
    "webtest/hostile.md": _article(f"""
        id: {HOSTILE_ID}
        title: "Printer driver hostile markup sample"
        type: reference
        audience: public
        status: published
        product: Print Services
        updated: 2026-09-04
        """, """
        ## Raw HTML

        <script>alert('script-tag')</script>

        <style>body { display: none }</style>

        <img src="x" onerror="alert('onerror')">

        <iframe src="https://evil.example/"></iframe>

        <div onmouseover="alert('hover')" style="color: red">raw div</div>

        <a href="javascript:alert('raw-a')" onclick="alert('click')">raw link</a>

        ## Markdown links

        [click me](javascript:alert('md-link'))

        [data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)

        [vb link](vbscript:msgbox)

        ![image](javascript:alert('img'))

        Normal **bold** text and `inline code`, and a [safe link](https://example.com/docs).
        """),
    "webtest/links.md": _article(f"""
        id: {LINKS_ID}
        title: "Print spooler stops after a driver update"
        type: tsg
        audience: public
        status: published
        product: Print Services
        tags: [printing, spooler]
        error_codes: ["0x00000709"]
        related: [{INTERNAL_ID}, {DRAFT_ID}, KB0009]
        updated: 2026-09-05
        """, f"""
        ## Symptoms

        The print spooler stops after a driver update and printing fails with 0x00000709.

        ## Cause

        A faulty driver package. See [the escalation runbook](kb:{INTERNAL_ID}) and
        [the connector how-to](kb:{DRAFT_ID}#sec-steps).

        ## Resolution

        Roll back the driver. If the share also denies access, see [share permissions](kb:KB0009).

        | Step | Command |
        |------|---------|
        | Stop | `net stop spooler` |
        | Start | `net start spooler` |
        """),
}


def soup(response) -> BeautifulSoup:
    """Parse an HTML response."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def csrf_token_from(response) -> str:
    """The CSRF token in a page's first form."""
    field = soup(response).find("input", attrs={"name": "csrf_token"})
    assert field is not None, "page has no CSRF field"
    return field["value"]


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    password: str


_ACCOUNTS: dict[tuple[str, str], Account] = {}


def account(db: str, role: str) -> Account:
    """A user with ``role`` in database ``db``, created on first use."""
    key = (db, role)
    if key not in _ACCOUNTS:
        name = f"{role}-{secrets.token_hex(3)}"
        add_user(engine_for(db), name, role, PASSWORD)
        _ACCOUNTS[key] = Account(name, role, PASSWORD)
    return _ACCOUNTS[key]


def login_client(client, acct: Account, next_url: str = ""):
    """Sign ``client`` in through the real form (CSRF included); returns the response."""
    token = csrf_token_from(client.get("/login"))
    return client.post("/login", data={"name": acct.name, "password": acct.password, "next": next_url,
                                       "csrf_token": token})


# --- a real server -------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kb_executable() -> str:
    """The kb script of the interpreter running the tests."""
    path = Path(sys.executable).parent / "kb"
    assert path.exists(), f"{path} is missing; install the project with `pip install -e .[test]`"
    return str(path)


@dataclass
class LiveServer:
    url: str
    db_url: str
    process: subprocess.Popen
    log: Path


def start_server(corpus: Path, index_dir: Path, db_url: str, workdir: Path,
                 timeout: float = 60, extra_args: tuple[str, ...] = (),
                 env: dict[str, str] | None = None) -> LiveServer:
    """Run ``kb serve`` (plus ``extra_args``, with ``env`` added to its environment) on a free
    loopback port and wait until it answers."""
    port = free_port()
    log = workdir / "serve.log"
    extra_env = env or {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_INSTANCE=str(workdir / "instance"), PYTHONUNBUFFERED="1", **extra_env)
    process = subprocess.Popen(
        [kb_executable(), "serve", "--articles", str(corpus), "--index", str(index_dir), "--db", db_url,
         "--host", "127.0.0.1", "--port", str(port), *extra_args],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, cwd=workdir, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"kb serve exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return LiveServer(url, db_url, process, log)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"kb serve did not answer within {timeout}s:\n{log.read_text()[-3000:]}")


def sign_in(page, acct: Account) -> None:
    """Sign a browser page in through the login form."""
    page.goto("/login")
    page.get_by_label("User name").fill(acct.name)
    page.get_by_label("Password").fill(acct.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/(search|help)$"))


@contextmanager
def checked_page(browser, base_url: str, *, javascript: bool = True, timeout_ms: int = 10_000, **options):
    """A browser page on ``base_url`` that fails the test on console errors (CSP violations
    show up there) and script errors; failed resource loads (expected 404s) are allowed.

    ``options`` go to Playwright's ``new_context`` (a viewport, a phone's touch and scale).
    """
    context = browser.new_context(base_url=base_url, java_script_enabled=javascript, **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(timeout_ms)
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"browser console errors (CSP violations show up here): {errors}"


def stop_server(server: LiveServer) -> None:
    """Stop ``kb serve`` and its worker processes (its own process group, from start_new_session):
    killing the master alone, when it is slow to stop, would leave its workers running."""
    _signal_group(server.process, signal.SIGTERM)
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _signal_group(server.process, signal.SIGKILL)
        server.process.wait(timeout=10)
    _signal_group(server.process, signal.SIGKILL)  # any worker still lingering


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


# --- an HTTP client with cookies --------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 comes back as the answer, so tests see where it points


class Browser:
    """An HTTP client with its own cookie jar, like one browser profile."""

    def __init__(self, base: str, jar: http.cookiejar.CookieJar | None = None):
        self.base = base
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, dict]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode(errors="replace"), dict(error.headers)

    def csrf(self, path: str) -> str:
        status, html, _ = self.request(path)
        assert status == 200, f"GET {path} answered {status}"
        return BeautifulSoup(html, "html.parser").find("input", attrs={"name": "csrf_token"})["value"]

    def sign_in(self, name: str, password: str) -> int:
        token = self.csrf("/login")
        return self.request("/login", {"name": name, "password": password, "csrf_token": token})[0]

    def sign_out(self) -> int:
        return self.request("/logout", {"csrf_token": self.csrf("/search")})[0]

    def signed_in(self) -> bool:
        """Whether the engineer search answers (200) rather than sending to the login page (302)."""
        status, _, headers = self.request("/search")
        assert status in (200, 302), status
        return status == 200 and "Location" not in headers

    def copy(self) -> Browser:
        """Another browser holding this one's cookies (a copied session cookie)."""
        jar = http.cookiejar.CookieJar()
        for cookie in self.jar:
            jar.set_cookie(copy.copy(cookie))
        return Browser(self.base, jar)
