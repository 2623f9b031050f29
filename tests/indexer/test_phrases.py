"""Phrases are checked on the positions the index stored: the same documents as Whoosh's own
phrase matcher, whichever way the positions are read (sidecar, Whoosh's blocks, Whoosh's
public API), and the same as reading the text itself where the text is one section."""

from __future__ import annotations

import pickle
import random
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.formats import Positions as PositionsFormat

from indexer import Searcher, build_index
from indexer.analyzers import TOKEN_RE, query_words, token_positions
from indexer.engine import Evaluation, IndexVersion, SegmentCache, sidecars
from indexer.engine import whoosh_adapter as adapter
from indexer.engine.phrases import phrase_found, position_keys
from indexer.engine.sidecars import SIDECAR_EXT, Sidecar, missing_sidecars, segment_positions
from indexer.ranking import MAX_PHRASE_CHECKS
from tests.indexer.conftest import generation, tsg

SLOPS = (1, 2, 3)


@pytest.fixture
def public_path():
    previous = adapter.set_fast_path(False)
    yield
    adapter.set_fast_path(previous)


# -- positions ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**31 - 1), min_size=1, max_size=40).map(sorted), min_size=1, max_size=30))
def test_positions_decode_as_whoosh_encodes_them(lists) -> None:
    values = [PositionsFormat().encode(one) for one in lists]
    counts, flat = adapter.decode_positions(values)
    assert counts.tolist() == [len(one) for one in lists]
    assert flat.tolist() == [p for one in lists for p in one]


def test_positions_laid_out_otherwise_are_decoded_by_whoosh() -> None:
    lists = [[3, 9, 400], [7], [70_000, 70_001]]
    # The same deltas pickled with another protocol: not the layout read with numpy.
    values = [struct.pack(">I", len(one)) + pickle.dumps([b - a for a, b in zip([0, *one], one)], 4)
              for one in lists]
    counts, flat = adapter.decode_positions(values)
    assert counts.tolist() == [3, 1, 2]
    assert flat.tolist() == [3, 9, 400, 7, 70_000, 70_001]


def _terms(reader, fieldname: str, every: int) -> list[bytes]:
    return list(reader.lexicon(fieldname))[::every]


def _positions_by_matcher(reader, fieldname: str, btext: bytes, docs: list[int]) -> list[list[int]]:
    out = {}
    m = reader.postings(fieldname, btext)
    while m.is_active():
        out[m.id()] = list(m.value_as("positions"))
        m.next()
    return [out.get(d, []) for d in docs]


def _split(counts: np.ndarray, flat: np.ndarray) -> list[list[int]]:
    ends = np.cumsum(counts)
    return [flat[e - c:e].tolist() for c, e in zip(counts.tolist(), ends.tolist(), strict=True)]


def test_positions_from_sidecars_and_from_whooshs_blocks_are_whooshs_own(whoosh_searcher) -> None:
    rng = random.Random(5)
    checked = 0
    for sub, _offset in whoosh_searcher.leaf_searchers():
        reader = sub.reader()
        sidecar = Sidecar.open(whoosh_searcher.folder, reader)
        assert sidecar is not None and sidecar.positions is not None
        n = reader.doc_count_all()
        for fieldname in ("content", "title"):
            for btext in _terms(reader, fieldname, 7):
                docs = sorted(set(rng.sample(range(n), min(n, 12))) | set(list(reader.postings(fieldname, btext).all_ids())[:5]))
                local = np.asarray(docs, dtype=np.int32)
                expected = _positions_by_matcher(reader, fieldname, btext, docs)
                assert _split(*segment_positions(reader, sidecar, fieldname, btext, local)) == expected
                assert _split(*adapter.read_positions(reader, fieldname, btext, local)) == expected
                checked += 1
    assert checked > 200


