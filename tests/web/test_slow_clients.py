"""Slow clients against `kb serve` with several processes, over real loopback HTTP.

A client that sends its request a little at a time (a slow network, or an attacker
holding connections open on purpose) must not occupy a server process: requests reach the
app only once they have fully arrived, and a connection whose headers have not arrived
within a few seconds is closed.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.parse
import urllib.request

import pytest

from tests.web.helpers import start_server, stop_server

SLOW_CONNECTIONS = 8
ANSWER_WITHIN = 2.0  # seconds a search may take while the slow clients hold their connections
HEADERS_DEADLINE = 10.0  # a connection still without its headers after this long must be closed


@pytest.fixture(scope="module")
def server(corpus, index_dir, db_url, tmp_path_factory):
    """``kb serve`` with two processes, as on a two-core machine."""
    server = start_server(corpus, index_dir, db_url, tmp_path_factory.mktemp("slow-serve"),
                          extra_args=("--workers", "2"))
    yield server
    stop_server(server)


class Trickle:
    """Connections that send a request's header lines one by one, never the blank line ending them."""

    def __init__(self, url: str, count: int, interval: float = 0.3):
        parts = urllib.parse.urlsplit(url)
        self.address = (parts.hostname, parts.port)
        self.interval = interval
        self.sockets = [socket.create_connection(self.address, timeout=5) for _ in range(count)]
        self.closed_after: dict[int, float] = {}
        self._started = time.monotonic()
        self._stop = threading.Event()
        for s in self.sockets:
            s.sendall(b"GET /api/search?q=vpn HTTP/1.1\r\nHost: kb\r\n")
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        n = 0
        while not self._stop.wait(self.interval):
            n += 1
            for i, s in enumerate(self.sockets):
                if i in self.closed_after:
                    continue
                try:
                    s.sendall(f"X-Slow-{n}: {'a' * 8}\r\n".encode())
                except OSError:  # the server closed this connection
                    self.closed_after[i] = time.monotonic() - self._started

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for s in self.sockets:
            s.close()


def timed_get(url: str) -> tuple[int, float]:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=ANSWER_WITHIN * 3) as response:
        response.read()
        return response.status, time.monotonic() - started


def test_searches_are_answered_quickly_while_slow_clients_hold_connections(server):
    trickle = Trickle(server.url, SLOW_CONNECTIONS)
    try:
        time.sleep(1.0)  # every slow connection has been accepted and is mid-request
        for query in ("vpn", "password reset", "0x80070005", "printer", "outlook"):
            try:
                status, elapsed = timed_get(f"{server.url}/api/search?q={urllib.parse.quote(query)}")
            except OSError as exc:
                pytest.fail(f"/api/search?q={query} got no answer within {ANSWER_WITHIN * 3:g} s while "
                            f"{SLOW_CONNECTIONS} clients sent their requests slowly: {exc}")
            assert status == 200
            assert elapsed < ANSWER_WITHIN, (
                f"/api/search?q={query} took {elapsed:.2f} s with {SLOW_CONNECTIONS} slow clients connected")
        status, elapsed = timed_get(f"{server.url}/healthz")
        assert status == 200 and elapsed < ANSWER_WITHIN
    finally:
        trickle.close()


def test_a_connection_that_never_finishes_its_headers_is_closed(server):
    trickle = Trickle(server.url, 2, interval=0.5)
    try:
        deadline = time.monotonic() + HEADERS_DEADLINE + 5
        while len(trickle.closed_after) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(trickle.closed_after) == 2, (
            f"connections still sending headers after {HEADERS_DEADLINE + 5:g} s were not closed")
        assert max(trickle.closed_after.values()) <= HEADERS_DEADLINE + 2
    finally:
        trickle.close()


def test_a_silent_connection_is_closed(server):
    parts = urllib.parse.urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=HEADERS_DEADLINE + 5) as s:
        started = time.monotonic()
        try:
            data = s.recv(1024)
        except (TimeoutError, OSError) as exc:
            pytest.fail(f"a connection that sent nothing was open after {HEADERS_DEADLINE + 5:g} s: {exc}")
        assert time.monotonic() - started <= HEADERS_DEADLINE + 2
        assert data == b"" or data.startswith(b"HTTP/1.1 408")


def test_every_answer_closes_its_connection_so_the_next_request_goes_to_an_idle_process(server):
    parts = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", "/api/search?q=vpn", headers={"Connection": "keep-alive"})
        response = conn.getresponse()
        response.read()
        assert response.status == 200 and response.getheader("Connection") == "close"
    finally:
        conn.close()
