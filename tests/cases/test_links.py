"""Article links and reuse counts: what counts as an article solving a case."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from kb.cases import store
from kb.cases.rules import CaseRuleError
from kb.errors import KBError, NotFound


def test_linking_twice_updates_the_solved_flag_instead_of_duplicating(engine):
    case = store.create_case(engine, title="Printer offline")
    store.link_article(engine, case.id, "KB0003", linked_by="alice")
    link = store.link_article(engine, case.id, "KB0003", solved=True, linked_by="bob")
    assert link.solved and link.linked_by == "alice"
    links = store.get_case(engine, case.id).links
    assert [(lnk.article_id, lnk.solved) for lnk in links] == [("KB0003", True)]


def test_bad_article_ids_are_refused(engine):
    case = store.create_case(engine, title="Printer offline")
    with pytest.raises(store.CaseFieldError, match="not an article id"):
        store.link_article(engine, case.id, "../etc/passwd")


def test_reuse_counts_distinct_done_cases_solved_by_the_article(engine, taxonomy, closed_case):
    closed_case("A", solved_by=("KB0001", "KB0002"))
    closed_case("B", solved_by=("KB0001",))
    related = store.create_case(engine, title="C")
    store.link_article(engine, related.id, "KB0001", solved=False)
    store.link_article(engine, related.id, "KB0003", solved=True)
    store.close_case(engine, taxonomy, related.id, "solved-existing-article")
    open_case = store.create_case(engine, title="D")  # open: its solved link doesn't count yet
    store.link_article(engine, open_case.id, "KB0001", solved=True)
    resolved = store.create_case(engine, title="E")
    store.link_article(engine, resolved.id, "KB0002", solved=True)
    store.resolve_case(engine, taxonomy, resolved.id, "solved-existing-article")

    assert store.reuse_counts(engine) == {"KB0001": 2, "KB0002": 2, "KB0003": 1}
    assert store.reuse_count(engine, "KB0001") == 2
    assert store.reuse_count(engine, "KB9999") == 0
    assert store.case_signals(engine)["KB0002"] == {"reuse_count": 2}
    solved_flags = dict((c.title, s) for c, s in store.cases_for_article(engine, "KB0001"))
    assert solved_flags == {"A": True, "B": True, "C": False, "D": True}


def test_closed_cases_keep_their_links(engine, closed_case):
    case = closed_case("A", solved_by=("KB0001",))
    with pytest.raises(CaseRuleError):
        store.unlink_article(engine, case.id, "KB0001")
    with pytest.raises(CaseRuleError, match="stays"):
        store.link_article(engine, case.id, "KB0001", solved=False)
    # Knowledge found after closing can still be linked.
    store.link_article(engine, case.id, "KB0005", solved=False)
    assert {lnk.article_id for lnk in store.get_case(engine, case.id).links} == {"KB0001", "KB0005"}


def test_unlinking_what_is_not_linked_is_not_found(engine):
    case = store.create_case(engine, title="A")
    with pytest.raises(NotFound):
        store.unlink_article(engine, case.id, "KB0001")


def test_every_link_change_bumps_the_revision_stamp(engine):
    case = store.create_case(engine, title="A")
    before = store.revision_stamp(engine)
    store.link_article(engine, case.id, "KB0001")
    after_link = store.revision_stamp(engine)
    store.link_article(engine, case.id, "KB0001", solved=True)
    assert before < after_link < store.revision_stamp(engine)


RACES = 25


def race(*steps):
    """Run the steps in threads released at the same moment; returns each one's result or error."""
    start = threading.Barrier(len(steps))

    def run(step):
        start.wait()
        try:
            return step()
        except KBError as exc:
            return exc

    with ThreadPoolExecutor(len(steps)) as pool:
        return list(pool.map(run, steps))


def test_closing_and_unlinking_at_once_never_closes_a_case_without_its_article(engine, taxonomy):
    """One engineer closes with "solved by an existing article" while another removes that link."""
    for n in range(RACES):
        case = store.create_case(engine, title=f"race {n}")
        store.link_article(engine, case.id, "KB0001", solved=True)
        race(lambda n=case.id: store.close_case(engine, taxonomy, n, "solved-existing-article"),
             lambda n=case.id: store.unlink_article(engine, n, "KB0001"))
        after = store.get_case(engine, case.id)
        assert after.status != "closed" or after.solved_articles == ("KB0001",), \
            f"{after.display_id} was closed without the article that solved it"


def test_linking_the_same_article_at_once_links_it_once(engine):
    for n in range(RACES):
        case = store.create_case(engine, title=f"race {n}")
        results = race(lambda n=case.id: store.link_article(engine, n, "KB0002", solved=True),
                       lambda n=case.id: store.link_article(engine, n, "KB0002", solved=False))
        assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, KBError)]
        assert [link.article_id for link in store.get_case(engine, case.id).links] == ["KB0002"]