def test_positions_on_whooshs_public_path_are_whooshs_own(whoosh_searcher, public_path) -> None:
    for sub, _offset in whoosh_searcher.leaf_searchers():
        reader = sub.reader()
        docs = list(range(0, reader.doc_count_all(), 3))
        for btext in _terms(reader, "content", 40):
            found = adapter.read_positions(reader, "content", btext, np.asarray(docs, dtype=np.int32))
            assert _split(*found) == _positions_by_matcher(reader, "content", btext, docs)


# -- phrases --------------------------------------------------------------------------------


def _phrases(searcher, count: int, seed: int) -> list[wq.Phrase]:
    """Phrases as queries make them: runs of words from the articles' own titles and text,
    some reordered, some with a word left out or swapped for another, at several slops."""
    rng = random.Random(seed)
    stored = [searcher.stored_fields(d) for d in range(searcher.doc_count_all())]
    vocabulary = sorted({p for f in stored for w in query_words(f.get("title", "")) for p in w.parts})
    out = []
    while len(out) < count:
        fields = stored[rng.randrange(len(stored))]
        fieldname = rng.choice(["title", "content", "content"])
        stream = [p for w in query_words(fields.get("title" if fieldname == "title" else "text", "")) for p in w.parts]
        if len(stream) < 2:
            continue
        size = rng.randint(2, min(5, len(stream)))
        start = rng.randrange(len(stream) - size + 1)
        words = stream[start:start + size]
        change = rng.random()
        if change < 0.2:
            words = words[::-1]
        elif change < 0.4 and len(words) > 2:
            del words[rng.randrange(1, len(words) - 1)]
        elif change < 0.5:
            words[rng.randrange(len(words))] = rng.choice(vocabulary)
        out.append(wq.Phrase(fieldname, words, slop=rng.choice(SLOPS)))
    return out


def _found(ev: Evaluation, q: wq.Query, restrict: np.ndarray | None = None) -> set[int]:
    return set(np.flatnonzero(ev.run(q, restrict=restrict).mask).tolist())


@pytest.mark.parametrize("source", ["sidecars and term tables", "sidecars alone", "whoosh blocks",
                                    "whoosh public API"])
def test_phrases_match_where_whooshs_phrase_matcher_does(whoosh_searcher, source, request) -> None:
    if source == "whoosh public API":
        request.getfixturevalue("public_path")
    folder = whoosh_searcher.folder if source.startswith("sidecars") else None  # no folder: no sidecars
    ev = Evaluation(IndexVersion(whoosh_searcher, folder, SegmentCache()), whoosh_searcher)
    if source == "sidecars alone":
        ev.v.terms = None  # as for a segment whose term table is missing
    everything = np.ones(ev.v.size, dtype=bool)
    matched = 0
    for q in _phrases(whoosh_searcher, 300, seed=len(source)):
        expected = set(whoosh_searcher.docs_for_query(q))
        assert len(expected) < MAX_PHRASE_CHECKS
        assert _found(ev, q) == expected, q
        assert _found(ev, q, restrict=everything) == expected, q
        matched += bool(expected)
    assert 50 < matched < 300  # phrases that hold and phrases that do not


def test_phrases_checked_in_a_few_documents_are_checked_in_those_only(whoosh_searcher) -> None:
    ev = Evaluation(IndexVersion(whoosh_searcher, whoosh_searcher.folder, SegmentCache()), whoosh_searcher)
    rng = random.Random(11)
    for q in _phrases(whoosh_searcher, 80, seed=11):
        whole = ev.run(q)
        expected = set(np.flatnonzero(whole.mask).tolist())
        half = np.zeros(ev.v.size, dtype=bool)
        half[::2] = True
        assert _found(ev, q, restrict=half) == {d for d in expected if d % 2 == 0}
        # A handful of documents (looked up one by one rather than over whole lists).
        few = sorted(set(rng.sample(sorted(expected), min(2, len(expected)))) | {rng.randrange(ev.v.size)})
        some = ev.v.mask_of(few)
        found = ev.run(q, restrict=some)
        assert set(np.flatnonzero(found.mask).tolist()) == expected & set(few)
        assert found.at(np.asarray(few))[1].tolist() == whole.at(np.asarray(few))[1].tolist()


