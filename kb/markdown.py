"""Markdown rendering and text extraction for articles.

One markdown-it parser serves both jobs, so what the indexer reads is what readers see.
Rendering is safe by construction (raw HTML off) and sanitized again with nh3 (Ammonia),
so an article can't inject script, styles or event handlers into a page.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin

from kb import sources

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
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6",
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
# Callouts as other tools write them: GitHub and Microsoft Learn's "> [!NOTE]", MkDocs'
# "!!! note" (and "??? note"), Docusaurus' ":::note". They render as one kind of box.
ADMONITION_KINDS = ("note", "tip", "info", "important", "warning", "caution", "danger", "attention", "hint",
                    "error", "example", "quote", "success", "question", "failure", "bug", "abstract", "seealso")
_ALLOWED_CLASSES = {
    "div": {"admonition", "markdown-alert", "is-collapsible", "collapsible-closed", "collapsible-open",
            *ADMONITION_KINDS, *(f"markdown-alert-{kind}" for kind in ADMONITION_KINDS)},
    "p": {"admonition-title", "markdown-alert-title", "kb-include-missing"},
}
MAX_INCLUDE_DEPTH = 3


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
    return build_parser()


def build_parser(quick_text: bool = True) -> MarkdownIt:
    """kb's markdown-it parser. ``quick_text`` gives the very same tokens faster: plain text
    is read in runs up to :data:`_INLINE_MARKUP` instead of stopping at every character some
    inline rule of another configuration reacts to (``-``, ``:``, ``=``...), and inline
    content with none of it at all is not handed to the inline parser (:func:`_inline_rule`)."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False, "alerts": True})
    md.enable(["table", "strikethrough"])
    if quick_text:
        md.inline.terminator_re = _INLINE_MARKUP  # a plugin's add_terminator_char() widens it again
        md.core.ruler.at("inline", _inline_rule)
    md.use(anchors_plugin, min_level=1, max_level=6, slug_func=slugify, permalink=False)
    md.use(admon_plugin)
    md.use(container_plugin, "admonition", validate=_is_admonition, render=_render_container)
    md.block.ruler.before("paragraph", "kb_include", _include_rule)
    md.block.ruler.before("paragraph", "kb_ms_image", _ms_image_rule)
    md.add_render_rule("kb_include", lambda self, tokens, idx, options, env: _missing_include(tokens[idx]))
    return md


# Where an inline rule of this parser can start anything but text: a line break, an escape,
# code, strike through, emphasis, a link or image (and a link label's end), an autolink, an
# entity. Raw HTML and linkify are off, so "<" only starts an autolink and ":" nothing.
_INLINE_MARKUP = re.compile(r"[\n\\`~*_\[\]!<&]")


def _inline_rule(state) -> None:
    """markdown-it's core "inline" rule, except that a paragraph, heading or cell with none of
    :data:`_INLINE_MARKUP` becomes the one text token the inline parser would make of it
    (most of an article's inline runs are such plain text)."""
    md = state.md
    for token in state.tokens:
        if token.type != "inline":
            continue
        if token.children is None:
            token.children = []
        content = token.content
        if content and _INLINE_MARKUP.search(content) is None:
            text = Token("text", "", 0)
            text.content = content
            token.children.append(text)
        else:
            md.inline.parse(content, md, state.env, token.children)


def _is_admonition(params: str, *args) -> bool:
    return params.strip().split(" ", 1)[0].lower() in ADMONITION_KINDS


def _render_container(self, tokens: list[Token], idx: int, options, env) -> str:
    """Docusaurus' ``:::note Title`` containers, as the same boxes MkDocs admonitions give."""
    token = tokens[idx]
    if token.nesting != 1:
        return "</div>\n"
    kind, _, title = token.info.strip().partition(" ")
    kind = kind.lower()
    title = title.strip() or kind.capitalize()
    return (f'<div class="admonition {kind}">\n'
            f'<p class="admonition-title">{html_lib.escape(title)}</p>\n')


