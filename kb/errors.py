"""Typed errors raised by kb's core and translated once at each edge (CLI, web)."""

from __future__ import annotations

from pathlib import Path


class KBError(Exception):
    """Base class for every error kb reports to a person.

    The message names the thing that is wrong and, where there is one, the next step.
    """


class ArticleError(KBError):
    """An article file cannot be read or parsed."""

    def __init__(self, path: str | Path, message: str):
        self.path = str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


class UnknownResolutionCode(KBError):
    """A resolution code that the taxonomy does not define."""

    def __init__(self, code: str, suggestion: str | None = None):
        self.code = code
        hint = f" Did you mean '{suggestion}'?" if suggestion else ""
        super().__init__(f"Unknown resolution code '{code}'.{hint}")


class IndexMissing(KBError):
    """No search index exists where one was expected."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        super().__init__(f"No index at {self.path}. Run `kb index` first.")


class IndexBusy(KBError):
    """Another process holds the index's write lock."""


class NotFound(KBError):
    """A thing looked up by id does not exist (or is not visible to the caller)."""
