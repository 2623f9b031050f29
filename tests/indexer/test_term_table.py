"""Term tables: a term's document frequency and posting lists found without Whoosh's
term dictionary, identical to what Whoosh reads, over segments added and merged by updates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index

from indexer import Searcher, build_index
from indexer.engine import Evaluation, IndexVersion, SegmentCache
from indexer.engine.sidecars import SIDECAR_EXT, missing_sidecars, segment_postings, write_sidecars
from indexer.engine.term_table import TABLE_EXT, TermTable, term_key
from tests.indexer.conftest import tsg

WORDS = ["printer", "offline", "spooler", "driver", "queue", "toner", "duplex", "tray", "jam", "firmware"]


def _folder(root: Path, audience: str = "internal") -> Path:
    pointer = json.loads((root / "CURRENT").read_text(encoding="utf-8"))
    return root / pointer["dir"] / audience


def _article(i: int) -> str:
    # Each article repeats a few words a different number of times, so lists differ in
    # length (long lists live in the sidecar, short ones are read from Whoosh) and weight.
    words = " ".join(WORDS[j % len(WORDS)] for j in range(i % 7, i % 7 + 3 + i % 5))
    return tsg(f"P{i}", f"Printer problem {i} {WORDS[i % len(WORDS)]}", symptoms=f"{words} error P{i:04d}.")


@pytest.fixture
def segmented(corpus):
    """An index of several segments: a first build, then updates that add and delete articles."""
    articles, root = corpus({f"p{i}.md": _article(i) for i in range(40)})
    build_index(articles, root)
    for batch in range(3):
        for i in range(40 + 10 * batch, 50 + 10 * batch):
            (articles / f"p{i}.md").write_text(_article(i), encoding="utf-8")
        (articles / f"p{batch}.md").unlink()
        build_index(articles, root)
    return articles, root


def _terms(reader, fieldname: str) -> list[str]:
    return [b.decode("utf-8") for b in reader.lexicon(fieldname)]


def test_every_terms_frequency_and_postings_equal_whooshs(segmented) -> None:
    _articles, root = segmented
    folder = _folder(root)
    ix = whoosh_index.open_dir(str(folder))
    with ix.searcher() as s:
        assert len(s.leaf_searchers()) > 1, "the updates should have added segments"
        version = IndexVersion(s, folder, SegmentCache())
        assert version.terms is not None
        ev = Evaluation(version, s)
        for fieldname in ("content", "title"):
            terms = _terms(s.reader(), fieldname) + ["nosuchword", "zzz"]
            for text in terms:
                assert version.doc_frequency(s.reader(), fieldname, text) == s.reader().doc_frequency(fieldname, text)
                ids, weights = ev.postings(fieldname, text)
                expected = {}
                for (sub, offset), (*_, data) in zip(s.leaf_searchers(), version.leaves, strict=True):
                    local, w = segment_postings(sub.reader(), data.sidecar, fieldname, text)
                    live = [(int(d) + offset, float(x)) for d, x in zip(local, w, strict=True)
                            if not sub.reader().is_deleted(int(d))]
                    expected.update(live)
                assert dict(zip(ids.tolist(), weights.tolist(), strict=True)) == pytest.approx(expected), text


def test_a_segment_without_its_term_table_is_listed_and_search_is_unchanged(segmented) -> None:
    _articles, root = segmented
    folder = _folder(root)
    with Searcher(root) as s:
        before = s.search("printer spooler", audience="internal")
    tables = sorted(folder.glob(f"*{TABLE_EXT}"))
    assert len(tables) == len(list(folder.glob(f"*{SIDECAR_EXT}"))) > 1
    tables[0].unlink()
    ix = whoosh_index.open_dir(str(folder))
    with ix.searcher() as s:
        assert IndexVersion(s, folder, SegmentCache()).terms is None  # asked of Whoosh instead
    with Searcher(root) as s:
        after = s.search("printer spooler", audience="internal")
    assert [(h.id, h.score) for h in after.hits] == [(h.id, h.score) for h in before.hits]
    assert after.total == before.total
    tasks = missing_sidecars(ix)
    assert [task[2] for task in tasks] == [tables[0].name.removesuffix(TABLE_EXT)]
    assert write_sidecars(tasks) == 1 and tables[0].exists()


def test_a_damaged_term_table_is_not_used(segmented) -> None:
    _articles, root = segmented
    folder = _folder(root)
    with Searcher(root) as s:
        before = s.search("toner jam", audience="internal")
    for path in folder.glob(f"*{TABLE_EXT}"):
        path.write_bytes(path.read_bytes()[:-7])
        assert TermTable.open(folder, _reader_of(folder, path)) is None
    with Searcher(root) as s:
        after = s.search("toner jam", audience="internal")
    assert [(h.id, h.score) for h in after.hits] == [(h.id, h.score) for h in before.hits]


def _reader_of(folder: Path, table: Path):
    ix = whoosh_index.open_dir(str(folder))
    segment_id = table.name.removesuffix(TABLE_EXT)
    for sub, _offset in ix.reader().leaf_readers():
        if sub.segment().segment_id() == segment_id:
            return sub
    raise AssertionError(f"no segment {segment_id}")


def test_term_keys_tell_fields_and_terms_apart() -> None:
    keys = {term_key(f, t) for f in ("content", "title") for t in ("spooler", "spoolers", "Spooler", "")}
    assert len(keys) == 8
    assert term_key("content", "spooler") == term_key("content", b"spooler")
    assert np.uint64(term_key("title", "café")) == np.uint64(term_key("title", "café".encode()))
