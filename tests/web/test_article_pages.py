"""Engineer article pages: rendering, metadata, links, replacement, votes, sanitization."""

from __future__ import annotations

import pytest

from kb import activity
from tests.web.helpers import (
    ARCHIVED_INTERNAL_ID,
    DRAFT_ID,
    HOSTILE_ID,
    INTERNAL_ID,
    LINKS_ID,
    REVIEW_ID,
    csrf_token_from,
    soup,
)


@pytest.fixture
def engineer(client, login):
    login("engineer")
    return client


def test_article_page_renders_markdown_with_a_toc(engineer):
    page = soup(engineer.get(f"/articles/{LINKS_ID}"))
    title = page.find("h1", id="article-title").get_text(strip=True)
    assert title == "Print spooler stops after a driver update"
    body = page.find("div", class_="article-body")
    headings = {h["id"]: h.get_text(strip=True) for h in body.find_all("h2")}
    assert headings == {"sec-symptoms": "Symptoms", "sec-cause": "Cause", "sec-resolution": "Resolution"}
    toc = [a["href"] for a in page.select("nav.toc a")]
    assert toc == ["#sec-symptoms", "#sec-cause", "#sec-resolution"]
    assert body.find("table").find("code")


def test_metadata_is_shown(engineer):
    page = soup(engineer.get(f"/articles/{INTERNAL_ID}"))
    meta = {d.dt.get_text(strip=True): d.dd.get_text(" ", strip=True) for d in page.select("dl.meta > div")}
    assert meta["Type"] == "Troubleshooting guide"
    assert "Appliance" in meta["Product"]
    assert meta["Audience"] == "Internal"
    assert meta["Status"] == "published"
    assert meta["Updated"] == "2026-09-01"
    assert meta["Review by"].startswith("2027-03-01")
    assert meta["Owner"] == "tier3-team"
    assert meta["Solved"].endswith("cases") or meta["Solved"].endswith("case")


def test_internal_article_shows_the_internal_banner(engineer):
    page = soup(engineer.get(f"/articles/{INTERNAL_ID}"))
    banner = page.find(class_="banner-internal")
    assert banner is not None and "Internal" in banner.get_text()
    public = soup(engineer.get(f"/articles/{LINKS_ID}"))
    assert public.find(class_="banner-internal") is None


def test_resolution_codes_show_taxonomy_names(engineer):
    page = soup(engineer.get(f"/articles/{INTERNAL_ID}"))
    codes = page.find("section", class_="resolution-codes").get_text(" ", strip=True)
    assert "configuration-change" in codes and "Configuration change" in codes


def test_related_and_body_links_for_engineers(engineer):
    page = soup(engineer.get(f"/articles/{LINKS_ID}"))
    related = [a["href"] for a in page.select("section.related a")]
    assert f"/articles/{INTERNAL_ID}" in related and "/articles/KB0009" in related
    assert f"/articles/{DRAFT_ID}" not in related, "engineers don't see drafts"
    body_links = [a["href"] for a in page.select("div.article-body a")]
    assert f"/articles/{INTERNAL_ID}" in body_links
    assert not any(DRAFT_ID in href for href in body_links)
    unavailable = page.select("div.article-body span.kb-link-unavailable")
    assert [s.get_text() for s in unavailable] == ["the connector how-to"]


