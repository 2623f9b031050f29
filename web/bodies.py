"""Request bodies as the OpenAPI document declares them.

Each field a body has is checked against the JSON type its schema in ``web/openapi/``
declares (``"title": 0`` is refused with a 400 naming ``title``), so the API accepts what
its document says and nothing else. The types are read straight from the data files: the
document module imports the views for their limits, so the views can't import it back.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from web import params, payloads

DOCUMENT_FOLDER = Path(__file__).parent / "openapi"
# The first file is the document; the others add schemas and paths (web/openapi/__init__.py).
DOCUMENT_FILES = ("api.yaml", "cases.yaml", "answers.yaml", "kcs.yaml")


@functools.cache
def declared_fields(schema: str) -> dict:
    """The declared fields of ``components.schemas[schema]`` (JSON Schema per field)."""
    for name in DOCUMENT_FILES:
        data = yaml.safe_load((DOCUMENT_FOLDER / name).read_text(encoding="utf-8")) or {}
        found = data.get("components", {}).get("schemas", {}).get(schema)
        if found is not None:
            return found.get("properties", {})
    raise KeyError(f"no schema '{schema}' in {', '.join(DOCUMENT_FILES)} under {DOCUMENT_FOLDER}")


def request_body(schema: str) -> dict:
    """The request's JSON body with every field checked against the type ``schema`` declares.

    :raises web.params.BadParameter: a body that is not a JSON object, or a field of a
        type the document doesn't allow (named in the error).
    """
    body = payloads.json_body()
    for name, declared in declared_fields(schema).items():
        if name in body:
            body[name] = params.json_type(body, name, declared)
    return body
