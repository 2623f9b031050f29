"""Tasks the knowledge base raises by itself, and closes when the files show they were handled."""

from datetime import date, datetime, timedelta

from kb import activity
from kb.articles import load_knowledge_base
from kb.kcs import tasks as t
from kb.kcs.duplicates import Pair
from kb.kcs.policy import Policy
from kb.kcs.sweep import TREND_MIN_VOTES, VALIDATE_AFTER_REUSES, sweep
from tests.kcs.conftest import front

TODAY = date(2026, 11, 1)
NOW = datetime(2026, 11, 1, 12)
POLICY = Policy(default_owner="kb-team")


def kinds(engine, status=t.OPEN):
    return sorted((x.kind, x.article_id) for x in t.list_tasks(engine, status=status))


def test_a_passed_review_date_raises_one_task_and_moving_the_date_closes_it(engine, make_kb):
    root = make_kb({"a.md": front("A", "Due", review_by="2026-10-01", owner="ana"),
                    "b.md": front("B", "Not due", review_by="2027-10-01")})
    first = sweep(engine, load_knowledge_base(root).articles.values(), POLICY, today=TODAY, now=NOW)
    again = sweep(engine, load_knowledge_base(root).articles.values(), POLICY, today=TODAY, now=NOW)
    assert kinds(engine) == [("review", "A")] and first.opened and not again.opened
    assert t.list_tasks(engine)[0].owner == "ana"
    (root / "a.md").write_text(front("A", "Due", review_by="2027-06-01", owner="ana"), encoding="utf-8")
    report = sweep(engine, load_knowledge_base(root).articles.values(), POLICY, today=TODAY, now=NOW)
    assert kinds(engine) == [] and report.closed == {"review": [first.opened["review"][0]]}
    assert "2027-06-01" in t.list_tasks(engine, status=t.DONE)[0].note


def test_a_dismissed_review_stays_dismissed_until_the_next_due_date(engine, make_kb):
    root = make_kb({"a.md": front("A", "Due", review_by="2026-10-01")})
    sweep(engine, load_knowledge_base(root).articles.values(), POLICY, today=TODAY, now=NOW)
    t.resolve_task(engine, t.list_tasks(engine)[0].id, status=t.DISMISSED, note="Retiring it soon.", by="ana")
    sweep(engine, load_knowledge_base(root).articles.values(), POLICY, today=TODAY, now=NOW)
    assert kinds(engine) == []
    (root / "a.md").write_text(front("A", "Due", review_by="2026-10-15"), encoding="utf-8")
    sweep(engine, load_knowledge_base(root).articles.values(), POLICY, today=TODAY, now=NOW)
    assert kinds(engine) == [("review", "A")]


def test_reuse_of_a_not_validated_article_asks_for_validation(engine, make_kb):
    root = make_kb({"a.md": front("A", "Captured last week", confidence="not-validated"),
                    "b.md": front("B", "Validated", confidence="validated")})
    articles = load_knowledge_base(root).articles.values()
    sweep(engine, articles, POLICY, today=TODAY, reuse={"A": VALIDATE_AFTER_REUSES - 1, "B": 9}, now=NOW)
    assert kinds(engine) == []
    sweep(engine, articles, POLICY, today=TODAY, reuse={"A": VALIDATE_AFTER_REUSES, "B": 9}, now=NOW)
    assert kinds(engine) == [("validate", "A")]
    (root / "a.md").write_text(front("A", "Captured last week", confidence="validated", validated_by="ana",
                                     validated_at="2026-11-01"), encoding="utf-8")
    sweep(engine, load_knowledge_base(root).articles.values(), POLICY, today=TODAY, reuse={"A": 3}, now=NOW)
    assert kinds(engine) == [] and "by ana" in t.list_tasks(engine, status=t.DONE)[0].note


def vote(engine, article_id, helpful, at):
    activity.record_feedback(engine, article_id, helpful)
    with engine.begin() as conn:  # votes carry the time they were cast; set it for the test
        conn.execute(activity.article_feedback.update().where(activity.article_feedback.c.id == (
            conn.execute(activity.article_feedback.select().order_by(activity.article_feedback.c.id.desc())).first().id
        )).values(at=at))


def test_recent_unhelpful_votes_raise_a_task_and_a_fix_starts_the_count_again(engine, make_kb):
    root = make_kb({"a.md": front("A", "Unhelpful"), "b.md": front("B", "Mixed")})
    articles = load_knowledge_base(root).articles.values()
    for n in range(TREND_MIN_VOTES):
        vote(engine, "A", False, NOW - timedelta(days=n + 1))
        vote(engine, "B", n % 2 == 0, NOW - timedelta(days=n + 1))
    vote(engine, "B", True, NOW - timedelta(days=60))
    sweep(engine, articles, POLICY, today=TODAY, now=NOW)
    assert kinds(engine) == [("helpfulness", "A")]
    t.resolve_task(engine, t.list_tasks(engine)[0].id, note="Rewrote the steps.", by="ana", at=NOW)
    sweep(engine, articles, POLICY, today=TODAY, now=NOW + timedelta(hours=1))
    assert kinds(engine) == []


def test_very_likely_duplicates_become_one_task_and_archiving_one_closes_it(engine, make_kb):
    root = make_kb({"a.md": front("A", "One"), "b.md": front("B", "Same")})
    pair = Pair("A", "B", 0.5, 0.93, 0.9, 0.96, (), ("vpn",))
    weak = Pair("A", "C", 0.1, 0.4, 0.4, None, (), ())
    sweep(engine, load_knowledge_base(root).articles.values(), POLICY, today=TODAY, duplicates=[pair, weak],
          now=NOW)
    [task] = t.list_tasks(engine)
    assert (task.kind, task.article_id, task.other_article_id, task.owner) == ("duplicate", "A", "B", "kb-team")
    (root / "b.md").write_text(front("B", "Same", status="archived", superseded_by="A"), encoding="utf-8")
    sweep(engine, load_knowledge_base(root).articles.values(), POLICY, today=TODAY, now=NOW)
    assert kinds(engine) == []
