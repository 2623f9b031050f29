"""Reading and checking request parameters, with errors that name the parameter.

The API turns :class:`BadParameter` into ``400 {"error", "parameter"}``; HTML views catch
it, flash the message and show the form again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from werkzeug.exceptions import BadRequest

from kb.visibility import Reader

MAX_FILTER_CHARS = 200
MAX_OFFSET = 10_000  # deep paging is for crawlers; a person refines the query instead
MAX_LIMIT = 100


def max_query_chars() -> int:
    """The longest query the engine accepts (the indexer's limit)."""
    from indexer import MAX_QUERY_CHARS

    return MAX_QUERY_CHARS


class BadParameter(BadRequest):
    """A request parameter with a bad value; ``parameter`` names it for the client."""

    def __init__(self, parameter: str, message: str):
        super().__init__(description=message)
        self.parameter = parameter


def text(args: Mapping, name: str, *, max_chars: int = MAX_FILTER_CHARS) -> str | None:
    """A stripped string parameter, None when absent or blank."""
    value = args.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadParameter(name, f"'{name}' must be a string.")
    value = value.strip()
    if len(value) > max_chars:
        raise BadParameter(name, f"'{name}' is too long: at most {max_chars} characters.")
    if "\x00" in value:
        raise BadParameter(name, f"'{name}' contains a NUL character.")
    return value or None


def integer(args: Mapping, name: str, default: int, *, low: int, high: int) -> int:
    """An integer parameter within [low, high]."""
    value = args.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise BadParameter(name, f"'{name}' must be a whole number.")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadParameter(name, f"'{name}' must be a whole number between {low} and {high}.") from None
    if not low <= number <= high:
        raise BadParameter(name, f"'{name}' must be between {low} and {high}.")
    return number


def flag(args: Mapping, name: str) -> bool:
    """A boolean parameter: 1/true/yes/on or 0/false/no/off."""
    value = args.get(name)
    if value is None or value is False or value is True:
        return bool(value)
    lowered = str(value).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("", "0", "false", "no", "off"):
        return False
    raise BadParameter(name, f"'{name}' must be 1 or 0.")


def query(args: Mapping, name: str = "q", *, required: bool = False) -> str:
    """The search text, refused when longer than the engine's limit (it would only be slow)."""
    limit = max_query_chars()
    raw = args.get(name)
    if isinstance(raw, str) and len(raw) > limit:
        raise BadParameter(name, f"'{name}' is too long: at most {limit} characters.")
    value = text(args, name, max_chars=limit) or ""
    if required and not value:
        raise BadParameter(name, f"'{name}' is required.")
    return value


@dataclass(frozen=True)
class Filters:
    """Facet filters a search can narrow by."""

    type: str | None = None
    product: str | None = None
    tag: str | None = None
    resolution_code: str | None = None
    status: str | None = None

    def options(self) -> dict:
        """Keyword arguments for Catalog.search (status is passed separately)."""
        return {"type": self.type, "product": self.product, "tag": self.tag,
                "resolution_code": self.resolution_code}

    def active(self) -> dict[str, str]:
        """Filters that are set, by URL parameter name."""
        names = {"type": self.type, "product": self.product, "tag": self.tag, "code": self.resolution_code,
                 "status": self.status}
        return {k: v for k, v in names.items() if v}


def filters(args: Mapping, reader: Reader, *, code_param: str = "code") -> Filters:
    """Facet filters from the request; status only among those the reader may filter on."""
    status = text(args, "status")
    if status is not None and status not in reader.filter_statuses:
        raise BadParameter("status", f"'status' must be one of {', '.join(reader.filter_statuses)}.")
    return Filters(type=text(args, "type"), product=text(args, "product"), tag=text(args, "tag"),
                   resolution_code=text(args, code_param), status=status)
