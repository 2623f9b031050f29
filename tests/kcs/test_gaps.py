"""Gaps found for you: unanswered cases, searches, tickets and flags grouped into topics, and drafts."""

from datetime import datetime, timedelta

import pytest

from kb import activity
from kb.articles import load_knowledge_base
from kb.cases import deflection, store
from kb.kcs import tasks as t
from kb.kcs.drafts import draft_for_topic
from kb.kcs.flags import flag_article
from kb.kcs.gaps import (
    CASE,
    FLAG,
    KINDS,
    QUESTION,
    SEARCH,
    TICKET,
    UNCLICKED,
    GapItem,
    collect_items,
    find_topics,
    record_search_click,
)
from kb.kcs.policy import Policy
from kb.lint import lint
from kb.model import Article
from kb.resolution_codes import load_taxonomy
from tests.conftest import TAXONOMY

NOW = datetime(2026, 11, 1, 12)
VPN = [("VPN tunnel drops every few minutes", "The VPN client disconnects every five minutes on Wi-Fi."),
       ("VPN keeps disconnecting on wireless", "Users lose the VPN tunnel every few minutes when on Wi-Fi."),
       ("Tunnel drops: VPN disconnects on Wi-Fi every 5 minutes", "VPN client disconnects repeatedly.")]
PRINT = [("Print spooler crashes when printing PDFs", "The spooler service stops whenever a PDF is printed."),
         ("Spooler service stops printing PDF files", "Printing a PDF crashes the print spooler.")]


@pytest.fixture
def taxonomy():
    return load_taxonomy(TAXONOMY)[0]


def close(engine, taxonomy, title, description, at, **fields):
    case = store.create_case(engine, title=title, description=description, at=at, **fields)
    return store.close_case(engine, taxonomy, case.id, "configuration-change", "Reset the adapter.", at=at)


def test_every_kind_of_unanswered_evidence_is_collected_once(engine, taxonomy):
    gap = close(engine, taxonomy, *VPN[0], NOW)
    solved = store.create_case(engine, title="Solved with an article", at=NOW)
    store.link_article(engine, solved.id, "KB1", solved=True, at=NOW)
    store.close_case(engine, taxonomy, solved.id, "solved-existing-article", at=NOW)
    ticket = store.create_case(engine, title="Portal ticket after suggestions", channel="portal", at=NOW)
    deflection.record_event(engine, deflection.new_session_id(), "submitted", case_id=ticket.id, at=NOW)
    activity.record_searches(engine, [activity.SearchRecord("vpn drops wifi", "public", 0, 1.0, kind="help", at=NOW)
                                      for _ in range(3)]
                             + [activity.SearchRecord("found things", "public", 4, 1.0, at=NOW),
                                activity.SearchRecord("ab", "public", 0, 1.0, at=NOW)])
    flag_article(engine, Article(id="KB9", title="VPN setup", body="", path="kb9.md"), "missing-information",
                 "Nothing about Wi-Fi drops", source="help", policy=Policy(), at=NOW)
    flag_article(engine, Article(id="KB9", title="VPN setup", body="", path="kb9.md"), "unclear", "",
                 source="article", policy=Policy(), user_name="eng", at=NOW)
    items = {i.key: i for i in collect_items(engine)}
    assert items[f"case:{gap.id}"].kind == CASE
    assert items[f"case:{ticket.id}"].kind == TICKET
    assert items["search:vpn drops wifi"].kind == SEARCH and items["search:vpn drops wifi"].weight == 3
    assert [i.kind for i in items.values() if i.kind == FLAG] == [FLAG]  # the help center's, not the engineer's
    assert f"case:{solved.id}" not in items and "search:found things" not in items and "search:ab" not in items
    assert collect_items(engine, since=NOW + timedelta(days=1)) == []


def test_questions_kb_could_not_answer_or_whose_answer_did_not_help_are_gaps(engine):
    def asked(query, kind, total=0):
        return activity.SearchRecord(query, "public", total, 1.0, kind=kind, at=NOW)

    activity.record_searches(engine, [
        asked("How do I stop Outlook asking for my password", "answer"),
        asked("how do i stop outlook asking for my password", "answer"),
        asked("How do I stop Outlook asking for my password", "answer-unhelpful"),
        asked("Printer prints blank pages after the update", "answer", total=1),  # answered: no gap
        asked("vpn drops on wifi", "help"), asked("vpn drops on wifi", "answer"),  # found nothing, twice
    ])
    items = {i.key: i for i in collect_items(engine)}
    question = items["search:how do i stop outlook asking for my password"]
    assert question.kind == QUESTION and question.weight == 3
    assert "search:printer prints blank pages after the update" not in items
    assert items["search:vpn drops on wifi"].kind == SEARCH and items["search:vpn drops on wifi"].weight == 1


def test_a_search_run_again_and_again_whose_results_nobody_opens_is_a_gap(engine):
    def ran(query, total, at=NOW):
        return activity.SearchRecord(query, "public", total, 1.0, kind="help", at=at)

    activity.record_searches(engine, [ran("Printer offline", 3), ran("printer offline ", 5),  # results, none opened
                                      ran("VPN drops", 4), ran("vpn drops", 4),  # a result was opened
                                      ran("scanner slow", 2),  # once: not yet evidence
                                      ran("toner low", 0), ran("toner low", 3)])  # found nothing once: that kind
    assert record_search_click(engine, "vpn   DROPS", "KB1", at=NOW)
    assert not record_search_click(engine, "  ", "KB1", at=NOW)
    items = {i.key: i for i in collect_items(engine)}
    assert (items["search:printer offline"].kind, items["search:printer offline"].weight) == (UNCLICKED, 2)
    assert "search:vpn drops" not in items and "search:scanner slow" not in items
    assert items["search:toner low"].kind == SEARCH
    # A click before the window doesn't answer the searches in it.
    record_search_click(engine, "printer offline", "KB2", at=NOW - timedelta(days=200))
    assert "search:printer offline" in {i.key for i in collect_items(engine, since=NOW - timedelta(days=1))}


