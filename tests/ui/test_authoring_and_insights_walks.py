"""Authors reviewing and previewing, and the insight charts, in a real Chromium at both sizes."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import article_text
from tests.ui.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_author_approves_from_the_review_queue(open_page, site, size):
    article_id = f"KB-REVIEW-{size.upper()}"
    path = site.articles / "reviews" / f"{size}.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(article_text(
        f"id: {article_id}\ntitle: Badge reader rejects cards after the firmware update ({size})\n"
        "type: known-issue\nstatus: review\nupdated: 2026-10-01",
        "## Symptoms\n\nCards are refused.\n\n## Cause\n\nFirmware 2.1.\n\n## Resolution\n\nRoll back.\n"))
    subprocess.run(["git", "add", "-A"], cwd=site.articles, check=True, capture_output=True)
    subprocess.run(["git", "-c", "user.name=Writer", "-c", "user.email=w@example.com", "commit", "-qm",
                    f"Draft {article_id}"], cwd=site.articles, check=True, capture_output=True)
    page = open_page(size, "author")
    row = page.locator(f"#review-{article_id}")
    page.goto("/authoring/queue")
    for _ in range(20):  # the queue reads the folder at most once a second
        if row.count():
            break
        page.wait_for_timeout(250)
        page.reload()
    assert_accessible(page, "review queue")
    row.get_by_label(f"Note for {article_id}").fill("Steps checked on a test reader.")
    row.get_by_role("button", name=f"Approve {article_id}").click()
    page.wait_for_url(re.compile(r"#review-done$"))
    assert f"Approved and published: {article_id}" in page.locator("#review-done").inner_text()
    assert "status: published" in path.read_text()
    last = subprocess.run(["git", "log", "-1", "--format=%an|%B", "--", str(path.relative_to(site.articles))],
                          cwd=site.articles, capture_output=True, text=True, check=True).stdout
    assert last.startswith(site.accounts["author"] + "|") and "Steps checked on a test reader." in last


def test_a_draft_has_a_readers_page_in_preview(open_page, size):
    page = open_page(size, "author")
    page.goto("/authoring/preview/KB0036")
    assert_accessible(page, "live preview")
    page.get_by_role("link", name="Open the reader's page").click()
    page.wait_for_url(re.compile(r"/authoring/preview/KB0036/reader$"))
    assert "Contoso CRM scheduled export" in page.locator("#article-title").inner_text()
    assert_accessible(page, "reader's page of a draft")


# Charts drawn on the page (a report's page has a wide and a narrow one; CSS shows one).
CHART_TEXT = """() => Array.from(document.querySelectorAll('.insight svg.chart'))
  .filter(svg => svg.checkVisibility()).flatMap(svg => {
    const box = svg.getBoundingClientRect();
    return Array.from(svg.querySelectorAll('text')).map(t => {
        const r = t.getBoundingClientRect();
        return {text: t.textContent, left: r.left - box.left, right: box.right - r.right, height: r.height};
    });
})"""


def test_charts_fit_their_labels_and_read_on_a_phone(open_page, size):
    page = open_page(size, "engineer")
    for url in ("/insights?window=365&bucket=week", "/insights/reuse?window=all",
                "/insights/searches?window=all"):
        page.goto(url)
        assert_accessible(page, url)
        texts = page.evaluate(CHART_TEXT)
        assert texts, "the page has charts with text"
        cut = [t["text"] for t in texts if t["left"] < -1 or t["right"] < -1]
        assert not cut, f"labels run outside their chart: {cut[:5]}"
        small = [t["text"] for t in texts if t["height"] < 10]
        assert not small, f"chart text under 10px is unreadable: {small[:5]}"
    page.goto("/insights/gaps?window=all")
    links = page.locator(".insight-table a[href^='/cases/CAS-']")
    assert links.count() > 0, "case ids in the gaps table are links"
    assert_accessible(page, "gaps report")
