"""What an article page shows, computed once for HTML pages and the JSON API.

Links inside the body, related articles and the replacement are all resolved through the
reader's catalog (which asks :mod:`kb.visibility`): a link to something the reader may not
see is dropped (its text stays), so an internal id never reaches a public page, not even
as a dead link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import nh3
from flask import url_for
from markupsafe import Markup

from kb import sources
from kb.markdown import Heading, References, render
from kb.model import Article
from kb.visibility import Reader
from web.services import catalog, services

# Article page endpoint -> the endpoint serving that page's images.
MEDIA_ENDPOINTS = {"articles.article": "articles.media", "help.article": "help.media"}

TOC_MAX_LEVEL = 3


@dataclass
class ArticleView:
    """An article with everything its page needs, already filtered for the reader."""

    article: Article
    html: Markup
    toc: list[Heading]
    related: list[Article] = field(default_factory=list)
    replacement: Article | None = None
    resolution_codes: list[tuple[str, str]] = field(default_factory=list)
    reuse_count: int = 0
    helpful: int = 0
    unhelpful: int = 0

    @property
    def review_overdue(self) -> bool:
        return self.article.review_by is not None and self.article.review_by < date.today()


def article_url(endpoint: str, article_id: str, anchor: str | None = None, *, external: bool = False) -> str:
    """URL of an article page (engineer or help center)."""
    return url_for(endpoint, article_id=article_id, _anchor=anchor, _external=external)


def article_view(article: Article, reader: Reader, endpoint: str) -> ArticleView:
    """Render ``article`` for ``reader``; links point at ``endpoint`` pages."""
    cat = catalog()

    def resolve(article_id: str, anchor: str | None) -> str | None:
        if cat.get(reader, article_id) is None:
            return None
        return article_url(endpoint, article_id, anchor)

    html = Markup(render(article.body, resolve, references=references_for(article, reader, endpoint)))
    toc = [h for h in article.outline.headings if h.level <= TOC_MAX_LEVEL]
    related = [a for a in cat.visible_ids(reader, article.related) if a.id != article.id]
    replacement = cat.get(reader, article.superseded_by) if article.superseded_by else None
    svc = services()
    codes = [(code, svc.code_name(code)) for code in article.resolution_codes]
    signals = svc.signals.get(article.id)
    html = keyboard_scrollable(html)
    return ArticleView(article, html, toc, related, replacement, codes, signals.reuse_count,
                       signals.helpful, signals.unhelpful)


def references_for(article: Article, reader: Reader, endpoint: str) -> References:
    """How ``article``'s relative links, images and includes resolve for ``reader``: links to
    other files become links to their articles (when the reader may see them), images are
    served through the article's own media URL, snippets are read from the articles folder."""
    cat = catalog()
    root = services().articles_dir
    media = MEDIA_ENDPOINTS.get(endpoint, "articles.media")

    def linked(path: str, anchor: str | None) -> str | None:
        target = cat.by_path(reader, path)
        return article_url(endpoint, target.id, anchor) if target is not None else None

    def image(path: str) -> str | None:
        if sources.image_file(root, path) is None:
            return None
        return url_for(media, article_id=article.id, path=path)

    return References(article.path, linked, image, lambda path: sources.read_snippet(root, path))


def referenced_images(article: Article) -> set[str]:
    """Paths (relative to the articles folder) of the images ``article`` shows: the only
    files its media URL serves."""
    root = services().articles_dir
    asked: set[str] = set()
    render(article.body, references=References(article.path, lambda path, anchor: None,
                                               lambda path: asked.add(path) and None,
                                               lambda path: sources.read_snippet(root, path)))
    return asked


def send_article_image(article: Article, path: str):
    """The response for one of ``article``'s images, or a 404 for anything else."""
    from flask import abort, send_file

    if path not in referenced_images(article):
        abort(404)
    file = sources.image_file(services().articles_dir, path)
    if file is None:
        abort(404)
    response = send_file(file, mimetype=sources.IMAGE_TYPES[file.suffix.lower()], max_age=300)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # An SVG opened on its own could run script in kb's origin: never let it.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


_SCROLLABLE = re.compile(r"<(pre|table)(?=[\s>])")


def keyboard_scrollable(html: Markup) -> Markup:
    """Code blocks and tables scroll sideways when wide: a tab stop lets keyboard users scroll them.

    Applied to the sanitized HTML, and adds nothing but ``tabindex="0"``.
    """
    return Markup(_SCROLLABLE.sub(r'<\1 tabindex="0"', str(html)))


_SNIPPET_ENTITIES = ("&amp;", "&lt;", "&gt;", "&quot;", "&#x27;")


def clean_snippet(snippet: str | None) -> Markup:
    """The indexer's highlighted snippet, re-sanitized so only ``<mark>`` survives.

    A snippet as the indexer makes it (escaped text, whole ``<mark>`` pairs, nothing else)
    is recognised by a few string counts and given as the sanitizer would give it (quotes
    unescaped); anything else goes through the sanitizer. Ten a page, this is a tenth of
    the time the sanitizer took.
    """
    text = snippet or ""
    if _plain_marked(text):
        return Markup(text.replace("&#x27;", "'").replace("&quot;", '"'))
    return Markup(nh3.clean(text, tags={"mark"}, attributes={}))


def _plain_marked(text: str) -> bool:
    """Whether ``text`` is printable escaped text with whole, unnested ``<mark>`` pairs only."""
    if not text.isprintable():
        return False
    marks = text.split("<mark>")
    if marks[0].count("</mark>") or any(part.count("</mark>") != 1 for part in marks[1:]):
        return False
    bare = text.replace("<mark>", "").replace("</mark>", "")
    if "<" in bare or ">" in bare:
        return False
    return bare.count("&") == sum(bare.count(entity) for entity in _SNIPPET_ENTITIES)
