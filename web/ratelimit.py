"""Login rate limiting: failed sign-ins counted per (name, address) and per address.

The counts live in a store: :class:`MemoryFailures` for a single process (and tests), or
:class:`kb.logins.DatabaseFailures`, which every ``kb serve`` process shares, so running
several processes does not multiply an attacker's allowance. A blocked attempt is refused
before the password is checked, so guessing stops costing us scrypt time and stops
telling the attacker anything.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol


class FailureStore(Protocol):
    def recent(self, key: str, since: float) -> list[float]: ...

    def add(self, keys: list[str], at: float, forget_before: float) -> None: ...

    def clear(self, key: str) -> None: ...


class MemoryFailures:
    """Failure times per key in this process's memory, bounded to ``MAX_KEYS`` keys."""

    MAX_KEYS = 100_000  # bound on memory when someone sprays random names

    def __init__(self) -> None:
        self.times: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def recent(self, key: str, since: float) -> list[float]:
        with self._lock:
            return [t for t in self.times.get(key, ()) if t > since]

    def add(self, keys: list[str], at: float, forget_before: float) -> None:
        with self._lock:
            if len(self.times) >= self.MAX_KEYS:
                self._prune(forget_before)
            for key in keys:
                times = self.times.setdefault(key, deque())
                while times and times[0] <= forget_before:
                    times.popleft()
                times.append(at)

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


class LoginLimiter:
    """Sliding-window counters of failed sign-ins.

    :param max_failures: failures allowed per (name, address) within ``window`` seconds.
    :param max_per_address: failures allowed per address across all names (password spraying).
    :param window: length of the window in seconds.
    :param clock: time source in seconds; wall-clock time, so that processes agree.
    :param store: where failures are kept (default: this process's memory).
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

    def retry_after(self, name: str, address: str) -> int:
        """Seconds until this name may try again from this address; 0 when allowed now."""
        now = self.clock()
        wait = 0.0
        limits = (self.max_failures, self.max_per_address)
        for key, limit in zip(self._keys(name, address), limits, strict=True):
            times = self.store.recent(key, now - self.window)
            if len(times) >= limit:
                wait = max(wait, times[len(times) - limit] + self.window - now)
        return int(wait + 0.999) if wait > 0 else 0

    def failed(self, name: str, address: str) -> None:
        """Count a failed attempt."""
        now = self.clock()
        self.store.add(list(self._keys(name, address)), now, now - self.window)

    def succeeded(self, name: str, address: str) -> None:
        """A correct password clears that name's failures from that address."""
        self.store.clear(self._keys(name, address)[0])


class WriteLimiter:
    """Anonymous writes (flags from the help center) counted per address in a shared store.

    The same store as sign-in failures (:class:`kb.logins.DatabaseFailures` in a server), so
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
        times = self.store.recent(key, now - self.window)
        if len(times) >= self.max_writes:
            wait = times[len(times) - self.max_writes] + self.window - now
            return max(1, int(wait + 0.999))
        self.store.add([key], now, now - self.window)
        return 0