def test_positions_of_several_words_read_together_are_each_words_own(whoosh_searcher) -> None:
    rng = random.Random(9)
    for sub, _offset in whoosh_searcher.leaf_searchers():
        reader = sub.reader()
        sidecar = Sidecar.open(whoosh_searcher.folder, reader)
        rows = rng.sample(range(len(sidecar.offsets)), min(12, len(sidecar.offsets)))
        n = reader.doc_count_all()
        for size in (1, 5, 40):
            docs = np.asarray(sorted(rng.sample(range(n), min(size, n))), dtype=np.int32)
            together = sidecar.positions_of_rows(rows, docs)
            for row, (counts, flat) in zip(rows, together, strict=True):
                alone_counts, alone_flat = sidecar.positions_at(row, docs)
                assert counts.tolist() == alone_counts.tolist()
                assert flat.tolist() == alone_flat.tolist()


@pytest.mark.parametrize("source", ["sidecars and term tables", "sidecars alone", "whoosh blocks"])
def test_a_querys_phrases_checked_in_the_same_few_documents_hold_where_each_holds_alone(whoosh_searcher,
                                                                                       source) -> None:
    """A query's phrases checked in a few documents have every word's positions read at once:
    each phrase still holds, and scores, as it does checked on its own."""
    folder = whoosh_searcher.folder if source.startswith("sidecars") else None
    ev = Evaluation(IndexVersion(whoosh_searcher, folder, SegmentCache()), whoosh_searcher)
    if source == "sidecars alone":
        ev.v.terms = None
    rng = random.Random(17)
    phrases = _phrases(whoosh_searcher, 120, seed=17)
    held = 0
    for start in range(0, len(phrases), 12):
        batch = phrases[start:start + 12]
        likely = sorted({d for q in batch for d in whoosh_searcher.docs_for_query(q)})
        few = np.asarray(sorted(set(rng.sample(likely, min(4, len(likely)))) | {rng.randrange(ev.v.size)}))
        together = ev.run(wq.Or(batch), restrict=ev.v.mask_of(few))
        alone = [Evaluation(ev.v, whoosh_searcher).run(q, restrict=ev.v.mask_of(few)) for q in batch]
        expected = set().union(*(set(np.flatnonzero(m.mask).tolist()) for m in alone))
        assert set(np.flatnonzero(together.mask).tolist()) == expected
        score = sum((m.at(few)[1].astype(np.float64) for m in alone), np.zeros(len(few)))
        assert np.allclose(together.at(few)[1], score, rtol=1e-5)
        held += len(expected)
    assert held > 10


@pytest.mark.parametrize("source", ["sidecars and term tables", "whoosh blocks"])
def test_many_phrases_checked_by_positions_alone_are_found_where_whoosh_finds_them(whoosh_searcher,
                                                                                   source) -> None:
    """``phrases_in`` (a ticket's runs in its best candidates) checks positions without
    scoring: it must hold exactly where Whoosh's phrase matcher does, for one document or a
    few, a word looked up once for every phrase that has it."""
    folder = whoosh_searcher.folder if source.startswith("sidecars") else None
    ev = Evaluation(IndexVersion(whoosh_searcher, folder, SegmentCache()), whoosh_searcher)
    rng = random.Random(5)
    phrases = [q for q in _phrases(whoosh_searcher, 240, seed=5) if q.fieldname == "content"]
    held = 0
    for start in range(0, len(phrases), 24):
        batch = phrases[start:start + 24]
        slop = batch[0].slop
        expected = [set(whoosh_searcher.docs_for_query(wq.Phrase("content", q.words, slop=slop))) for q in batch]
        likely = sorted({d for docs in expected for d in docs})
        # Documents with every word of a phrase, in order or not: where slop and order decide.
        near = sorted({d for q in batch for d in whoosh_searcher.docs_for_query(
            wq.And([wq.Term("content", w) for w in q.words]))} - set(likely))
        docs = sorted(set(rng.sample(likely, min(3, len(likely)))) | set(rng.sample(near, min(3, len(near))))
                      | {rng.randrange(ev.v.size)})
        found = ev.phrases_in("content", [tuple(q.words) for q in batch], slop, np.asarray(docs))
        assert found.shape == (len(batch), len(docs))
        for row, q, want in zip(found, batch, expected, strict=True):
            assert {d for d, hit in zip(docs, row.tolist(), strict=True) if hit} == want & set(docs), q
            held += bool(want & set(docs))
    assert held > 10


