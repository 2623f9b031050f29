"""Adversarial: nothing from an internal or draft article reaches an anonymous reader.

Secret words are planted only in hidden articles (see helpers.PLANTED). This module crawls
everything an anonymous reader can reach and attacks every public endpoint with the words,
their prefixes and typos, and requires that:

* no anonymous response ever contains a body-only secret or a hidden article's id;
* a search for a hidden word is indistinguishable from a search for a word that exists
  nowhere (same page, same JSON, apart from timings);
* typos and prefixes never complete or correct to a hidden word.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from tests.web.helpers import (
    BODY_SECRET,
    DRAFT_BODY_SECRET,
    DRAFT_ID,
    DRAFT_SECRET,
    HIDDEN_IDS,
    INTERNAL_ID,
    NEVER_PUBLIC,
    SECRET,
    SECRET_CODE,
    csrf_token_from,
    soup,
)

HIDDEN_WORDS = (SECRET, DRAFT_SECRET)
NOWHERE = ("zyxwvutsrq", "wqvxzjkyhp")  # same lengths as the secrets, in no article at all
START = ["/", "/help", "/help/browse", "/sitemap.xml", "/help/feed.xml", "/robots.txt", "/api/openapi.json",
         "/help/search?q=error", "/help/search?q=access+denied", "/help/search?q=gateway+reset",
         "/api/search?q=error&limit=100", "/api/search?q=appliance+reset&limit=100",
         "/api/autocomplete?q=pr", "/login", "/no-such-page"]
MAX_PAGES = 600
MAX_PER_KIND = 80


def leaked(text: str, probe: str = "") -> list[str]:
    """Forbidden strings in ``text`` (case-insensitive), except those the request itself sent
    (``probe``), which a page may echo back ("No articles match ...")."""
    lowered, sent = text.lower(), probe.lower()
    return [s for s in NEVER_PUBLIC if s.lower() in lowered and s.lower() not in sent]


def links_in(response, base: str) -> list[str]:
    """Same-site links in an HTML, XML or JSON response."""
    text = response.get_data(as_text=True)
    found: list[str] = []
    if response.mimetype == "text/html":
        page = soup(response)
        found += [a.get("href") for a in page.find_all(["a", "link"])]
        found += [s.get("src") for s in page.find_all(["script", "img"])]
    elif response.mimetype.endswith("xml"):
        root = ET.fromstring(response.get_data())
        for el in root.iter():
            if el.tag.endswith("loc") and el.text:
                found.append(el.text)
            if el.get("href"):
                found.append(el.get("href"))
    elif response.is_json:
        found += re.findall(r'"url":\s*"([^"]+)"', text)
    out = []
    for href in found:
        if not href or href.startswith("#"):
            continue
        absolute = urljoin(base, href)
        parts = urlsplit(absolute)
        if parts.netloc in ("", "localhost"):
            out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def test_crawl_everything_an_anonymous_reader_can_reach(app):
    client = app.test_client()
    seen: set[str] = set()
    per_kind: dict[str, int] = {}
    queue = deque(START)
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        kind = urlsplit(path).path if not path.startswith("/help/articles/") else "article"
        # Facet and page links multiply search URLs; a sample of each kind is enough.
        if path in seen or per_kind.get(kind, 0) >= MAX_PER_KIND:
            continue
        seen.add(path)
        per_kind[kind] = per_kind.get(kind, 0) + 1
        response = client.get(path)
        assert response.status_code < 500, path
        found = leaked(response.get_data(as_text=True))
        assert not found, f"{path} leaks {found}"
        assert not leaked(json.dumps(dict(response.headers))), path
        if response.status_code in (301, 302):
            queue.append(response.headers["Location"])
        for link in links_in(response, "http://localhost" + path):
            if link not in seen and not link.startswith("/static/"):
                # article pages first: they are what must be covered completely
                (queue.appendleft if link.startswith("/help/articles/") else queue.append)(link)
    sitemap = ET.fromstring(client.get("/sitemap.xml").get_data())
    public = {urlsplit(loc.text).path for loc in sitemap.iter() if loc.tag.endswith("loc")}
    crawled = {urlsplit(p).path for p in seen}
    articles = {p for p in public if p.startswith("/help/articles/")}
    assert articles <= crawled, "every public article was crawled"
    assert per_kind.get("/help/search", 0) > 10 and per_kind.get("/help/browse", 0) > 3


_timing = re.compile(r"\(\d+ ms\)")  # the results page shows how long the search took


def _without_timings(data):
    if isinstance(data, dict):
        return {k: _without_timings(v) for k, v in data.items() if k not in ("took_ms",)}
    if isinstance(data, list):
        return [_without_timings(v) for v in data]
    return data


@pytest.mark.parametrize("secret,nowhere", list(zip(HIDDEN_WORDS, NOWHERE, strict=True)))
def test_searching_a_hidden_word_looks_like_searching_nothing(app, secret, nowhere):
    client = app.test_client()
    for path in ("/help/search?q={}", "/help/search?q={}+reset", "/help/browse?product={}"):
        hidden = _timing.sub("", client.get(path.format(secret)).get_data(as_text=True))
        absent = _timing.sub("", client.get(path.format(nowhere)).get_data(as_text=True))
        assert hidden == absent.replace(nowhere, secret), path
    for path in ("/api/search?q={}", "/api/search?q={}&limit=100", "/api/autocomplete?q={}",
                 "/help/autocomplete?q={}", "/api/search?q=reset&product={}", "/api/search?q=reset&tag={}"):
        hidden = _without_timings(client.get(path.format(secret)).get_json())
        absent = _without_timings(client.get(path.format(nowhere)).get_json())
        assert json.dumps(hidden) == json.dumps(absent).replace(nowhere, secret), path
    hidden = client.post("/api/suggest", json={"title": f"{secret} reset", "description": secret}).get_json()
    absent = client.post("/api/suggest", json={"title": f"{nowhere} reset", "description": nowhere})
    expected = json.dumps(_without_timings(absent.get_json())).replace(nowhere, secret)
    assert json.dumps(_without_timings(hidden)) == expected


def typos(word: str) -> list[str]:
    """Deletions, a transposition, a substitution and an insertion: what a spell checker corrects."""
    out = {word[:i] + word[i + 1:] for i in range(len(word))}
    out.add(word[1] + word[0] + word[2:])
    out.add(word[:3] + "e" + word[4:])
    out.add(word[:4] + "x" + word[4:])
    return sorted(out - {word})


def prefixes(word: str) -> list[str]:
    return [word[:n] for n in range(2, len(word))]


@pytest.mark.parametrize("secret", HIDDEN_WORDS)
def test_typos_and_prefixes_never_reveal_a_hidden_word(app, secret):
    client = app.test_client()
    for probe in typos(secret) + prefixes(secret):
        responses = [
            client.get("/help/search", query_string={"q": probe}),
            client.get("/api/search", query_string={"q": probe, "limit": 100}),
            client.get("/api/autocomplete", query_string={"q": probe}),
            client.get("/help/autocomplete", query_string={"q": probe}),
            client.post("/api/suggest", json={"title": probe, "description": f"{probe} after reset"}),
        ]
        for response in responses:
            text = response.get_data(as_text=True)
            assert secret not in text.lower(), (probe, response.request.path)
            assert not leaked(text, probe), (probe, leaked(text, probe))


def test_exact_secrets_in_queries_find_nothing(app):
    client = app.test_client()
    for probe in (SECRET, SECRET_CODE, DRAFT_SECRET, INTERNAL_ID, DRAFT_ID, f"{SECRET} {SECRET_CODE}",
                  f'"{SECRET}"', f"{SECRET}*", f"title:{SECRET}", f"id:{INTERNAL_ID}", "audience:internal",
                  "status:draft", f"{SECRET}~2"):
        data = client.get("/api/search", query_string={"q": probe, "limit": 100}).get_json()
        if data and "results" in data:
            assert data["total"] == 0 or all(r["audience"] == "public" for r in data["results"]), probe
            assert not leaked(json.dumps(data), probe), probe
        page = client.get("/help/search", query_string={"q": probe}).get_data(as_text=True)
        assert not leaked(page, probe), probe


def test_counts_and_facets_include_only_public_articles(app):
    client = app.test_client()
    for q in ("reset", "gateway", "appliance reset", "connector", "session tokens", "error"):
        data = client.get("/api/search", query_string={"q": q, "limit": 100}).get_json()
        assert data["total"] == len(data["results"]), q
        assert all(r["audience"] == "public" and r["status"] == "published" for r in data["results"]), q
        for values in data["facets"].values():
            for facet in values:
                assert not leaked(facet["value"]), (q, facet)
    home = client.get("/help").get_data(as_text=True)
    assert not leaked(home)


@pytest.mark.parametrize("hidden", HIDDEN_IDS)
def test_hidden_ids_answer_exactly_like_missing_ones(app, hidden):
    client = app.test_client()
    pairs = [(f"/help/articles/{hidden}", "/help/articles/NO-SUCH-ID-X"),
             (f"/api/articles/{hidden}", "/api/articles/NO-SUCH-ID-X")]
    for hidden_path, missing_path in pairs:
        a, b = client.get(hidden_path), client.get(missing_path)
        assert a.status_code == b.status_code == 404
        assert a.get_data() == b.get_data()
    token = csrf_token_from(client.get("/help/articles/KB0009"))
    a = client.post(f"/help/articles/{hidden}/feedback", data={"vote": "yes", "csrf_token": token})
    b = client.post("/help/articles/NO-SUCH-ID-X/feedback", data={"vote": "yes", "csrf_token": token})
    assert a.status_code == b.status_code == 404 and a.get_data() == b.get_data()


def test_body_only_secrets_never_leave_hidden_articles_even_for_customers(client, login):
    login("customer")
    for path, probe in (("/help", ""), (f"/help/search?q={SECRET}", SECRET),
                        (f"/api/search?q={SECRET}", SECRET),
                        (f"/api/articles/{INTERNAL_ID}", ""), (f"/api/autocomplete?q={SECRET[:5]}", ""),
                        (f"/help/search?q={DRAFT_BODY_SECRET}", DRAFT_BODY_SECRET)):
        text = client.get(path).get_data(as_text=True)
        assert not leaked(text, probe), (path, leaked(text, probe))


# --- answers: what a hidden article says is never quoted, cited or explained to the public ---

HIDDEN_ARTICLE_WORDS = (  # questions made of hidden articles' own words (their secret words left out)
    "appliance reset drops every token and logs an error",
    "Re-seed the cache with the internal tool, then restart the gateway",
    "connector setup for file shares: install the connector and paste the key",
    "Mailbox quota warnings after the migration batch completes",
)


def _answer_shape(data: dict) -> tuple:
    """What an answer decides: abstained or not, what it cites and what it lists."""
    cited = [c["id"] for c in (data.get("answer") or {}).get("citations", [])]
    return data["abstained"], cited, [r["id"] for r in data["results"]]


@pytest.mark.parametrize("secret,nowhere", list(zip(HIDDEN_WORDS, NOWHERE, strict=True)))
def test_asking_about_a_hidden_word_answers_like_asking_about_nothing(app, secret, nowhere, monkeypatch):
    # By words alone: the sentence encoder reads the question's own letters, so with meaning on
    # two different made-up words move similarities a little whatever the index holds.
    monkeypatch.setenv("KB_ENCODER_DIR", "off")
    client = app.test_client()
    for template in ("{}", "{} appliance reset drops session tokens", "how do I set up the {} connector",
                     "{} " + SECRET_CODE):
        hidden = client.post("/api/answer", json={"question": template.format(secret)}).get_json()
        absent = client.post("/api/answer", json={"question": template.format(nowhere)}).get_json()
        assert _answer_shape(hidden) == _answer_shape(absent), template
        assert not leaked(json.dumps(hidden), template.format(secret)), template


def test_answers_never_quote_cite_or_explain_hidden_articles(app):
    client = app.test_client()
    probes = [*HIDDEN_ARTICLE_WORDS, SECRET, SECRET_CODE, DRAFT_SECRET, INTERNAL_ID, DRAFT_ID,
              f"{SECRET} appliance reset drops session tokens", f"{DRAFT_SECRET} connector setup",
              *typos(SECRET)[:4], *prefixes(DRAFT_SECRET)[-3:]]
    browser = app.test_client()  # a browser session: the API client above sends no cookie
    token = csrf_token_from(browser.get("/help/contact"))
    for probe in probes:
        response = client.post("/api/answer", json={"question": probe, "description": probe, "explain": True})
        data = response.get_json()
        assert not leaked(response.get_data(as_text=True), probe), (probe, leaked(json.dumps(data), probe))
        considered = [c["id"] for c in data.get("considered", [])]
        cited = [c["id"] for c in (data["answer"] or {}).get("citations", [])]
        assert not set(considered + cited) & set(HIDDEN_IDS), probe
        for page in (browser.get("/help/search", query_string={"q": probe}),
                     browser.post("/help/contact", data={"csrf_token": token, "title": probe,
                                                         "description": probe, "action": "find"}),
                     browser.post("/help/contact/suggestions", data={"csrf_token": token, "title": probe,
                                                                     "description": probe})):
            assert page.status_code == 200, (probe, page.request.path)
            assert not leaked(page.get_data(as_text=True), probe), (probe, page.request.path)


# A customer who has seen the error on their own screen pastes what they know (the secret name,
# the code, the hidden article's wording) hoping to be handed the internal fix. The body-only
# secrets are never sent, so they can only appear if a hidden article was quoted.
PASTED = (f"After a reset the {SECRET} appliance logs {SECRET_CODE} and drops every session token. "
          f"The {SECRET} firmware clears the cache on reset. What is the resolution? Re-seed the cache "
          f"with the internal tool, then restart the gateway? Install the {DRAFT_SECRET} connector, "
          f"then paste the key. Quote {INTERNAL_ID} or {DRAFT_ID} if you have to.")


@pytest.mark.parametrize("fields", [
    {"question": PASTED},
    {"question": f"{SECRET} {SECRET_CODE}", "description": PASTED * 3},
    {"question": f"How do I fix {SECRET_CODE} on the {SECRET} appliance?", "product": f"{SECRET} Appliance"},
    {"question": f"Steps for the {DRAFT_SECRET} connector setup for file shares",
     "product": f"{DRAFT_SECRET.capitalize()} Connector"},
], ids=["pasted", "pasted-description", "code-and-product", "draft-steps"])
def test_a_question_quoting_the_secret_gets_no_hidden_quote_citation_or_reason(app, token_for, fields):
    sent = " ".join(fields.values())
    client = app.test_client()
    response = client.post("/api/answer", json={**fields, "explain": True})
    assert response.status_code == 200
    data = response.get_json()
    assert not leaked(response.get_data(as_text=True), sent), leaked(response.get_data(as_text=True), sent)
    shown = [c["id"] for c in data.get("considered", [])] + [r["id"] for r in data["results"]]
    shown += [c["id"] for c in (data["answer"] or {}).get("citations", [])]
    assert not set(shown) & set(HIDDEN_IDS)
    browser = app.test_client()
    token = csrf_token_from(browser.get("/help/contact"))
    title, description = fields["question"], fields.get("description", fields["question"])
    for page in (browser.get("/help/search", query_string={"q": fields["question"]}),
                 browser.post("/help/contact", data={"csrf_token": token, "title": title,
                                                     "description": description,
                                                     "product": fields.get("product", ""), "action": "find"}),
                 browser.post("/help/contact/suggestions", data={"csrf_token": token, "title": title,
                                                                 "description": description})):
        assert page.status_code == 200, page.request.path
        found = leaked(page.get_data(as_text=True), sent)
        assert not found, (page.request.path, found)


def test_the_same_pasted_question_does_reach_the_internal_fix_for_an_engineer(app, token_for):
    # The attack above is a real one: asked by someone who may read internal articles, it finds
    # and quotes the hidden resolution (so the public answers above are safe by construction).
    staff = app.test_client().post("/api/answer", json={"question": PASTED},
                                   headers={"Authorization": f"Bearer {token_for('engineer')}"}).get_json()
    assert staff["abstained"] is False and staff["answer"]["citations"][0]["id"] == INTERNAL_ID
    assert BODY_SECRET in staff["answer"]["text"]