# "[!INCLUDE [title](path)]" (Microsoft Learn) and '--8<-- "path"' (MkDocs' snippets), alone on a line.
_INCLUDE = re.compile(r"""^(?:\[!INCLUDE\s*\[(?P<title>[^\]]*)\]\(\s*(?P<ms>[^)\s]+)\s*\)\s*\]"""
                      r"""|-{2}8<-{2}\s+(?P<q>["'])(?P<snippet>[^"']+)(?P=q))\s*$""", re.IGNORECASE)
# Microsoft Learn's ':::image type="content" source="media/x.png" alt-text="...":::'.
_MS_IMAGE = re.compile(r"^:::image\s+(?P<attrs>.*?):::\s*$", re.IGNORECASE)
_MS_ATTR = re.compile(r'([A-Za-z][\w-]*)\s*=\s*"([^"]*)"')


def _line(state: StateBlock, line: int) -> str | None:
    """A source line without its indentation, or None inside an indented code block."""
    if state.sCount[line] - state.blkIndent >= 4:
        return None
    return state.src[state.bMarks[line] + state.tShift[line]:state.eMarks[line]]


def _include_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    text = _line(state, start)
    match = _INCLUDE.match(text) if text else None
    if match is None:
        return False
    if not silent:
        token = state.push("kb_include", "", 0)
        token.meta = {"target": match.group("ms") or match.group("snippet"), "title": match.group("title") or ""}
        token.map = [start, start + 1]
        token.block = True
    state.line = start + 1
    return True


def _ms_image_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    text = _line(state, start)
    match = _MS_IMAGE.match(text) if text else None
    if match is None:
        return False
    attrs = {k.lower(): v for k, v in _MS_ATTR.findall(match.group("attrs"))}
    if not attrs.get("source"):
        return False
    last = start
    if attrs.get("type", "").lower() == "complex":  # a long description follows, up to :::image-end:::
        while last + 1 < end and (_line(state, last) or "").strip().lower() != ":::image-end:::":
            last += 1
    if not silent:
        alt = attrs.get("alt-text", "")
        image = Token("image", "img", 0, attrs={"src": attrs["source"], "alt": ""}, content=alt,
                      children=[Token("text", "", 0, content=alt)])
        state.push("paragraph_open", "p", 1).map = [start, last + 1]
        inline = state.push("inline", "", 0)  # no content: the inline parser would add it as text
        inline.map, inline.children = [start, last + 1], [image]
        state.push("paragraph_close", "p", -1)
    state.line = last + 1
    return True


def _missing_include(token: Token) -> str:
    """What an include directive renders as when its file can't be shown here."""
    what = token.meta.get("title") or token.meta.get("target", "")
    return (f'<p class="kb-include-missing">Shared content not shown here: '
            f'<code>{html_lib.escape(what)}</code></p>\n')


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


@dataclass(frozen=True)
class Block:
    """One top-level block of a section: where it is in the body and what it says.

    ``kind`` is ``paragraph``, ``steps`` (a numbered list), ``list``, ``code``, ``table``,
    ``note`` (a callout or block quote) or ``other``; ``lines`` are 0-based body lines,
    half-open, so ``body.splitlines()[a:b]`` is the block's Markdown. A list's ``items``
    are its entries, each a Block of its own (kind ``item``) with its number in ``number``.
    """

    kind: str
    text: str
    lines: tuple[int, int]
    items: tuple[Block, ...] = ()
    number: int | None = None


@dataclass(frozen=True)
class Section:
    """A heading and the blocks under it, up to the next heading of any level.

    The text before the first heading is a section with level 0, no heading and no anchor.
    ``parents`` are the headings of the sections it sits in, outermost first (a
    ``### Method 1`` under ``## Resolution`` has ``("Resolution",)``).
    """

    heading: str
    anchor: str | None
    level: int
    parents: tuple[str, ...]
    blocks: tuple[Block, ...]

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.blocks if b.text)


