"""Where an article's relative references lead: other articles, images and included snippets.

Trees written for other tools link pages by path (``[see](../<folder>/<page>.md)``), show
images stored beside them (``![](media/dialog.png)``) and pull shared snippets in
(``[!INCLUDE [..](../includes/<snippet>.md)]``, ``--8<-- "<snippet>.md"``). Every such path is resolved
here, against the article's own folder, and must stay inside the articles folder: nothing
outside it is ever read or served, whatever the Markdown says.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from kb import frontmatter

# Images kb serves from the articles folder, with the type each is served as.
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp", ".bmp": "image/bmp", ".svg": "image/svg+xml"}
MAX_ASSET_BYTES = 20_000_000
MAX_SNIPPET_BYTES = 200_000
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def is_relative(href: str) -> bool:
    """A path relative to the page: no scheme, no leading '/', not just an anchor."""
    href = href.strip()
    return bool(href) and not _SCHEME.match(href) and not href.startswith(("/", "#", "\\"))


def resolve(article_path: str, href: str) -> tuple[str, str | None] | None:
    """``(path relative to the articles folder, anchor)`` of a relative reference made in
    the article at ``article_path``, or None when it leaves the articles folder.

    >>> resolve("Outlook/Client/page.markdown", "../Mac/other.markdown#cause")
    ('Outlook/Mac/other.markdown', 'cause')
    """
    if not is_relative(href):
        return None
    parts = urlsplit(href.strip())
    target = unquote(parts.path).replace("\\", "/")
    if not target:
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(article_path), target))
    if joined.startswith("../") or joined == ".." or joined.startswith("/") or "\x00" in joined:
        return None
    return joined, (unquote(parts.fragment) or None)


def file_inside(root: Path | str, rel: str) -> Path | None:
    """The file at ``rel`` under ``root`` if it exists and really is inside it (symlinks
    pointing out are refused); None otherwise."""
    base = Path(root).resolve()
    try:
        path = (base / rel).resolve()
    except (OSError, RuntimeError):
        return None
    if base not in path.parents or not path.is_file():
        return None
    return path


def image_file(root: Path | str, rel: str) -> Path | None:
    """An image kb may serve: a known image type, inside the articles folder, not too large."""
    if posixpath.splitext(rel)[1].lower() not in IMAGE_TYPES:
        return None
    if any(part.startswith(".") for part in rel.split("/")):
        return None  # nothing from hidden folders (.git, .kb-ids)
    path = file_inside(root, rel)
    if path is None:
        return None
    try:
        return path if path.stat().st_size <= MAX_ASSET_BYTES else None
    except OSError:
        return None


def read_snippet(root: Path | str, rel: str) -> str | None:
    """The Markdown body of an included file inside the articles folder (front matter
    dropped), or None when it isn't there, isn't Markdown or isn't readable."""
    if posixpath.splitext(rel)[1].lower() not in (".md", ".markdown"):
        return None
    path = file_inside(root, rel)
    if path is None:
        return None
    try:
        data = path.read_bytes()
        if len(data) > MAX_SNIPPET_BYTES:
            return None
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        return frontmatter.parse(text).body
    except frontmatter.FrontMatterError:
        return text
