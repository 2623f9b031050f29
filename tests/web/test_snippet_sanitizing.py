"""Snippets are sanitized before they reach a page or the API: whatever a snippet holds, the
result is exactly what the HTML sanitizer gives, only ``<mark>`` surviving. Snippets in the
indexer's own form take a shortcut; these tests hold the shortcut to the sanitizer's output."""

from __future__ import annotations

import re

import nh3
from hypothesis import example, given, settings
from hypothesis import strategies as st

from indexer.snippets import make_snippet
from web.render import clean_snippet

_PIECES = st.sampled_from([
    "<mark>", "</mark>", "<mark ", "</mark", "<b>", "<script>", "&amp;", "&lt;", "&gt;", "&quot;", "&#x27;",
    "&#39;", "&copy", "&nbsp;", "&AMP;", "&", "<", ">", "'", '"', " ", "a", "é", "\x00", "\u00a0", "\u200b",
    "\ufeff", "\u2028"])


def _sanitized(snippet: str) -> str:
    return nh3.clean(snippet, tags={"mark"}, attributes={})


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=12).map("".join))
@example("&copy")
@example("a\x00b")
@example("<mark>a<mark>b</mark></mark>")
@example("</mark>x<mark>")
def test_any_snippet_comes_out_as_the_sanitizer_gives_it(snippet: str) -> None:
    assert str(clean_snippet(snippet)) == _sanitized(snippet)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300), st.sets(st.text(min_size=1, max_size=6), max_size=4))
def test_the_indexers_snippets_come_out_as_the_sanitizer_gives_them(text: str, terms: set[str]) -> None:
    snippet = make_snippet(text, terms)
    assert str(clean_snippet(snippet)) == _sanitized(snippet)


def test_markup_other_than_mark_never_survives() -> None:
    attacks = ('<img src=x onerror=alert(1)>', '<mark onclick="x()">a</mark>', "<script>alert(1)</script>",
               "<mark><a href='javascript:x'>a</a></mark>", "a &lt;b&gt; <mark>c</mark><svg/onload=x>")
    for attack in attacks:
        assert set(re.findall(r"<[^>]*>", str(clean_snippet(attack)))) <= {"<mark>", "</mark>"}, attack