_BLOCK_KINDS = {"paragraph_open": "paragraph", "ordered_list_open": "steps", "bullet_list_open": "list",
                "fence": "code", "code_block": "code", "table_open": "table", "blockquote_open": "note",
                "alert_open": "note", "admonition_open": "note", "container_admonition_open": "note"}


def sections(body: str) -> list[Section]:
    """The body as a flat list of sections in reading order, each with its blocks.

    Anchors are the ones the rendered page gives its headings, so a link to
    ``#<anchor>`` lands on the section. Blocks keep their body lines, so a caller can quote
    the author's own Markdown instead of re-creating it.
    """
    tokens = _parser().parse(body)
    out: list[Section] = []
    stack: list[tuple[int, str]] = []  # (level, heading) of the enclosing sections
    heading, anchor, level, blocks = "", None, 0, []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == "heading_open" and token.level == 0:
            if heading or blocks:
                out.append(Section(heading, anchor, level, tuple(h for _, h in stack), tuple(blocks)))
            if heading:
                stack.append((level, heading))
            level = int(token.tag[1])
            while stack and stack[-1][0] >= level:
                stack.pop()
            heading = " ".join(_inline_text(tokens[i + 1]).split())
            anchor = str(token.attrGet("id") or slugify(heading))
            blocks = []
            i += 3
            continue
        end = _block_end(tokens, i)
        if token.level == 0 and token.map:
            blocks.append(_block(tokens, i, end))
        i = end + 1
    if heading or blocks:
        out.append(Section(heading, anchor, level, tuple(h for _, h in stack), tuple(blocks)))
    return out


def _block_end(tokens: list[Token], start: int) -> int:
    """Index of the token that closes the block opened at ``start`` (itself for a leaf)."""
    if tokens[start].nesting != 1:
        return start
    depth = 0
    for j in range(start, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _plain(tokens: list[Token]) -> str:
    parts = []
    for token in tokens:
        if token.type == "inline":
            parts.append(_inline_text(token))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content.rstrip("\n"))
    return "\n".join(p for p in parts if p.strip())


def _block(tokens: list[Token], start: int, end: int) -> Block:
    token = tokens[start]
    kind = _BLOCK_KINDS.get(token.type, "other")
    lines = (token.map[0], token.map[1])
    inner = tokens[start:end + 1]
    items: list[Block] = []
    if kind in ("steps", "list"):
        j, number = start + 1, None
        while j < end:
            if tokens[j].type == "list_item_open" and tokens[j].level == 1:
                close = _block_end(tokens, j)
                info = tokens[j].info
                number = int(info) if info.isdigit() else (number + 1 if number is not None else None)
                items.append(Block("item", _plain(tokens[j:close + 1]), tuple(tokens[j].map or lines),
                                   number=number if kind == "steps" else None))
                j = close + 1
            else:
                j += 1
    return Block(kind, _plain(inner), lines, tuple(items))


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


@dataclass(frozen=True)
class References:
    """Where a body's relative references lead, for one reader (paths as :mod:`kb.sources` resolves them).

    :param path: the article's path, relative to the articles folder.
    :param article: (path of a linked .md file, anchor) -> the URL of its article page, or
        None when it is no article this reader may see.
    :param image: path of an image -> the URL it is served at, or None.
    :param snippet: path of an included file -> its Markdown, or None.
    """

    path: str
    article: Callable[[str, str | None], str | None]
    image: Callable[[str], str | None]
    snippet: Callable[[str], str | None]


