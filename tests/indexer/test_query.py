"""Query syntax and graceful degradation: no input makes search raise."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import MAX_QUERY_CHARS, SearchPage
from indexer.query import Clause, clean_text, parse_query
from indexer.search import FAILED_NOTICE


def test_words_phrases_exclusions_and_filters() -> None:
    parsed = parse_query('odbc "login timeout" -oracle -"named instance" type:tsg product:"sql server"')
    assert parsed.clauses == [
        Clause("odbc"), Clause("login timeout", phrase=True), Clause("oracle", negated=True),
        Clause("named instance", phrase=True, negated=True),
    ]
    assert parsed.filters == {"type": ["tsg"], "product": ["sql server"]}
    assert parsed.display() == 'odbc "login timeout" -oracle -"named instance" type:tsg product:"sql server"'


@pytest.mark.parametrize(("text", "words"), [
    ('"unbalanced quote', ["unbalanced", "quote"]),
    ("type: * - OR AND +", []),
    ("C:\\temp\\x.log https://x.example/a Error:0x80070005", ["C:\\temp\\x.log", "https://x.example/a",
                                                              "Error:0x80070005"]),
    ("status:Deferred", ["Deferred"]),  # not a status kb knows: a pasted word
    ("-2147024891 ORA-12154", ["-2147024891", "ORA-12154"]),
    ("NOT oracle", []),
])
def test_hostile_syntax_degrades_to_words(text: str, words: list[str]) -> None:
    assert [c.text for c in parse_query(text).positive] == words


def test_control_characters_and_smart_quotes() -> None:
    parsed = parse_query("login\x00timeout\x1b[31m \u201cblue screen\u201d")
    assert [c.text for c in parsed.clauses] == ["login", "timeout", "[31m", "blue screen"]
    assert parsed.clauses[-1].phrase


def test_overlong_query_is_cut_with_a_notice() -> None:
    parsed = parse_query("word " * 1000)
    assert parsed.notice and str(MAX_QUERY_CHARS) in parsed.notice
    assert len(parsed.raw) <= MAX_QUERY_CHARS


HOSTILE = [
    "", " ", '"', '""', '"""', "-", "--", "*", "?", "title:", "type:", ":", "::::", "(", ")", "[", "]", "{}",
    "AND", "OR", "NOT", "a AND", "OR b", "\\", "\\\\", "/", "^2", "~", "x~2", "'", "`", "\x00", "\x7f",
    "😀🔥", "🤖 login 🤖", "\u202e", "\ufeff", "\u200b", "ℌ𝔢𝔩𝔩𝔬", "日本語のエラー", "ошибка входа",
    "a" * 10_000, "0x" * 500, "-" * 2000, '"' * 999, "ORA-" * 400, "type:tsg " * 300,
    "<script>alert(1)</script>", "%00%0a", "${jndi:ldap://x}", "'; DROP TABLE articles; --",
    "System.IO.IOException: Access to the path 'C:\\temp\\x.log' is denied.",
    "product:\"unclosed", "-\"unclosed", "status:published status:draft", "tag:", "id:KB0001",
    "code:0x80070005", "http://", "a:b:c:d", "..", "._.", "_", "__init__", "0", "00000000000000000000",
]


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t)[:30] for t in HOSTILE])
@pytest.mark.parametrize("audience", ["public", "internal"])
def test_hostile_queries_return_a_page(sample, text: str, audience: str) -> None:
    page = sample.search(text, audience=audience)
    assert isinstance(page, SearchPage)
    assert page.notice != FAILED_NOTICE
    assert page.total >= len(page.hits)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300), limit=st.integers(-5, 500), offset=st.integers(-5, 20_000))
def test_any_text_never_raises(sample, text: str, limit: int, offset: int) -> None:
    page = sample.search(text, audience="internal", limit=limit, offset=offset)
    assert isinstance(page, SearchPage)
    assert page.notice != FAILED_NOTICE, text
    assert 0 <= page.limit <= 100 and 0 <= page.offset <= 10_000
    assert len(page.hits) <= page.limit


_TOKENS = st.sampled_from(['"', "-", "*", "type:", "product:", "tag:", "OR", "NOT", "(", ")", "odbc", "login",
                           "0x80070005", "ORA-12154", "blue", "screen", "timeout", "\\", ":", "😀", "\x00",
                           "C:\\temp", "HTTP", "503", "-odbc", '"login', 'timeout"', "status:draft"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tokens=st.lists(_TOKENS, max_size=12), audience=st.sampled_from(["public", "internal"]))
def test_syntax_soup_never_raises(sample, tokens: list[str], audience: str) -> None:
    page = sample.search(" ".join(tokens), audience=audience, explain=True)
    assert isinstance(page, SearchPage) and page.notice != FAILED_NOTICE


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(max_size=200), description=st.text(max_size=2000))
def test_suggest_and_autocomplete_never_raise(sample, title: str, description: str) -> None:
    page = sample.suggest(title, description, audience="internal")
    assert isinstance(page, SearchPage) and page.notice != FAILED_NOTICE
    assert isinstance(sample.autocomplete(title), list)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_plain_ascii_text_is_cleaned_as_any_other_text(text: str) -> None:
    # ASCII takes a shortcut (control characters to spaces in one pass); the rule is the
    # general one: NFKC, then every control character a space.
    general = "".join(" " if unicodedata.category(ch)[0] == "C" else ch
                      for ch in unicodedata.normalize("NFKC", text))
    assert clean_text(text, 1000)[0] == general
