"""The page types no workflow walk reaches, each checked with axe-core at both sizes.

Together with the walks, every page type kb serves to a person runs through axe-core: no
serious or critical violations, and nothing wider than the screen.
"""

from __future__ import annotations

import pytest

from tests.ui.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDER_THAN_SCREEN = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"

# (role, address, a selector that is on the page when it shows what it is for)
PAGES = [
    (None, "/help/browse", ".tile-list, .result"),
    (None, "/help/search?q=vpn+disconnects", ".result"),
    ("engineer", "/search", "main h1, main h2"),
    ("engineer", "/search?q=vpn+drops", ".result"),
    ("engineer", "/cases/new", "#title"),
    ("engineer", "/insights", "section.insight svg"),
    ("engineer", "/insights/deflection?window=all", ".insight-table"),
    ("author", "/authoring/report", "#stale"),
]


def test_every_other_page_type_passes_axe_and_fits_the_screen(open_page, size):
    pages = {}
    for role, address, landmark in PAGES:
        if role not in pages:
            pages[role] = open_page(size, role)
        page = pages[role]
        response = page.goto(address)
        assert response.status == 200, address
        assert page.locator(landmark).count() > 0, f"{address} shows {landmark}"
        assert_accessible(page, address)
        assert not page.evaluate(WIDER_THAN_SCREEN), f"{address} is wider than the {size} screen"


def test_a_new_case_shows_suggestions_as_the_engineer_types(open_page, size):
    page = open_page(size, "engineer")
    page.goto("/cases/new")
    page.get_by_label("Title").fill("VPN drops every few minutes")
    page.locator("#suggestions .suggestion-title").first.wait_for()
    assert_accessible(page, "new case with suggestions")
