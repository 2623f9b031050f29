"""The OpenAPI 3.1 document for /api/, written as data.

tests/web/test_openapi.py validates real responses against these schemas, so the
document can't drift from what the API returns.
"""

from __future__ import annotations

from web import MAX_BODY_BYTES

_nullable_str = {"type": ["string", "null"]}

SCHEMAS: dict = {
    "Error": {
        "type": "object",
        "required": ["error", "status"],
        "properties": {
            "error": {"type": "string", "description": "What went wrong and how to fix it."},
            "status": {"type": "integer"},
            "parameter": {"type": "string", "description": "The parameter (or 'body') that was rejected."},
        },
    },
    "Facet": {
        "type": "object",
        "required": ["value", "count"],
        "properties": {"value": {"type": "string"}, "count": {"type": "integer", "minimum": 0}},
    },
    "SearchResult": {
        "type": "object",
        "required": ["id", "title", "type", "product", "audience", "url", "snippet", "score"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "type": {"type": "string"},
            "product": _nullable_str,
            "audience": {"type": "string", "enum": ["public", "internal"]},
            "status": {"type": "string", "enum": ["draft", "review", "published", "archived"]},
            "updated": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
            "url": {"type": "string", "description": "The article's page for this caller."},
            "snippet": {"type": "string", "description": "HTML: escaped text with <mark> around matches."},
            "score": {"type": "number"},
            "explanation": {"type": ["object", "null"], "description": "Only with explain=1."},
        },
    },
    "SearchResponse": {
        "type": "object",
        "required": ["query", "total", "results", "facets", "did_you_mean", "offset", "limit", "took_ms"],
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0},
            "offset": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer", "minimum": 0},
            "took_ms": {"type": "number"},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/SearchResult"}},
            "facets": {
                "type": "object",
                "description": "type, product, tag and resolution_code values with counts.",
                "additionalProperties": {"type": "array", "items": {"$ref": "#/components/schemas/Facet"}},
            },
            "did_you_mean": _nullable_str,
            "fuzzy": {"type": "boolean", "description": "Results come from a typo-tolerant search."},
            "relaxed": {"type": "boolean", "description": "Not every word matched; the query was relaxed."},
            "notice": _nullable_str,
        },
    },
    "SuggestRequest": {
        "type": "object",
        "description": "A ticket's text: at least one of title and description (a subject is optional).",
        "anyOf": [{"required": ["title"]}, {"required": ["description"]}],
        "properties": {
            "title": {"type": "string", "maxLength": 1000},
            "description": {"type": "string", "maxLength": 20000},
            "product": _nullable_str,
            "limit": {"type": "integer", "minimum": 1, "maximum": 50},
            "explain": {"type": "boolean"},
        },
    },
    "Autocomplete": {
        "type": "object",
        "required": ["query", "suggestions"],
        "properties": {
            "query": {"type": "string"},
            "suggestions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "title", "url"],
                    "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                                   "url": {"type": "string"}},
                },
            },
        },
    },
    "Article": {
        "type": "object",
        "required": ["id", "title", "type", "audience", "status", "url", "html", "text", "related",
                     "superseded_by", "tags", "error_codes", "resolution_codes"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "type": {"type": "string"},
            "audience": {"type": "string", "enum": ["public", "internal"]},
            "status": {"type": "string", "enum": ["draft", "review", "published", "archived"]},
            "product": _nullable_str,
            "component": _nullable_str,
            "tags": {"type": "array", "items": {"type": "string"}},
            "error_codes": {"type": "array", "items": {"type": "string"}},
            "resolution_codes": {"type": "array", "items": {"type": "string"}},
            "resolution_code_names": {"type": "object", "additionalProperties": {"type": "string"}},
            "related": {"type": "array", "items": {"type": "string"},
                        "description": "Related article ids the caller may see."},
            "superseded_by": {"type": ["string", "null"],
                              "description": "The replacement's id, when the caller may see it."},
            "owner": _nullable_str,
            "updated": _nullable_str,
            "review_by": _nullable_str,
            "path": {"type": "string"},
            "url": {"type": "string"},
            "html": {"type": "string", "description": "Rendered, sanitized body."},
            "text": {"type": "string", "description": "Plain text of the body."},
            "helpful": {"type": "integer", "minimum": 0},
            "unhelpful": {"type": "integer", "minimum": 0},
            "reuse_count": {"type": "integer", "minimum": 0, "description": "Staff only."},
        },
    },
    "Me": {
        "type": "object",
        "required": ["name", "role", "audience", "statuses"],
        "properties": {
            "name": {"type": "string"},
            "role": {"type": "string", "enum": ["customer", "engineer", "author", "admin"]},
            "audience": {"type": "string"},
            "statuses": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def _json(ref: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _error(description: str) -> dict:
    return {"description": description, "content": _json("Error")}


def _query(name: str, description: str, schema: dict, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


_FILTERS = [
    _query("type", "Only this article type.", {"type": "string"}),
    _query("product", "Only this product.", {"type": "string"}),
    _query("tag", "Only articles with this tag.", {"type": "string"}),
    _query("resolution_code", "Only articles leading to this resolution code.", {"type": "string"}),
    _query("status", "Staff only: one status (archived articles are found only this way).",
           {"type": "string", "enum": ["published", "review", "draft", "archived"]}),
]

_ERRORS = {"400": _error("A parameter is invalid; `parameter` names it."),
           "401": _error("The bearer token is invalid or revoked.")}


def openapi_document(server_url: str = "") -> dict:
    """The API description; ``server_url`` is where this instance answers."""
    from web.cases import OPENAPI_PATHS, OPENAPI_SCHEMAS  # the case API documents itself
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kb API",
            "version": "1",
            "description": (
                "Search and read the knowledge base. Anonymous callers see public, published articles; "
                "send `Authorization: Bearer <token>` (create one with `kb tokens create NAME`) to see what "
                "your role may see. A browser calling with its session cookie must also send the page's "
                "CSRF token in `X-CSRF-Token` on POST. "
                f"Request bodies are limited to {MAX_BODY_BYTES // 1024} KB (413 beyond). "
                "Errors are JSON: `{\"error\", \"status\", \"parameter\"?}`."),
        },
        "servers": [{"url": server_url or "/"}],
        "components": {
            "schemas": {**SCHEMAS, **OPENAPI_SCHEMAS},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"bearer": []}],
        "paths": {
            "/api/search": {"get": {
                "summary": "Search articles",
                "parameters": [
                    _query("q", "What to search for (error codes match exactly).", {"type": "string"}, True),
                    _query("limit", "Results per page.", {"type": "integer", "minimum": 1, "maximum": 100,
                                                          "default": 10}),
                    _query("offset", "Results to skip.", {"type": "integer", "minimum": 0, "maximum": 10000,
                                                          "default": 0}),
                    _query("explain", "1 adds a scoring explanation to each result.",
                           {"type": "integer", "enum": [0, 1]}),
                    *_FILTERS,
                ],
                "responses": {"200": {"description": "A page of results.",
                                      "content": _json("SearchResponse")},
                              **_ERRORS},
            }},
            "/api/suggest": {"post": {
                "summary": "Suggest articles for a new ticket",
                "requestBody": {"required": True, "content": _json("SuggestRequest")},
                "responses": {"200": {"description": "Suggested articles.",
                                      "content": _json("SearchResponse")},
                              **_ERRORS, "413": _error("The body is larger than the limit.")},
            }},
            "/api/autocomplete": {"get": {
                "summary": "Article titles for a search box",
                "parameters": [_query("q", "What the user typed so far.", {"type": "string"}),
                               _query("limit", "How many.",
                                      {"type": "integer", "minimum": 1, "maximum": 20})],
                "responses": {"200": {"description": "Matching titles.", "content": _json("Autocomplete")},
                              **_ERRORS},
            }},
            "/api/articles/{article_id}": {"get": {
                "summary": "One article",
                "parameters": [{"name": "article_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The article.", "content": _json("Article")},
                              "404": _error("No such article, or not visible to the caller."),
                              "401": _ERRORS["401"]},
            }},
            "/api/me": {"get": {
                "summary": "Who the caller is",
                "security": [{"bearer": []}],
                "responses": {"200": {"description": "The caller.", "content": _json("Me")},
                              "401": _error("No valid token or session.")},
            }},
            "/api/openapi.json": {"get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1 document."}},
            }},
            **OPENAPI_PATHS,
        },
    }
