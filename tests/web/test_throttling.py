"""Anonymous clients may write, and ask for costly work, only so often, on every server at once.

Each test runs two apps on one database (two servers behind a load balancer: a client's
allowance must not double with the servers), once on SQLite and once on PostgreSQL.
Clients are test clients; each address is a separate client, and a "fresh session" is a new
test client with no cookies at all.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from kb import activity
from kb.cases import lookup
from kb.db import engine_for
from kb.throttle import Allowance, Allowances, Grant, Refusal
from tests.conftest import new_database
from tests.databases import BACKEND_PARAMS
from tests.web.conftest import app_config
from tests.web.helpers import csrf_token_from, soup

ARTICLE = "KB0009"
OTHER_ARTICLES = ("KB0001", "KB0002", "KB0004", "KB0007")
CASE = {"title": "Printer offline after update", "description": "Every print job stays queued.",
        "product": "", "email": "pat@example.com"}


@pytest.fixture(params=BACKEND_PARAMS)
def db(request, tmp_path) -> str:
    return new_database(request, request.param, tmp_path)


@pytest.fixture
def servers(corpus, index_dir, db, tmp_path):
    """``servers(**config)``: two apps on the same database, as two servers would be."""
    from web import create_app

    def make(**extra):
        return [create_app(app_config(corpus, index_dir, db, tmp_path / f"instance-{n}", **extra))
                for n in (1, 2)]
    return make


def _client(app, address: str = "203.0.113.7"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _vote(client, article_id: str = ARTICLE, **extra):
    page = client.get(f"/help/articles/{article_id}")
    assert page.status_code == 200, article_id
    return client.post(f"/help/articles/{article_id}/feedback",
                       data={"vote": "yes", "csrf_token": csrf_token_from(page), **extra})


def test_votes_from_fresh_sessions_count_once_per_client_and_article(servers, db):
    from web import _defaults

    apps = servers(ANONYMOUS_VOTES=_defaults()["ANONYMOUS_VOTES"])
    engine = engine_for(db)
    for app in itertools.islice(itertools.cycle(apps), 30):  # 30 clients that drop their cookies
        response = _vote(_client(app))
        assert response.status_code == 302
    assert activity.feedback_counts(engine, ARTICLE) == (1, 0)
    # Another client's vote still counts, and so does this client's vote on another article.
    assert _vote(_client(apps[1], "198.51.100.20")).status_code == 302
    assert _vote(_client(apps[0]), OTHER_ARTICLES[0]).status_code == 302
    assert activity.feedback_counts(engine, ARTICLE) == (2, 0)
    assert activity.feedback_counts(engine, OTHER_ARTICLES[0]) == (1, 0)


def test_a_repeated_anonymous_vote_is_thanked_but_not_counted(servers, db):
    first, second = (_client(app) for app in servers())
    _vote(first)
    again = _vote(second)
    assert again.status_code == 302
    page = second.get(again.headers["Location"])
    assert "already told us" in soup(page).get_text()
    assert activity.feedback_counts(engine_for(db), ARTICLE) == (1, 0)


def test_anonymous_votes_per_client_stop_with_429_and_retry_after(servers, db):
    apps = servers(ANONYMOUS_VOTES=(3, 3600))
    articles = [ARTICLE, *OTHER_ARTICLES]
    answers = [_vote(_client(app), article).status_code
               for app, article in zip(itertools.cycle(apps), articles)]
    assert answers == [302, 302, 302, 429, 429]
    refused = _vote(_client(apps[0]), OTHER_ARTICLES[-1])
    assert refused.status_code == 429
    assert 3000 < int(refused.headers["Retry-After"]) <= 3600
    assert "try again in" in soup(refused).get_text()
    assert sum(sum(activity.feedback_counts(engine_for(db), a)) for a in articles) == 3
    # The allowance is the client's: another one still votes.
    assert _vote(_client(apps[1], "198.51.100.30"), OTHER_ARTICLES[-1]).status_code == 302


def test_a_refused_vote_does_not_use_up_the_clients_vote(servers, db):
    app = servers()[0]
    client = _client(app)
    refused = _vote(client, comment="x" * (activity.MAX_COMMENT_LENGTH + 1))
    assert "limited" in soup(client.get(refused.headers["Location"])).get_text()
    assert _vote(_client(app)).status_code == 302
    assert activity.feedback_counts(engine_for(db), ARTICLE) == (1, 0)


def _submit(client, **fields):
    page = client.get("/help/contact")
    draft = soup(page).select_one("input[name=draft]")["value"]
    return client.post("/help/contact", data={**CASE, **fields, "draft": draft, "action": "submit",
                                              "csrf_token": csrf_token_from(page)})


def test_contact_form_cases_per_client_stop_with_429_keeping_the_text(servers, db):
    apps = servers(ANONYMOUS_CASES=(3, 3600))
    engine = engine_for(db)
    answers = [_submit(_client(app)).status_code for app in itertools.islice(itertools.cycle(apps), 4)]
    assert answers == [200, 200, 200, 429]
    refused = _submit(_client(apps[1]), title="Scanner offline too")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    html = soup(refused)
    assert html.select_one("#title")["value"] == "Scanner offline too"  # nothing typed is lost
    assert "try again" in html.get_text() or "send it again" in html.get_text()
    assert lookup.count_cases(engine) == 3
    assert _submit(_client(apps[0], "198.51.100.40")).status_code == 200  # another client
    assert lookup.count_cases(engine) == 4


def test_a_refused_case_does_not_count_against_the_client(servers, db):
    app = servers(ANONYMOUS_CASES=(1, 3600))[0]
    from kb.cases import store

    assert _submit(_client(app), title="", description="").status_code == 400  # nothing to go on
    assert _submit(_client(app), title="x" * (store.LIMITS["title"] + 1)).status_code == 400
    assert _submit(_client(app)).status_code == 200
    assert lookup.count_cases(engine_for(db)) == 1


@pytest.mark.parametrize(("method", "path", "costly"), [
    ("get", "/api/search?q=printer&explain=1", "explain"),
    ("get", "/api/search?q=printer&limit=100", "limit"),
    ("post", {"title": "printer offline", "explain": True}, "explain"),
    ("post", {"title": "printer offline", "limit": 50}, "limit"),
])
def test_costly_api_calls_are_limited_for_anonymous_callers(servers, db, method, path, costly):
    apps = servers(ANONYMOUS_COSTLY_CALLS=(3, 600))

    def call(app, address="203.0.113.7", headers=None):
        client = _client(app, address)
        if method == "get":
            return client.get(path, headers=headers)
        return client.post("/api/suggest", json=path, headers=headers)

    answers = [call(app).status_code for app in itertools.islice(itertools.cycle(apps), 4)]
    assert answers == [200, 200, 200, 429]
    refused = call(apps[1])
    body = refused.get_json()
    assert refused.status_code == 429 and body["status"] == 429 and body["parameter"] == costly
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    # The same call without the costly part still answers; so does another client, and a token.
    cheap = _client(apps[0]).get("/api/search?q=printer&limit=20")
    assert cheap.status_code == 200
    assert call(apps[0], "198.51.100.50").status_code == 200
    from kb.users import add_user, create_token

    add_user(engine_for(db), "api-reader", "engineer", "a-long-password-1")
    token = create_token(engine_for(db), "api-reader", "tests")
    assert call(apps[0], headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_an_allowance_holds_under_parallel_requests(db):
    allowances = Allowances(engine_for(db))
    allowance = Allowance("parallel", 5, 60)
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda _: allowances.take({allowance.key("c"): allowance}), range(12)))
    assert sum(isinstance(r, Grant) for r in results) == 5
    assert all(isinstance(r, Refusal) and 0 < r.wait <= 60 for r in results if not isinstance(r, Grant))
    assert allowances.used(allowance.key("c"), allowance) == 5


def test_units_stop_counting_after_their_window(db):
    now = [1_000_000.0]
    allowances = Allowances(engine_for(db), clock=lambda: now[0])
    allowance = Allowance("window", 2, 100)
    key = allowance.key("c")
    assert isinstance(allowances.take({key: allowance}), Grant)
    now[0] += 60
    assert isinstance(allowances.take({key: allowance}), Grant)
    refusal = allowances.take({key: allowance})
    assert isinstance(refusal, Refusal) and refusal.wait == 40  # the first unit leaves at +100
    now[0] += 41
    assert isinstance(allowances.take({key: allowance}), Grant)
    now[0] += 1000  # everything has expired: old rows are deleted as new units are taken
    allowances.take({allowance.key("other"): allowance})
    from kb.throttle import allowance_units

    with engine_for(db).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(allowance_units)).scalar_one() == 1
