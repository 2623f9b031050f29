"""Rendering is faithful for documents and inert for anything an attacker writes."""

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.markdown import build_parser, outline, render, section_key, slugify
from tests.conftest import ARTICLES


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


# -- real-world Markdown from other tools ----------------------------------------------------------

from kb.markdown import References  # noqa: E402


def refs(files: dict[str, str], path: str = "guides/page.md") -> References:
    """References over an in-memory tree: every .md in ``files`` is an article, every .png an image."""
    return References(path, lambda p, a: f"/a/{p}" + (f"#{a}" if a else "") if p in files else None,
                      lambda p: f"/img/{p}" if p in files and p.endswith(".png") else None,
                      lambda p: files.get(p))


@pytest.mark.parametrize("source,kind,title", [
    ("> [!NOTE]\n> Restart first.\n", "note", "Note"),
    ("> [!WARNING]\n> Restart first.\n", "warning", "Warning"),
    ('!!! tip "Before you start"\n    Restart first.\n', "tip", "Before you start"),
    ("!!! danger\n    Restart first.\n", "danger", "Danger"),
    (":::caution Mind the data\nRestart first.\n:::\n", "caution", "Mind the data"),
    (":::info\nRestart first.\n:::\n", "info", "Info"),
])
def test_callouts_from_github_mkdocs_and_docusaurus_render_as_boxes(source, kind, title):
    html = render(source)
    box = BeautifulSoup(html, "html.parser").find("div")
    assert box is not None and kind in " ".join(box["class"]), html
    assert box.find("p").get_text() == title and "Restart first." in box.get_text()


def test_a_callout_title_cannot_inject_markup():
    html = render(':::note <img src=x onerror=alert(1)>\nbody\n:::\n\n!!! note "<script>x</script>"\n    b\n')
    page = BeautifulSoup(html, "html.parser")
    assert page.find("img") is None and page.find("script") is None
    assert [p.get_text() for p in page.select("p.admonition-title")] == [
        "<img src=x onerror=alert(1)>", "<script>x</script>"]


def test_microsoft_learn_images_become_images():
    html = render(':::image type="content" source="media/dialog.png" alt-text="The sign-in dialog.":::\n',
                  references=refs({"guides/media/dialog.png": ""}))
    img = BeautifulSoup(html, "html.parser").find("img")
    assert (img["src"], img["alt"]) == ("/img/guides/media/dialog.png", "The sign-in dialog.")


def test_includes_are_resolved_in_place_or_shown_as_a_placeholder():
    files = {"includes/disclaimer.md": "Third-party products are **independent**.\n",
             "includes/loop.md": '--8<-- "includes/loop.md"\n'}
    body = ("[!INCLUDE [Disclaimer](../includes/disclaimer.md)]\n\n--8<-- \"includes/disclaimer.md\"\n\n"
            "[!INCLUDE [Missing](../includes/nope.md)]\n\n[!INCLUDE [Escape](../../../etc/passwd)]\n\n"
            '--8<-- "includes/loop.md"\n')
    page = BeautifulSoup(render(body, references=refs(files)), "html.parser")
    assert page.get_text().count("Third-party products are independent.") == 2
    missing = [p.get_text() for p in page.select("p.kb-include-missing")]
    assert missing[:2] == ["Shared content not shown here: Missing", "Shared content not shown here: Escape"]
    assert len(missing) == 3, "a snippet that includes itself stops"


def test_snippets_are_read_only_from_inside_the_folder_without_their_front_matter(tmp_path):
    from kb.sources import image_file, read_snippet

    root = tmp_path / "articles"
    (root / "includes").mkdir(parents=True)
    (root / "includes" / "x.md").write_text("---\nauthor: x\n---\nShared text.\n")
    (tmp_path / "secret.md").write_text("outside")
    (root / "includes" / "link.md").symlink_to(tmp_path / "secret.md")
    (root / ".git").mkdir()
    (root / ".git" / "a.png").write_bytes(b"png")
    assert read_snippet(root, "includes/x.md") == "Shared text.\n"
    assert read_snippet(root, "../secret.md") is None
    assert read_snippet(root, "includes/link.md") is None, "a symlink out of the folder is refused"
    assert image_file(root, ".git/a.png") is None


