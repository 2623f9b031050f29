"""Typos are matched against each segment's words: near misses by edit distance, new segments included."""

from __future__ import annotations

from indexer import Searcher, build_index
from indexer.engine.vocabulary import Vocabulary, near
from tests.indexer.conftest import tsg


def test_near_counts_a_swap_as_one_edit_and_keeps_the_first_letter() -> None:
    words = Vocabulary(["odbc", "oracle", "timeout", "timer", "dobc", "odbcs", "kerberos"])
    assert dict(words.near("obdc", 1)) == {"odbc": 1}  # "dobc" starts with another letter
    assert dict(words.near("timout", 1)) == {"timeout": 1}
    assert dict(words.near("odbc", 1)) == {"odbc": 0, "odbcs": 1}
    assert words.near("", 2) == []


def test_near_over_segments_gives_each_word_once() -> None:
    found = near([Vocabulary(["timeout", "timer"]), Vocabulary(["timeout", "timed"])], "timeot", 2)
    assert found == {"timeout": 1, "timer": 2, "timed": 2}


def test_a_typo_of_a_word_only_a_newly_added_article_has_is_matched_and_corrected(corpus) -> None:
    articles, root = corpus({f"a{i}.md": tsg(f"KB{i:04d}", f"Printer queue stuck {i}") for i in range(5)})
    build_index(articles, root, embed=False)
    with Searcher(root, check_interval=0) as searcher:
        assert searcher.search("kerberoasting detected", audience="internal").total == 0
        (articles / "new.md").write_text(tsg("KB0100", "Kerberoasting detected on a service account",
                                             symptoms="Kerberoasting alerts fire."), encoding="utf-8")
        build_index(articles, root, embed=False)  # incremental: the new article is a new segment
        page = searcher.search("kerberoastnig detected", audience="internal")
        assert [h.id for h in page.hits] == ["KB0100"]
        assert page.did_you_mean == "kerberoasting detected"
