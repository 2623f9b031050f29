"""Whether the adapter may use Whoosh's internals: only on the Whoosh it was written for,
and not when the ``whoosh_fast`` setting is off. Both halves of the adapter ask
:func:`fast_path` each time, so :func:`set_fast_path` takes effect at once."""

from __future__ import annotations

import logging

from kb import settings

log = logging.getLogger("indexer.engine.whoosh_adapter")

# The distribution and version every access of the adapter was written for and tested against.
WRITTEN_FOR = ("whoosh-reloaded", "2.7.5")


def installed_version() -> tuple[str, str]:
    """(distribution, version) of the Whoosh that is imported."""
    from importlib import metadata

    for name in ("whoosh-reloaded", "whoosh", "Whoosh"):
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    import whoosh

    return "whoosh", ".".join(str(n) for n in whoosh.__version__[:3])


def decide(installed: tuple[str, str] | None = None, allowed: bool | None = None) -> bool:
    """Whether the fast path may be used: only on :data:`WRITTEN_FOR`, and not when the
    ``whoosh_fast`` setting (``KB_WHOOSH_FAST``) is off. Says why (once per call) when it may not."""
    installed = installed or installed_version()
    if allowed is None:
        allowed = bool(settings.get("whoosh_fast"))
    if not allowed:
        log.warning("%s is off: reading Whoosh through its public API only (slower searches and builds)",
                    settings.setting("whoosh_fast").env)
        return False
    if installed != WRITTEN_FOR:
        log.warning("Whoosh is %s %s, but kb's fast posting and length readers were written for %s %s: "
                    "using Whoosh's public API instead (same results, slower searches and builds). "
                    "Check indexer/engine/whoosh_adapter/ against the new version, then update WRITTEN_FOR.",
                    installed[0], installed[1], WRITTEN_FOR[0], WRITTEN_FOR[1])
        return False
    return True


_fast = decide()


def fast_path() -> bool:
    """Whether the private-internals path is in use."""
    return _fast


def set_fast_path(enabled: bool) -> bool:
    """Switch the fast path on or off (it can only be on for :data:`WRITTEN_FOR`); returns the
    previous setting. Searchers and indexes opened afterwards follow the new setting."""
    global _fast
    previous = _fast
    _fast = bool(enabled) and installed_version() == WRITTEN_FOR
    return previous
