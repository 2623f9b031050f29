"""A small JSON Schema validator for the subset web/openapi/ uses.

Supports type (including lists of types and "null"), properties, required, items,
additionalProperties (schema or bool), enum, minimum, maximum, maxLength, anyOf and local $ref.
Anything else in a schema is a test failure, so the document can't silently use a keyword
this validator would ignore.
"""

from __future__ import annotations

import re

KNOWN = {"type", "properties", "required", "items", "additionalProperties", "enum", "minimum", "maximum",
         "maxLength", "minLength", "pattern", "$ref", "description", "default", "anyOf"}

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def resolve(document: dict, ref: str) -> dict:
    assert ref.startswith("#/"), f"only local refs are supported: {ref}"
    node = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def errors(value, schema: dict, document: dict, path: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema`` (empty when it conforms)."""
    unknown = set(schema) - KNOWN
    if unknown:
        return [f"{path}: schema uses unsupported keywords {sorted(unknown)}"]
    if "$ref" in schema:
        return errors(value, resolve(document, schema["$ref"]), document, path)
    found: list[str] = []
    if "anyOf" in schema and all(errors(value, sub, document, path) for sub in schema["anyOf"]):
        found.append(f"{path}: matches none of the anyOf alternatives")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](value) for t in types):
            return [f"{path}: {value!r:.60} is not of type {types}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{path}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{path}: {value} > {schema['maximum']}")
    if isinstance(value, str) and "maxLength" in schema and len(value) > schema["maxLength"]:
        found.append(f"{path}: longer than {schema['maxLength']}")
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        found.append(f"{path}: shorter than {schema['minLength']}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        found.append(f"{path}: does not match {schema['pattern']!r}")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{path}: missing required '{name}'")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in props:
                found += errors(item, props[name], document, f"{path}.{name}")
            elif extra is False:
                found.append(f"{path}: unexpected property '{name}'")
            elif isinstance(extra, dict):
                found += errors(item, extra, document, f"{path}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += errors(item, schema["items"], document, f"{path}[{i}]")
    return found


def response_schema(document: dict, path: str, method: str, status: int) -> dict:
    """The JSON schema the document declares for a response."""
    responses = document["paths"][path][method.lower()]["responses"]
    declared = responses[str(status)]
    if "$ref" in declared:
        declared = resolve(document, declared["$ref"])
    return declared["content"]["application/json"]["schema"]


def validate_response(document: dict, path: str, method: str, response) -> None:
    """Assert a Flask or HTTP response matches the document's schema for its status."""
    status = response.status_code if hasattr(response, "status_code") else response.status
    body = response.get_json() if hasattr(response, "get_json") else response.json
    problems = errors(body, response_schema(document, path, method, status), document)
    assert not problems, "\n".join(problems)
