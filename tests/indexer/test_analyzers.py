"""Each analysis rule, asserted on token lists (index side) and on query words (query side)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.filedb.filestore import RamStorage
from whoosh.query import Phrase, Term

from indexer.analyzers import (
    ContentAnalyzer,
    ExactAnalyzer,
    SpellAnalyzer,
    TitleWordsAnalyzer,
    _split_scan,
    analyse,
    analyse_positions,
    expand,
    normalize_code,
    query_words,
    subwords,
    title_key,
    weighted_sections,
)
from indexer.schema import ArticleSchema
from indexer.synonyms import Synonyms, load_synonyms
from tests.conftest import SYNONYMS


@pytest.mark.parametrize(("text", "tokens"), [
    ("0x80070005", ["0x80070005", "80070005"]),
    ("AADSTS50076", ["aadsts50076", "aadst", "50076"]),
    ("ORA-12154", ["ora-12154", "ora", "ora12154", "12154"]),
    ("System.IO.IOException", ["system.io.ioexception", "system", "io", "io", "ioexception", "except"]),
    ("KB5003637", ["kb5003637", "kb", "5003637"]),
    ("ERROR_ACCESS_DENIED", ["error_access_denied", "error", "access", "deni"]),
    ("C:\\temp\\x.log", ["c:\\temp\\x.log", "temp", "log"]),
    ("/var/log/syslog", ["var/log/syslog", "var", "log", "syslog"]),
    ("HTTP 503", ["http", "503", "http503"]),
])
def test_identifiers_are_indexed_whole_and_by_parts(text: str, tokens: list[str]) -> None:
    assert analyse(text) == tokens


def test_identifiers_are_case_insensitive() -> None:
    assert analyse("ora-12154") == analyse("ORA-12154")
    assert analyse("system.io.IOEXCEPTION")[0] == analyse("System.IO.IOException")[0]


def test_parts_take_consecutive_positions_so_phrases_work() -> None:
    assert analyse_positions("System.IO.IOException: access denied") == [
        ("system.io.ioexception", 0), ("system", 0), ("io", 1), ("io", 2), ("ioexception", 2), ("except", 3),
        ("access", 4), ("deni", 5)]


def test_english_words_are_stemmed_and_stop_words_dropped() -> None:
    assert analyse("The connections were failing after the updates") == ["connect", "fail", "updat"]


def test_stop_words_do_not_leave_position_gaps() -> None:
    assert analyse_positions("access to the path") == [("access", 0), ("path", 1)]


def test_identifiers_are_not_stemmed() -> None:
    assert "error_access_denied" in analyse("ERROR_ACCESS_DENIED")
    assert "services.msc" in analyse("services.msc")


def test_accents_are_folded() -> None:
    assert analyse("Résumé") == analyse("resume")


def test_pairs_are_joined_only_after_known_prefixes() -> None:
    assert "error1205" in analyse("Error 1205")
    assert "kb5003637" in analyse("KB 5003637")
    assert "sqlstatehyt00" in analyse("SQLSTATE HYT00")
    assert analyse("see 503") == ["see", "503"]


def test_single_letters_go_but_single_digits_stay() -> None:
    assert analyse("a x 5 b") == ["5"]


def test_long_runs_keep_their_parts_only() -> None:
    blob = "-".join(["abcdefgh"] * 20)
    tokens = analyse(blob)
    assert blob.lower() not in tokens
    assert tokens == ["abcdefgh"] * 20


def test_query_words_mirror_the_index_analysis() -> None:
    text = "System.IO.IOException: Access to the path 'C:\\temp\\x.log' is denied (HTTP 503)"
    index_terms = set(analyse(text))
    for word in query_words(text):
        assert set(word.terms) <= index_terms
        if word.pair:
            assert word.pair in index_terms
    assert [w.key for w in query_words("HTTP 503")] == ["http", "503"]
    assert query_words("HTTP 503")[1].pair == "http503"


def test_expand_describes_wholes_parts_and_alternates() -> None:
    exp = expand("ORA-12154")
    assert (exp.whole, exp.parts, exp.alternates) == ("ora-12154", ("ora", "12154"), ((0, "ora12154"),))
    assert expand("odbc").whole is None


# Letters of every case kind (upper, lower, title case, uncased), digits of several scripts,
# and characters that are numeric without being digits: where the quick answer could differ.
_PIECE_CHARS = "aZkKßİıǅǈΣσςªµ漢字٣²ⅫＡａ09_"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=_PIECE_CHARS, min_size=1, max_size=10) | st.text(min_size=1, max_size=10))
def test_pieces_without_a_boundary_are_told_apart_without_a_scan(piece: str) -> None:
    assert subwords(piece) == _split_scan(piece)


def test_exact_analyzer_gives_one_term_per_line() -> None:
    assert analyse("SQLSTATE HYT00\n\n  Login  timeout expired.", ExactAnalyzer()) == [
        "sqlstate hyt00", "login timeout expired"]
    assert normalize_code("[DBNETLIB]SSL Security error") == "dbnetlib ssl security error"
    assert normalize_code("'ORA-12154:'") == "ora-12154"


def test_spell_analyzer_keeps_words_unstemmed() -> None:
    assert analyse("Login timeout EXPIRED for the connections", SpellAnalyzer()) == [
        "login", "timeout", "expired", "connections"]


def test_title_words_are_unstemmed_for_prefix_matching() -> None:
    tokens = analyse("ODBC Login-timeouts Résumé", TitleWordsAnalyzer())
    assert tokens == ["odbc", "login", "timeouts", "resume"]


def test_title_key_ignores_punctuation() -> None:
    assert title_key("ORA-12154: TNS:could not resolve") == "ora 12154 tns could not resolve"


def test_pasted_exception_finds_identifier_in_an_index() -> None:
    """End to end through Whoosh (RamStorage): whole identifiers and parts both match."""
    ix = RamStorage().create_index(ArticleSchema())
    with ix.writer() as w:
        w.add_document(id="a", content="Unhandled System.IO.IOException while writing C:\\temp\\x.log")
        w.add_document(id="b", content="An IOException was logged")
    with ix.searcher() as s:
        def ids(q):
            return sorted(s.stored_fields(d)["id"] for d in s.docs_for_query(q))
        assert ids(Term("content", "system.io.ioexception")) == ["a"]
        assert ids(Term("content", "ioexception")) == ["a", "b"]
        assert ids(Phrase("content", ["io", "except"])) == ["a", "b"]
        assert ids(Term("content", "c:\\temp\\x.log")) == ["a"]


def test_weighted_sections_set_token_boosts_and_keep_sections_apart() -> None:
    value = weighted_sections([(2.0, "Login failed"), (1.0, "See the log")])
    tokens = [(t.text, t.boost, t.pos) for t in ContentAnalyzer()(value, positions=True)]
    assert tokens == [("login", 2.0, 0), ("fail", 2.0, 1), ("see", 1.0, 102), ("log", 1.0, 103)]
    assert analyse("plain text, no sections", ContentAnalyzer()) == ["plain", "text", "no", "section"]


def test_synonym_groups_expand_both_ways() -> None:
    syn = Synonyms.from_groups([["bsod", "blue screen", "stop error"], ["aad", "azure ad", "entra id"]])
    assert syn.alternatives_for("BSOD") == [["bsod"], ["blue", "screen"], ["stop", "error"]]
    assert syn.alternatives_for("Blue Screens") == [["bsod"], ["blue", "screen"], ["stop", "error"]]
    assert syn.alternatives_for("entra id") == [["aad"], ["azur", "ad"], ["entra", "id"]]  # stemmed
    assert syn.alternatives_for("screen") == []


def test_synonym_match_prefers_the_longest_entry() -> None:
    syn = Synonyms.from_groups([["ad", "active directory"], ["aad", "azure ad"]])
    matches = syn.match(query_words("azure ad sign-in"))
    assert [(m.start, m.end, m.group[0]) for m in matches] == [(0, 2, "aad")]


def test_the_shipped_synonyms_file_loads_cleanly() -> None:
    synonyms, problems = load_synonyms(SYNONYMS)
    assert problems == []
    assert len(synonyms) >= 20
    assert ["blue", "screen"] in synonyms.alternatives_for("bsod")
    assert ["entra", "id"] in synonyms.alternatives_for("aad")


def test_broken_synonyms_file_is_reported_with_a_line(tmp_path) -> None:
    path = tmp_path / "synonyms.yaml"
    path.write_text("- [bsod, blue screen]\n- [oops\n", encoding="utf-8")
    synonyms, problems = load_synonyms(path)
    assert len(synonyms) == 0
    assert problems and problems[0].line >= 2 and "YAML" in problems[0].message
    path.write_text("- [bsod, blue screen]\n- lonely\n", encoding="utf-8")
    synonyms, problems = load_synonyms(path)
    assert len(synonyms) == 1 and "group 2" in problems[0].field
