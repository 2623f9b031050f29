"""Snippets: stored text collapsed at indexing (older text alike), and what a snippet marks."""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.plan import build_plan
from indexer.query import parse_query
from indexer.results import SnippetTerms
from indexer.schema import document_fields
from indexer.snippets import collapsed, make_snippet, plain_excerpt
from indexer.synonyms import Synonyms
from kb.articles import parse_article

SPACES = " \t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u2028\u3000"


def test_every_whitespace_character_but_the_space_is_unprintable() -> None:
    # What lets collapsed() check text instead of collapsing it.
    odd = [hex(c) for c in range(sys.maxunicode + 1)
           if chr(c).isspace() and c != 0x20 and chr(c).isprintable()]
    assert odd == []


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(f"ab.\u200b{SPACES}"), max_size=30) | st.text(max_size=30))
def test_collapsed_text_is_the_text_split_and_joined(text: str) -> None:
    assert collapsed(text) == " ".join(text.split())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["login", "timeout", "ORA-12154", "the", "Login.Timeout", "x", "\n\n", "\t",
                                 "  ", "\u00a0", "<b>"]), max_size=60))
def test_stored_text_collapsed_or_not_gives_the_same_snippet(pieces: list[str]) -> None:
    text = " ".join(pieces)
    terms, strong = {"login", "timeout", "ora-12154", "ora"}, {"login", "timeout", "ora-12154"}
    assert make_snippet(text, terms, strong=strong) == make_snippet(collapsed(text), terms, strong=strong)
    assert plain_excerpt(text) == plain_excerpt(collapsed(text))


def test_the_index_stores_an_articles_text_collapsed(tmp_path) -> None:
    path = tmp_path / "KB-1.md"
    source = ("---\nid: KB-1\ntitle: Login fails\ntype: tsg\n---\n\n"
              "## Symptoms\n\nThe  login\tfails.\n\n## Resolution\n\n1. Restart\n2. Retry\n")
    path.write_text(source, encoding="utf-8")
    article = parse_article(path, tmp_path).article
    text = document_fields(article)["text"]
    assert text == " ".join(article.outline.text.split())
    assert "\n" in article.outline.text and "\n" not in text



def _snippet_terms(query: str, kind: str = "code") -> SnippetTerms:
    plan = build_plan(parse_query(query), Synonyms(), lambda code: False, lambda key: False)
    plan.kind = kind
    return SnippetTerms.of(plan)


def test_a_text_with_the_identifier_whole_is_marked_on_it_alone() -> None:
    terms = _snippet_terms("AdventureWorks.Orders.Api.CursorUndeliveredException")
    text = ("Check that the session works. The log shows AdventureWorks.Orders.Api.CursorUndeliveredException: "
            "the token has expired. Orders placed through the API wait.")
    snippet = make_snippet(text, terms.terms, strong=terms.strong, names=terms.names)
    assert snippet.count("<mark>") == 1
    assert "<mark>AdventureWorks.Orders.Api.CursorUndeliveredException</mark>" in snippet


def test_a_text_with_only_the_identifiers_parts_is_marked_on_them() -> None:
    terms = _snippet_terms("AdventureWorks.Orders.Api.CursorUndeliveredException")
    text = "Orders placed through the API wait when a cursor is undelivered."
    snippet = make_snippet(text, terms.terms, strong=terms.strong, names=terms.names)
    assert "<mark>Orders</mark>" in snippet and "<mark>API</mark>" in snippet


def test_only_a_query_that_names_an_identifier_marks_it_alone() -> None:
    assert _snippet_terms("ERROR_ACCESS_DENIED").names == {"error_access_denied"}
    assert _snippet_terms("0x80070005").names == frozenset()  # a single part: nothing to tell apart
    assert _snippet_terms("ERROR_ACCESS_DENIED when saving", kind="words").names == frozenset()
