"""A form sent after the session expired: kept, signed back in, filled in again; never acted on."""

from __future__ import annotations

from kb.cases import store
from tests.web.helpers import account, csrf_token_from, login_client, soup

SAME_SITE = {"Sec-Fetch-Site": "same-origin"}


def open_close_form(client, db_url, engine):
    acct = account(db_url, "engineer")
    assert login_client(client, acct).status_code == 302
    case = store.create_case(engine, title="Outlook keeps asking for a password")
    page = f"/cases/{case.display_id}"
    return acct, case, page, csrf_token_from(client.get(page))


def expire(client, app):
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])


def test_an_expired_session_keeps_the_form_and_returns_to_the_case(app, client, db_url, engine):
    acct, case, page, token = open_close_form(client, db_url, engine)
    expire(client, app)
    sent = {"resolution_code": "configuration-change", "notes": "Cleared cached credentials.",
            "action": "close", "csrf_token": token}
    response = client.post(f"{page}/close", data=sent,
                           headers={**SAME_SITE, "Referer": f"http://localhost{page}"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/cases/{case.display_id}"
    assert store.get_case(engine, case.id).status == "new", "nothing is done with an unauthenticated form"

    assert login_client(client, acct, next_url=page).headers["Location"] == page
    html = soup(client.get(page))
    assert html.select_one("#notes").text == "Cleared cached credentials."
    assert html.select_one("#resolution_code option[selected]")["value"] == "configuration-change"
    assert "signed out before this was saved" in html.select_one("#close").text
    assert soup(client.get(page)).select_one("#notes").text == "", "kept once, then gone"


def test_a_form_from_another_site_is_refused_not_kept(app, client, db_url, engine):
    _, case, page, token = open_close_form(client, db_url, engine)
    expire(client, app)
    response = client.post(f"{page}/close", data={"notes": "planted", "action": "close", "csrf_token": token},
                           headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 400
    assert "planted" not in client.get("/login").get_data(as_text=True)


def test_long_notes_are_cut_to_fit_the_session_cookie(app, client, db_url, engine):
    acct, case, page, token = open_close_form(client, db_url, engine)
    expire(client, app)
    notes = "Ünïcödé notes that go on and on. " * 600  # about 20,000 characters
    response = client.post(f"{page}/close", data={"notes": notes, "action": "close", "csrf_token": token},
                           headers={**SAME_SITE, "Referer": f"http://localhost{page}"})
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and "kb_session" in v)
    assert len(cookie) < 4000, "browsers drop cookies over 4 KB, and the session with them"
    login_client(client, acct, next_url=page)
    html = soup(client.get(page))
    kept = html.select_one("#notes").text
    assert 500 < len(kept) < len(notes) and notes.startswith(kept)
    assert "the rest was too long to keep" in html.select_one("#close").text
