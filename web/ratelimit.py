"""Login rate limiting: failed sign-ins counted per (name, address) and per address.

In memory, per process: enough for one ``kb serve`` and simple to reason about. A blocked
attempt is refused before the password is checked, so guessing stops costing us scrypt
time and stops telling the attacker anything.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LoginLimiter:
    """Sliding-window counters of failed sign-ins.

    :param max_failures: failures allowed per (name, address) within ``window`` seconds.
    :param max_per_address: failures allowed per address across all names (password spraying).
    :param window: length of the window in seconds.
    :param clock: monotonic time source (tests pass a fake one).
    """

    MAX_KEYS = 100_000  # bound on memory when someone sprays random names

    def __init__(self, max_failures: int = 5, max_per_address: int = 50, window: float = 900.0,
                 clock: Callable[[], float] = time.monotonic):
        self.max_failures = max_failures
        self.max_per_address = max_per_address
        self.window = window
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(name: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("user", f"{name.strip().lower()}|{address}"), ("addr", address)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, name: str, address: str) -> int:
        """Seconds until this name may try again from this address; 0 when allowed now."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            limits = (self.max_failures, self.max_per_address)
            for key, limit in zip(self._keys(name, address), limits, strict=True):
                times = self._recent(key, now)
                if len(times) >= limit:
                    wait = max(wait, times[len(times) - limit] + self.window - now)
        return int(wait + 0.999) if wait > 0 else 0

    def failed(self, name: str, address: str) -> None:
        """Count a failed attempt."""
        now = self.clock()
        with self._lock:
            if len(self._failures) >= self.MAX_KEYS:
                self._prune(now)
            for key in self._keys(name, address):
                self._recent(key, now)
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, name: str, address: str) -> None:
        """A correct password clears that name's failures from that address."""
        with self._lock:
            self._failures.pop(self._keys(name, address)[0], None)

    def _prune(self, now: float) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        if len(self._failures) >= self.MAX_KEYS:  # still full of fresh keys: forget the oldest half
            oldest = sorted(self._failures, key=lambda k: self._failures[k][-1])
            for key in oldest[: len(oldest) // 2]:
                del self._failures[key]
