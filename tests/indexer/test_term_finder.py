"""Finding a query's terms in stored text by what their tokens must contain: the same answers
as analysing every token."""

from __future__ import annotations

import glob
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analyzers import TOKEN_RE, stem_word, token_forms, token_positions
from indexer.term_finder import TermFinder, required_text, token_start

PIECES = ["System.IO.IOException", "io", "IO", "time", "timeout", "time-out", "-time", "x.time", "C:\\temp\\io.log",
          "ORA-12154", "ora12154", "ora", ".", "-", " ", "  ", "\n", "Login", "login:", "_io", "io_", "é", "café",
          "0x80070005", "80070005", "denied.", "denies", "x", "ex", "Wi-Fi", "wifi", "retry", "retries", "the",
          "scaling", "scale", "capability", "E_FAIL", "efail", "of", "a", "HTTP", "503", "access", "is"]
TERMS = ["io", "time", "ioexcept", "system.io.ioexception", "ora", "login", "80070005", "0x80070005", "ora-12154",
         "deni", "wifi", "retri", "scale", "capabl", "efail", "ora12154", "12154", "access", "timeout", "cafe"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.sets(st.sampled_from(TERMS), min_size=1, max_size=4))
def test_the_tokens_found_are_every_token_that_yields_a_term(pieces, terms) -> None:
    text = "".join(pieces)
    found = [(s, e) for s, e, raw in TermFinder(terms).tokens(text) if set(token_forms(raw)[0]) & terms]
    expected = [(m.start(), m.end()) for m in TOKEN_RE.finditer(text) if set(token_forms(m.group(0))[0]) & terms]
    assert found == expected


def test_what_a_token_must_contain_holds_for_real_vocabulary() -> None:
    files = sorted(glob.glob("articles/**/*.md", recursive=True))
    assert files
    words = {w.lower() for f in files for w in re.findall(r"[A-Za-z]+", open(f, encoding="utf-8").read())}
    assert len(words) > 500
    for word in words:
        assert word.startswith(required_text(stem_word(word))), word


def test_token_start_finds_the_beginning_of_an_identifier() -> None:
    text = "see System.IO.IOException: now"
    at = text.index("IOException")
    assert token_start(text, at) == text.index("System")
    assert TOKEN_RE.match(text, token_start(text, at)).group(0) == "System.IO.IOException"
    assert token_positions("System.IO.IOException")[0] == 4


@pytest.mark.parametrize(("text", "term"), [
    ("use Wi-Fi now", "wifi"), ("got E_FAIL back", "efail"), ("ORA-12154 again", "ora12154"),
    ("a time-out, and a sign_in", "signin"), ("abab ab-ab", "abab"), ("x-y z-x-y", "xy"),
])
def test_a_joined_spelling_is_found_whatever_else_the_text_holds(text, term) -> None:
    expected = [(m.start(), m.end()) for m in TOKEN_RE.finditer(text) if term in token_forms(m.group(0))[0]]
    assert expected, "the example must hold the joined spelling"
    found = [(s, e) for s, e, raw in TermFinder({term}).tokens(text) if term in token_forms(raw)[0]]
    assert found == expected
