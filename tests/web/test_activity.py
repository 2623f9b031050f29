"""The search log, helpfulness votes and the signals the Searcher ranks by."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from indexer import Signals
from kb import activity
from kb.db import engine_for
from kb.errors import KBError
from tests.conftest import new_database
from tests.databases import BACKEND_PARAMS
from web.signals import CombinedSignals, helpfulness_provider


@pytest.fixture(params=BACKEND_PARAMS)
def engine(request, tmp_path):
    return engine_for(new_database(request, request.param, tmp_path))


def test_votes_become_signals(engine):
    activity.record_feedback(engine, "KB1", True)
    activity.record_feedback(engine, "KB1", True, "clear steps")
    activity.record_feedback(engine, "KB1", False)
    activity.record_feedback(engine, "KB2", False, "outdated")
    assert activity.signals(engine) == {"KB1": (2, 1), "KB2": (0, 1)}
    assert activity.feedback_counts(engine, "KB1") == (2, 1)
    assert activity.feedback_counts(engine, "nothing") == (0, 0)
    assert [c["comment"] for c in activity.feedback_comments(engine, "KB1")] == ["clear steps"]


def test_a_signed_in_user_keeps_one_vote_per_article(engine):
    from kb.users import add_user

    user = add_user(engine, "voter", "engineer", "a-long-password")
    activity.record_feedback(engine, "KB1", True, user_id=user.id)
    activity.record_feedback(engine, "KB1", False, user_id=user.id)
    assert activity.signals(engine) == {"KB1": (0, 1)}


def test_long_comments_are_refused(engine):
    with pytest.raises(KBError, match="limited"):
        activity.record_feedback(engine, "KB1", True, "x" * (activity.MAX_COMMENT_LENGTH + 1))


def test_search_log_buffers_and_flushes_in_batches(engine):
    log = activity.SearchLog(engine, max_batch=3, max_delay=3600)
    for q in ("a", "b"):
        log.record(activity.SearchRecord(q, "public", 1, 2.5))
    assert activity.recent_searches(engine) == []
    log.record(activity.SearchRecord("c", "internal", 0, 1.0, kind="api"))
    rows = activity.recent_searches(engine)
    assert [r["query"] for r in rows] == ["c", "b", "a"]
    assert rows[0]["audience"] == "internal" and rows[0]["kind"] == "api" and rows[0]["total"] == 0


def test_search_log_flushes_old_records(engine):
    log = activity.SearchLog(engine, max_batch=1000, max_delay=0)
    log.record(activity.SearchRecord("now", "public", 3, 1.0))
    assert [r["query"] for r in activity.recent_searches(engine)] == ["now"]


def test_a_server_writes_due_batches_off_the_request_thread(engine):
    log = activity.SearchLog(engine, max_batch=2, max_delay=3600, background=True)
    log.record(activity.SearchRecord("first", "public", 1, 1.0))
    log.record(activity.SearchRecord("second", "public", 1, 1.0))
    deadline = time.monotonic() + 5
    while len(activity.recent_searches(engine)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [r["query"] for r in activity.recent_searches(engine)] == ["second", "first"]


def test_flush_waits_for_a_batch_being_written_in_the_background(engine, monkeypatch):
    started, release = threading.Event(), threading.Event()
    real = activity.record_searches

    def slow(engine_, records):
        records = list(records)
        if records:
            started.set()
            release.wait(5)
        return real(engine_, records)

    monkeypatch.setattr(activity, "record_searches", slow)
    log = activity.SearchLog(engine, max_batch=1, max_delay=3600, background=True)
    log.record(activity.SearchRecord("in flight", "public", 1, 1.0))
    assert started.wait(5)
    threading.Timer(0.2, release.set).start()
    log.flush()  # returns only once the background batch is written
    assert [r["query"] for r in activity.recent_searches(engine)] == ["in flight"]


def test_search_log_is_thread_safe(engine):
    log = activity.SearchLog(engine, max_batch=7, max_delay=3600)

    def work(n):
        for i in range(50):
            log.record(activity.SearchRecord(f"q{n}-{i}", "public", i, 1.0))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.flush()
    assert len(activity.recent_searches(engine, limit=1000)) == 400


def test_long_queries_are_truncated_in_the_log(engine):
    activity.record_searches(engine, [activity.SearchRecord("x" * 5000, "public", 0, 1.0)])
    assert len(activity.recent_searches(engine)[0]["query"]) == activity.MAX_QUERY_LENGTH


def test_a_nul_character_never_costs_a_batch_of_the_log(engine):
    """PostgreSQL refuses NUL in text; one pasted NUL must not lose the searches logged with it."""
    activity.record_searches(engine, [activity.SearchRecord("before", "public", 1, 1.0),
                                      activity.SearchRecord("vpn\x00 drops", "public", 0, 1.0),
                                      activity.SearchRecord("after", "public", 1, 1.0)])
    assert [r["query"] for r in activity.recent_searches(engine)] == ["after", "vpn drops", "before"]


def test_comments_with_nul_characters_are_refused_clearly(engine):
    with pytest.raises(KBError, match="NUL"):
        activity.record_feedback(engine, "KB1", False, "broken\x00comment")
    assert activity.feedback_counts(engine, "KB1") == (0, 0)


def test_top_queries_and_content_gaps(engine):
    records = [activity.SearchRecord(q, "public", total, 1.0)
               for q, total in [("VPN", 3), ("vpn", 3), ("printer", 0), ("printer", 0), ("dns", 1)]]
    activity.record_searches(engine, records)
    assert activity.top_queries(engine)[0] == ("printer", 2) or activity.top_queries(engine)[0] == ("vpn", 2)
    assert activity.top_queries(engine, zero_results=True) == [("printer", 2)]


def test_combined_signals_merge_providers(engine):
    activity.record_feedback(engine, "KB1", True)
    combined = CombinedSignals([helpfulness_provider(engine)], ttl=0)
    combined.add(lambda: {"KB1": {"reuse_count": 4}, "KB9": {"reuse_count": 1}})
    merged = combined()
    assert merged["KB1"] == Signals(reuse_count=4, helpful=1, unhelpful=0)
    assert merged["KB9"] == Signals(reuse_count=1)
    assert combined.get("missing") == Signals()


def test_combined_signals_cache_until_invalidated(engine):
    calls = []

    def provider():
        calls.append(1)
        return {"KB1": {"helpful": len(calls)}}

    combined = CombinedSignals([provider], ttl=3600)
    assert combined()["KB1"].helpful == 1
    assert combined()["KB1"].helpful == 1
    combined.invalidate()
    assert combined()["KB1"].helpful == 2


def test_a_failing_provider_does_not_break_ranking(engine, caplog):
    def broken():
        raise RuntimeError("case store offline")

    combined = CombinedSignals([broken, lambda: {"KB1": {"helpful": 2}}], ttl=0)
    assert combined()["KB1"].helpful == 2
    assert "case store offline" in caplog.text


def test_a_users_votes_cast_at_once_leave_one_vote(engine):
    from kb.users import add_user

    user = add_user(engine, "double-clicker", "engineer", "a-long-password")
    start = threading.Barrier(8)

    def vote(i: int) -> None:
        start.wait()
        activity.record_feedback(engine, "KB7", i % 2 == 0, user_id=user.id)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(vote, range(8)))
    assert sum(activity.feedback_counts(engine, "KB7")) == 1
