"""The evaluation engine and its posting sidecars: the same answers and scores as Whoosh, faster."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index

from indexer import Searcher, build_index
from indexer.analyzers import (
    TOKEN_RE,
    ArticleAnalyzer,
    analyse_positions,
    pair_term,
    token_forms,
    token_positions,
)
from indexer.engine import Evaluation, IndexVersion, SegmentCache, score_docs
from indexer.engine import whoosh_adapter as adapter
from indexer.engine.sidecars import (
    SIDECAR_EXT,
    SIDECAR_FIELDS,
    Sidecar,
    missing_sidecars,
    segment_postings,
    write_sidecars,
)
from indexer.engine.whoosh_adapter import read_postings
from indexer.plan import build_plan
from indexer.query import parse_query
from indexer.ranking import top
from indexer.snippets import _matches
from indexer.synonyms import Synonyms
from tests.indexer.conftest import generation, tsg

QUERIES = [
    "access denied", "odbc login timeout", "0x80070005", "outlook password prompt", "sql server deadlock",
    "ORA-12154", "mfa sign-in loop", '"access denied" share', "certificate chain not trusted",
    "windows update 0x800f0922", "relay 550 5.7.1", "dns resolution fails", "kerberos spn",
]


def _evaluation(searcher) -> Evaluation:
    return Evaluation(IndexVersion(searcher, searcher.folder, SegmentCache()), searcher)


def _plan(searcher, text: str):
    reader = searcher.reader()
    return build_plan(parse_query(text), Synonyms(), lambda c: ("error_code", c) in reader,
                      lambda key: ("title_key", key) in reader)


@pytest.mark.parametrize("text", QUERIES)
def test_matches_and_scores_equal_whooshs_own(whoosh_searcher, text: str) -> None:
    s = whoosh_searcher
    plan = _plan(s, text)
    ev = _evaluation(s)
    queries = [plan.core_all(), plan.core_any(), *plan.unit_queries()]
    booster = plan.booster_query()
    if booster is not None:
        queries.append(booster)
    for q in queries:
        result = ev.run(q)
        expected = set(s.docs_for_query(q.normalize()))
        assert set(np.flatnonzero(result.mask).tolist()) == expected, q
        scores = score_docs(s, q, expected)
        for docnum, score in scores.items():
            assert result.score[docnum] == pytest.approx(score, rel=1e-6), (q, docnum)


def _vocabulary(searcher, fieldname: str) -> list[tuple[str, int]]:
    reader = searcher.reader()
    return [(t.decode("utf-8"), reader.doc_frequency(fieldname, t)) for t in reader.lexicon(fieldname)]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_an_and_of_terms_scores_as_each_term_summed(whoosh_searcher, data) -> None:
    # An And of plain terms with a rare one is matched on the ids and scored only where
    # every term is: exactly the numbers of scoring each whole list and summing them.
    from whoosh import query as wq

    from indexer.engine.matches import all_of

    s = whoosh_searcher
    fieldname = data.draw(st.sampled_from(["content", "title"]))
    words = _vocabulary(s, fieldname)
    rare = [w for w, df in words if df * 16 <= s.doc_count_all()]
    common = sorted(words, key=lambda wd: -wd[1])[:40]
    picked = [data.draw(st.sampled_from(rare))]
    picked += data.draw(st.lists(st.sampled_from([w for w, _ in common if w != picked[0]]),
                                 min_size=1, max_size=3, unique=True))
    picked = data.draw(st.permutations(picked))
    boosts = data.draw(st.lists(st.sampled_from([1.0, 1.5, 3.0]), min_size=len(picked), max_size=len(picked)))
    q = wq.And([wq.Term(fieldname, w, boost=b) for w, b in zip(picked, boosts, strict=True)])
    ev = _evaluation(s)
    if data.draw(st.booleans()):
        ev.run(wq.Term(fieldname, picked[-1]))  # one term's scores kept by the version first
    fast = ev.run(q)
    whole = all_of([_evaluation(s).run(t) for t in q.subqueries])
    assert fast.ids.tolist() == whole.ids.tolist() == sorted(s.docs_for_query(q))
    assert fast.scores.tolist() == whole.scores.tolist()


def test_a_terms_documents_come_as_numpy_index_arrays(whoosh_searcher) -> None:
    """Posting ids index the version's arrays in every And, Or and score lookup; ids of any
    other integer type are converted again at each of them (two to three times slower)."""
    ev = _evaluation(whoosh_searcher)
    reader = whoosh_searcher.reader()
    for fieldname in ("content", "title"):
        for btext in list(reader.lexicon(fieldname))[:50]:
            ids, _scores = ev.scored(fieldname, btext.decode("utf-8"))
            assert len(ids) and ids.dtype == np.intp


def test_sidecar_lists_equal_the_decoded_postings(whoosh_searcher) -> None:
    checked = 0
    for sub, _offset in whoosh_searcher.leaf_searchers():
        reader = sub.reader()
        sidecar = Sidecar.open(whoosh_searcher.folder, reader)
        assert sidecar is not None and len(sidecar.offsets) > 0
        for fieldname in ("content", "title"):
            for btext in list(reader.lexicon(fieldname))[:400]:
                ids, weights = segment_postings(reader, sidecar, fieldname, btext)
                expected_ids, expected_weights = read_postings(reader, fieldname, btext)
                m = reader.postings(fieldname, btext)
                assert ids.tolist() == expected_ids.tolist() == list(m.all_ids())
                assert np.allclose(weights, expected_weights)
                checked += 1
    assert checked > 100


def test_a_missing_sidecar_changes_nothing_but_speed(corpus) -> None:
    articles, root = corpus({f"a{i}.md": tsg(f"A{i}", f"Login timeout {i}", symptoms="Login timeout expired.")
                             for i in range(5)})
    build_index(articles, root)
    queries = ("login timeout", '"login timeout"', "A3 login timeout", "login timeout expired 3 again")
    with Searcher(root) as s:
        before = [s.search(q, audience="internal") for q in queries]
    for path in generation(root).glob(f"*{SIDECAR_EXT}"):
        path.unlink()
    with Searcher(root) as s:
        after = [s.search(q, audience="internal") for q in queries]
    for old, new in zip(before, after, strict=True):
        assert [(h.id, h.score) for h in new.hits] == [(h.id, h.score) for h in old.hits]
        assert new.total == old.total
    assert before[0].total == before[1].total == 5


def test_sidecars_hold_every_list_of_the_searched_fields(corpus) -> None:
    files = {f"a{i}.md": tsg(f"A{i}", f"Printer offline {i % 7} tray {i % 3}", symptoms=f"Queue stuck {i}.",
                             extra=f'error_codes: ["0x8007{i:04d}"]\n' if i % 2 else "")
             for i in range(40)}
    articles, root = corpus(files)
    build_index(articles, root)
    folder = generation(root)
    ix = whoosh_index.open_dir(str(folder))
    kept = dict.fromkeys(SIDECAR_FIELDS, 0)
    with ix.reader() as reader:
        for sub, _offset in reader.leaf_readers():
            sidecar = Sidecar.open(folder, sub)
            for fieldname in SIDECAR_FIELDS:
                for btext, frequency, offset in adapter.term_infos(sub, fieldname):
                    if offset is None:  # inlined in the term dictionary: nothing to copy
                        continue
                    ids, _weights = sidecar.lookup(offset)
                    assert len(ids) == frequency, (fieldname, btext, frequency)
                    kept[fieldname] += 1
    assert all(kept.values()), kept
    assert kept["error_code"] >= 20  # each code a list of one


def test_every_segment_gets_a_sidecar_and_whoosh_removes_it_with_the_segment(corpus) -> None:
    files = {f"a{i}.md": tsg(f"A{i}", f"Printer offline {i}") for i in range(3)}
    articles, root = corpus(files)
    build_index(articles, root)
    folder = generation(root)
    first = {p.name for p in folder.glob(f"*{SIDECAR_EXT}")}
    assert first
    for i in range(3, 40):  # enough small commits that Whoosh merges segments
        (articles / f"a{i}.md").write_text(tsg(f"A{i}", f"Printer offline {i}"), encoding="utf-8")
        build_index(articles, root)
    ix = whoosh_index.open_dir(str(folder))
    with ix.reader() as reader:
        segments = {sub.segment().segment_id() for sub, _offset in reader.leaf_readers()}
    sidecars = {p.name.removesuffix(SIDECAR_EXT) for p in folder.glob(f"*{SIDECAR_EXT}")}
    assert sidecars == segments
    with Searcher(root) as s:
        assert s.search("printer offline", audience="internal").total == 40


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["System.IO.IOException", "access", "denied", "the", "C:\\temp\\x.log",
                                 "HTTP", "503", "ORA-12154", "sign-in", "x64", "café", "0x80070005",
                                 "KB5003637", "ERROR_ACCESS_DENIED", "AADSTS50076", "connections", "é", "_",
                                 "-"]),
                max_size=12))
def test_phrase_positions_on_stored_text_are_the_index_positions(words) -> None:
    text = " ".join(words)
    pos, found = 0, set()
    for raw in TOKEN_RE.findall(text):
        width, terms, _whole = token_positions(raw)
        found |= {(term, pos + offset) for offset, term in terms}
        pos += width
    raws = TOKEN_RE.findall(text)
    joined = {pair for pair in (pair_term(a, b) for a, b in zip(raws, raws[1:], strict=False)) if pair}
    expected = {(t, p) for t, p in analyse_positions(text, ArticleAnalyzer()) if t not in joined}
    assert found == expected


def test_top_breaks_ties_by_document_number() -> None:
    scores = np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    mask = np.array([True, True, True, True, False])
    assert top(scores, mask, 2) == [(1, 3.0), (2, 3.0)]
    assert top(scores, mask, 10) == [(1, 3.0), (2, 3.0), (3, 2.0), (0, 1.0)]
    assert top(scores, np.zeros(5, dtype=bool), 3) == []


def test_search_copes_with_a_sidecar_that_is_not_one(corpus) -> None:
    articles, root = corpus({"a.md": tsg("A1", "Login timeout")})
    build_index(articles, root)
    for path in generation(root).glob(f"*{SIDECAR_EXT}"):
        path.write_bytes(b"garbage")
    with Searcher(root) as s:
        assert [h.id for h in s.search("login timeout", audience="internal").hits] == ["A1"]


def test_sidecars_are_rebuilt_with_the_index(corpus) -> None:
    articles, root = corpus({"a.md": tsg("A1", "Login timeout")})
    build_index(articles, root)
    old = generation(root)
    build_index(articles, root, rebuild=True)
    new = generation(root)
    assert new != old and list(new.glob(f"*{SIDECAR_EXT}"))


def _token_by_token(text: str, terms: set[str], strong: set[str]) -> list[tuple[int, int, int]]:
    """The plain definition of snippet matches: every raw token, analysed one by one."""
    spans = []
    for m in TOKEN_RE.finditer(text):
        forms, whole = token_forms(m.group(0))
        if forms and not terms.isdisjoint(forms):
            spans.append((m.start(), m.end(), 3 if whole in strong else 1))
    return spans


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["System.IO.IOException", "io", "IO", "time", "timeout", "time-out", "-time",
                                 "x.time", "C:\\temp\\io.log", "ORA-12154", "ora", ".", "-", " ", "  ", "\n",
                                 "Login", "login:", "_io", "io_", "é", "0x80070005", "denied.", "x", "ex"]),
                max_size=40),
       st.sets(st.sampled_from(["io", "time", "ioexcept", "system.io.ioexception", "ora", "login",
                                "80070005", "0x80070005", "ora-12154", "deni"]), max_size=4))
def test_snippet_matches_equal_the_token_by_token_definition(pieces, terms) -> None:
    text = "".join(pieces)
    strong = set(list(terms)[:1])
    assert _matches(text, set(terms), strong) == _token_by_token(text, set(terms), strong)


def test_snippet_matches_are_whole_tokens_only() -> None:
    text = "time xtime x.time time_x time-out TIME"
    found = [text[s:e] for s, e, _ in _matches(text, {"time"}, set())]
    assert found == ["time", "x.time", "time_x", "time-out", "TIME"]  # never the "time" of "xtime"


def test_sidecars_written_by_several_processes_equal_those_written_by_one(corpus) -> None:
    files = {f"a{i}.md": tsg(f"A{i}", f"Printer offline {i}", symptoms="Printer offline again.")
             for i in range(30)}
    articles, root = corpus(files)
    build_index(articles, root)
    for i in range(30, 33):  # a few more segments
        (articles / f"a{i}.md").write_text(tsg(f"A{i}", f"Printer offline {i}"), encoding="utf-8")
        build_index(articles, root)
    ix = whoosh_index.open_dir(str(generation(root)))
    serial = {}
    for path in generation(root).glob(f"*{SIDECAR_EXT}"):
        serial[path.name] = path.read_bytes()
        path.unlink()
    tasks = missing_sidecars(ix)
    assert len(tasks) == len(serial) >= 2
    assert write_sidecars(tasks, procs=2) == len(tasks)
    assert {p.name: p.read_bytes() for p in generation(root).glob(f"*{SIDECAR_EXT}")} == serial


def test_lengths_read_whole_equal_whooshs_for_documents_after_the_last_one_with_a_field(corpus) -> None:
    # Whoosh stores a field's lengths only up to the last document that has the field: the
    # documents after it (here, the articles without an error code) must not be read past it.
    files = {f"kb{n:04d}.md": tsg(f"KB{n:04d}", f"Article {n}",
                                  extra='error_codes: ["ERR-7001"]\n' if n < 3 else "")
             for n in range(1, 9)}
    articles, root = corpus(files)
    build_index(articles, root, embed=False)
    with Searcher(root) as searcher:
        assert sorted(h.id for h in searcher.search("ERR-7001", audience="internal").hits) == ["KB0001", "KB0002"]
    ix = whoosh_index.open_dir(str(generation(root)))
    with ix.searcher() as whoosh:
        for sub, _offset in whoosh.leaf_searchers():
            reader, count = sub.reader(), sub.doc_count_all()
            for field in ("error_code", "title", "content"):
                public = [reader.doc_field_length(d, field, 0) or 1.0 for d in range(count)]
                assert adapter.field_lengths(reader, field, count).tolist() == pytest.approx(public), field


def test_common_words_kept_whole_give_every_later_query_the_same_scores(sample) -> None:
    # A common word's matches are built once per version and shared by later queries: no
    # query may change them for the next one.
    queries = ["error when signing in", "sign in error after update", "error when signing in"]
    pages = [sample.search(q, audience="internal", limit=20) for q in queries]
    first, _, again = pages
    assert [(h.id, h.score) for h in again.hits] == [(h.id, h.score) for h in first.hits]
    assert again.total == first.total > 0