def test_archived_superseded_article_redirects_to_its_replacement(engineer):
    response = engineer.get(f"/articles/{ARCHIVED_INTERNAL_ID}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/articles/{INTERNAL_ID}?from={ARCHIVED_INTERNAL_ID}"
    page = soup(engineer.get(response.headers["Location"]))
    notice = page.find(class_="banner-info")
    assert "archived and replaced" in notice.get_text()
    old = soup(engineer.get(notice.find("a")["href"]))
    assert old.find(class_="banner-warning") and "Archived" in old.find(class_="banner-warning").get_text()


def test_a_forged_from_parameter_shows_no_notice(engineer):
    page = soup(engineer.get(f"/articles/{LINKS_ID}?from={ARCHIVED_INTERNAL_ID}"))
    assert page.find(class_="banner-info") is None


def test_missing_article_is_404(engineer):
    assert engineer.get("/articles/NO-SUCH-ID").status_code == 404
    assert engineer.get(f"/articles/{REVIEW_ID}").status_code == 404  # engineers don't see reviews


def test_author_sees_review_article_with_a_banner(client, login):
    login("author")
    page = soup(client.get(f"/articles/{REVIEW_ID}"))
    assert "Review" in page.find(class_="banner-warning").get_text()


def test_copy_link_works_without_javascript(engineer):
    page = soup(engineer.get(f"/articles/{LINKS_ID}"))
    field = page.find("input", id="share-url")
    assert field["value"] == f"http://localhost/articles/{LINKS_ID}"
    assert field.has_attr("readonly")
    assert page.find("label", attrs={"for": "share-url"})
    button = page.find("button", class_="copy-link")
    assert button.has_attr("hidden"), "the button only appears when the script can copy"


def test_helpful_vote_is_stored_and_counted(engineer, app):
    engine = app.extensions["kb"].engine
    before = activity.feedback_counts(engine, LINKS_ID)
    page = engineer.get(f"/articles/{LINKS_ID}")
    form = soup(page).find("section", id="feedback").find("form")
    assert form.find("label", attrs={"for": "feedback-comment"})
    response = engineer.post(form["action"], data={"vote": "no", "comment": "step 2 is unclear",
                                                   "csrf_token": csrf_token_from(page)})
    assert response.status_code == 302 and response.headers["Location"].endswith("#feedback")
    after = activity.feedback_counts(engine, LINKS_ID)
    assert after[1] >= before[1]  # the engineer's single vote replaced any earlier one
    assert any(c["comment"] == "step 2 is unclear" for c in activity.feedback_comments(engine, LINKS_ID))
    followed = soup(engineer.get(response.headers["Location"]))
    feedback = followed.find("section", id="feedback")
    assert "Thanks for telling us" in feedback.select_one("[role=status]").get_text(), "confirmed in place"
    assert feedback.find("button") is None, "the buttons give way to the thanks, so nobody votes twice"


def test_vote_needs_a_choice(engineer):
    page = engineer.get(f"/articles/{LINKS_ID}")
    response = engineer.post(f"/articles/{LINKS_ID}/feedback", data={"csrf_token": csrf_token_from(page)},
                             follow_redirects=True)
    assert "Choose" in soup(response).find("section", id="feedback").select_one("[role=alert]").get_text()


def test_vote_on_a_hidden_article_is_404(engineer):
    page = engineer.get(f"/articles/{LINKS_ID}")
    response = engineer.post(f"/articles/{REVIEW_ID}/feedback",
                             data={"vote": "yes", "csrf_token": csrf_token_from(page)})
    assert response.status_code == 404


# --- sanitization ------------------------------------------------------------------------------

DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")


@pytest.mark.parametrize("path", [f"/articles/{HOSTILE_ID}", f"/help/articles/{HOSTILE_ID}"])
def test_hostile_article_renders_inert(engineer, path):
    response = engineer.get(path)
    assert response.status_code == 200
    body = soup(response).find("div", class_="article-body")
    assert body.find_all(["script", "style", "iframe", "object", "embed", "form", "div"]) == []
    for tag in body.find_all(True):
        assert not any(name.startswith("on") for name in tag.attrs), tag
        assert "style" not in tag.attrs, tag
        for attr in ("href", "src"):
            value = tag.get(attr, "").strip().lower()
            assert not value.startswith(DANGEROUS_SCHEMES), tag
    # raw HTML is shown as text, not executed
    assert "<script>alert('script-tag')</script>" in body.get_text()
    assert body.find("a", href="https://example.com/docs")["rel"] == ["noopener", "noreferrer"]
    page = soup(response)
    assert all(s.get("src") for s in page.find_all("script"))


def _nav_links(page) -> set[str]:
    return {a.get_text(strip=True) for a in page.select("header nav a, nav a")}


def test_engineers_reach_cases_and_insights_but_not_author_pages(engineer):
    page = soup(engineer.get(f"/articles/{INTERNAL_ID}"))
    links = _nav_links(page)
    assert {"Search", "Cases", "Insights", "Help center"} <= links
    assert "Review queue" not in links


def test_authors_also_reach_the_review_queue(client, login):
    login("author")
    links = _nav_links(soup(client.get(f"/articles/{INTERNAL_ID}")))
    assert {"Review queue", "Content health"} <= links


def test_engineer_article_page_shows_its_history_section(engineer):
    page = soup(engineer.get(f"/articles/{INTERNAL_ID}"))
    assert page.find("section", class_="history") is not None


def test_help_center_offers_contact_support(client):
    page = soup(client.get("/help"))
    assert "Contact support" in _nav_links(page)
