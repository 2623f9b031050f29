"""The knowledge loop's pages: flag forms, the task queue, validation, duplicates, gap topics, measures."""

from __future__ import annotations

import re

import sqlalchemy as sa

from kb.articles import load_knowledge_base
from kb.cases import store
from kb.kcs import tasks as t
from kb.kcs.flags import flags_for_article
from kb.resolution_codes import load_taxonomy
from tests.conftest import TAXONOMY
from kb.kcs.schema import search_clicks
from tests.web.helpers import INTERNAL_ID, LINKS_ID, csrf_token_from, soup

MSG_ID = "KB0022"  # the sample knowledge base's repeated-password-prompts article (internal, owned)


def post(client, page: str, path: str, data: dict):
    """Submit a form as the browser would: with the CSRF token of the page that shows it."""
    return client.post(path, data={**data, "csrf_token": csrf_token_from(client.get(page))})


def test_an_engineer_flags_an_article_from_its_page_and_its_owner_gets_a_task(client, engine, login):
    who = login("engineer")
    page = soup(client.get(f"/articles/{INTERNAL_ID}"))
    form = page.select_one("section.flag form")
    assert form is not None and {o["value"] for o in form.select("option") if o["value"]} >= {"outdated", "other"}
    response = post(client, f"/articles/{INTERNAL_ID}", form["action"], {"reason": "incorrect", "comment": "Wrong tool"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/articles/{INTERNAL_ID}#flag")
    [flag] = flags_for_article(engine, INTERNAL_ID)
    assert (flag.source, flag.user_name, flag.reason) == ("article", who.name, "incorrect")
    assert t.list_tasks(engine)[0].owner == "tier3-team"


def test_a_flag_from_a_case_names_the_case_and_returns_to_it(client, engine, login):
    login("engineer")
    case = store.create_case(engine, title="Print spooler stops")
    store.link_article(engine, case.id, LINKS_ID, solved=True)
    page_url = f"/cases/{case.display_id}"
    form = soup(client.get(page_url)).select_one("#links section.flag form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    response = post(client, page_url, form["action"], {**data, "reason": "outdated"})
    assert response.headers["Location"].endswith(f"{page_url}#links")
    [flag] = flags_for_article(engine, LINKS_ID)
    assert (flag.source, flag.case_id) == ("case", case.id)


def test_a_help_center_reader_says_why_an_article_didnt_help(client, engine):
    page = soup(client.get(f"/help/articles/{LINKS_ID}"))
    form = page.select_one("section.flag form")
    assert "didn't help" in page.select_one("section.flag summary").text
    response = post(client, f"/help/articles/{LINKS_ID}", form["action"], {"reason": "missing-information",
                                                                           "comment": "Nothing about 0x709 on ARM"})
    assert response.status_code == 302
    [flag] = flags_for_article(engine, LINKS_ID)
    assert (flag.source, flag.user_name) == ("help", None)
    hidden = post(client, f"/help/articles/{LINKS_ID}", f"/help/articles/{INTERNAL_ID}/flags", {"reason": "other"})
    missing = post(client, f"/help/articles/{LINKS_ID}", "/help/articles/NO-SUCH/flags", {"reason": "other"})
    assert hidden.status_code == missing.status_code == 404 and hidden.get_data() == missing.get_data()
    assert flags_for_article(engine, INTERNAL_ID) == []


def test_the_queue_shows_each_owner_their_tasks_by_impact_and_a_task_closes_with_what_was_done(client, engine,
                                                                                                login):
    who = login("engineer")
    mine, _ = t.raise_task(engine, kind=t.FLAG, key=f"flag:{LINKS_ID}", title="Check the spooler article",
                           article_id=LINKS_ID, owner=who.name)
    t.raise_task(engine, kind=t.FLAG, key=f"flag:{INTERNAL_ID}", title="Someone else's", article_id=INTERNAL_ID,
                 owner="other-team")
    queue = soup(client.get("/tasks"))
    assert [a.text for a in queue.select("table.task-table td:first-child a")] == [f"#{mine.id} {mine.title}"]
    everyone = soup(client.get("/tasks?owner=all"))
    assert len(everyone.select("table.task-table tbody tr")) == 2
    task_page = f"/tasks/{mine.id}"
    refused = post(client, task_page, task_page, {"action": "dismiss", "note": ""})
    assert refused.headers["Location"].endswith("#close") and t.get_task(engine, mine.id).is_open
    post(client, task_page, task_page, {"action": "done", "note": "Rewrote step 2", "fixed_in": "ab12cd3"})
    closed = t.get_task(engine, mine.id)
    assert (closed.status, closed.note, closed.fixed_in, closed.resolved_by) == ("done", "Rewrote step 2", "ab12cd3",
                                                                                who.name)
    assert "Nothing to do here" in soup(client.get("/tasks")).text


def test_customers_and_strangers_never_see_tasks(client, login):
    assert client.get("/tasks").status_code == 302
    login("customer")
    assert client.get("/tasks").headers["Location"].endswith("/help")


def test_an_author_validates_an_article_from_the_review_queue_and_the_file_records_it(client, articles_dir,
                                                                                      login):
    who = login("author")
    path = articles_dir / "webtest/review.md"
    queue = soup(client.get("/authoring/queue"))
    listed = [a.text for a in queue.select("ul.validation-list li > a")]
    assert any("WEB-REVIEW" in text for text in listed)
    post(client, "/authoring/queue", "/authoring/validate/WEB-REVIEW", {})
    article = load_knowledge_base(articles_dir).get("WEB-REVIEW")
    assert (article.status, article.confidence, article.validated_by) == ("published", "validated", who.name)
    assert "Users see quota warnings" in path.read_text(encoding="utf-8")


def test_merging_duplicates_archives_one_in_its_file_and_carries_its_cases_over(client, engine, articles_dir,
                                                                                login):
    login("author")
    taxonomy = load_taxonomy(TAXONOMY)[0]
    case = store.create_case(engine, title="Spooler")
    store.link_article(engine, case.id, "KB0041", solved=True, linked_by="bo")
    store.close_case(engine, taxonomy, case.id, "solved-existing-article")
    page = soup(client.get("/insights/duplicates"))
    assert page.select("ol.duplicate-list li")  # the sample knowledge base has likely pairs
    response = post(client, "/insights/duplicates", "/insights/duplicates/merge", {"keep": LINKS_ID,
                                                                                   "retire": "KB0041"})
    assert response.status_code == 302
    retired = load_knowledge_base(articles_dir).get("KB0041")
    assert (retired.status, retired.superseded_by) == ("archived", LINKS_ID)
    assert store.reuse_count(engine, LINKS_ID) == 1 and store.get_case(engine, case.id).links[0].linked_by == "bo"


def _distinct_pair(li) -> tuple[str, str]:
    form = next(f for f in li.select("form") if f.select_one("button[value=distinct]"))
    return form.select_one("input[name=keep]")["value"], form.select_one("input[name=retire]")["value"]


def test_not_duplicates_hides_a_pair_for_good(client, engine, login):
    login("author")
    keep, retire = _distinct_pair(soup(client.get("/insights/duplicates")).select_one("ol.duplicate-list > li"))
    post(client, "/insights/duplicates", "/insights/duplicates/merge", {"keep": keep, "retire": retire,
                                                                         "action": "distinct"})
    shown = [_distinct_pair(li) for li in soup(client.get("/insights/duplicates")).select("ol.duplicate-list > li")]
    assert (keep, retire) not in shown
    assert t.list_tasks(engine, status=t.DISMISSED, kind=t.DUPLICATE)[0].resolved_by


def test_a_gap_topic_becomes_a_draft_and_a_task_in_one_click(client, engine, articles_dir, login):
    who = login("author")
    taxonomy = load_taxonomy(TAXONOMY)[0]
    for title in ("Label printer prints blank pages after firmware update",
                  "Blank pages from the label printer since the firmware update"):
        case = store.create_case(engine, title=title, description="Every label comes out blank.")
        store.close_case(engine, taxonomy, case.id, "configuration-change", "Rolled back the firmware to 4.1.")
    page = soup(client.get("/insights/topics"))
    topic = page.select_one("section.topic")
    assert "2 items" in topic.text and "2 cases" in topic.text
    form = topic.select_one("form")
    response = post(client, "/insights/topics", form["action"], {})
    draft_id = re.search(r"/authoring/preview/([\w.-]+)", response.headers["Location"]).group(1)
    draft = load_knowledge_base(articles_dir).get(draft_id)
    assert draft.status == "draft" and "Rolled back the firmware to 4.1." in draft.body
    [task] = t.list_tasks(engine, kind=t.GAP)
    assert (task.article_id, task.owner) == (draft_id, who.name)
    assert "is being written" in soup(client.get("/insights/topics")).select_one("section.topic").text


def test_the_kcs_measures_are_charts_with_csv_twins(client, login):
    login("engineer")
    overview = soup(client.get("/insights"))
    for name in ("reuse-rate", "new-vs-known", "participation", "task-aging", "validated-share",
                 "capture-to-publication"):
        assert overview.select_one(f"section#{name} svg") is not None, name
        csv = client.get(f"/insights/{name}.csv")
        assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert client.get("/insights/topics.csv").mimetype == "text/csv"
    assert client.get("/insights/duplicates.csv").mimetype == "text/csv"


def test_opening_a_result_from_one_of_our_search_pages_counts_as_a_click(client, engine, login):
    def opened(path, referrer):
        return client.get(path, headers={"Referer": referrer}).status_code

    assert opened(f"/help/articles/{LINKS_ID}", "http://localhost/help/search?q=Spooler++Crash") == 200
    assert opened(f"/help/articles/{LINKS_ID}", "http://elsewhere.example/help/search?q=other+site") == 200
    assert opened(f"/help/articles/{LINKS_ID}", "http://localhost/help?q=not+a+search+page") == 200
    assert opened(f"/help/articles/{INTERNAL_ID}", "http://localhost/help/search?q=hidden") == 404
    login("engineer")
    assert opened(f"/articles/{INTERNAL_ID}", "http://localhost/search?q=appliance+reset") == 200
    with engine.connect() as conn:
        rows = conn.execute(sa.select(search_clicks.c.query, search_clicks.c.article_id)
                            .order_by(search_clicks.c.id)).all()
    assert [tuple(r) for r in rows] == [("spooler crash", LINKS_ID), ("appliance reset", INTERNAL_ID)]
