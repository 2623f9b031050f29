"""One server process of ``kb serve``: an event loop that reads whole requests, one thread
that answers them.

gunicorn's arbiter starts the processes, restarts one that dies and stops them all on
SIGTERM; inside each, waitress's event loop reads requests without tying up a thread.
A request reaches the app only once it has fully arrived, so a client on a slow network
(or one holding connections open on purpose) costs a socket, not a server process. A
request whose headers have not all arrived ``HEADERS_SECONDS`` after its first bytes did
is dropped with its connection, and so is a connection that sends nothing for as long.

Search is CPU-bound Python, so each process answers one request at a time
(``THREADS``), and it accepts new connections only while that thread is free: a waiting
client is taken by whichever process is idle, as with gunicorn's sync workers, instead
of queueing behind a busy one. For the same reason every response closes its connection:
a kept-alive connection would tie the client's next request to this process, busy or
not.

This module reaches into waitress 3.0 (its server's ``readable``/``maintenance`` and its
channels' request state); :data:`WAITRESS_VERSIONS` names the versions it was written for,
and on any other the process serves with waitress as it comes (requests still buffered,
without the accept gate and the header deadline) and logs why.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from gunicorn.workers.base import Worker

log = logging.getLogger(__name__)

THREADS = 1
HEADERS_SECONDS = 5.0  # from connecting to the end of the request's headers
IDLE_SECONDS = 60  # a connection with nothing happening on it (a body that stopped arriving)
CONNECTION_LIMIT = 500  # open connections per process, slow ones included
LOOP_SECONDS = 0.5  # how often the loop wakes to tell the arbiter it is alive and check the clock
WAITRESS_VERSIONS = ("3.0.",)


class BufferedWorker(Worker):
    """A gunicorn worker whose front is waitress's request-buffering event loop."""

    def run(self) -> None:
        from waitress import wasyncore

        channels: dict = {}
        answering: list[float] = []  # when each request being answered began
        app = self.wsgi

        def timed(environ: dict, start_response: Callable):
            began = time.monotonic()
            answering.append(began)
            try:
                return app(environ, start_response)
            finally:
                answering.remove(began)

        server, listeners = buffered_server(timed, channels, threads=THREADS, one_request_per_connection=True,
                                            sockets=[s.sock for s in self.sockets])
        try:
            while self.alive and self.ppid == os.getppid():
                # A request stuck for longer than gunicorn's timeout stops the heartbeat, so the
                # arbiter replaces this process, as it would a stuck sync worker.
                if not answering or time.monotonic() - min(answering) < self.timeout:
                    self.notify()
                wasyncore.loop(timeout=LOOP_SECONDS, map=channels, count=1)
        finally:
            for listener in listeners:
                listener.accepting = False  # stop taking connections; finish the ones taken
            stop = time.monotonic() + self.cfg.graceful_timeout
            while _busy(channels, listeners) and time.monotonic() < stop:
                self.notify()
                wasyncore.loop(timeout=0.1, map=channels, count=1)
            server.task_dispatcher.shutdown(timeout=max(0.0, stop - time.monotonic()))


def buffered_server(app: Callable, channels: dict, *, threads: int, one_request_per_connection: bool = False,
                    **where):
    """A waitress server for ``app`` on ``where`` (``sockets=[...]``, or ``host`` and ``port``),
    its connections in ``channels``, guarded as this module describes; returns the server
    and its listening dispatchers. ``one_request_per_connection`` closes every connection
    after its response."""
    import waitress
    from waitress.server import BaseWSGIServer

    # A request that arrives while the thread is busy waits its turn by design (the accept gate
    # keeps that to connections taken while it was free); waitress would log a warning for each.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = waitress.create_server(
        app, map=channels, threads=threads, ident="kb", connection_limit=CONNECTION_LIMIT,
        channel_timeout=IDLE_SECONDS, cleanup_interval=1, asyncore_loop_timeout=LOOP_SECONDS, **where)
    listeners = [d for d in channels.values() if isinstance(d, BaseWSGIServer)]
    if _fits():
        for listener in listeners:
            guard(listener, threads, HEADERS_SECONDS, one_request_per_connection)
    return server, listeners


def guard(listener, threads: int, headers_seconds: float, close_after_response: bool) -> None:
    """Make ``listener`` accept only while a thread is free, close connections whose headers
    are late and, if asked, every connection once it has been answered."""
    readable = listener.readable
    maintenance = listener.maintenance
    add_task = listener.add_task
    # Requests handed to the threads and not yet answered. Counted here rather than read from
    # waitress's dispatcher, whose thread says it is idle only after it has woken the loop.
    in_flight = [0]
    lock = threading.Lock()

    def answered() -> None:
        with lock:
            in_flight[0] -= 1
        listener.pull_trigger()  # wake the loop: it may accept again

    def gated() -> bool:
        # The original runs the periodic maintenance below, so it is called every time.
        return readable() and in_flight[0] < threads

    def maintain(now: float) -> None:
        maintenance(now)
        cutoff = now - headers_seconds
        for channel in list(listener.active_channels.values()):
            if channel.requests or channel.total_outbufs_len:
                continue  # being answered
            request = channel.request
            if request is None:  # nothing sent yet, or nothing since the last answer
                late = channel.last_activity < cutoff
            else:
                late = not request.headers_finished and getattr(request, "began", now) < cutoff
            if late:
                channel.will_close = True

    def answer(channel) -> None:
        # Called once a request has fully arrived. A request saying "Connection: close" is
        # answered with it and its connection closed (a WSGI app may not set that header).
        if close_after_response:
            for request in channel.requests:
                request.headers["CONNECTION"] = "close"
        with lock:
            in_flight[0] += 1
        add_task(channel)

    listener.readable = gated
    listener.maintenance = maintain
    listener.add_task = answer
    listener.channel_class = _channel_class(answered)


def _channel_class(answered: Callable[[], None]):
    """waitress's connection, with each request stamped with when its first bytes arrived,
    calling ``answered`` after each request it was handed has been answered."""
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser

    class TimedRequest(HTTPRequestParser):
        def __init__(self, adj) -> None:
            super().__init__(adj)
            self.began = time.time()  # waitress's clock for connections

    class Channel(HTTPChannel):
        parser_class = TimedRequest

        def service(self) -> None:
            try:
                super().service()
            finally:
                answered()

    return Channel


def _busy(channels: dict, listeners: list) -> bool:
    return any(c not in listeners and getattr(c, "requests", None) for c in channels.values())


def _fits() -> bool:
    from importlib.metadata import version

    found = version("waitress")
    if found.startswith(WAITRESS_VERSIONS):
        return True
    log.warning("waitress %s is not a version kb's server was written for (%s): serving without "
                "the accept gate and the header deadline", found, ", ".join(WAITRESS_VERSIONS))
    return False
