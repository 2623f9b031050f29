"""The OpenAPI 3.1 document for /api/, kept as data: one YAML file per part of the API.

``api.yaml`` holds the document itself (search, suggestions, articles, the caller),
``cases.yaml`` the case API, ``answers.yaml`` cited answers and ``kcs.yaml`` the knowledge loop's
(flags, tasks, insights); their ``components.schemas`` and ``paths`` are merged. A
value written ``'${name}'`` (or ``${name}`` inside a text) is filled in from
:data:`CONSTANTS`: kb's request limits and vocabularies, so the document quotes the
code's own values instead of restating them. An unknown name is an error naming the file.

``tests/web/test_api.py`` and ``tests/cases/web/test_case_api.py`` validate real
responses against these schemas, so the document can't drift from what the API returns;
``tests/web/test_openapi.py`` checks the files themselves.
"""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path

import yaml

from kb.cases import lookup, store
from kb.cases.rules import RULES, STATUSES
from kb.kcs import flags, gaps, tasks
from web import flagging, kcs_api, params, payloads
from web.bodies import DOCUMENT_FILES, DOCUMENT_FOLDER

FOLDER = DOCUMENT_FOLDER
FILES = DOCUMENT_FILES  # the first is the document; the others add schemas, paths

CONSTANTS: dict[str, object] = {
    "max_body_kb": payloads.MAX_BODY_BYTES // 1024,
    "max_title_chars": payloads.MAX_TITLE_CHARS,
    "max_question_chars": payloads.MAX_QUESTION_CHARS,
    "max_description_chars": payloads.MAX_DESCRIPTION_CHARS,
    "max_suggest_limit": payloads.MAX_SUGGEST_LIMIT,
    "max_autocomplete_limit": payloads.MAX_AUTOCOMPLETE_LIMIT,
    "default_limit": payloads.DEFAULT_LIMIT,
    "anonymous_free_limit": payloads.ANONYMOUS_FREE_LIMIT,
    "max_limit": params.MAX_LIMIT,
    "max_query_chars": params.max_query_chars(),
    "max_filter_chars": params.MAX_FILTER_CHARS,
    "max_offset": params.MAX_OFFSET,
    "max_case_title_chars": store.LIMITS["title"],
    # What every text input accepts (web.params.text, kb.cases.store.clean_text): no NUL,
    # and for required words, something besides white space.
    "text_pattern": "^[^\\x00]*$",
    "nonblank_text_pattern": "^[^\\x00]*[^\\s\\x00][^\\x00]*$",
    "case_statuses": list(STATUSES),
    "case_channels": list(store.CHANNELS),
    "case_rules": [*RULES, "conflict"],  # "conflict": someone else changed the case first
    "case_sorts": list(lookup.SORTS),
    "max_case_query_chars": lookup.MAX_QUERY_CHARS,
    "flag_reasons": list(flags.REASONS),
    "max_flag_comment_chars": flags.MAX_COMMENT,
    "task_kinds": list(tasks.KINDS),
    "task_statuses": list(tasks.STATUSES),
    "max_task_note_chars": tasks.MAX_NOTE,
    "max_fixed_in_chars": tasks.MAX_FIXED_IN,
    "max_tasks": kcs_api.MAX_TASKS,
    "max_topics": kcs_api.MAX_TOPICS,
    "gap_kinds": list(gaps.KINDS),
    "anonymous_flags": flagging.ANONYMOUS_FLAGS_PER_WINDOW,
}

_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


class OpenAPIDataError(ValueError):
    """A data file that can't be turned into the document (names the file)."""


def _fill(value, source: str):
    """``value`` with every placeholder replaced from CONSTANTS."""
    if isinstance(value, dict):
        return {key: _fill(item, source) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, source) for item in value]
    if not isinstance(value, str) or "${" not in value:
        return value

    def constant(name: str):
        if name not in CONSTANTS:
            raise OpenAPIDataError(f"{source}: unknown placeholder '${{{name}}}'; "
                                   f"known: {', '.join(sorted(CONSTANTS))}")
        return CONSTANTS[name]

    whole = _PLACEHOLDER.fullmatch(value)
    if whole:
        return copy.deepcopy(constant(whole.group(1)))
    return _PLACEHOLDER.sub(lambda m: str(constant(m.group(1))), value)


def load_fragment(path: Path) -> dict:
    """One data file, placeholders filled in."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise OpenAPIDataError(f"{path.name}: {exc}") from None
    if not isinstance(data, dict):
        raise OpenAPIDataError(f"{path.name}: expected a mapping at the top level")
    return _fill(data, path.name)


@functools.cache
def _document() -> dict:
    document, *parts = (load_fragment(FOLDER / name) for name in FILES)
    for name, part in zip(FILES[1:], parts, strict=True):
        schemas = part.get("components", {}).get("schemas", {})
        sections = (("schemas", schemas, document["components"]["schemas"]),
                    ("paths", part.get("paths", {}), document["paths"]))
        for key, found, into in sections:
            clash = sorted(set(found) & set(into))
            if clash:
                raise OpenAPIDataError(f"{name}: {key} already described elsewhere: {', '.join(clash)}")
            into.update(found)
    return document


def openapi_document(server_url: str = "") -> dict:
    """The API description; ``server_url`` is where this instance answers."""
    document = copy.deepcopy(_document())
    document["servers"] = [{"url": server_url or "/"}]
    return document
