"""The KCS measures from a known history of cases, flags, tasks and articles."""

from datetime import date, datetime, timedelta

import pytest

from kb.articles import load_knowledge_base
from kb.cases import store
from kb.cases.insights import Scope
from kb.kcs import measures
from kb.kcs import tasks as t
from kb.kcs.flags import flag_article
from kb.kcs.policy import Policy
from kb.model import Article
from kb.resolution_codes import load_taxonomy
from tests.conftest import TAXONOMY
from tests.kcs.conftest import front

DAY = datetime(2026, 10, 5, 9)  # a Monday


@pytest.fixture
def history(engine, make_kb):
    """KB1 captured on case 1 (new), then reused on cases 2 and 3 (known); case 4 closed without one."""
    taxonomy = load_taxonomy(TAXONOMY)[0]
    root = make_kb({
        "kb1.md": front("KB1", "Captured", confidence="validated", validated_at="2026-10-15", validated_by="ana"),
        "kb2.md": front("KB2", "Captured, waiting", confidence="not-validated"),
        "kb3.md": front("KB3", "Old validated", updated="2025-01-01"),
        "kb4.md": front("KB4", "Draft", status="draft"),
        "kb5.md": front("KB5", "Archived", status="archived", superseded_by="KB3"),
    })

    def solved(n, article, who, at):
        case = store.create_case(engine, title=f"case {n}", at=at)
        if article:
            store.link_article(engine, case.id, article, solved=True, linked_by=who, at=at)
        store.close_case(engine, taxonomy, case.id, "solved-existing-article" if article else "configuration-change",
                         at=at)

    solved(1, "KB1", "ana", DAY)
    solved(2, "KB1", "bo", DAY + timedelta(days=7))
    solved(3, "KB1", "bo", DAY + timedelta(days=8))
    solved(4, None, None, DAY + timedelta(days=8))
    solved(5, "KB2", "cy", DAY + timedelta(days=9))
    flag_article(engine, Article(id="KB3", title="Old", body="", path="kb3.md"), "outdated", "", source="article",
                 policy=Policy(), user_name="bo", at=DAY)
    task, _ = t.raise_task(engine, kind=t.REVIEW, key="review:KB3", title="Review", at=DAY - timedelta(days=40))
    t.resolve_task(engine, task.id, note="ok", by="cy", at=DAY - timedelta(days=30))
    return Scope(engine, load_knowledge_base(root).articles, today=date(2026, 11, 1), bucket="week")


def test_new_vs_known_counts_an_articles_first_case_as_new_and_later_ones_as_reuse(history):
    report = measures.new_vs_known(history)
    assert report.summary == {"new": 2, "known": 2, "reuse_rate": 0.5}
    assert report.rows == [("2026-10-05", 1, 0, 0.0), ("2026-10-12", 1, 2, 0.6667)]
    assert measures.reuse_rate(history).summary == {"reuse_rate": 0.5, "cases": 4}


def test_participation_counts_cases_linked_new_articles_flags_and_tasks_closed(history):
    rows = {r[0]: r[1:] for r in measures.participation(history).rows}
    assert rows == {"bo": (2, 0, 1, 0), "ana": (1, 1, 0, 0), "cy": (1, 1, 0, 1)}


def test_task_aging_buckets_open_tasks_and_times_closed_ones(history):
    report = measures.task_aging(history)
    by_kind = {r[0]: r for r in report.rows}
    assert by_kind["flag"][1] == 1 and by_kind["review"][-2:] == (1, 10)
    assert report.summary["open"] == 1


def test_validated_share_is_of_the_articles_readers_can_use(history):
    report = measures.validated_share(history)
    assert report.summary == {"validated": 2, "not_validated": 1, "validated_share": 0.6667}
    assert dict((r[0], r[2]) for r in report.rows) == {"work-in-progress": 1, "not-validated": 1, "validated": 2,
                                                       "archived": 1}


def test_capture_to_publication_measures_days_to_validation_and_lists_those_waiting(history):
    report = measures.capture_to_publication(history)
    assert [(r[0], r[4], r[5]) for r in report.rows] == [("KB1", 10, "published"), ("KB2", 18, "not validated")]
    assert report.summary == {"published": 1, "waiting": 1, "median_days": 10}


def test_every_measure_has_a_chart_and_a_csv_twin(history):
    for build in measures.MEASURES.values():
        report = build(history)
        assert report.svg().startswith("<svg") and report.to_csv().splitlines()[0].split(",") == list(report.columns)


def test_an_article_that_existed_before_its_first_case_was_known_and_a_captured_one_new(engine, make_kb):
    taxonomy = load_taxonomy(TAXONOMY)[0]
    root = make_kb({"old.md": front("OLD", "Written last year", updated="2025-06-01"),
                    "cap.md": front("CAP", "Captured", updated="2025-01-01",
                                    body="## More information\n\nCaptured from case CAS-000003.\n")})
    for n, article in enumerate(("OLD", "OLD", "CAP"), start=1):
        case = store.create_case(engine, title=f"case {n}", at=DAY)
        store.link_article(engine, case.id, article, solved=True, linked_by="bo", at=DAY + timedelta(hours=n))
        store.close_case(engine, taxonomy, case.id, "solved-existing-article", at=DAY + timedelta(hours=n))
    report = measures.new_vs_known(Scope(engine, load_knowledge_base(root).articles, bucket="month"))
    # OLD predates its first case: known twice. CAP's date is older too, but it was captured from
    # case 3: new there.
    assert report.summary == {"new": 1, "known": 2, "reuse_rate": 0.6667}