def test_relative_links_and_images_resolve_or_lose_their_link():
    files = {"guides/other.md": "", "setup/install.md": "", "guides/shot.png": ""}
    body = ("[same folder](other.md) [up](../setup/install.md#before-you-begin) [gone](missing.md) "
            "[outside](../../secret.md) [file](tool.ps1) [web](https://example.com/x) [anchor](#top)\n\n"
            "![shot](shot.png) ![absent](absent.png)\n")
    page = BeautifulSoup(render(body, references=refs(files)), "html.parser")
    links = {a.get_text(): a["href"] for a in page.find_all("a")}
    assert links == {"same folder": "/a/guides/other.md", "up": "/a/setup/install.md#sec-before-you-begin",
                     "web": "https://example.com/x", "anchor": "#top"}
    assert {s.get_text() for s in page.select("span.kb-link-unavailable")} == {"gone", "outside", "file"}
    assert [i["src"] for i in page.find_all("img")] == ["/img/guides/shot.png"]
    assert "[absent]" in page.get_text()


# -- reading plain text quickly gives the very tokens markdown-it's own rules give ----------

_TRICKY = [
    "Plain words - with: dashes = and % signs + a #hash @at ^caret {braces} $dollar",
    "A [link](https://example.com/a_b) and ![an image](x.png \"t\") and [kb](kb:KB0042#sec-cause)",
    "Escapes \\*not emphasis\\* and \\[not a link\\] and a trailing backslash\\\nnext line",
    "Hard break with two spaces  \nand a soft one\nhere; entities &amp; &copy; &#65; &bogus;",
    "Autolinks <https://example.com> <user@example.com> <not a link> a < b > c",
    "*em* **strong** _under_ snake_case_name __dunder__ ~~gone~~ ~single~ 2*3*4",
    "Code `a - b: c` and ``double `tick` code`` and an `unclosed tick",
    "Brackets ] alone [ alone ]] [[ and ![ alone and ! alone! and [label]: not a ref",
    "| a | b: c |\n|---|---|\n| `x|y` | [l](u) - *e* |\n| plain - text | 3 |\n",
    "# Heading - with: punctuation\n\n## Another *one*\n\ntext\n===\n",
    "- item one - two\n- [ ] task\n  - nested: `code`\n1. first\n2) second\n",
    "> [!NOTE]\n> A callout - with: text\n\n!!! warning \"Title - here\"\n    body: text\n",
    "[ref]\n\n[ref]: https://example.com \"Title\"\n",
    "http://example.com/path_with_underscores and www.example.com - no linkify",
]

_PIECES = [*"ab -:=#\n*_`~[]()!<>&;\\|.1", "  \n", "\n\n", "](u)", "&amp;", "<a@b.c>", "    ", "|---|"]
_MARKDOWNISH = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)


QUICK, STOCK = build_parser(quick_text=True), build_parser(quick_text=False)


def _tokens(md, source: str) -> list[dict]:
    return [token.as_dict() for token in md.parse(source)]


@pytest.mark.parametrize("source", _TRICKY)
def test_quick_text_reading_gives_markdown_its_own_tokens(source):
    assert _tokens(QUICK, source) == _tokens(STOCK, source)
    assert QUICK.render(source) == STOCK.render(source)


@settings(max_examples=400, deadline=None)
@given(_MARKDOWNISH)
def test_quick_text_reading_gives_the_same_tokens_for_any_text(source):
    assert _tokens(QUICK, source) == _tokens(STOCK, source)


def test_the_sample_articles_parse_the_same_with_quick_text_reading():
    bodies = [path.read_text(encoding="utf-8") for path in sorted(ARTICLES.rglob("*.md"))]
    assert len(bodies) > 20
    assert all(_tokens(QUICK, body) == _tokens(STOCK, body) for body in bodies)