def test_a_phrase_is_its_words_in_order_within_the_slop() -> None:
    # Two candidates: "a b x c" and "c b a".
    a = position_keys((np.array([1, 1]), np.array([0, 2])))
    b = position_keys((np.array([1, 1]), np.array([1, 1])))
    c = position_keys((np.array([1, 1]), np.array([3, 0])))
    assert phrase_found([a, b], 1, 2).tolist() == [True, False]
    assert phrase_found([b, a], 1, 2).tolist() == [False, True]
    assert phrase_found([a, b, c], 1, 2).tolist() == [False, False]
    assert phrase_found([a, b, c], 2, 2).tolist() == [True, False]
    assert phrase_found([a, c], 2, 2).tolist() == [False, False]
    assert phrase_found([a, c], 3, 2).tolist() == [True, False]
    assert phrase_found([a, b], 0, 2).tolist() == [False, False]


def test_position_keys_number_candidates_from_the_first_given() -> None:
    keys = position_keys((np.array([2, 0, 1]), np.array([7, 3, 5])), first=4)
    assert keys.tolist() == [(4 << 32) | 3, (4 << 32) | 7, (6 << 32) | 5]


# -- against the stored text ------------------------------------------------------------------

PIECES = ["System.IO.IOException", "access", "denied", "the", "C:\\temp\\x.log", "HTTP", "503", "ORA-12154",
          "sign-in", "x64", "café", "0x80070005", "KB5003637", "ERROR_ACCESS_DENIED", "connections", "is",
          "printer", "offline", "spooler", "restart", "Wi-Fi", "time-out", "login", "failed"]


def _stored_text_positions(text: str) -> dict[str, list[int]]:
    """Positions of every term in a text, numbered as the index analyzer numbers them."""
    found: dict[str, list[int]] = {}
    pos = 0
    for raw in TOKEN_RE.findall(text):
        width, terms, _whole = token_positions(raw)
        for offset, term in terms:
            found.setdefault(term, []).append(pos + offset)
        pos += width
    return found


def _stored_text_has(positions: dict[str, list[int]], words: list[str], slop: int) -> bool:
    if any(w not in positions for w in words):
        return False
    ends = positions[words[0]]
    for word in words[1:]:
        ends = [p for p in positions[word] if any(0 < p - e <= slop for e in ends)]
    return bool(ends)


@pytest.fixture(scope="module")
def one_section(tmp_path_factory):
    """Articles whose searchable words are all in one paragraph (the symptoms), the other
    sections made of words that paragraph never uses."""
    rng = random.Random(7)
    root = tmp_path_factory.mktemp("one-section")
    articles = root / "articles"
    articles.mkdir()
    paragraphs = {}
    for i in range(40):
        text = " ".join(rng.choice(PIECES) for _ in range(rng.randint(3, 40)))
        paragraphs[f"P{i}"] = text
        (articles / f"p{i}.md").write_text(tsg(f"P{i}", "Reference note", symptoms=text, cause="Zyx qwv.",
                                               resolution="1. Vvq zyx."), encoding="utf-8")
    build_index(articles, root / "index")
    vocabulary = sorted({t for text in paragraphs.values() for t in _stored_text_positions(text)})
    return root / "index", paragraphs, vocabulary


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_phrases_in_one_section_are_those_of_its_stored_text(one_section, data) -> None:
    root, paragraphs, vocabulary = one_section
    words = data.draw(st.lists(st.sampled_from(vocabulary), min_size=2, max_size=4))
    slop = data.draw(st.sampled_from(SLOPS))
    expected = {aid for aid, text in paragraphs.items() if _stored_text_has(_stored_text_positions(text), words, slop)}
    ix = whoosh_index.open_dir(str(generation(root)))
    with ix.searcher() as s:
        s_folder = generation(root)
        ev = Evaluation(IndexVersion(s, s_folder, SegmentCache()), s)
        q = wq.Phrase("content", words, slop=slop)
        found = {s.stored_fields(d)["id"] for d in _found(ev, q)}
        assert found == expected
        assert found == {s.stored_fields(d)["id"] for d in s.docs_for_query(q)}


