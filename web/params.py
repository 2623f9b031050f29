"""Reading and checking request parameters, with errors that name the parameter.

The API turns :class:`BadParameter` into ``400 {"error", "parameter"}``; HTML views catch
it, flash the message and show the form again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from werkzeug.exceptions import BadRequest, Forbidden

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


class ForbiddenParameter(Forbidden):
    """A well-formed parameter value the caller's role may not use; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str):
        super().__init__(description=message)
        self.parameter = parameter


MAX_JSON_DEPTH = 20  # request bodies are flat objects with short lists; deeper is never meant
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKETS = re.compile(r"[\[\]{}]")
_SURROGATE = re.compile("[\ud800-\udfff]")
OBJECT_EXAMPLE = '{"title": "...", "description": "..."}'


def json_object(raw: bytes) -> dict:
    """A request body as a JSON object, or :class:`BadParameter` naming ``body``.

    Refused, each with a message saying why: bytes that are not UTF-8, nesting deeper than
    :data:`MAX_JSON_DEPTH` (checked before parsing, so a small ``[[[[...]]]]`` body can't
    exhaust the parser's recursion), anything that is not JSON (NaN and Infinity included),
    a key given twice, anything but an object, and lone surrogates (``"\ud800"``), which JSON can escape but
    no text may hold: they fail later, when the text is stored or encoded.
    """
    if not raw:
        raise BadParameter("body", f"The request body is empty: send a JSON object, e.g. {OBJECT_EXAMPLE}.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadParameter("body", f"The request body is not UTF-8 (byte {exc.start}).") from None
    depth = deepest = 0
    for bracket in _JSON_BRACKETS.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_JSON_DEPTH:
        raise BadParameter("body", f"The request body is nested {deepest} levels deep; at most "
                                   f"{MAX_JSON_DEPTH} are accepted.")
    try:
        body = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise BadParameter("body", f"The request body gives '{str(exc)[:60]}' twice; give each field once.") from None
    except (ValueError, RecursionError):
        raise BadParameter("body", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadParameter("body", f"The request body must be a JSON object, e.g. {OBJECT_EXAMPLE}.")
    if _has_surrogate(body):
        raise BadParameter("body", "The request body holds a lone surrogate (an escape from \\ud800 to "
                                   "\\udfff without its pair), which is not valid Unicode text.")
    return body


class _DuplicateKey(ValueError):
    """A key given twice in one object: parsers disagree on which value wins, so neither does."""


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _has_surrogate(value) -> bool:
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


_JSON_TYPES = {
    "string": ("text", lambda v: isinstance(v, str)),
    "integer": ("a whole number", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "number": ("a number", lambda v: isinstance(v, int | float) and not isinstance(v, bool)),
    "boolean": ("true or false", lambda v: isinstance(v, bool)),
    "null": ("null", lambda v: v is None),
    "object": ("an object", lambda v: isinstance(v, dict)),
    "array": ("a list", lambda v: isinstance(v, list)),
}


def json_type(body: Mapping, name: str, declared: Mapping):
    """A body field's value, refused when its JSON type is not one ``declared`` (a JSON
    Schema) allows; a whole number written ``2.0`` where an integer is declared becomes 2
    (JSON has one kind of number)."""
    value = body[name]
    types = declared.get("type")
    if types is None:
        return value
    types = types if isinstance(types, list) else [types]
    if "integer" in types and isinstance(value, float) and value.is_integer():
        return int(value)
    if not any(_JSON_TYPES[t][1](value) for t in types):
        allowed = " or ".join(_JSON_TYPES[t][0] for t in types)
        raise BadParameter(name, f"'{name}' must be {allowed}.")
    return value


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
    if value is None:
        return default
    if isinstance(value, str) and not value.strip():
        # "limit=" is a mistake (a form field left blank, a template's empty variable), not a
        # request for the default: say so instead of guessing.
        raise BadParameter(name, f"'{name}' is empty: give a whole number between {low} and {high}, "
                                 "or leave it out.")
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
