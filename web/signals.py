"""Ranking signals for the Searcher, merged from several providers and cached.

Helpfulness votes come from :mod:`kb.activity` today; reuse counts will come from the case
store. Each source is a *provider*: a zero-argument callable returning
``{article_id: {"reuse_count": n, "helpful": n, "unhelpful": n}}`` (any subset of the
fields). :class:`CombinedSignals` adds them up, so a new source is one ``add()`` call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import NamedTuple

from sqlalchemy.engine import Engine

from kb import activity

log = logging.getLogger(__name__)

Provider = Callable[[], Mapping[str, Mapping[str, int]]]

try:  # the indexer's own type when it defines one, so it gets exactly what it expects
    from indexer import Signals  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the indexer's exports
    class Signals(NamedTuple):
        """Per-article usage counts the ranking boosts by."""

        reuse_count: int = 0
        helpful: int = 0
        unhelpful: int = 0

FIELDS = ("reuse_count", "helpful", "unhelpful")


def helpfulness_provider(engine: Engine) -> Provider:
    """Votes from ``article_feedback`` as ``{id: {"helpful", "unhelpful"}}``."""
    def provide() -> dict[str, dict[str, int]]:
        return {aid: {"helpful": yes, "unhelpful": no} for aid, (yes, no) in activity.signals(engine).items()}
    return provide


class CombinedSignals:
    """The ``signals`` callable handed to the Searcher: every provider summed, cached for ``ttl``.

    Ranking runs on every search; the database is read at most once per ``ttl`` seconds.
    A failing provider is logged and skipped: search must keep working without signals.
    """

    def __init__(self, providers: list[Provider] | None = None, *, ttl: float = 30.0):
        self.providers: list[Provider] = list(providers or [])
        self.ttl = ttl
        self._cache: dict[str, Signals] | None = None
        self._at = 0.0
        self._lock = threading.Lock()

    def add(self, provider: Provider) -> None:
        """Merge another source in (e.g. reuse counts from the case store)."""
        with self._lock:
            self.providers.append(provider)
            self._cache = None

    def invalidate(self) -> None:
        """Forget the cache, e.g. after a vote, so the next call reads fresh counts."""
        with self._lock:
            self._cache = None

    def __call__(self) -> dict[str, Signals]:
        with self._lock:
            if self._cache is not None and time.monotonic() - self._at < self.ttl:
                return self._cache
            providers = list(self.providers)
        totals: dict[str, dict[str, int]] = {}
        for provider in providers:
            try:
                values = provider()
            except Exception:  # noqa: BLE001 - any provider failure must not break search
                log.exception("signals provider %r failed; ranking without it", provider)
                continue
            for article_id, fields in values.items():
                slot = totals.setdefault(article_id, dict.fromkeys(FIELDS, 0))
                for name in FIELDS:
                    slot[name] += int(fields.get(name, 0) or 0)
        merged = {aid: Signals(**f) for aid, f in totals.items()}
        with self._lock:
            self._cache, self._at = merged, time.monotonic()
        return merged

    def get(self, article_id: str) -> Signals:
        """One article's signals (zeros when it has none)."""
        return self().get(article_id) or Signals(0, 0, 0)
