"""The per-stage timing of searches: opt-in, exclusive, and covering the stages a search passes."""

from __future__ import annotations

import time

from indexer.stages import STAGES, record, stage


def test_stages_cost_nothing_and_record_nothing_unless_asked() -> None:
    with stage("parse"):
        pass
    with record() as times:
        pass
    assert dict(times.seconds) == {}


def _work(seconds: float) -> None:
    """Keep this thread's CPU busy for ``seconds`` of CPU time."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_an_inner_stage_is_charged_to_itself_only() -> None:
    with record() as times:
        with stage("scoring"):
            _work(0.02)
            with stage("phrases"):
                _work(0.05)
            _work(0.02)
    assert 0.05 <= times.seconds["phrases"] < 0.07
    assert 0.04 <= times.seconds["scoring"] < 0.06


def test_waiting_is_charged_to_no_stage() -> None:
    with record() as times:
        with stage("snippets"):
            time.sleep(0.05)
    assert times.seconds["snippets"] < 0.02


def test_a_search_reports_the_stages_it_passes(sample) -> None:
    with record() as times:
        page = sample.search('"access denied" share 0x80070005', audience="internal", limit=5)
    assert page.total > 0
    assert {"parse", "scoring", "snippets", "facets"} <= set(times.seconds)
    assert set(times.seconds) <= set(STAGES)
