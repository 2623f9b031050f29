"""Login rate limiting: sign-in attempts counted per (name, address) and per address.

The counts live in a store: :class:`MemoryFailures` for a single process (and tests), or
:class:`kb.logins.DatabaseFailures`, which every ``kb serve`` process shares, so running
several processes does not multiply an attacker's allowance.

An attempt is counted *before* its password is checked, in the same atomic step that
checks the limit: parallel guesses take turns on that step, so no more than the limit ever
reach the password check. A blocked attempt is refused before the password is checked, so
guessing stops costing us scrypt time and stops telling the attacker anything. A correct
password takes its own attempt back and clears that name's failures from that address.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

# Decides, from the earlier attempts' times per key, how many seconds to wait (0: go ahead).
Verdict = Callable[[dict[str, list[float]]], float]


class FailureStore(Protocol):
    def recent(self, key: str, since: float) -> list[float]: ...

    def reserve(self, keys: list[str], at: float, since: float, verdict: Verdict) -> tuple[Any, float]: ...

    def release(self, handle: Any) -> None: ...

    def clear(self, key: str) -> None: ...


class MemoryFailures:
    """Attempt times per key in this process's memory, bounded to ``MAX_KEYS`` keys."""

    MAX_KEYS = 100_000  # bound on memory when someone sprays random names

    def __init__(self) -> None:
        self.times: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def recent(self, key: str, since: float) -> list[float]:
        with self._lock:
            return [t for t in self.times.get(key, ()) if t > since]

    def reserve(self, keys: list[str], at: float, since: float, verdict: Verdict) -> tuple[Any, float]:
        """Record an attempt under every key unless ``verdict`` says to wait, under one lock."""
        with self._lock:
            if len(self.times) >= self.MAX_KEYS:
                self._prune(since)
            wait = verdict({key: [t for t in self.times.get(key, ()) if t > since] for key in keys})
            if wait > 0:
                return None, wait
            for key in keys:
                times = self.times.setdefault(key, deque())
                while times and times[0] <= since:
                    times.popleft()
                times.append(at)
            return (tuple(keys), at), 0.0

    def release(self, handle: Any) -> None:
        keys, at = handle
        with self._lock:
            for key in keys:
                times = self.times.get(key)
                if times and at in times:
                    times.remove(at)

    def clear(self, key: str) -> None:
        with self._lock:
            self.times.pop(key, None)

    def _prune(self, forget_before: float) -> None:
        for key in list(self.times):
            times = self.times[key]
            while times and times[0] <= forget_before:
                times.popleft()
            if not times:
                del self.times[key]
        if len(self.times) >= self.MAX_KEYS:  # still full of fresh keys: forget the oldest half
            oldest = sorted(self.times, key=lambda k: self.times[k][-1])
            for key in oldest[: len(oldest) // 2]:
                del self.times[key]


@dataclass(frozen=True)
class Attempt:
    """One counted sign-in attempt; ``wait`` > 0 means it was refused (seconds to wait)."""

    name: str
    address: str
    wait: int
    handle: Any = None


class LoginLimiter:
    """Sliding-window counters of sign-in attempts that have not succeeded.

    :param max_failures: attempts allowed per (name, address) within ``window`` seconds.
    :param max_per_address: attempts allowed per address across all names (password spraying).
    :param window: length of the window in seconds.
    :param clock: time source in seconds; wall-clock time, so that processes agree.
    :param store: where attempts are kept (default: this process's memory).
    """

    def __init__(self, max_failures: int = 5, max_per_address: int = 50, window: float = 900.0,
                 clock: Callable[[], float] = time.time, store: FailureStore | None = None):
        self.max_failures = max_failures
        self.max_per_address = max_per_address
        self.window = window
        self.clock = clock
        self.store = store if store is not None else MemoryFailures()

    @staticmethod
    def _keys(name: str, address: str) -> tuple[str, str]:
        return f"user:{name.strip().lower()}|{address}", f"addr:{address}"

    def _wait(self, keys: tuple[str, str], times: dict[str, list[float]], now: float) -> int:
        """Seconds until an attempt under ``keys`` is allowed, given the earlier attempts' times."""
        wait = 0.0
        for key, limit in zip(keys, (self.max_failures, self.max_per_address), strict=True):
            recent = sorted(times.get(key, ()))
            if len(recent) >= limit:
                wait = max(wait, recent[len(recent) - limit] + self.window - now)
        return int(wait + 0.999) if wait > 0 else 0

    def attempt(self, name: str, address: str) -> Attempt:
        """Count an attempt before its password is checked, or refuse it (``wait`` > 0).

        Counting and checking the limit are one atomic step in the store, so concurrent
        attempts can't all see room under the limit. An attempt that is never reported as
        :meth:`succeeded` stays counted: that is a failure.
        """
        now = self.clock()
        keys = self._keys(name, address)
        handle, wait = self.store.reserve(list(keys), now, now - self.window,
                                          lambda times: self._wait(keys, times, now))
        return Attempt(name, address, int(wait), handle)

    def retry_after(self, name: str, address: str) -> int:
        """Seconds until this name may try again from this address; 0 when allowed now."""
        now = self.clock()
        keys = self._keys(name, address)
        return self._wait(keys, {key: self.store.recent(key, now - self.window) for key in keys}, now)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: take the attempt back and clear the name's failures from that address."""
        if attempt.handle is not None:
            self.store.release(attempt.handle)
        self.store.clear(self._keys(attempt.name, attempt.address)[0])


class WriteLimiter:
    """Anonymous writes (flags from the help center) counted per address in a shared store.

    The same store as sign-in attempts (:class:`kb.logins.DatabaseFailures` in a server), so
    every process counts the same writes; keys are ``<namespace>:<address>``.

    :param max_writes: writes allowed per address within ``window`` seconds.
    """

    def __init__(self, max_writes: int = 10, window: float = 900.0, clock: Callable[[], float] = time.time,
                 store: FailureStore | None = None, namespace: str = "write"):
        self.max_writes = max_writes
        self.window = window
        self.clock = clock
        self.store = store if store is not None else MemoryFailures()
        self.namespace = namespace

    def attempt(self, address: str) -> int:
        """Count a write from ``address``; returns 0 when it may go ahead, else the seconds to wait."""
        now = self.clock()
        key = f"{self.namespace}:{address}"

        def verdict(times: dict[str, list[float]]) -> float:
            recent = sorted(times.get(key, ()))
            if len(recent) < self.max_writes:
                return 0.0
            return max(1.0, recent[len(recent) - self.max_writes] + self.window - now)

        _, wait = self.store.reserve([key], now, now - self.window, verdict)
        return int(wait + 0.999) if wait > 0 else 0
