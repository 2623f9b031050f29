"""The public contact flow's steps and the deflection rate they add up to."""

from __future__ import annotations

from datetime import datetime

import pytest

from kb.cases import deflection as d
from kb.cases import store


def session(n: int) -> str:
    return f"session-{n:04d}"


def test_steps_are_recorded_in_order_with_their_articles(engine):
    sid = d.new_session_id()
    d.record_event(engine, sid, d.SUGGESTIONS_SHOWN, article_ids=["KB0001", "KB0002", "KB0001"],
                   query="vpn drops")
    d.record_event(engine, sid, d.ARTICLE_CLICKED, article_ids=["KB0002"])
    d.record_event(engine, sid, d.SOLVED, article_ids=["KB0002"])
    events = d.session_events(engine, sid)
    assert [(e.kind, e.article_ids) for e in events] == [
        ("suggestions_shown", ("KB0001", "KB0002")), ("article_clicked", ("KB0002",)),
        ("solved", ("KB0002",))]
    assert events[0].query == "vpn drops"
    assert d.session_outcome(engine, sid) == d.DEFLECTED


def test_what_the_customer_typed_is_kept_without_nul_characters(engine):
    sid = d.new_session_id()
    d.record_event(engine, sid, d.SUGGESTIONS_SHOWN, article_ids=["KB0001"], query="printer\x00 offline")
    assert d.session_events(engine, sid)[0].query == "printer offline"


def test_submitting_after_solved_is_not_a_deflection(engine):
    case = store.create_case(engine, title="VPN", channel="portal")
    d.record_event(engine, session(1), d.SOLVED, article_ids=["KB0002"])
    d.record_event(engine, session(1), d.SUBMITTED, case_id=case.id)
    assert d.session_outcome(engine, session(1)) == d.SUBMITTED
    assert d.session_outcome(engine, session(2)) == d.ABANDONED


@pytest.mark.parametrize("sid,kind,kwargs,message", [
    ("session-0001", "liked", {}, "not a contact-flow step"),
    ("short", d.SOLVED, {"article_ids": ["KB1"]}, "malformed"),
    ("session-0001", d.SOLVED, {}, "exactly one article"),
    ("session-0001", d.ARTICLE_CLICKED, {"article_ids": ["KB1", "KB2"]}, "exactly one article"),
    ("session-0001", d.SUBMITTED, {}, "names the case"),
    ("session-0001", d.SOLVED, {"article_ids": ["<script>"]}, "not an article id"),
])
def test_malformed_steps_are_refused(engine, sid, kind, kwargs, message):
    with pytest.raises(d.DeflectionError, match=message):
        d.record_event(engine, sid, kind, **kwargs)


def test_rate_and_periods_from_a_known_set_of_sessions(engine):
    case = store.create_case(engine, title="VPN", channel="portal")
    monday, tuesday, next_week = datetime(2026, 3, 2, 9), datetime(2026, 3, 3, 9), datetime(2026, 3, 10, 9)
    # Week of 2 March: 3 deflected, 1 submitted, 1 abandoned. Week of 9 March: 1 submitted.
    for n, at in ((1, monday), (2, monday), (3, tuesday)):
        d.record_event(engine, session(n), d.SUGGESTIONS_SHOWN, article_ids=["KB0001"], at=at)
        d.record_event(engine, session(n), d.SOLVED, article_ids=["KB0001"], at=at)
    d.record_event(engine, session(4), d.SUGGESTIONS_SHOWN, article_ids=[], at=tuesday)
    d.record_event(engine, session(4), d.SUBMITTED, case_id=case.id, at=tuesday)
    d.record_event(engine, session(5), d.SUGGESTIONS_SHOWN, article_ids=["KB0002"], at=tuesday)
    d.record_event(engine, session(6), d.SUBMITTED, case_id=case.id, at=next_week)

    stats = d.deflection_stats(engine)
    assert (stats.sessions, stats.deflected, stats.submitted, stats.abandoned) == (6, 3, 2, 1)
    assert stats.rate == 0.6
    weekly = d.deflection_by_period(engine, bucket="week")
    assert [(p.isoformat(), s.rate) for p, s in weekly] == [("2026-03-02", 0.75), ("2026-03-09", 0.0)]
    assert d.deflection_stats(engine, since=next_week).sessions == 1
    assert d.deflection_stats(engine, until=tuesday).sessions == 2
    assert d.article_outcomes(engine)["KB0001"] == {"shown": 3, "clicked": 0, "solved": 3}
    assert d.DeflectionStats(0, 0, 0, 0).rate is None
