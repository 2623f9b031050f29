"""A rebuild's segments, written term by term in whole blocks, are the files Whoosh's own
writer writes for the same documents."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from indexer.engine import whoosh_adapter as adapter
from indexer.schema import ArticleSchema, document_fields
from kb.articles import iter_article_paths, parse_article

SAMPLE = Path(__file__).resolve().parents[2] / "articles"


def _sample_articles() -> list:
    articles = [a for a in (parse_article(p, SAMPLE).article for p in iter_article_paths(SAMPLE)) if a]
    assert len(articles) >= 40
    return articles


def _segment_files(folder: Path, writer_of, copies: int = 3) -> dict[str, bytes]:
    """The files of one segment holding every sample article ``copies`` times (so common
    words have lists of several blocks), by the end of their names."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), ArticleSchema())
    writer = writer_of(ix)
    articles = _sample_articles() if copies else []
    # A product of punctuation only and no component: its word field gets no terms here.
    articles.append(dataclasses.replace(_sample_articles()[0], id="KB-PUNCT", path="punct.md", product="—",
                                        component=None))
    for copy in range(max(copies, 1)):
        for n, article in enumerate(articles):
            writer.add_document(**document_fields(article, reuse_count=(n + copy) % 3))
    segment = adapter.finish_segment(writer)
    prefix = segment.segment_id()  # MAIN_<random>: each file is named after it
    files = {path.name[len(prefix):]: path.read_bytes() for path in folder.iterdir() if path.name.startswith(prefix)}
    assert files, "the segment's files are named after it"
    return files


def test_the_bulk_writer_writes_whoosh_s_own_files_byte_for_byte(tmp_path: Path) -> None:
    if not adapter.fast_path():
        pytest.fail("the fast path is off: the bulk writer is not in use")
    codec = adapter.writer_codec()
    bulk_writer = adapter.segment_writer(whoosh_index.create_in(str(tmp_path), ArticleSchema()),
                                         limitmb=64, codec=codec)
    assert type(bulk_writer) is not SegmentWriter, "rebuilds write with the bulk writer"
    bulk_writer.cancel()

    ours = _segment_files(tmp_path / "bulk", lambda ix: adapter.segment_writer(ix, limitmb=64, codec=codec))
    whooshs = _segment_files(tmp_path / "whoosh",
                             lambda ix: SegmentWriter(ix, _lk=False, limitmb=64, compound=False, codec=codec))
    assert ours.keys() == whooshs.keys()
    for ext in ours:
        assert ours[ext] == whooshs[ext], f"the {ext} files differ"
    assert len(ours[".pst"]) > 10_000, "the postings file holds the articles' postings"

    # A segment in which a field has no term at all: Whoosh leaves the field out.
    alone = _segment_files(tmp_path / "bulk-alone", lambda ix: adapter.segment_writer(ix, limitmb=64, codec=codec),
                           copies=0)
    whoosh_alone = _segment_files(
        tmp_path / "whoosh-alone", lambda ix: SegmentWriter(ix, _lk=False, limitmb=64, compound=False, codec=codec),
        copies=0)
    assert alone == whoosh_alone


def test_a_schema_the_bulk_writer_cannot_copy_gets_whoosh_s_own_writer(tmp_path: Path) -> None:
    from whoosh.fields import TEXT, Schema

    ix = whoosh_index.create_in(str(tmp_path), Schema(body=TEXT(vector=True)))
    writer = adapter.segment_writer(ix, limitmb=64, codec=adapter.writer_codec())
    assert type(writer) is SegmentWriter, "term vectors are written by Whoosh"
    writer.cancel()


def test_kb_s_codec_writes_postings_whoosh_reads_as_its_own(tmp_path: Path) -> None:
    """Small blocks are left uncompressed (their info says so): every term's postings read
    back, through Whoosh's matchers and through kb's whole-list reader, as W3 wrote them."""
    from whoosh.codec.whoosh3 import W3Codec

    def written(name: str, codec):
        folder = tmp_path / name
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), ArticleSchema())
        with ix.writer(limitmb=64, codec=codec) as writer:
            for copy in range(8):
                for n, article in enumerate(_sample_articles()):
                    writer.add_document(**document_fields(article, reuse_count=(n + copy) % 3))
        return ix.reader()

    ours, whooshs = written("kb", adapter.writer_codec()), written("w3", W3Codec())
    terms = list(whooshs.all_terms())
    assert terms == list(ours.all_terms())
    long_lists = 0
    for fieldname, text in terms:
        expected = whooshs.postings(fieldname, text)
        got = ours.postings(fieldname, text)
        assert list(got.items_as("weight")) == list(expected.items_as("weight")), (fieldname, text)
        if whooshs.schema[fieldname].format.supports("positions"):
            positions = [list(v) for _, v in whooshs.postings(fieldname, text).items_as("positions")]
            assert [list(v) for _, v in ours.postings(fieldname, text).items_as("positions")] == positions
        ids, weights = adapter.read_postings(ours, fieldname, text)
        assert ids.tolist() == [i for i, _ in whooshs.postings(fieldname, text).items_as("weight")]
        long_lists += len(ids) > 128
    assert long_lists, "some lists span several blocks"
