"""Rendering is faithful for documents and inert for anything an attacker writes."""

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.markdown import outline, render, section_key, slugify


def resolver(article_id, anchor):
    if article_id == "KB0042":
        return "/articles/KB0042" + (f"#{anchor}" if anchor else "")
    return None


def soup(html):
    return BeautifulSoup(html, "html.parser")


def test_tables_fenced_code_and_strikethrough_render():
    html = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n```sql\nSELECT 1;\n```\n\n~~old~~\n")
    doc = soup(html)
    assert doc.find("table").find("td").text == "1"
    assert doc.find("code", class_="language-sql").text.strip() == "SELECT 1;"
    assert doc.find("s") is not None


def test_headings_get_prefixed_anchors():
    doc = soup(render("## Symptoms\n\n## Root cause\n\n## location\n"))
    ids = [h["id"] for h in doc.find_all("h2")]
    # A heading called "location" must not become id="location", which would shadow window.location.
    assert ids == ["sec-symptoms", "sec-root-cause", "sec-location"]


def test_kb_links_resolve_to_urls_and_unknown_ones_lose_their_link():
    doc = soup(render("[see](kb:KB0042#sec-cause) and [gone](kb:KB9999)", resolver))
    link = doc.find("a")
    assert link["href"] == "/articles/KB0042#sec-cause"
    assert "noopener" in link["rel"]
    assert doc.find("span", class_="kb-link-unavailable").text == "gone"
    assert "kb:" not in str(doc)


ATTACKS = [
    "<script>alert(1)</script>",
    "<style>body{display:none}</style>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\nscript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](javascript:alert(1))",
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<svg onload=alert(1)>",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
    "<details open ontoggle=alert(1)>",
    "<!-- <script>alert(1)</script> -->",
    "```html\n<script>alert(1)</script>\n```",
    "[x](vbscript:msgbox(1))",
    '<form action="https://evil.example"><input name=x></form>',
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_injection_renders_inert(attack):
    doc = soup(render(f"Intro\n\n{attack}\n\nOutro"))
    assert not doc.find_all(["script", "style", "iframe", "svg", "form", "input", "details", "object"])
    for tag in doc.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), tag
            assert name != "style", tag
            text = " ".join(value) if isinstance(value, list) else str(value)
            assert not text.replace("\n", "").lower().strip().startswith(("javascript:", "vbscript:", "data:")), tag


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_renders_without_active_content(text):
    doc = soup(render(text))
    assert not doc.find_all(["script", "style", "iframe", "object", "embed"])
    assert all(not k.lower().startswith("on") for t in doc.find_all(True) for k in t.attrs)


def test_outline_splits_sections_and_collects_links():
    body = (
        "Intro paragraph.\n\n## Symptoms\n\nThe app shows `0x80070005`.\n\n```text\nAccess is denied.\n```\n\n"
        "## Cause:\n\nSee [this](kb:KB0042#sec-x).\n\n### Detail\n\nNested text.\n\n## Resolution\n\n1. Fix it.\n"
    )
    o = outline(body)
    assert set(o.sections) == {"", "symptoms", "cause", "resolution"}
    assert "0x80070005" in o.sections["symptoms"] and "Access is denied." in o.sections["symptoms"]
    assert "Nested text." in o.sections["cause"]  # level-3 headings stay inside their section
    assert o.links == [("KB0042", "sec-x", 13)]
    assert o.has_ordered_list
    assert [h.anchor for h in o.headings] == ["sec-symptoms", "sec-cause", "sec-detail", "sec-resolution"]
    assert "Intro paragraph." in o.text and "Fix it." in o.text


@pytest.mark.parametrize("heading,key", [
    ("Symptoms", "symptoms"), ("SYMPTOMS", "symptoms"), ("Root cause:", "cause"), ("Causes", "cause"),
    ("Resolution", "resolution"), ("More  Information", "more information"), ("Workaround", "workaround"),
])
def test_section_headings_are_case_insensitive(heading, key):
    assert section_key(heading) == key


def test_slugify_handles_unicode_and_symbols():
    assert slugify("Schritt 1: Überprüfen") == "sec-schritt-1-überprüfen"
    assert slugify("!!!") == "sec-section"
