"""Flags from readers who aren't staff, attacked: nothing about a hidden article gets out,
through the API or the help center's form, before or after the rate limit bites."""

from __future__ import annotations

import pytest

from kb.kcs import tasks as t
from kb.kcs.flags import flags_for_article
from tests.web.helpers import HIDDEN_IDS, LINKS_ID, NEVER_PUBLIC, OLD_PUBLIC_ID, csrf_token_from

FLAG = {"reason": "outdated", "comment": "Step 2 names a menu that no longer exists."}
MISSING = "NO-SUCH-ARTICLE"
# Hidden ids and the spellings an attacker would try on them; archived public articles are
# hidden from readers too (the help center redirects their pages, it doesn't take flags on them).
HIDDEN = (*HIDDEN_IDS, OLD_PUBLIC_ID, HIDDEN_IDS[0].lower(), f"{HIDDEN_IDS[0]}%20", f"{HIDDEN_IDS[0]}%00",
          f"../{HIDDEN_IDS[0]}", f"{HIDDEN_IDS[0]}.md")
BODIES = [FLAG, {"reason": "nonsense"}, {}, {"reason": "other", "comment": ["not", "text"]},
          {"reason": "other", "case_id": "CAS-000001"}]
VOLATILE = {"Date", "Set-Cookie", "Content-Length", "X-Request-Id"}


@pytest.fixture
def client(make_app):
    """A server whose allowance is high enough for every probe below to reach the lookup."""
    return make_app(ANONYMOUS_FLAGS_PER_WINDOW=10_000).test_client()


def answer(response) -> tuple:
    """What a caller learns from a response: status, headers that aren't per-request, body."""
    headers = sorted((k, v) for k, v in response.headers.items() if k not in VOLATILE)
    return response.status_code, headers, response.get_data()


def api_flag(client, article_id: str, body: dict, headers: dict | None = None):
    return client.post(f"/api/articles/{article_id}/flags", json=body, headers=headers or {})


def form_flag(client, article_id: str, data: dict):
    token = csrf_token_from(client.get(f"/help/articles/{LINKS_ID}"))
    return client.post(f"/help/articles/{article_id}/flags", data={**data, "csrf_token": token})


@pytest.mark.parametrize("role", [None, "customer"])
def test_over_the_api_every_hidden_id_and_body_answers_exactly_as_an_unknown_id(client, engine, auth, role):
    headers = auth(role) if role else {}
    for body in BODIES:
        missing = answer(api_flag(client, MISSING, body, headers))
        assert missing[0] == 404
        for hidden in HIDDEN:
            assert answer(api_flag(client, hidden, body, headers)) == missing, (hidden, body)
    for hidden in (*HIDDEN_IDS, OLD_PUBLIC_ID):
        assert flags_for_article(engine, hidden) == []
    assert t.list_tasks(engine, status=None) == []


def test_the_help_centers_form_answers_a_hidden_id_exactly_as_an_unknown_one(client, engine):
    for data in ({"reason": "outdated", "comment": "x"}, {"reason": "nonsense"}, {}):
        missing = form_flag(client, MISSING, data)
        assert missing.status_code == 404
        for hidden in HIDDEN:
            response = form_flag(client, hidden, data)
            assert answer(response) == answer(missing), (hidden, data)
            assert not any(word.encode() in response.get_data() for word in NEVER_PUBLIC)
    assert t.list_tasks(engine, status=None) == []


def test_a_hidden_id_spends_the_allowance_exactly_as_an_unknown_one(make_app):
    """If probing a hidden id cost more (or less) than probing an unknown one, counting the
    flags left would tell them apart."""
    client = make_app(ANONYMOUS_FLAGS_PER_WINDOW=3).test_client()
    for address, probe in (("198.51.100.1", MISSING), ("198.51.100.2", HIDDEN_IDS[0])):
        def send(article_id):
            return client.post(f"/api/articles/{article_id}/flags", json=FLAG, environ_base={"REMOTE_ADDR": address})
        assert [send(probe).status_code for _ in range(2)] == [404, 404]
        assert send(LINKS_ID).status_code == 201
        assert send(LINKS_ID).status_code == 429, probe


def test_once_limited_visible_hidden_and_unknown_ids_get_the_same_refusal(make_app, engine):
    client = make_app(ANONYMOUS_FLAGS_PER_WINDOW=1).test_client()
    assert api_flag(client, LINKS_ID, FLAG).status_code == 201
    refusals = {}
    for article_id in (LINKS_ID, MISSING, *(h for h in HIDDEN if "/" not in h)):  # no route takes a slash
        response = api_flag(client, article_id, FLAG)
        status, headers, body = answer(response)
        assert status == 429 and int(response.headers["Retry-After"]) > 0
        refusals[article_id] = (status, [h for h in headers if h[0] != "Retry-After"], body)
    assert len({repr(r) for r in refusals.values()}) == 1
    # The form shares the allowance (same address) and refuses the same way for every id.
    pages = {a: form_flag(client, a, {"reason": "outdated"}) for a in (LINKS_ID, MISSING, HIDDEN_IDS[0])}
    assert {r.status_code for r in pages.values()} == {429}
    assert len({r.get_data() for r in pages.values()}) == 1


def test_the_allowance_is_per_address_and_staff_are_not_limited(make_app, auth):
    client = make_app(ANONYMOUS_FLAGS_PER_WINDOW=1).test_client()
    assert api_flag(client, LINKS_ID, FLAG).status_code == 201
    assert api_flag(client, LINKS_ID, FLAG).status_code == 429
    elsewhere = client.post(f"/api/articles/{LINKS_ID}/flags", json=FLAG,
                            environ_base={"REMOTE_ADDR": "198.51.100.23"})
    assert elsewhere.status_code == 201
    # A forged forwarding header is not another address unless a trusted proxy set it.
    forged = client.post(f"/api/articles/{LINKS_ID}/flags", json=FLAG, headers={"X-Forwarded-For": "192.0.2.1"})
    assert forged.status_code == 429
    assert api_flag(client, LINKS_ID, FLAG, auth("engineer")).status_code == 201


def test_an_accepted_anonymous_flag_says_nothing_about_the_owner_or_the_task(client, engine):
    response = api_flag(client, LINKS_ID, FLAG)
    assert response.status_code == 201
    assert set(response.get_json()) == {"id", "article_id", "reason", "created_at"}
    [task] = t.list_tasks(engine)
    if task.owner:
        assert task.owner not in response.get_data(as_text=True)
