"""Owned tasks: one open task per subject, closed with what was done, queued by impact."""

import threading
from datetime import datetime, timedelta

import pytest

from kb.errors import NotFound
from kb.kcs import tasks as t


def raise_flag(engine, article_id="KB1", **extra):
    return t.raise_task(engine, kind=t.FLAG, key=f"flag:{article_id}", title="Check it", article_id=article_id,
                        owner="ana", **extra)


def test_events_on_a_subject_with_an_open_task_fold_into_it(engine):
    first, created = raise_flag(engine)
    again, created_again = raise_flag(engine)
    assert created and not created_again
    assert again.id == first.id and again.events == 2
    assert [task.id for task in t.list_tasks(engine)] == [first.id]


def test_a_sweep_event_neither_counts_twice_nor_reopens_a_dismissed_subject(engine):
    task, _ = t.raise_task(engine, kind=t.REVIEW, key="review:KB1:2026-01-01", title="Review", fold=False)
    again, _ = t.raise_task(engine, kind=t.REVIEW, key="review:KB1:2026-01-01", title="Review", fold=False)
    assert again.events == 1
    t.resolve_task(engine, task.id, status=t.DISMISSED, note="Still right.", by="ana")
    assert t.raise_task(engine, kind=t.REVIEW, key="review:KB1:2026-01-01", title="Review", fold=False,
                        reopen=False) == (None, False)


def test_a_new_flag_after_a_fix_opens_a_new_task(engine):
    first, _ = raise_flag(engine)
    t.resolve_task(engine, first.id, fixed_in="abc1234", by="ana")
    second, created = raise_flag(engine)
    assert created and second.id != first.id and second.events == 1


def test_two_processes_raising_the_same_subject_at_once_get_one_task(engine):
    results = []
    barrier = threading.Barrier(4)

    def go():
        barrier.wait()
        results.append(raise_flag(engine)[0].id)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    assert t.get_task(engine, results[0]).events == 4


def test_closing_says_what_was_done_and_happens_once(engine):
    task, _ = raise_flag(engine)
    with pytest.raises(t.TaskError, match="what was done"):
        t.resolve_task(engine, task.id, status=t.DONE, by="ana")
    with pytest.raises(t.TaskError, match="why"):
        t.resolve_task(engine, task.id, status=t.DISMISSED, by="ana")
    done = t.resolve_task(engine, task.id, fixed_in="4f2a9c1", by="ana")
    assert (done.status, done.fixed_in, done.resolved_by) == ("done", "4f2a9c1", "ana")
    with pytest.raises(t.TaskError, match="already done") as refused:
        t.resolve_task(engine, task.id, note="again", by="bo")
    assert refused.value.field == "status"


def test_unknown_task_ids_are_not_found(engine):
    with pytest.raises(NotFound):
        t.get_task(engine, 999)
    with pytest.raises(NotFound):
        t.get_task(engine, "DROP TABLE")


def test_queues_filter_by_owner_status_and_kind(engine):
    raise_flag(engine, "KB1")
    t.raise_task(engine, kind=t.REVIEW, key="review:KB2:x", title="Review", article_id="KB2", owner="team-x")
    t.raise_task(engine, kind=t.GAP, key="gap:g1", title="Write it")
    assert [x.article_id for x in t.list_tasks(engine, owners=["ana"])] == ["KB1"]
    assert [x.article_id for x in t.list_tasks(engine, owners=["ana", "team-x"])] == ["KB1", "KB2"]
    assert [x.kind for x in t.list_tasks(engine, unassigned=True)] == ["gap"]
    assert [x.kind for x in t.list_tasks(engine, kind=t.REVIEW)] == ["review"]
    assert t.list_tasks(engine, owners=[]) == []
    assert t.owners_with_tasks(engine) == [("ana", 1), ("team-x", 1)]


def test_impact_puts_the_most_read_and_reused_articles_first_then_the_oldest(engine):
    old = datetime(2026, 1, 1)
    a, _ = raise_flag(engine, "READ", at=old)
    b, _ = raise_flag(engine, "REUSED", at=old + timedelta(days=1))
    c, _ = raise_flag(engine, "QUIET", at=old + timedelta(days=2))
    d, _ = raise_flag(engine, "QUIETER", at=old + timedelta(days=3))
    ranked = t.by_impact([d, c, b, a], views={"READ": 40, "REUSED": 5}, reuse={"REUSED": 4})
    assert [x.article_id for x in ranked] == ["REUSED", "READ", "QUIET", "QUIETER"]
    assert t.impact(b, {"REUSED": 5}, {"REUSED": 4}) == 5 + 4 * t.VIEWS_PER_REUSE + 1


def test_age_runs_until_the_task_is_closed(engine):
    task, _ = raise_flag(engine, at=datetime(2026, 1, 1))
    assert task.age_days(datetime(2026, 1, 11)) == 10
    done = t.resolve_task(engine, task.id, note="fixed", by="ana", at=datetime(2026, 1, 4))
    assert done.age_days(datetime(2026, 3, 1)) == 3
