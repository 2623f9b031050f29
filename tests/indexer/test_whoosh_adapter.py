"""The fence around Whoosh's internals: on for the Whoosh it was written for only, and harmless when off."""

from __future__ import annotations

import logging

import pytest

from indexer import Searcher
from indexer.engine import whoosh_adapter as adapter
from kb import settings


def test_the_fast_path_is_on_only_for_the_whoosh_it_was_written_for() -> None:
    installed = adapter.installed_version()
    if installed != adapter.WRITTEN_FOR:
        assert not adapter.fast_path(), (
            f"Whoosh is {installed}, the adapter was written for {adapter.WRITTEN_FOR}: the fast path must be off")
    assert adapter.decide(installed, allowed=True) == (installed == adapter.WRITTEN_FOR)


def test_another_whoosh_version_switches_the_fast_path_off_and_says_so(caplog) -> None:
    other = (adapter.WRITTEN_FOR[0], "2.7.6")
    with caplog.at_level(logging.WARNING, logger=adapter.__name__):
        assert adapter.decide(other, allowed=True) is False
    assert "2.7.6" in caplog.text and "public API" in caplog.text


def test_the_fast_path_can_be_switched_off_by_the_environment(caplog, monkeypatch) -> None:
    monkeypatch.setenv(settings.setting("whoosh_fast").env, "off")
    with caplog.at_level(logging.WARNING, logger=adapter.__name__):
        assert adapter.decide(adapter.WRITTEN_FOR) is False
    assert settings.setting("whoosh_fast").env in caplog.text


@pytest.fixture
def public_path():
    previous = adapter.set_fast_path(False)
    try:
        yield
    finally:
        adapter.set_fast_path(previous)


QUERIES = ["ORA-12154", "odbc login timeout", '"access denied" share', "outlook password prompt",
           "Login timeout expired SQLSTATE HYT00", "obdc conection faild"]


def test_the_public_path_gives_the_same_answers(sample_index, public_path) -> None:
    adapter.set_fast_path(True)
    with Searcher(sample_index) as fast:
        expected = {q: fast.search(q, audience="internal") for q in QUERIES}
    adapter.set_fast_path(False)
    assert not adapter.fast_path()
    with Searcher(sample_index) as slow:
        for q in QUERIES:
            page = slow.search(q, audience="internal")
            assert [h.id for h in page.hits] == [h.id for h in expected[q].hits], q
            assert [h.score for h in page.hits] == pytest.approx([h.score for h in expected[q].hits], abs=1e-3)
            assert page.total == expected[q].total
