"""Fixtures for the browser walks: one sample site, one Chromium per module, pages per size.

Every page a test opens fails the test on a console error or a script error (CSP
violations show up as console errors); 4xx responses the test asks for are not errors.
"""

from __future__ import annotations

import contextlib

import pytest

from tests.ui.browser import context_options
from tests.ui.sample_site import start_sample_site
from tests.web.helpers import checked_page
from tests.web.test_browser import browser  # noqa: F401  (one Chromium per module; fails if missing)

TIMEOUT_MS = 20_000  # a loaded 2-core machine; every wait is for a condition, this only bounds it


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The sample site (45 cases, every role) served by `kb serve`, shared by every walk: each
    walk makes the cases and articles it changes, so they don't step on each other."""
    site = start_sample_site(tmp_path_factory.mktemp("ui-site"))
    yield site
    site.stop()


@pytest.fixture
def open_page(browser, site):  # noqa: F811  (the fixture imported above)
    """``open_page(size, role=None)``: a fresh browser context at that size, signed in as ``role``."""
    with contextlib.ExitStack() as stack:
        def make(size: str, role: str | None = None):
            page = stack.enter_context(checked_page(browser, site.url, timeout_ms=TIMEOUT_MS,
                                                    **context_options(size)))
            if role:
                sign_in(page, site, role)
            return page

        yield make


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
