"""What an index holds for each article file, read from columns: what builds diff against."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from indexer.schema import article_from_stored, document_fields
from kb.visibility import in_public_index


@dataclass(frozen=True)
class Entry:
    """What the index holds for one file: enough to diff without loading documents."""

    id: str
    path: str
    hash: str
    audience: str
    status: str
    reuse: int
    docnum: int
    stamp: bytes = b""
    confidence: str | None = None

    def is_public(self, validated_only: bool = True) -> bool:
        return in_public_index(self.audience, self.status, self.confidence, validated_only=validated_only)


def reuse_of(value: object) -> int:
    """A reuse count from whatever the caller's signals mapping holds."""
    if isinstance(value, int):
        return value
    if isinstance(value, tuple | list) and value:
        return int(value[0])
    return int(getattr(value, "reuse_count", 0) or 0)


def read_manifest(searcher) -> dict[str, Entry]:
    """Path -> :class:`Entry` for every live document, read from columns (no stored fields)."""
    reader = searcher.reader()
    if reader.doc_count() == 0:
        return {}
    # Iterating a whole column is several times faster than indexing it per document.
    names = ("id", "path", "content_hash", "audience", "status", "reuse_count", "file_stamp", "confidence")
    ids, paths, hashes, audiences, statuses, reuses, stamps, levels = (list(reader.column_reader(n)) for n in names)
    out = {}
    for docnum in reader.all_doc_ids():
        path = paths[docnum]
        out[path] = Entry(ids[docnum], path, hashes[docnum], audiences[docnum], statuses[docnum],
                          int(reuses[docnum] or 0), docnum, stamps[docnum] or b"", levels[docnum] or None)
    return out


def read_entries(searcher, paths: list[str]) -> dict[str, Entry]:
    """Like :func:`read_manifest`, for a few paths only (looked up by term, no full scan)."""
    reader = searcher.reader()
    names = ("id", "content_hash", "audience", "status", "reuse_count", "file_stamp", "confidence")
    cols = {name: reader.column_reader(name) for name in names} if reader.doc_count() else {}
    out = {}
    for rel in paths:
        docnum = searcher.document_number(path=rel)
        if docnum is None:
            continue
        out[rel] = Entry(cols["id"][docnum], rel, cols["content_hash"][docnum], cols["audience"][docnum],
                         cols["status"][docnum], int(cols["reuse_count"][docnum] or 0), docnum,
                         cols["file_stamp"][docnum] or b"", cols["confidence"][docnum] or None)
    return out


def path_of_id(searcher) -> Callable[[str], str | None]:
    """id -> indexed path, looked up in the index."""
    paths = searcher.reader().column_reader("path") if searcher.doc_count() else None

    def lookup(article_id: str) -> str | None:
        docnum = searcher.document_number(id=article_id)
        return paths[docnum] if docnum is not None and paths is not None else None

    return lookup


class Owners(dict):
    """Article id -> path of the document that keeps it, for duplicate-id checks.

    Holds the files this build looked at; ``lookup`` answers for the rest of the index
    (targeted updates), ignoring paths that this build is replacing or deleting.
    """

    def __init__(self, data: dict[str, str], lookup: Callable[[str], str | None] | None, excluded: set[str]):
        super().__init__(data)
        self._lookup = lookup
        self._excluded = excluded

    def owner(self, article_id: str) -> str | None:
        if article_id in self:
            return self[article_id]
        if self._lookup is not None:
            path = self._lookup(article_id)
            if path is not None and path not in self._excluded:
                return path
        return None


def fields_from_stored(stored: dict, reuse: int, visibility: tuple[str, str] | None = None) -> dict:
    """Index fields for a document rebuilt from its stored fields (last good version),
    with the (audience, status) given, when given."""
    article = article_from_stored(stored)
    if visibility is not None and visibility != (article.audience, article.status):
        article = dataclasses.replace(article, audience=visibility[0], status=visibility[1])
    return document_fields(article, reuse)


def narrowed(audience: str, status: str, wanted: tuple[str, str] | None) -> tuple[str, str]:
    """The visibility of a kept last good version once its file, now broken, asks for ``wanted``.

    A narrowing takes effect at once (to internal; to draft, review or archived); a widening
    waits until the file is fixed. When the broken file says nothing readable (``None``),
    the article leaves the public index until it is fixed: a typo never keeps an article
    public that its author meant to hide.
    """
    if wanted is None:
        return "internal", status
    new_audience, new_status = wanted
    if new_audience != "public":
        audience = "internal"
    if new_status != "published":
        status = new_status
    return audience, status
