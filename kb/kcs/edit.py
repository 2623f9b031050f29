"""Front-matter changes kb writes into an article's file: approving it, archiving it.

The file is the source of truth, so an approval or a merge is a change to the file, made
the way an author would make it: only the lines of the changed fields are rewritten (other
fields, comments, order and the body stay byte for byte), the result must still parse, and
the new text replaces the old one atomically. A file that changed since the caller read it
is refused (:class:`EditConflict`) rather than overwritten.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kb import frontmatter
from kb.articles import content_hash, parse_article
from kb.errors import KBError
from kb.kcs.confidence import VALIDATED
from kb.model import FIELDS, Article

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")
_YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"}


class EditConflict(KBError):
    """The file changed (or broke) since it was read; reload it and try again."""


@dataclass(frozen=True)
class Edited:
    """The article as written, and the file's new content hash."""

    article: Article
    path: Path


def yaml_value(value: object) -> str:
    """A front-matter value as YAML text: dates and plain words bare, other text quoted."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def set_fields(root: Path | str, article: Article, changes: Mapping[str, object | None]) -> Edited:
    """Write ``changes`` (field -> value, None removes the field) into the article's file.

    :param article: the article as the caller read it; its ``content_hash`` must still be the
        file's, or :class:`EditConflict` is raised.
    """
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise KBError(f"'{unknown[0]}' is not a front-matter field.")
    root = Path(root)
    path = root / article.path
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EditConflict(f"{path.as_posix()} can't be read ({exc.strerror or exc}); was it moved?") from None
    if article.content_hash and content_hash(data) != article.content_hash:
        raise EditConflict(f"{path.as_posix()} changed since it was read; reload it and try again.")
    text = data.decode("utf-8-sig")
    new_text = _apply(text, changes, path)
    result = parse_article(path, root, data=new_text.encode("utf-8"))
    if result.article is None or any(p.is_error for p in result.problems):
        detail = "; ".join(p.message for p in result.problems if p.is_error) or "it no longer parses"
        raise EditConflict(f"{path.as_posix()} would break with this change ({detail}); edit it by hand.")
    unread = [name for name, value in changes.items() if not _reads_as(getattr(result.article, name), value)]
    if unread:
        # A value kb can't use (a warning outside the strict format), or a tree whose mapping
        # file reads this field from another key: the change would not take effect.
        raise EditConflict(f"{path.as_posix()}: kb would not read {', '.join(unread)} as written; "
                           "edit the file by hand (see its mapping in kb.yaml).")
    _write_atomically(path, new_text)
    return Edited(result.article, path)


def _reads_as(parsed: object, wanted: object) -> bool:
    if wanted is None:
        return parsed in (None, (), "")
    if isinstance(wanted, list | tuple):
        return tuple(parsed or ()) == tuple(str(v) for v in wanted)
    return parsed == wanted


def _apply(text: str, changes: Mapping[str, object | None], path: Path) -> str:
    try:
        yaml_text, body, first, _body_line = frontmatter.split(text)
        parsed = frontmatter.parse(text)
    except frontmatter.FrontMatterError as exc:
        raise EditConflict(f"{path.as_posix()}:{exc.line}: {exc.message}; fix the file first.") from None
    lines = yaml_text.splitlines(keepends=True)
    # Each field's lines in the YAML block: from its key to the line before the next key.
    starts = sorted((line - first, key) for key, line in parsed.lines.items())
    spans = {}
    for n, (start, key) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
            end -= 1  # blank lines and comments before the next key belong to nobody
        spans[key] = (start, end)
    replaced: dict[int, list[str]] = {}
    removed: set[int] = set()
    appended = []
    for name, value in changes.items():
        line = None if value is None else f"{name}: {yaml_value(value)}\n"
        if name in spans:
            start, end = spans[name]
            removed.update(range(start, end))
            if line:
                replaced[start] = [line]
        elif line:
            appended.append(line)
    out = []
    for n, existing in enumerate(lines):
        if n in replaced:
            out.extend(replaced[n])
        elif n not in removed:
            out.append(existing)
    if out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    out.extend(appended)
    head = text[:text.index("---")]  # blank lines before the front matter, if any
    return f"{head}---\n{''.join(out)}---\n{body}"


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def approve(root: Path | str, article: Article, approver: str, *, today: date | None = None) -> Edited:
    """Record that ``approver`` validated the article today; an article in review is published.

    :raises KBError: for a draft (work in progress: finish it first) or an archived article.
    """
    if article.status == "draft":
        raise KBError(f"{article.id} is a draft (work in progress): set its status to review or published "
                      "when it is finished, then validate it.")
    if article.status == "archived":
        raise KBError(f"{article.id} is archived; validate its replacement instead.")
    changes: dict[str, object | None] = {"confidence": VALIDATED, "validated_at": today or date.today(),
                                         "validated_by": approver}
    if article.status == "review":
        changes["status"] = "published"
    return set_fields(root, article, changes)


def archive(root: Path | str, article: Article, replacement: Article) -> Edited:
    """Archive an article as superseded by ``replacement`` (a merge of duplicates)."""
    if article.id == replacement.id:
        raise KBError("An article can't be superseded by itself.")
    if replacement.status == "archived":
        raise KBError(f"{replacement.id} is archived itself; merge into a current article.")
    return set_fields(root, article, {"status": "archived", "superseded_by": replacement.id})
