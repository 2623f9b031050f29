"""Markdown rendering and text extraction for articles.

One markdown-it parser serves both jobs, so what the indexer reads is what readers see.
Rendering is safe by construction (raw HTML off) and sanitized again with nh3 (Ammonia),
so an article can't inject script, styles or event handlers into a page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin

ANCHOR_PREFIX = "sec-"
KB_SCHEME = "kb:"

# Heading words that name the same canonical section.
SECTION_ALIASES = {
    "symptoms": "symptoms", "symptom": "symptoms",
    "cause": "cause", "causes": "cause", "root cause": "cause",
    "resolution": "resolution", "resolutions": "resolution", "solution": "resolution", "fix": "resolution",
    "workaround": "workaround", "workarounds": "workaround",
    "environment": "environment", "applies to": "environment",
    "more information": "more information", "more info": "more information",
    "status": "status",
}

# (article id, anchor or None) -> URL, or None when the article isn't reachable for this reader.
LinkResolver = Callable[[str, str | None], str | None]

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "span": {"class"},
    "ol": {"start"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
}


def slugify(text: str) -> str:
    """Anchor for a heading, prefixed so it can never clobber a DOM global.

    >>> slugify("Symptoms & Cause")
    'sec-symptoms-cause'
    """
    text = unicodedata.normalize("NFKC", text).lower()
    slug = re.sub(r"[^\w]+", "-", text).strip("-_")
    return ANCHOR_PREFIX + (slug or "section")


def section_key(heading: str) -> str:
    """Canonical name of a section heading: 'Root cause:' -> 'cause'."""
    key = re.sub(r"\s+", " ", heading.strip().rstrip(":").strip()).lower()
    return SECTION_ALIASES.get(key, key)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(anchors_plugin, min_level=1, max_level=6, slug_func=slugify, permalink=False)
    return md


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass
class BodyOutline:
    """What the indexer and linter need from a body, without rendering it."""

    text: str = ""
    sections: dict[str, str] = field(default_factory=dict)
    headings: list[Heading] = field(default_factory=list)
    links: list[tuple[str, str | None, int]] = field(default_factory=list)  # (id, anchor, body line)
    has_ordered_list: bool = False


def _inline_text(token: Token) -> str:
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


def split_kb_link(href: str) -> tuple[str, str | None] | None:
    """``kb:KB0042#sec-cause`` -> ("KB0042", "sec-cause"); None for any other link."""
    if not href.lower().startswith(KB_SCHEME):
        return None
    target = href[len(KB_SCHEME):]
    article_id, _, anchor = target.partition("#")
    return article_id.strip(), (anchor.strip() or None)


def outline(body: str) -> BodyOutline:
    """Plain text of the body and of each section, the headings, and the kb: links.

    Sections are delimited by level-1 and level-2 headings and keyed by their canonical
    name (``section_key``); text before the first heading is keyed ``""``.
    """
    tokens = _parser().parse(body)
    result = BodyOutline()
    chunks: list[str] = []
    section = ""
    section_chunks: dict[str, list[str]] = {"": []}
    heading_level = 0
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            heading_level = int(token.tag[1])
            continue
        if token.type == "ordered_list_open":
            result.has_ordered_list = True
        if token.type == "inline":
            text = _inline_text(token)
            line = token.map[0] + 1 if token.map else 0
            for child in token.children or ():
                if child.type == "link_open":
                    target = split_kb_link(str(child.attrGet("href") or ""))
                    if target:
                        result.links.append((target[0], target[1], line))
            if heading_level:
                anchor = str(tokens[i - 1].attrGet("id") or slugify(text))
                result.headings.append(Heading(heading_level, text.strip(), anchor))
                if heading_level <= 2:
                    section = section_key(text)
                    section_chunks.setdefault(section, [])
                    heading_level = 0
                    chunks.append(text)
                    continue
                heading_level = 0
            chunks.append(text)
            section_chunks[section].append(text)
        elif token.type in ("fence", "code_block"):
            chunks.append(token.content)
            section_chunks[section].append(token.content)
    result.text = "\n".join(c for c in chunks if c.strip())
    result.sections = {k: "\n".join(c for c in v if c.strip()) for k, v in section_chunks.items()}
    return result


def first_heading(body: str, level: int = 1) -> tuple[str, int, int] | None:
    """The first heading of ``level`` (ATX or setext, never inside code): its plain text and
    its lines as a half-open range of 0-based body lines; None when there is none."""
    tokens = _parser().parse(body)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == f"h{level}" and token.map:
            text = " ".join(_inline_text(tokens[i + 1]).split())
            if text:
                return text, token.map[0], token.map[1]
    return None


def render(body: str, resolve: LinkResolver | None = None) -> str:
    """Render a body to sanitized HTML.

    ``kb:ID`` links become the URL ``resolve`` gives; when it gives None (a missing
    article, or one this reader may not see), the link text stays and the link goes.
    """
    md = _parser()
    tokens = md.parse(body)
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        _resolve_links(token.children, resolve)
    html = md.renderer.render(tokens, md.options, {})
    return sanitize(html)


def _resolve_links(children: list[Token], resolve: LinkResolver | None) -> None:
    stack: list[Token] = []
    for child in children:
        if child.type == "link_open":
            target = split_kb_link(str(child.attrGet("href") or ""))
            if target is not None:
                url = resolve(*target) if resolve else None
                if url:
                    child.attrSet("href", url)
                else:
                    child.type, child.tag, child.attrs = "span_open", "span", {"class": "kb-link-unavailable"}
            stack.append(child)
        elif child.type == "link_close" and stack:
            opener = stack.pop()
            if opener.type == "span_open":
                child.type, child.tag = "span_close", "span"


def sanitize(html: str) -> str:
    """Second line of defence: strip anything but plain document markup."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
