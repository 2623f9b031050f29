"""The fast index-time analysis gives exactly what the Whoosh generator chains give.

Every analysed field of the schema is compared with the same field analysed by the chain
of its analyzer's own items (``CompositeAnalyzer(*items)``, what the schema used before
:mod:`indexer.fast_analysis`): the ``field.index(value)`` items, byte for byte and in
order, and the token streams (text, position, boost, characters, stopped, original).
The ``ID`` fields, which skip their tokenizer, are compared with a plain ``ID``.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import CompositeAnalyzer
from whoosh.fields import ID, TEXT

from bench.make_corpus import generate
from indexer.analyzers import (
    SECTION_MARK,
    WEIGHT_MARK,
    ArticleAnalyzer,
    ContentAnalyzer,
    SpellAnalyzer,
    TitleWordsAnalyzer,
    query_words,
    weighted_sections,
)
from indexer.fast_analysis import IdentifierAnalyzer, IndexedID, IndexedText, WordsAnalyzer, clear_caches
from indexer.schema import ArticleSchema, document_fields
from kb.articles import parse_article
from kb.mapping import Mapping
from tests.conftest import ARTICLES

SCHEMA = ArticleSchema()
FAST_FIELDS = sorted(name for name, field in SCHEMA.items() if isinstance(field, IndexedText))
ID_FIELDS = sorted(name for name, field in SCHEMA.items() if isinstance(field, IndexedID))
SYNTHETIC_ARTICLES = 1000
STREAM_ARTICLES = 100  # token streams are compared on the first ones only: five call forms each

# Ways the analyzer is called: by the index formats, by highlighting, and unusual ones.
CALLS = [
    {},
    {"positions": True},
    {"positions": True, "chars": True},
    {"positions": True, "chars": True, "keeporiginal": True, "removestops": False},
    {"positions": True, "chars": True, "start_pos": 7, "start_char": 11, "mode": "query"},
    {"chars": True, "removestops": False, "boosts": True},
    {"tokenize": False, "positions": True, "chars": True},
]

ADVERSARIAL = [
    "", " ", "\n\n", "the", "The a an of to", "A I", "I", "a b c d", "é", "Ünïcödé ÆØÅ straße Ǆemal",
    "résumé naïve café coöperate", "İstanbul ſtyle ﬁle ǅ", "Ⅻ ½ ² ３０３ ٣٠٣ ５０３",
    "System.IO.IOException: access denied", "C:\\temp\\x.log.", "/var/log/syslog", "user@contoso.com",
    "ORA-12154", "ora-12154 ORA-12154:", "HTTP 503",
    "http 503 error 1205 kb 5003637 sqlstate hyt00 event 4625",
    "HTTP the 503", "HTTP HTTP 503", "error error 99", "HTTP 999", "kb 12345", "KB5003637",
    "0x80070005", "0X8007000E 0x 0xZZ 0x0", "ERROR_ACCESS_DENIED E_FAIL Wi-Fi wi-fi", "AADSTS50076",
    "getUserName XMLHttpRequest IOException iOS macOS", "x.ItIs a.b.c it-is", "a-b x_y 1-2 _ __ ___",
    "a" * 45, "Word" * 30, "-".join(["seg"] * 40), "aGVsbG8gd29ybGQ=" * 8,
    "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
    "tab\there\r\nline\u2028sep\u00a0nbsp\u200bzw", "emoji 😀 ok", "mixed123abc456DEF", "1.2.3.4:8080",
    "denied. Failed! (again)", "...", "---", "\\\\server\\share\\",
    SECTION_MARK, WEIGHT_MARK, SECTION_MARK + WEIGHT_MARK, SECTION_MARK * 3 + "2" + WEIGHT_MARK + "x y",
    SECTION_MARK + "abc" + WEIGHT_MARK + "bad weight", SECTION_MARK + "nan" + WEIGHT_MARK + "nan weight",
    SECTION_MARK + "-0" + WEIGHT_MARK + "negative zero",
    SECTION_MARK + "0.1" + WEIGHT_MARK + "go go go go go go go",
    SECTION_MARK + "1e308" + WEIGHT_MARK + "big big", "no" + SECTION_MARK + "2" + WEIGHT_MARK + "mark first",
    weighted_sections([(3.0, "HTTP"), (2.0, "503 Service Unavailable"), (1.0, "the the the")]),
    weighted_sections([(2.0, "Login failed for user"), (0.5, "the login LOGIN logins"), (1.5, "Login")]),
]


def reference_field(field):
    """The field as the schema had it: a plain ID, or a plain TEXT whose analyzer is the
    generator chain."""
    kind = ID if isinstance(field, IndexedID) else TEXT
    plain = kind.__new__(kind)
    plain.__dict__.update(field.__dict__)
    if kind is TEXT:
        plain.analyzer = CompositeAnalyzer(*field.analyzer.items)
    return plain


def exact(items) -> list[tuple]:
    """Index items with the weight as its 8 bytes, so even a NaN weight compares."""
    return [(term, freq, struct.pack("<d", weight), encoded) for term, freq, weight, encoded in items]


def stream(analyzer, value: str, call: dict) -> list[list[tuple[str, str]]]:
    """Every attribute of every token (as repr, so a NaN boost compares too)."""
    return [sorted((name, repr(v)) for name, v in token.__dict__.items())
            for token in analyzer(value, **call)]


def assert_same_analysis(name: str, value: str, *, streams: bool = True) -> None:
    field = SCHEMA[name]
    reference = reference_field(field)
    assert exact(field.index(value)) == exact(reference.index(value)), (name, value)
    if streams and name in FAST_FIELDS:
        for call in CALLS:
            assert stream(field.analyzer, value, call) == stream(reference.analyzer, value, call), \
                (name, call, value)


def articles_fields(texts) -> list[dict]:
    root = Path("/kb")
    return [document_fields(result.article) for rel, data in texts
            if (result := parse_article(root / rel, root, data=data, mapping=Mapping())).article is not None]


@pytest.fixture(scope="module")
def sample_docs() -> list[dict]:
    paths = sorted(ARTICLES.rglob("*.md"))
    docs = articles_fields((p.relative_to(ARTICLES).as_posix(), p.read_bytes()) for p in paths)
    assert len(docs) >= 20
    return docs


@pytest.fixture(scope="module")
def synthetic_docs() -> list[dict]:
    return articles_fields((rel, text.encode("utf-8")) for rel, text in generate(SYNTHETIC_ARTICLES))


def test_the_prose_fields_use_the_fast_analysis() -> None:
    assert set(FAST_FIELDS) == {"content", "title", "title_words", "product_text", "spell"}
    chains = {"content": ContentAnalyzer(), "title": ArticleAnalyzer(), "product_text": ArticleAnalyzer(),
              "spell": SpellAnalyzer(), "title_words": TitleWordsAnalyzer()}
    for name, chain in chains.items():
        assert isinstance(SCHEMA[name].analyzer, IdentifierAnalyzer | WordsAnalyzer)
        assert SCHEMA[name].analyzer.items == chain.items, name
    assert {"id", "path", "content_hash", "title_key", "product", "audience", "status"} <= set(ID_FIELDS)


def test_sample_articles_are_analysed_as_by_the_chains(sample_docs: list[dict]) -> None:
    for doc in sample_docs:
        for name in FAST_FIELDS + ID_FIELDS:
            if name in doc:
                assert_same_analysis(name, doc[name])


def test_synthetic_articles_are_analysed_as_by_the_chains(synthetic_docs: list[dict]) -> None:
    for number, doc in enumerate(synthetic_docs):
        for name in FAST_FIELDS + ID_FIELDS:
            if name in doc:
                assert_same_analysis(name, doc[name], streams=number < STREAM_ARTICLES)


@pytest.mark.parametrize("name", FAST_FIELDS + ["id", "title_key"])
@pytest.mark.parametrize("value", ADVERSARIAL)
def test_odd_text_is_analysed_as_by_the_chains(name: str, value: str) -> None:
    assert_same_analysis(name, value)


@pytest.mark.parametrize("value", ADVERSARIAL)
def test_analysis_does_not_depend_on_what_was_analysed_before(value: str) -> None:
    # The caches hold what raw tokens become; a cold start gives the same as a warm one.
    for name in FAST_FIELDS:
        warm = exact(SCHEMA[name].index(value))
        clear_caches()
        assert exact(SCHEMA[name].index(value)) == warm, name


# Text made of the characters that matter: word characters of several scripts, digits,
# identifier joiners, section and weight marks, spaces.
ODD_TEXT = st.text(alphabet=st.sampled_from(list(
    "aeiouxyzHTPSKBEROAhttp503129eéÉüßİıǅ٣５_.-/\\:@ \n\t" + SECTION_MARK + WEIGHT_MARK)), max_size=80)
WORDS = st.lists(st.sampled_from([
    "the", "a", "HTTP", "503", "error", "1205", "kb", "5003637", "sqlstate", "HYT00", "event", "4625",
    "ORA-12154", "System.IO.IOException", "0x80070005", "résumé", "C:\\temp\\x.log", "failed", "logins",
    "E_FAIL", "x", "I", "1", SECTION_MARK + "2" + WEIGHT_MARK, SECTION_MARK, "\n",
]), max_size=25).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(ODD_TEXT, WORDS))
def test_generated_text_is_analysed_as_by_the_chains(value: str) -> None:
    for name in FAST_FIELDS:
        assert_same_analysis(name, value)


def test_the_schema_still_pickles_and_compares_equal() -> None:
    import pickle
    SCHEMA["spell"].index("warm the term cache")
    again = pickle.loads(pickle.dumps(SCHEMA))
    for name in FAST_FIELDS + ID_FIELDS:
        assert again[name].analyzer == SCHEMA[name].analyzer
        assert type(again[name]) is type(SCHEMA[name])
        value = "Login failed: HTTP 503"
        assert list(again[name].index(value)) == list(SCHEMA[name].index(value))


def test_content_items_are_the_terms_with_positions_and_section_weights() -> None:
    value = weighted_sections([(3.0, "HTTP 503"), (1.0, "the HTTP 503 page")])
    items = {term: (freq, weight) for term, freq, weight, _ in SCHEMA["content"].index(value)}
    assert items == {b"http": (2, 4.0), b"503": (2, 4.0), b"http503": (2, 4.0), b"page": (1, 1.0)}
    positions = {term: SCHEMA["content"].format.decode_positions(encoded)
                 for term, _, _, encoded in SCHEMA["content"].index(value)}
    assert positions == {b"http": [0, 102], b"503": [1, 103], b"http503": [1, 103], b"page": [104]}


def test_only_chains_the_fast_loops_replay_are_accepted() -> None:
    from whoosh.analysis import RegexTokenizer, StemFilter
    with pytest.raises(TypeError):
        WordsAnalyzer(RegexTokenizer(r"\w+") | StemFilter())
    with pytest.raises(TypeError):
        WordsAnalyzer(CompositeAnalyzer(RegexTokenizer(r"\W+", gaps=True)))


def test_query_words_are_unchanged_by_the_index_side() -> None:
    words = query_words("Access to C:\\temp is denied: HTTP 503")
    assert [w.key for w in words] == ["access", "c:\\temp", "deni", "http", "503"]
    assert words[-1].pair == "http503"


@pytest.mark.parametrize("field", [
    IndexedText(analyzer=IdentifierAnalyzer()),
    IndexedText(analyzer=IdentifierAnalyzer(sections=True)),
    IndexedText(analyzer=WordsAnalyzer(TitleWordsAnalyzer()), phrase=False),
    IndexedID(),
])
def test_lists_and_non_text_go_through_the_chain(field) -> None:
    assert list(field.index(["HTTP", "503"])) == list(reference_field(field).index(["HTTP", "503"]))


def test_an_index_written_with_the_fast_fields_has_the_same_postings(sample_docs: list[dict],
                                                                      synthetic_docs: list[dict]) -> None:
    from whoosh.filedb.filestore import RamStorage

    def postings(schema) -> tuple[list, list]:
        ix = RamStorage().create_index(schema)
        with ix.writer() as writer:
            for doc in sample_docs + synthetic_docs[:150]:
                writer.add_document(**doc)
        with ix.reader() as reader:
            lengths = [reader.doc_field_length(docnum, name) for docnum in range(reader.doc_count())
                       for name in FAST_FIELDS]
            return [(f, t, d, struct.pack("<d", w), v) for f, t, d, w, v in reader.iter_postings()], lengths

    chains = ArticleSchema()
    for name in FAST_FIELDS + ID_FIELDS:
        chains._fields[name] = reference_field(chains[name])
    assert postings(ArticleSchema()) == postings(chains)
