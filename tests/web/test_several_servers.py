"""Several `kb serve` instances on one index and one PostgreSQL, with one writer.

As on a site with two server machines behind a load balancer: each instance is its own
`kb serve` process tree with its own instance folder; they read one index root (a shared
folder here) that only the writer (`kb index`) changes, and share one PostgreSQL database
and one secret key. A third instance serves a copy of the index that
``docs/sync-index.sh`` (rsync) keeps up to date, as on a server without the shared folder.
Real processes, real HTTP, the suite's own PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from kb import activity
from kb.db import engine_for
from tests.conftest import TAXONOMY, article_text, new_database
from tests.web.helpers import PASSWORD, Browser, account, kb_executable, start_server, stop_server

VISIBLE_WITHIN = 2.0  # seconds from the writer's exit until every instance serves its work
LIMIT = 5  # the app's default LOGIN_MAX_FAILURES

pytestmark = pytest.mark.postgresql


def public_article(article_id: str, title: str, body: str) -> str:
    return article_text(f"""
        id: {article_id}
        title: {title}
        type: how-to
        audience: public
        status: published
        products: [Portal]
        updated: 2026-01-15
        """, f"## Steps\n\n{body}\n")


class Site:
    """The writer's articles and index root, the database, and the instances serving them."""

    def __init__(self, root: Path, db_url: str):
        self.root = root
        self.articles = root / "articles"
        self.index = root / "shared-index"
        self.db_url = db_url
        self.servers = []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
        # Ranking by meaning plays no part here; without the encoder, instances start faster.
        self.env.update(KB_ENCODER_DIR="off", KB_SECRET_KEY=secrets.token_hex(32))

    def write(self, article_id: str, title: str, body: str) -> None:
        path = self.articles / f"{article_id.lower()}.md"
        path.write_text(public_article(article_id, title, body), encoding="utf-8")

    def publish(self, *args: str) -> float:
        """Run the writer (`kb index`) in its own process; returns when it exited (monotonic)."""
        result = subprocess.run(
            [kb_executable(), "index", "--articles", str(self.articles), "--index", str(self.index), *args],
            env={**self.env, "KB_INSTANCE": str(self.root / "writer")}, cwd=self.root,
            capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        return time.monotonic()

    def pointer(self) -> dict:
        return json.loads((self.index / "CURRENT").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def site(request, tmp_path_factory):
    """One writer's index, one database, two instances (``east`` and ``west``) of two processes each."""
    root = tmp_path_factory.mktemp("site")
    db_url = new_database(request, "postgresql", root)
    site = Site(root, db_url)
    site.articles.mkdir()
    shutil.copy(TAXONOMY, site.articles / TAXONOMY.name)
    site.write("KB9001", "Portal sign-in fails", "Clear the browser cache and sign in again.")
    site.publish()
    secret = {"KB_SECRET_KEY": site.env["KB_SECRET_KEY"], "KB_ENCODER_DIR": "off"}
    try:
        for name in ("east", "west"):
            workdir = root / name
            workdir.mkdir()
            site.servers.append(start_server(site.articles, site.index, db_url, workdir,
                                             extra_args=("--workers", "2"), env=secret))
        yield site
    finally:
        for server in site.servers:
            stop_server(server)


def found(base: str, query: str) -> list[str]:
    url = f"{base}/api/search?q={urllib.parse.quote(query)}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return [hit["id"] for hit in json.load(response)["results"]]


def seconds_until_found(site: Site, query: str, article_id: str, since: float) -> list[float]:
    """For each instance, seconds from ``since`` until a search for ``query`` finds ``article_id``."""
    waits = []
    for server in site.servers:
        deadline = since + VISIBLE_WITHIN + 10
        while article_id not in found(server.url, query):
            assert time.monotonic() < deadline, f"{server.url} never served {article_id}"
            time.sleep(0.05)
        waits.append(time.monotonic() - since)
    return waits


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under ``root`` with its size, modification time and content hash."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            st = path.stat()
            out[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns,
                                                hashlib.sha256(path.read_bytes()).hexdigest())
    return out


def test_every_instance_serves_an_incremental_update_within_two_seconds(site):
    site.write("KB9002", "Quillfeather export stalls", "Restart the quillfeather exporter.")
    waits = seconds_until_found(site, "quillfeather", "KB9002", site.publish())
    assert max(waits) <= VISIBLE_WITHIN, f"seconds until each instance served the update: {waits}"


def test_every_instance_serves_a_rebuilt_generation_within_two_seconds(site):
    before = site.pointer()["generation"]
    site.write("KB9003", "Zephyrmark badge reader offline", "Power-cycle the zephyrmark reader.")
    waits = seconds_until_found(site, "zephyrmark", "KB9003", site.publish("--rebuild"))
    assert site.pointer()["generation"] > before
    assert max(waits) <= VISIBLE_WITHIN, f"seconds until each instance served the new generation: {waits}"
    for server in site.servers:  # and what the old generation held is still there
        assert "KB9001" in found(server.url, "portal sign-in")


def test_instances_never_write_to_the_index_root(site):
    before = snapshot(site.index)
    for server in site.servers:
        for query in ("portal", "quillfeather", "zephyrmark", "nothing-matches-this"):
            found(server.url, query)
        with urllib.request.urlopen(f"{server.url}/help/articles/KB9001", timeout=30) as response:
            assert response.status == 200
    time.sleep(1.0)  # past the instances' check for a newer index version
    for server in site.servers:
        found(server.url, "portal")
    assert snapshot(site.index) == before


def test_a_session_begun_on_one_instance_is_honoured_and_ended_on_the_other(site):
    east, west = site.servers
    acct = account(site.db_url, "engineer")
    on_east = Browser(east.url)
    assert on_east.sign_in(acct.name, acct.password) == 302
    on_west = Browser(west.url, on_east.jar)  # the load balancer sends the same browser elsewhere
    assert on_west.signed_in()
    assert on_west.sign_out() == 302
    assert not on_east.signed_in(), "signing out on one instance left the session alive on the other"


def test_failed_sign_ins_on_every_instance_count_against_one_limit(site):
    east, west = site.servers
    acct = account(site.db_url, "author")
    for i in range(LIMIT):
        server = (east, west)[i % 2]
        assert Browser(server.url).sign_in(acct.name, "wrong-" + PASSWORD) == 200
    for server in (east, west):
        assert Browser(server.url).sign_in(acct.name, acct.password) == 429, (
            f"{server.url} let a sixth attempt through after {LIMIT} failures spread over two instances")


def test_votes_cast_on_either_instance_are_one_vote_per_engineer(site):
    east, west = site.servers
    acct = account(site.db_url, "engineer")
    on_east = Browser(east.url)
    assert on_east.sign_in(acct.name, acct.password) == 302
    on_west = Browser(west.url, on_east.jar)
    for browser, vote in ((on_east, "yes"), (on_west, "no")):
        token = browser.csrf("/articles/KB9001")
        assert browser.request("/articles/KB9001/feedback", {"vote": vote, "csrf_token": token})[0] == 302
    assert activity.feedback_counts(engine_for(site.db_url), "KB9001") == (0, 1)


# --- a server with a copy of the index, kept up to date by docs/sync-index.sh ----------------

SYNC_SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "sync-index.sh"


def sync(site: Site, copy: Path) -> float:
    """Copy the writer's index root to ``copy`` with the documented script; returns when it ended."""
    if shutil.which("rsync") is None:
        pytest.fail("rsync is needed to test the documented way of copying the index; `make test` "
                    "installs it (or `apt-get install rsync`)", pytrace=False)
    result = subprocess.run(["sh", str(SYNC_SCRIPT), str(site.index), str(copy)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return time.monotonic()


def index_files(root: Path) -> set[str]:
    """The files of an index root, without the writers' lock files (which are never copied)."""
    return {name for name in snapshot(root) if not name.endswith(("write.lock", "WRITELOCK"))}


class Searching:
    """Searches sent back to back to one server in a thread; every failure is kept."""

    def __init__(self, base: str):
        self.base, self.failures, self.count = base, [], 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if "KB9001" not in found(self.base, "portal sign-in"):
                    self.failures.append("KB9001 missing from the results")
            except Exception as exc:  # noqa: BLE001 - any failure is what this records
                self.failures.append(repr(exc))
            self.count += 1

    def stop(self) -> list[str]:
        self._stop.set()
        self._thread.join(timeout=30)
        return self.failures


def test_a_server_on_a_copied_index_serves_each_sync_within_two_seconds_and_never_fails_meanwhile(site):
    copy = site.root / "copied-index"
    sync(site, copy)
    workdir = site.root / "far"
    workdir.mkdir()
    far = start_server(site.articles, copy, site.db_url, workdir, extra_args=("--workers", "2"),
                       env={"KB_SECRET_KEY": site.env["KB_SECRET_KEY"], "KB_ENCODER_DIR": "off"})
    try:
        searching = Searching(far.url)
        try:
            for n, args in enumerate(((), ("--rebuild",), ())):
                word = f"synctarget{n}x"
                site.write(f"KB910{n}", f"Badge {word} fails", f"Reset the {word} badge.")
                site.publish(*args)
                ended = sync(site, copy)
                while f"KB910{n}" not in found(far.url, word):
                    assert time.monotonic() - ended < VISIBLE_WITHIN + 10, f"the copy never served KB910{n}"
                    time.sleep(0.05)
                waited = time.monotonic() - ended
                assert waited <= VISIBLE_WITHIN, f"{waited:.2f} s after the sync ({args or 'incremental'})"
        finally:
            failures = searching.stop()
        assert searching.count > 10
        assert not failures, f"searches failed while the index was copied: {failures[:5]}"
        assert index_files(copy) == index_files(site.index)
    finally:
        stop_server(far)
