"""Engineer search at /search, and the search log it writes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from kb import activity
from tests.web.helpers import ARCHIVED_INTERNAL_ID, DRAFT_ID, INTERNAL_ID, LINKS_ID, REVIEW_ID, SECRET, soup


def result_ids(page) -> list[str]:
    return [a["href"].rsplit("/", 1)[-1] for a in page.select("ol.results .result-title a")]


def test_search_page_has_an_accessible_combobox(client, login):
    login("engineer")
    page = soup(client.get("/search"))
    box = page.find("input", attrs={"name": "q"})
    assert box["role"] == "combobox"
    assert box["aria-autocomplete"] == "list"
    assert box["aria-expanded"] == "false"
    listbox = page.find(id=box["aria-controls"])
    assert listbox["role"] == "listbox"
    assert page.find("label", attrs={"for": box["id"]})
    assert page.find("form", attrs={"role": "search"})["method"] == "get"  # works without JavaScript
    assert page.find(attrs={"data-autocomplete": "/api/autocomplete"})


def test_engineer_finds_internal_articles(client, login):
    login("engineer")
    page = soup(client.get("/search", query_string={"q": SECRET}))
    assert INTERNAL_ID in result_ids(page)
    # but not the archived one without asking for it
    assert ARCHIVED_INTERNAL_ID not in result_ids(page)


def test_results_show_count_time_badges_and_highlighted_snippets(client, login):
    login("engineer")
    page = soup(client.get("/search", query_string={"q": "spooler"}))
    count = page.find(id="result-count").get_text(" ", strip=True)
    assert "result" in count and "ms" in count
    first = page.select_one("ol.results li.result")
    assert first.select_one(".badge-type")
    assert first.select_one(".snippet mark"), "matches are highlighted"
    assert not first.select(".snippet script, .snippet a")


def test_error_code_pasted_from_a_log_finds_its_article_first(client, login):
    login("engineer")
    line = "2026-11-02 10:14:03.221 ERROR [spoolsv] Operation could not be completed (error 0x00000709)"
    page = soup(client.get("/search", query_string={"q": line}))
    assert result_ids(page)[0] == LINKS_ID


def test_facets_are_links_that_add_filters(client, login):
    login("engineer")
    page = soup(client.get("/search", query_string={"q": "access denied"}))
    facets = page.find("aside", class_="facets")
    link = facets.select_one("a.facet-link")
    assert link.select_one(".count").get_text().strip().isdigit()
    args = parse_qs(urlsplit(link["href"]).query)
    assert args["q"] == ["access denied"]
    assert len(args) == 2  # the query plus one filter
    filtered = soup(client.get(link["href"]))
    chips = filtered.find("ul", class_="chips")
    assert chips is not None, "the active filter is shown and removable"
    total = int(filtered.find(id="result-count").strong.get_text().replace(",", ""))
    assert total == int(link.select_one(".count").get_text())


def test_type_filter_narrows_results(client, login):
    login("engineer")
    page = soup(client.get("/search", query_string={"q": "spooler", "type": "reference"}))
    for badge in page.select("ol.results .badge-type"):
        assert badge.get_text(strip=True) == "reference"


def test_typo_gets_did_you_mean_or_fuzzy_results(client, login):
    login("engineer")
    page = soup(client.get("/search", query_string={"q": "spoolr"}))
    suggestion = page.select_one(".did-you-mean a, .did-you-mean-link")
    assert suggestion is not None or LINKS_ID in result_ids(page)
    if suggestion is not None:
        assert "spooler" in suggestion.get_text()


def test_empty_state_helps(client, login):
    login("engineer")
    page = soup(client.get("/search", query_string={"q": "xylophone zebra unicorn", "type": "tsg"}))
    empty = page.find("section", class_="empty-state")
    assert empty is not None
    links = {a.get_text(strip=True): a["href"] for a in empty.find_all("a")}
    assert any("without filters" in text for text in links)
    assert any("archived" in text for text in links)
    assert {"xylophone", "zebra", "unicorn"} <= set(links)  # one word at a time
    assert empty.find("h3").get_text() in ("Most-used articles", "Recently updated articles")
    assert empty.select("ul.plain-list a")


def test_most_used_articles_come_from_usage_signals(make_app, tmp_path):
    from kb.db import engine_for
    from tests.web.helpers import account, login_client

    db = f"sqlite:///{tmp_path / 'usage.sqlite3'}"
    app = make_app(DB_URL=db)
    client = app.test_client()
    login_client(client, account(db, "engineer"))
    empty = soup(client.get("/search", query_string={"q": "xylophone"})).find("section", class_="empty-state")
    assert empty.find("h3").get_text() == "Recently updated articles"
    activity.record_feedback(engine_for(db), INTERNAL_ID, True)
    empty = soup(client.get("/search", query_string={"q": "xylophone"})).find("section", class_="empty-state")
    assert empty.find("h3").get_text() == "Most-used articles"
    assert [a["href"] for a in empty.select("ul.plain-list a")] == [f"/articles/{INTERNAL_ID}"]


def test_pagination(client, login, app):
    login("engineer")
    page = soup(client.get("/search", query_string={"q": "error"}))
    total = int(page.find(id="result-count").strong.get_text().replace(",", ""))
    assert total > app.config["PER_PAGE"], "the corpus should have more than one page of 'error'"
    nav = page.find("nav", class_="pagination")
    assert nav.find("a", attrs={"aria-current": "page"}).get_text() == "1"
    second = soup(client.get(nav.find("a", rel="next")["href"]))
    assert second.find("ol", class_="results")["start"] == str(app.config["PER_PAGE"] + 1)
    assert set(result_ids(second)).isdisjoint(result_ids(page))


def test_page_number_past_the_end_is_not_an_error(client, login):
    login("engineer")
    response = client.get("/search", query_string={"q": "error", "page": "999999"})
    assert response.status_code == 200


def test_bad_parameters_flash_and_show_the_form(client, login):
    login("engineer")
    response = client.get("/search", query_string={"q": "error", "page": "two"})
    page = soup(response)
    assert response.status_code == 200
    assert "page" in page.find(class_="flash-error").get_text()
    assert page.find("input", attrs={"name": "q"})


def test_overlong_query_is_refused_politely(client, login):
    from indexer import MAX_QUERY_CHARS

    login("engineer")
    page = soup(client.get("/search", query_string={"q": "a " * MAX_QUERY_CHARS}))
    assert "too long" in page.find(class_="flash-error").get_text()


def test_archived_articles_need_an_explicit_status_filter(client, login):
    login("engineer")
    page = soup(client.get("/search", query_string={"q": f"{SECRET} gateway", "status": "archived"}))
    assert result_ids(page) == [ARCHIVED_INTERNAL_ID]


def test_engineers_do_not_see_drafts_or_reviews(client, login):
    login("engineer")
    page = soup(client.get("/search", query_string={"q": "mailbox quota warnings migration"}))
    assert REVIEW_ID not in result_ids(page)
    response = client.get("/search", query_string={"q": "quota", "status": "review"})
    assert "status" in soup(response).find(class_="flash-error").get_text()


def test_authors_see_drafts_and_reviews(client, login):
    login("author")
    page = soup(client.get("/search", query_string={"q": "mailbox quota warnings migration"}))
    assert REVIEW_ID in result_ids(page)
    page = soup(client.get("/search", query_string={"q": "connector setup file shares"}))
    assert DRAFT_ID in result_ids(page)


def test_searches_are_logged(client, login, app):
    acct = login("engineer")
    client.get("/search", query_string={"q": "logged query spooler"})
    app.extensions["kb"].search_log.flush()
    # A question also gets an answer card, logged beside the search as kind "answer".
    rows = [r for r in activity.recent_searches(app.extensions["kb"].engine, limit=200)
            if r["query"] == "logged query spooler" and r["kind"] != "answer"]
    assert rows and rows[0]["audience"] == "internal" and rows[0]["kind"] == "search"
    assert rows[0]["user_id"] is not None and rows[0]["took_ms"] >= 0
    assert acct.role == "engineer"


def test_search_works_without_javascript(client, login):
    """The results page is complete HTML: a plain GET form submission renders results."""
    login("engineer")
    page = soup(client.get("/search?q=spooler"))
    assert page.select("ol.results li.result")
    scripts = page.find_all("script")
    assert all(s.get("defer") is not None for s in scripts)
