"""The help center's Atom feed and sitemap, built as XML trees.

ElementTree escapes every text and attribute, so a title with ``&`` or ``<`` can't break
the document; callers pass only public hits and a function giving each hit's URL.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def rfc3339(day: str | date | None) -> str:
    """Atom wants full RFC 3339 times; articles carry only a day (YYYY-MM-DD)."""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day[:10])
        except ValueError:
            day = None
    when = datetime.combine(day, time(0, 0), tzinfo=UTC) if day else datetime(2000, 1, 1, tzinfo=UTC)
    return when.isoformat().replace("+00:00", "Z")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _serialize(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def atom_feed(hits: Iterable, *, title: str, home_url: str, self_url: str, url_for_hit: Callable) -> bytes:
    """An Atom feed with one entry per hit (id, title, product, updated)."""
    hits = list(hits)
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, f"{{{ATOM_NS}}}title", title)
    _sub(feed, f"{{{ATOM_NS}}}id", home_url)
    _sub(feed, f"{{{ATOM_NS}}}link", rel="self", href=self_url)
    _sub(feed, f"{{{ATOM_NS}}}link", rel="alternate", type="text/html", href=home_url)
    newest = max((str(h.updated) for h in hits if h.updated), default=None)
    _sub(feed, f"{{{ATOM_NS}}}updated", rfc3339(newest))
    for hit in hits:
        url = url_for_hit(hit)
        entry = _sub(feed, f"{{{ATOM_NS}}}entry")
        _sub(entry, f"{{{ATOM_NS}}}title", hit.title)
        _sub(entry, f"{{{ATOM_NS}}}id", url)
        _sub(entry, f"{{{ATOM_NS}}}link", rel="alternate", type="text/html", href=url)
        _sub(entry, f"{{{ATOM_NS}}}updated", rfc3339(hit.updated))
        _sub(_sub(entry, f"{{{ATOM_NS}}}author"), f"{{{ATOM_NS}}}name", "Support")
        if hit.product:
            _sub(entry, f"{{{ATOM_NS}}}category", term=hit.product)
        summary = f"{hit.title} ({hit.product})" if hit.product else hit.title
        _sub(entry, f"{{{ATOM_NS}}}summary", summary)
    return _serialize(feed)


def sitemap(home_url: str, hits: Iterable, url_for_hit: Callable) -> bytes:
    """A sitemap listing the help center's front page and each hit."""
    ET.register_namespace("", SITEMAP_NS)
    urlset = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    _sub(_sub(urlset, f"{{{SITEMAP_NS}}}url"), f"{{{SITEMAP_NS}}}loc", home_url)
    for hit in hits:
        url = _sub(urlset, f"{{{SITEMAP_NS}}}url")
        _sub(url, f"{{{SITEMAP_NS}}}loc", url_for_hit(hit))
        if hit.updated:
            _sub(url, f"{{{SITEMAP_NS}}}lastmod", str(hit.updated)[:10])
    return _serialize(urlset)
