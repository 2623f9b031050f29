"""The knowledge loop end to end against `kb serve`: over HTTP through the API, and in Chromium.

A customer flags a public article; its owner sees the task, fixes the article (an edit of its
file, then `kb index`) and resolves the task; a stale article ranks below its validated twin;
a gap topic becomes a draft. The site is our own: a copy of the web suite's corpus with two
twin articles and a mapping file that puts the test engineer in the articles' owning team.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from kb.cases import store
from kb.db import engine_for
from kb.resolution_codes import load_taxonomy
from kb.users import create_token
from tests.conftest import TAXONOMY, article_text
from tests.web.helpers import account, kb_executable, sign_in, start_server, stop_server
from tests.web.test_browser import LAUNCH_ARGS, chromium_path

TODAY = date.today()
PRINTER = "E2E-PRINTER"
TWIN_BODY = """
## Symptoms

Duplex scans stop halfway and the scanner reports a feeder jam, although no paper is stuck.

## Cause

The duplex feeder sensor reads the second side too early when the rollers are worn.

## Resolution

1. Clean the feeder rollers.
2. Set the duplex delay to 200 ms in the scanner settings.
"""


def twin(article_id: str, **dates) -> str:
    fields = {"id": article_id, "title": '"Scanner reports a feeder jam during duplex scans"', "type": "tsg",
              "audience": "public", "status": "published", "product": "Scan Station", "owner": "print-team", **dates}
    return article_text("\n".join(f"{k}: {v}" for k, v in fields.items()), TWIN_BODY)


@pytest.fixture(scope="module")
def site(corpus, tmp_path_factory):  # noqa: F811 - the session fixture from tests/web
    workdir = tmp_path_factory.mktemp("loop-site")
    root = workdir / "articles"
    shutil.copytree(corpus, root)
    # Twins: the stale one sorts first, so without the confidence factor it would win ties.
    (root / "e2e").mkdir()
    (root / "e2e/a-stale.md").write_text(twin("E2E-STALE", updated=TODAY - timedelta(days=800),
                                               review_by=TODAY - timedelta(days=30)), encoding="utf-8")
    (root / "e2e/b-validated.md").write_text(twin("E2E-VALID", updated=TODAY - timedelta(days=20),
                                                  review_by=TODAY + timedelta(days=300), confidence="validated",
                                                  validated_at=TODAY - timedelta(days=10),
                                                  validated_by="ana"), encoding="utf-8")
    (root / "e2e/printer.md").write_text(article_text(f"""
        id: {PRINTER}
        title: "Label printer prints a blank first label"
        type: tsg
        audience: public
        status: published
        product: Label Printer
        owner: print-team
        updated: {TODAY - timedelta(days=30)}
        """, """
        ## Symptoms

        The first label of every batch comes out blank.

        ## Cause

        The printer calibrates on the first label.

        ## Resolution

        1. Open the printer menu and choose Calibrate.
        """), encoding="utf-8")
    db_url = f"sqlite:///{workdir / 'kb.sqlite3'}"
    engineer = account(db_url, "engineer")
    (root / "kb.yaml").write_text(f"owners:\n  teams: {{print-team: [{engineer.name}]}}\n", encoding="utf-8")
    server = start_server(root, workdir / "index", db_url, workdir)
    server.articles = root
    server.index = workdir / "index"
    yield server
    stop_server(server)


def call(site, method: str, path: str, body=None, token: str | None = None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(site.url + path, data=json.dumps(body).encode() if body is not None else None,
                                     headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def reindex(site) -> None:
    result = subprocess.run([kb_executable(), "index", "--articles", str(site.articles), "--index", str(site.index)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_over_the_api_a_customer_flag_reaches_the_owner_who_fixes_the_article_and_resolves_it(site):
    status, flag = call(site, "POST", f"/api/articles/{PRINTER}/flags",
                        {"reason": "incorrect", "comment": "Calibrate is under Settings, not the printer menu"})
    assert status == 201 and "task" not in flag
    token = create_token(engine_for(site.db_url), account(site.db_url, "engineer").name, "e2e")
    status, mine = call(site, "GET", "/api/tasks?owner=me", token=token)
    [task] = [t for t in mine["tasks"] if t["article_id"] == PRINTER]
    assert status == 200 and (task["kind"], task["owner"], task["status"]) == ("flag", "print-team", "open")

    path = site.articles / "e2e/printer.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Open the printer menu and choose Calibrate.",
                                                             "Open Settings and choose Calibrate."), encoding="utf-8")
    reindex(site)
    status, article = call(site, "GET", f"/api/articles/{PRINTER}")
    assert status == 200 and "Open Settings and choose Calibrate." in article["text"]

    status, done = call(site, "POST", f"/api/tasks/{task['id']}",
                        {"status": "done", "note": "Moved Calibrate to Settings.", "fixed_in": "e2e/printer.md"},
                        token=token)
    assert status == 200 and (done["status"], done["resolved_by"]) == ("done", account(site.db_url, "engineer").name)
    status, mine = call(site, "GET", "/api/tasks?owner=me", token=token)
    assert PRINTER not in [t["article_id"] for t in mine["tasks"]]
    assert call(site, "POST", f"/api/tasks/{task['id']}", {"note": "again"}, token=token)[0] == 409


def test_a_stale_article_ranks_below_its_validated_twin_and_says_why(site):
    status, page = call(site, "GET", "/api/search?q=scanner+feeder+jam+duplex&explain=1")
    assert status == 200
    ids = [hit["id"] for hit in page["results"]]
    assert ids.index("E2E-VALID") < ids.index("E2E-STALE")
    boosts = {hit["id"]: hit["explanation"] for hit in page["results"][:2]}
    assert json.dumps(boosts["E2E-STALE"]).count("freshness") == 1
    assert "freshness" not in json.dumps(boosts["E2E-VALID"])


# -- in a real browser ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, site):
    contexts, errors = [], []

    def make():
        context = browser.new_context(base_url=site.url)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"browser console errors: {errors}"


@pytest.mark.browser
def test_in_the_browser_a_customer_flags_and_the_owner_fixes_and_resolves(site, new_page):
    customer = new_page()
    customer.goto(f"/help/articles/{PRINTER}")
    customer.get_by_text("This didn't help? Tell us why").click()
    customer.get_by_label("What is wrong?").select_option("outdated")
    customer.get_by_label("What were you looking for?").fill("The menu names changed in firmware 5")
    customer.get_by_role("button", name="Send").click()
    customer.wait_for_url(re.compile(rf".*/help/articles/{PRINTER}.*"))
    assert "will look at it" in customer.locator(".flashes").inner_text()

    owner = new_page()
    sign_in(owner, account(site.db_url, "engineer"))
    owner.goto("/tasks")
    row = owner.locator("table.task-table tr", has_text=PRINTER)
    row.get_by_role("link").first.click()
    assert "The menu names changed in firmware 5" in owner.locator("ul.flag-list").inner_text()

    path = site.articles / "e2e/printer.md"
    path.write_text(path.read_text(encoding="utf-8").replace("## Cause", "Firmware 5 renamed the menus.\n\n## Cause"),
                    encoding="utf-8")
    reindex(site)
    owner.get_by_label("What was done, or why it needs nothing").fill("Updated for firmware 5 menu names.")
    owner.get_by_role("button", name="Done").click()
    owner.wait_for_url(re.compile(r".*/tasks$"))
    assert "done" in owner.locator(".flashes").inner_text()
    assert owner.locator("table.task-table tr", has_text=PRINTER).count() == 0


@pytest.mark.browser
def test_in_the_browser_the_validated_twin_is_listed_above_the_stale_one(site, new_page):
    page = new_page()
    sign_in(page, account(site.db_url, "engineer"))
    page.goto("/search?q=scanner+feeder+jam+duplex")
    links = page.locator("ol.results .result-title a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert [h.rsplit("/", 1)[-1] for h in hrefs if "E2E-" in h][:2] == ["E2E-VALID", "E2E-STALE"]


@pytest.mark.browser
def test_in_the_browser_a_gap_topic_becomes_a_draft(site, new_page):
    engine = engine_for(site.db_url)
    taxonomy = load_taxonomy(TAXONOMY)[0]
    for title in ("Badge reader rejects new employee badges", "New employee badges rejected by the badge reader"):
        case = store.create_case(engine, title=title, description="Badges issued this week are refused.")
        store.close_case(engine, taxonomy, case.id, "configuration-change", "Re-synced the badge database.")
    page = new_page()
    sign_in(page, account(site.db_url, "author"))
    page.goto("/insights/topics")
    topic = page.locator("section.topic", has_text="Badge reader")
    topic.get_by_role("button", name="Create a draft from this topic").click()
    page.wait_for_url(re.compile(r".*/authoring/preview/KB\d+"))
    assert "badge" in page.locator("h1").first.inner_text().lower()
    draft_id = page.url.rsplit("/", 1)[-1]
    assert "Re-synced the badge database." in next(site.articles.rglob(f"{draft_id.lower()}-*.md")).read_text()
    page.goto("/insights/topics")
    assert "is being written" in page.locator("section.topic", has_text="Badge reader").inner_text()


@pytest.mark.browser
def test_in_the_browser_opening_a_search_result_tells_the_gap_report_the_search_was_answered(site, new_page):
    from kb.kcs.gaps import collect_items
    from kb.kcs.schema import search_clicks

    page = new_page()
    page.goto("/help/search?q=label+printer+blank+first+label")
    page.locator("ol.results .result-title a").first.click()
    page.wait_for_url(f"**/help/articles/{PRINTER}")
    engine = engine_for(site.db_url)
    with engine.connect() as conn:
        opened = conn.execute(sa.select(search_clicks.c.query).where(search_clicks.c.article_id == PRINTER)).all()
    assert [r.query for r in opened] == ["label printer blank first label"]
    assert "search:label printer blank first label" not in {i.key for i in collect_items(engine)}
