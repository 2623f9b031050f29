"""Where a search spends its time: an opt-in, per-call breakdown by stage.

A search passes through a few named stages (:data:`STAGES`). Code marks them with
``with stage("phrases"): ...``; nothing is measured unless the caller asked for it with
:func:`record`, so the cost in normal serving is one context-variable read per mark.
Times are exclusive: a stage entered inside another (posting lists read while boosters
are evaluated) is charged to the inner stage only, so the parts add up to the whole. They
are CPU time of the calling thread, not wall time, so that figures taken on a machine busy
with other work stay comparable (waiting for a CPU is not charged to any stage).

    >>> with record() as times:
    ...     with stage("parse"):
    ...         pass
    >>> sorted(times.seconds)
    ['parse']
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# What each stage covers, in the order a search passes through them.
STAGES: dict[str, str] = {
    "parse": "query syntax, analysis, the plan, filters",
    "candidates": "posting lists read and term statistics looked up",
    "scoring": "BM25F over the postings, tiers, top-k selection, reuse and case re-ranking",
    "phrases": "phrase and proximity evidence (quoted phrases, title phrase, pasted runs)",
    "boosters": "the other boosters: exact error codes, exact title, joined pairs, product",
    "facets": "facet counts over every match",
    "snippets": "stored fields, highlighted snippets and result objects for the page",
    "spelling": "typo corrections and did-you-mean",
    "meaning": "the sentence encoder and the blend with meaning (ticket suggestions)",
}

_current: ContextVar[StageTimes | None] = ContextVar("kb_search_stages", default=None)


class StageTimes:
    """CPU seconds spent per stage while :func:`record` was active (exclusive of inner stages)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._stack: list[list] = []  # [name, time this stage last resumed]

    def _enter(self, name: str) -> None:
        now = time.thread_time()
        if self._stack:
            outer = self._stack[-1]
            self.seconds[outer[0]] += now - outer[1]
        self._stack.append([name, now])

    def _exit(self) -> None:
        now = time.thread_time()
        name, resumed = self._stack.pop()
        self.seconds[name] += now - resumed
        if self._stack:
            self._stack[-1][1] = now

    def merged(self, other: StageTimes) -> None:
        for name, value in other.seconds.items():
            self.seconds[name] += value


class _Mark:
    __slots__ = ("_name", "_times")

    def __init__(self, times: StageTimes, name: str):
        self._times, self._name = times, name

    def __enter__(self) -> None:
        self._times._enter(self._name)

    def __exit__(self, *exc) -> None:
        self._times._exit()


class _Nothing:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        return None


_NOTHING = _Nothing()


def stage(name: str) -> _Mark | _Nothing:
    """Charge the time of a ``with`` block to a stage (free unless :func:`record` is active)."""
    times = _current.get()
    if times is None:
        return _NOTHING
    return _Mark(times, name)


@contextmanager
def record() -> Iterator[StageTimes]:
    """Measure the stages of every search made inside the ``with`` block (this thread)."""
    times = StageTimes()
    token = _current.set(times)
    try:
        yield times
    finally:
        _current.reset(token)
