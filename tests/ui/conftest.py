"""Fixtures for the browser walks: one sample site and one Chromium per module, pages per size.

Every page a test opens fails the test on a console error or a script error (CSP
violations show up as console errors); 4xx responses the test asks for are not errors.
"""

from __future__ import annotations

import pytest

from tests.ui.browser import chromium, chromium_path, context_options
from tests.ui.sample_site import start_sample_site

TIMEOUT_MS = 20_000  # a loaded 2-core machine; every wait is for a condition, this only bounds it


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The sample site (45 cases, every role) served by `kb serve` for this module."""
    site = start_sample_site(tmp_path_factory.mktemp("ui-site"))
    yield site
    site.stop()


@pytest.fixture(scope="module")
def browser():
    try:
        chromium_path()
    except RuntimeError as exc:  # fail, never skip: a machine without the browser must not pass
        pytest.fail(str(exc), pytrace=False)
    with chromium() as browser:
        yield browser


@pytest.fixture
def open_page(browser, site):
    """``open_page(size, role=None)``: a fresh browser context at that size, signed in as ``role``."""
    contexts, errors = [], []

    def make(size: str, role: str | None = None):
        context = browser.new_context(base_url=site.url, **context_options(size))
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        if role:
            sign_in(page, site, role)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"browser console errors (CSP violations show up here): {errors}"


def sign_in(page, site, role: str, *, here: bool = False) -> None:
    """Sign in through the login form and wait until the landing page has loaded.

    :param here: use the login page already open (it carries where to go next).
    """
    if not here:
        page.goto("/login")
    page.get_by_label("User name").fill(site.accounts[role])
    page.get_by_label("Password").fill(site.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


@pytest.fixture(params=["desktop", "phone"])
def size(request) -> str:
    """Each walk runs at desktop (1366x900) and phone (390x844) size."""
    return request.param
