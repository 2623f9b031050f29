"""The public help center: browsing, search, articles, feed, sitemap and 404s."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.web.helpers import HIDDEN_IDS, INTERNAL_ID, LINKS_ID, OLD_PUBLIC_ID, csrf_token_from, soup

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_home_lists_products_and_types_with_counts(client):
    page = soup(client.get("/help"))
    assert page.find("main") and page.find("header") and page.find("footer")
    products = page.find("section", attrs={"aria-labelledby": "products-title"})
    tiles = {a.contents[0].strip(): int(a.find(class_="count").get_text()) for a in products.select("a.tile")}
    assert tiles["Print Services"] >= 2
    assert all(count > 0 for count in tiles.values())


def test_browse_by_product(client):
    page = soup(client.get("/help/browse", query_string={"product": "Print Services"}))
    links = [a["href"] for a in page.select(".results .result-title a")]
    assert f"/help/articles/{LINKS_ID}" in links
    assert all(href.startswith("/help/articles/") for href in links)


def test_help_search_finds_public_articles(client):
    page = soup(client.get("/help/search", query_string={"q": "spooler driver"}))
    links = [a["href"] for a in page.select("ol.results .result-title a")]
    assert links[0] == f"/help/articles/{LINKS_ID}"
    assert page.select_one("ol.results .snippet mark")
    # no internal badges or statuses in the help center
    assert not page.select(".badge-audience-internal, .badge-status")


def test_help_search_box_uses_the_public_autocomplete(client):
    page = soup(client.get("/help"))
    assert page.find(attrs={"data-autocomplete": "/help/autocomplete"})
    data = client.get("/help/autocomplete", query_string={"q": "print"}).get_json()
    assert any(s["id"] == LINKS_ID for s in data["suggestions"])
    assert all(s["url"].startswith("/help/articles/") for s in data["suggestions"])


def test_help_article_page(client):
    page = soup(client.get(f"/help/articles/{LINKS_ID}"))
    assert page.find("h1", id="article-title").get_text(strip=True).startswith("Print spooler")
    crumbs = [a.get_text(strip=True) for a in page.select("nav.breadcrumbs a")]
    assert crumbs == ["Help center", "Print Services"]
    meta = page.find("dl", class_="meta").get_text(" ", strip=True)
    assert "Owner" not in meta and "Audience" not in meta and "Solved" not in meta


def test_help_article_links_only_public_articles(client):
    page = soup(client.get(f"/help/articles/{LINKS_ID}"))
    related = [a["href"] for a in page.select("section.related a")]
    assert related == ["/help/articles/KB0009"]
    body_links = [a["href"] for a in page.select("div.article-body a")]
    assert body_links == ["/help/articles/KB0009"]
    assert len(page.select("div.article-body span.kb-link-unavailable")) == 2


def test_signed_in_engineer_still_gets_public_help(client, login):
    login("engineer")
    assert client.get(f"/help/articles/{INTERNAL_ID}").status_code == 404
    page = soup(client.get(f"/help/articles/{LINKS_ID}"))
    assert [a["href"] for a in page.select("section.related a")] == ["/help/articles/KB0009"]


@pytest.mark.parametrize("hidden", HIDDEN_IDS)
def test_hidden_article_404_is_identical_to_a_missing_one(app, hidden):
    client = app.test_client()
    missing = client.get("/help/articles/THIS-ID-DOES-NOT-EXIST")
    found = client.get(f"/help/articles/{hidden}")
    assert missing.status_code == found.status_code == 404
    assert missing.get_data() == found.get_data()
    assert dict(missing.headers) == dict(found.headers)


def test_archived_public_article_forwards_to_its_replacement(client):
    response = client.get(f"/help/articles/{OLD_PUBLIC_ID}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/help/articles/{LINKS_ID}?from={OLD_PUBLIC_ID}"
    page = soup(client.get(response.headers["Location"]))
    assert "replaced" in page.find(class_="banner-info").get_text()


def test_customer_vote_is_accepted_once_per_session(client, app):
    from kb import activity

    engine = app.extensions["kb"].engine
    before = activity.feedback_counts(engine, "KB0009")
    page = client.get("/help/articles/KB0009")
    data = {"vote": "yes", "csrf_token": csrf_token_from(page)}
    client.post("/help/articles/KB0009/feedback", data=data)
    again = client.post("/help/articles/KB0009/feedback", data=data, follow_redirects=True)
    assert "already" in soup(again).get_text()
    assert activity.feedback_counts(engine, "KB0009")[0] == before[0] + 1


def test_feed_is_atom_with_public_articles_only(client):
    response = client.get("/help/feed.xml")
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.get_data())
    entries = feed.findall(f"{ATOM}entry")
    assert entries
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert all("/help/articles/" in link for link in links)
    assert any(link.endswith(f"/help/articles/{LINKS_ID}") for link in links)
    for e in entries:
        assert e.find(f"{ATOM}updated").text.endswith("Z")


def test_sitemap_lists_every_public_article(client):
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    locs = [u.find(f"{SITEMAP}loc").text for u in ET.fromstring(response.get_data()).findall(f"{SITEMAP}url")]
    ids = {loc.rsplit("/", 1)[-1] for loc in locs if "/help/articles/" in loc}
    assert {LINKS_ID, "KB0009"} <= ids
    assert ids.isdisjoint(HIDDEN_IDS)
    assert OLD_PUBLIC_ID not in ids


def test_robots_points_at_the_sitemap(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in text


def test_front_door_sends_anonymous_readers_to_help(client):
    assert client.get("/").headers["Location"] == "/help"
