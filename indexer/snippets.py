"""Highlighted snippets: the passage of an article that best matches the query.

Snippets are built from the stored plain text with the same analysis as the index, so a
match on ``0x80070005`` or on the stem of "connections" is marked where it occurs. The
output is HTML that is safe to insert as-is: every character of the article is escaped,
and the only markup is ``<mark>`` around matched words.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection
from functools import lru_cache

from indexer.analyzers import token_forms
from indexer.term_finder import TermFinder

SNIPPET_CHARS = 220
MAX_SCAN_CHARS = 8000  # look for matches in this much text at most; keeps snippets cheap


def _matches(text: str, terms: set[str], strong: Collection[str]) -> list[tuple[int, int, int]]:
    """(start, end, weight) of raw tokens whose analysed forms include a query term.

    A token matching a query word as a whole (``ORA-12154``, ``timeout``) weighs more than
    one matching only by a part (the ``ora`` of ``tnsnames.ora``). Only the tokens that can
    yield a term are analysed (:class:`indexer.term_finder.TermFinder`): whole tokens, never
    the ``time`` inside ``timeout`` or the ``IO`` of ``System.IO``.
    """
    spans = []
    for start, end, raw in _finder(frozenset(terms)).tokens(text):
        forms, whole = token_forms(raw)
        if forms and not terms.isdisjoint(forms):
            spans.append((start, end, 3 if whole in strong else 1))
    return spans


@lru_cache(maxsize=256)
def _finder(terms: frozenset[str]) -> TermFinder:
    return TermFinder(terms)


def _best_window(spans: list[tuple[int, int, int]], width: int) -> int:
    """Start of the ``width``-character window with the heaviest matches."""
    best_start, best_score = spans[0][0], 0
    j = 0
    score = 0
    for i, (start, _, _) in enumerate(spans):
        while j < len(spans) and spans[j][1] <= start + width:
            score += spans[j][2]
            j += 1
        if score > best_score:
            best_start, best_score = start, score
        score -= spans[i][2] if i < j else 0
        j = max(j, i + 1)
    return best_start


def make_snippet(text: str, terms: Collection[str], width: int = SNIPPET_CHARS,
                 strong: Collection[str] = (), names: Collection[str] = ()) -> str:
    """An HTML snippet of ``text`` around the best cluster of ``terms``, matches in ``<mark>``.

    A text that has one of the identifiers ``names`` whole is marked on the query's words
    named whole (``strong``) alone: ``ERROR_ACCESS_DENIED`` where it stands, not every
    "error" and "access" around it. The words looked for are then few, and so is the work.

    >>> make_snippet("The <b>login</b> timed out", {"login"})
    'The &lt;b&gt;<mark>login</mark>&lt;/b&gt; timed out'
    """
    text = collapsed(text[:MAX_SCAN_CHARS])
    spans = []
    if names:
        spans = _matches(text, set(strong), set(strong))
        if not any(token_forms(text[s:e])[1] in names for s, e, _ in spans):
            spans = []
    if not spans:
        spans = _matches(text, set(terms), set(strong)) if terms else []
    if not spans:
        return _escape_cut(text, 0, width)
    start = _best_window(spans, width)
    # Start a little before the first match, at a word boundary.
    start = max(0, start - width // 5)
    if start:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space != -1 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    out = ["…" if start else ""]
    cursor = start
    for s, e, _ in spans:
        if s < start or e > end:
            continue
        out.append(html.escape(text[cursor:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        cursor = e
    out.append(html.escape(text[cursor:end]))
    out.append("…" if end < len(text) else "")
    return "".join(out)


def collapsed(text: str) -> str:
    """``text`` with each run of whitespace one space and none at either end. The index
    stores text collapsed already (:func:`indexer.schema.document_fields`): such text is
    only checked, in a fraction of the time collapsing takes. A character that is not
    printable may be whitespace: then the text is collapsed."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def _escape_cut(text: str, start: int, width: int) -> str:
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return html.escape(text[start:end]) + ("…" if end < len(text) else "")


def plain_excerpt(text: str, width: int = SNIPPET_CHARS) -> str:
    """The start of ``text`` as escaped HTML, for browse lists without a query."""
    return _escape_cut(collapsed(text[:MAX_SCAN_CHARS]), 0, width)


_TAG = re.compile(r"<[^>]*>")


def strip_marks(snippet: str) -> str:
    """Plain text of a snippet (for terminals and logs)."""
    return html.unescape(_TAG.sub("", snippet))
