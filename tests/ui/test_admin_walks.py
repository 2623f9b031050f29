"""An admin on the users page, in a real Chromium at both sizes, with axe-core."""

from __future__ import annotations

import re
import secrets

import pytest

from kb.cases import store
from kb.users import add_user
from tests.ui.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def sign_in_as(page, name: str, password: str) -> None:
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def test_signed_out_by_an_admin_mid_form_the_engineer_keeps_the_notes(open_page, site, size):
    name = f"walk-{size}-{secrets.token_hex(3)}"
    add_user(site.engine, name, "engineer", site.password)
    case = store.create_case(site.engine, title="Mapped drive disconnects at logon", owner=name)
    theirs = open_page(size)
    theirs.goto(f"/login?next=/cases/{case.display_id}")
    sign_in_as(theirs, name, site.password)
    theirs.get_by_label("How did the case end?").select_option("configuration-change")
    notes = "Set the drive mapping to reconnect at sign-in; confirmed after two restarts."
    theirs.get_by_label("Resolution notes").fill(notes)

    admin = open_page(size, "admin")
    admin.goto("/admin/users")
    assert_accessible(admin, "users")
    admin.get_by_role("button", name=f"Sign out {name} everywhere").click()
    admin.wait_for_url(re.compile(r"/admin/users$"))
    assert f"{name} is signed out everywhere" in admin.locator(".flashes").inner_text()

    # The session ended on the server while the cookie still sits in the engineer's browser.
    theirs.get_by_role("button", name="Close case").click()
    theirs.wait_for_url(re.compile(r"/login\?next="))
    assert "what you typed is kept" in theirs.locator(".flashes").inner_text()
    assert store.get_case(site.engine, case.id).status == "new"
    sign_in_as(theirs, name, site.password)
    theirs.wait_for_url(re.compile(rf"/cases/{case.display_id}$"))
    assert theirs.get_by_label("Resolution notes").input_value() == notes
    assert theirs.get_by_label("How did the case end?").input_value() == "configuration-change"