# -- sidecars over time -----------------------------------------------------------------------


def test_phrases_stay_exact_through_updates_deletions_and_merges(corpus) -> None:
    files = {f"a{i}.md": tsg(f"A{i}", f"Printer offline {i}", symptoms="The spooler stops when the printer goes offline.")
             for i in range(6)}
    articles, root = corpus(files)
    build_index(articles, root)
    live = set(range(6))
    rng = random.Random(3)
    for step in range(25):  # small commits: new segments, deletions, merges
        i = rng.randrange(40)
        path = articles / f"a{i}.md"
        if i in live and rng.random() < 0.4:
            path.unlink()
            live.discard(i)
        else:
            symptoms = "The spooler stops when the printer goes offline." if step % 2 else "The printer stays offline."
            path.write_text(tsg(f"A{i}", f"Printer offline {i}", symptoms=symptoms), encoding="utf-8")
            live.add(i)
        build_index(articles, root)
        with Searcher(root) as s:
            assert s.search('"printer offline"', audience="internal").total == len(live)
            stops = s.search('"spooler stops"', audience="internal", limit=100)
            ix = whoosh_index.open_dir(str(generation(root)))
            with ix.searcher() as w:
                expected = {w.stored_fields(d)["id"] for d in w.docs_for_query(wq.Phrase("content", ["spooler", "stop"]))}
            assert {h.id for h in stops.hits} == expected and stops.total == len(expected)
    assert not missing_sidecars(whoosh_index.open_dir(str(generation(root))))


def _results(root, queries) -> list[list[tuple[str, float]]]:
    with Searcher(root) as s:
        return [[(h.id, h.score) for h in s.search(q, audience="internal").hits] for q in queries]


def _older_sidecars_serve_and_are_rewritten(articles, root, queries, before) -> None:
    """Every sidecar of the index is of an older layout: searches find what they found
    before, and the next build rewrites them all."""
    folder = generation(root)
    older = missing_sidecars(whoosh_index.open_dir(str(folder)))
    assert len(older) == len(list(folder.glob(f"*{SIDECAR_EXT}")))
    assert _results(root, queries) == before
    (articles / "a0.md").write_text(tsg("A0", "Login timeout again"), encoding="utf-8")
    build_index(articles, root)
    assert not missing_sidecars(whoosh_index.open_dir(str(generation(root))))


def test_a_sidecar_written_before_positions_still_serves_and_is_rewritten(corpus) -> None:
    files = {f"a{i}.md": tsg(f"A{i}", f"Login timeout {i}", symptoms="Login timeout expired.") for i in range(30)}
    articles, root = corpus(files)
    build_index(articles, root)
    folder = generation(root)
    queries = ('"login timeout"', "login timeout expired", "A3 login timeout")
    before = _results(root, queries)
    for path in folder.glob(f"*{SIDECAR_EXT}"):  # the postings-only layout of earlier versions
        current = Sidecar(path)
        head = struct.pack("<4sqq", b"KBP1", len(current.offsets), len(current.ids))
        path.write_bytes(head + b"".join(a.astype(a.dtype.newbyteorder("<")).tobytes() for a in (
            current.offsets, current.starts, current.ids, current.weights)))
        older = Sidecar(path)
        assert older.positions is None and len(older.ids) == len(current.ids)
    _older_sidecars_serve_and_are_rewritten(articles, root, queries, before)