def item(key, title, body="", at=NOW, kind=CASE, weight=1):
    return GapItem(key, kind, title, body, at, weight=weight, case_id=int(key.split(":")[1]) if kind == CASE else None)


def test_items_about_the_same_problem_share_a_topic_and_the_biggest_comes_first():
    items = [item(f"case:{n}", *text) for n, text in enumerate(VPN + PRINT, 1)]
    items.append(item("search:vpn disconnects wifi", "vpn disconnects wifi", kind=SEARCH, weight=4))
    topics = find_topics(items)
    where = {i.key: t.id for t in topics for i in t.items}
    assert len({where[f"case:{n}"] for n in (1, 2, 3)} | {where["search:vpn disconnects wifi"]}) == 1
    assert where["case:4"] == where["case:5"] != where["case:1"]
    assert topics[0].size == 7 and "vpn" in topics[0].terms
    assert topics[0].counts == {CASE: 3, SEARCH: 4}
    assert topics[0].best_case.case_id in (1, 2, 3)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_topic_lists_its_examples_whatever_kinds_of_evidence_it_holds(kind):
    members = [item("case:1", *VPN[0])] + [GapItem(f"{kind}:{title}", kind, title, body, NOW, weight=2)
                                           for title, body in VPN[1:]]
    [topic] = find_topics(members, threshold=0.05)
    assert {i.key for i in topic.examples} == {i.key for i in members}
    assert len(topic.as_dict()["examples"]) == len(members)


def test_a_topics_label_names_what_its_members_share_not_one_members_rare_words():
    texts = [("Mail client hangs after the 2.53.16 update", "2.53.16 zxqv: 2.53.16 hangs opening the inbox. zxqv zxqv"),
             ("Mail client hangs opening the inbox", "The mail client hangs on the inbox."),
             ("Printer jams on duplex", "The printer jams when printing duplex."),
             ("Calendar invites vanish", "Meeting invites disappear from the calendar.")]
    topics = find_topics([item(f"case:{n}", *text) for n, text in enumerate(texts, 1)], threshold=0.05)
    [mail] = [t for t in topics if len(t.items) == 2]
    assert sorted(mail.terms) == ["client", "hangs", "inbox", "mail"]


def test_a_topic_keeps_its_id_as_new_items_join_it():
    items = [item(f"case:{n}", *text, at=NOW - timedelta(days=10 - n)) for n, text in enumerate(VPN[:2], 1)]
    before = find_topics(items)[0].id
    later = items + [item("case:9", *VPN[2], at=NOW)]
    assert find_topics(later)[0].id == before


def test_the_trend_compares_the_last_30_days_with_the_30_before():
    items = [item("case:1", *VPN[0], at=NOW - timedelta(days=40)), item("case:2", *VPN[1], at=NOW - timedelta(days=3)),
             item("case:3", *VPN[2], at=NOW - timedelta(days=1))]
    assert find_topics(items)[0].trend(NOW) == (2, 1)


def test_a_topic_with_a_case_becomes_a_draft_captured_from_it_and_a_task(engine, taxonomy, make_kb):
    root = make_kb({})
    cases = [close(engine, taxonomy, *text, NOW, owner="ana") for text in VPN]
    topic = next(t for t in find_topics(collect_items(engine)) if len(t.items) == 3)
    made = draft_for_topic(engine, topic, root, by="bo", policy=Policy())
    kb = load_knowledge_base(root)
    draft = kb.get(made.article_id)
    assert draft.status == "draft" and draft.confidence == "not-validated" and draft.owner == "ana"
    assert "Reset the adapter." in draft.body and "knowledge-gap topic" in draft.body
    assert all(f"CAS-{c.id:06d}" in draft.body for c in cases)
    assert not [p for p in lint(kb) if p.is_error]
    assert (made.task.kind, made.task.owner, made.task.topic_id) == (t.GAP, "ana", topic.id)
    linked = store.get_case(engine, topic.best_case.case_id)
    assert linked.solved_articles == (made.article_id,)  # the gap it came from is covered now
    with pytest.raises(Exception, match="already being written"):
        draft_for_topic(engine, topic, root, by="bo", policy=Policy())


def test_a_topic_of_searches_becomes_a_draft_from_the_template_quoting_them(engine, make_kb):
    root = make_kb({})
    topic = find_topics([item("search:vpn drops", "vpn drops", kind=SEARCH, weight=5),
                         item("search:vpn drops wifi", "vpn drops wifi", kind=SEARCH)])[0]
    made = draft_for_topic(engine, topic, root, by="bo", policy=Policy(default_owner="kb-team"))
    kb = load_knowledge_base(root)
    draft = kb.get(made.article_id)
    assert draft.title == "Vpn drops" and draft.owner == "bo" and "search: vpn drops (5 times)" in draft.body
    assert made.task.owner == "bo"
    assert not [p for p in lint(kb) if p.is_error]