def render(body: str, resolve: LinkResolver | None = None, *, references: References | None = None) -> str:
    """Render a body to sanitized HTML.

    ``kb:ID`` links become the URL ``resolve`` gives; when it gives None (a missing
    article, or one this reader may not see), the link text stays and the link goes.
    With ``references``, relative links to other .md files become links to their
    articles, relative images are served from the articles folder, and include
    directives are replaced by the file they name (or a clear placeholder); anything
    relative that can't be resolved keeps its text and loses its link.
    """
    md = _parser()
    tokens = md.parse(body)
    if references is not None:
        tokens = _expand_includes(md, tokens, references.path, references, 0, {references.path})
    _rewrite(tokens, references.path if references else None, resolve, references)
    html = md.renderer.render(tokens, md.options, {})
    return sanitize(html)


def _expand_includes(md: MarkdownIt, tokens: list[Token], base: str, refs: References, depth: int,
                     seen: set[str]) -> list[Token]:
    """Replace include tokens by the tokens of the files they name (relative references in
    an included file are resolved from that file's folder)."""
    out: list[Token] = []
    for token in tokens:
        if token.type != "kb_include":
            out.append(token)
            continue
        # Relative to the including file (Microsoft Learn), else to the articles folder
        # (MkDocs' snippets are relative to a base folder, usually the docs folder).
        text = target = None
        for start in (base, ""):
            target = sources.resolve(start, token.meta["target"])
            if target is not None and target[0] not in seen and depth < MAX_INCLUDE_DEPTH:
                text = refs.snippet(target[0])
            if text is not None:
                break
        if text is None:
            out.append(token)  # rendered as a placeholder
            continue
        included = md.parse(text)
        included = _expand_includes(md, included, target[0], refs, depth + 1, seen | {target[0]})
        _rewrite(included, target[0], None, refs)
        for inner in included:
            inner.meta = {**(inner.meta or {}), "kb_rewritten": True}
        out.extend(included)
    return out


def _rewrite(tokens: list[Token], base: str | None, resolve: LinkResolver | None,
             refs: References | None) -> None:
    for token in tokens:
        if token.type != "inline" or not token.children or (token.meta or {}).get("kb_rewritten"):
            continue
        _resolve_links(token.children, resolve, base, refs)


def _resolve_links(children: list[Token], resolve: LinkResolver | None, base: str | None = None,
                   refs: References | None = None) -> None:
    stack: list[Token] = []
    for i, child in enumerate(children):
        if child.type == "link_open":
            href = str(child.attrGet("href") or "")
            target = split_kb_link(href)
            url: str | None = href
            if target is not None:
                url = resolve(*target) if resolve else None
            elif refs is not None and base is not None and sources.is_relative(href):
                url = _relative_link(href, base, refs)
            if url:
                child.attrSet("href", url)
            else:
                child.type, child.tag, child.attrs = "span_open", "span", {"class": "kb-link-unavailable"}
            stack.append(child)
        elif child.type == "link_close" and stack:
            opener = stack.pop()
            if opener.type == "span_open":
                child.type, child.tag = "span_close", "span"
        elif child.type == "image" and refs is not None and base is not None:
            src = str(child.attrGet("src") or "")
            if sources.is_relative(src):
                found = sources.resolve(base, src)
                url = refs.image(found[0]) if found else None
                if url:
                    child.attrSet("src", url)
                else:  # an image that isn't there: its description, not a broken picture
                    alt = "".join(c.content for c in child.children or ()) or child.content
                    children[i] = Token("text", "", 0, content=f"[{alt}]" if alt else "")


def _relative_link(href: str, base: str, refs: References) -> str | None:
    """The URL a relative link leads to: another article's page, or an image; None otherwise."""
    found = sources.resolve(base, href)
    if found is None:
        return None
    path, anchor = found
    if path.lower().endswith((".md", ".markdown")):
        return refs.article(path, slugify(anchor) if anchor and not anchor.startswith(ANCHOR_PREFIX) else anchor)
    return refs.image(path)


def sanitize(html: str) -> str:
    """Second line of defence: strip anything but plain document markup."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        allowed_classes=_ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