def test_a_sidecar_of_two_fields_long_lists_serves_and_is_rewritten(corpus, monkeypatch) -> None:
    # The layout before every list was kept: positions, but only the content lists of 24
    # postings or more and the title's; short lists and error codes are read from Whoosh.
    files = {f"a{i}.md": tsg(f"A{i}", f"Login timeout {i}", symptoms=f"Login timeout expired on host{i}.",
                             extra=f'error_codes: ["0x8007{i:04d}"]\n')
             for i in range(30)}
    articles, root = corpus(files)
    build_index(articles, root)
    folder = generation(root)
    queries = ('"login timeout"', "login timeout expired", "host7", "0x80070003", '"expired on host12"')
    before = _results(root, queries)
    assert all(before)
    with monkeypatch.context() as m:
        m.setattr(sidecars, "_MAGIC", b"KBP2")
        m.setitem(sidecars.SIDECAR_MIN_DF, "content", 24)
        ix = whoosh_index.open_dir(str(folder))
        with ix.reader() as reader:
            for sub, _offset in reader.leaf_readers():
                sidecars.write_sidecar(folder, sub, ("content", "title"))
    _older_sidecars_serve_and_are_rewritten(articles, root, queries, before)


def test_the_document_that_quotes_most_of_the_runs_is_named_and_ties_go_to_the_earlier(make_kb, tmp_path) -> None:
    """A ticket's best candidates are asked in their order by words: the one with the most of
    the runs (half or more) is the one, an earlier candidate winning a tie, whatever their
    places in the index."""
    from indexer import Searcher, build_index
    from indexer.analyzers import query_words
    from indexer.engine import Evaluation
    from indexer.message_runs import most_quoting
    from indexer.plan import word_runs
    from tests.indexer.conftest import tsg

    opening = "the sync agent stops after the nightly certificate rotation"
    passage = f"{opening} and queues every change locally until an administrator restarts the service"
    articles = make_kb({
        "a.md": tsg("A", "Agent notes", symptoms=f"Seen in March: {passage}."),
        "b.md": tsg("B", "Rotation notes", symptoms=f"{passage}, as support found."),
        "c.md": tsg("C", "Half of it", symptoms="The sync agent stops after the nightly backup."),
        "d.md": tsg("D", "Unrelated", symptoms="Printers queue jobs locally."),
        "e.md": tsg("E", "Opening only", symptoms=f"Known: {opening} and more, then it recovers."),
    })
    root = tmp_path / "index"
    build_index(articles, root)
    runs = word_runs(query_words(passage))
    assert len(runs) >= 10
    with Searcher(root) as s, s._versions.use("internal") as ctx:
        ev = Evaluation(ctx.engine, ctx.searcher)
        doc = {ctx.searcher.stored_fields(n)["id"]: n for n in range(ctx.searcher.doc_count_all())}
        assert most_quoting(ev, runs, [doc["B"], doc["A"]], 0.5) == 0
        assert most_quoting(ev, runs, [doc["D"], doc["C"], doc["A"], doc["B"]], 0.5) == 2
        assert most_quoting(ev, runs, [doc["C"], doc["D"]], 0.5) is None, "C has only the opening runs"
        assert most_quoting(ev, runs, [doc["C"]], 0.15) == 0
        assert most_quoting(ev, runs[:1], [doc["A"]], 0.5) is None, "one run is too short to be quoted"
        assert most_quoting(ev, runs, [doc["E"]], 0.3) == 0, "E quotes the opening: enough at 0.3"
        assert most_quoting(ev, runs, [doc["E"], doc["D"], doc["B"]], 0.3) == 2, "B quotes more than E"
