"""Pages written for other tools render well: callouts, includes, links between files, images.

The corpus is the MkDocs fixture tree with its documented mapping, plus an internal page
with an image of its own: relative references must resolve for each reader without ever
serving a file from outside the articles folder, or an internal article's image publicly.
"""

from __future__ import annotations

import pytest

from indexer import build_index
from tests.trees import copy_tree
from tests.web.conftest import app_config
from tests.web.helpers import account, login_client, soup

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
VPN = "vpn.vpn-drops-after-sleep"
RESET = "accounts.reset-password"


@pytest.fixture(scope="module")
def site(tmp_path_factory, db_url):
    from web import create_app

    base = tmp_path_factory.mktemp("mkdocs-site")
    root = copy_tree("mkdocs", base / "docs")
    (root / "ops").mkdir()
    (root / "ops" / "runbook.md").write_text(
        "---\naudience: internal\n---\n# Failover runbook for the VPN concentrators\n\n"
        "![Rack diagram](rack.png)\n\nSee [the public page](../vpn/vpn-drops-after-sleep.md).\n")
    (root / "ops" / "rack.png").write_bytes(PNG)
    (root / "ops" / "unlisted.png").write_bytes(PNG)
    (root / "vpn" / "vpn-drops-after-sleep.md").open("a").write(
        "\nStaff have a [runbook](../ops/runbook.md).\n")
    (base / "outside.png").write_bytes(PNG)
    report = build_index(root, base / "index", embed=False)
    assert not report.errors, [str(p) for p in report.errors]
    app = create_app(app_config(root, base / "index", db_url, base / "instance"))
    return app


@pytest.fixture
def public(site):
    return site.test_client()


@pytest.fixture
def staff(site, db_url):
    client = site.test_client()
    assert login_client(client, account(db_url, "engineer")).status_code == 302
    return client


def body_of(response):
    assert response.status_code == 200, response.status_code
    return soup(response).find("div", class_="article-body")


def test_mkdocs_admonitions_and_snippets_render(public):
    body = body_of(public.get(f"/help/articles/{VPN}"))
    boxes = body.select("div.admonition")
    assert [b.get("class") for b in boxes] == [["admonition", "note"], ["admonition", "warning"]]
    assert boxes[0].select_one("p.admonition-title").get_text() == "Affected versions"
    assert "Client versions 4.2 and 4.3" in boxes[0].get_text()
    assert "Collect the client log" in body.get_text(), "the snippet from includes/ is shown in place"
    assert "--8<--" not in body.get_text()


def test_relative_links_become_links_to_articles_the_reader_may_see(public, staff):
    body = body_of(public.get(f"/help/articles/{VPN}"))
    reset = body.find("a", string="Reset a password")
    assert reset["href"] == f"/help/articles/{RESET}#sec-before-you-begin"
    assert body.find("a", string="runbook") is None, "an internal page is no link for customers"
    assert body.find("span", class_="kb-link-unavailable", string="runbook")
    staff_body = body_of(staff.get(f"/articles/{VPN}"))
    assert staff_body.find("a", string="runbook")["href"] == "/articles/ops.runbook"


def test_relative_images_are_served_through_their_article(public, staff):
    body = body_of(public.get(f"/help/articles/{VPN}"))
    src = body.find("img")["src"]
    assert src == f"/help/articles/{VPN}/media/img/reconnect-setting.png"
    image = public.get(src)
    assert image.status_code == 200 and image.data == (
        pytest.importorskip("tests.trees").TREES / "mkdocs/docs/img/reconnect-setting.png").read_bytes()
    assert image.mimetype == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in image.headers["Content-Security-Policy"]
    staff_src = body_of(staff.get("/articles/ops.runbook")).find("img")["src"]
    assert staff_src == "/articles/ops.runbook/media/ops/rack.png" and staff.get(staff_src).status_code == 200


@pytest.mark.parametrize("url", [
    f"/help/articles/{VPN}/media/ops/rack.png",  # another (internal) article's image
    f"/help/articles/{VPN}/media/ops/unlisted.png",  # in the folder, shown by no article
    f"/help/articles/{VPN}/media/../outside.png",
    f"/help/articles/{VPN}/media/%2e%2e/outside.png",
    f"/help/articles/{VPN}/media/img/../../outside.png",
    f"/help/articles/{VPN}/media/vpn/vpn-drops-after-sleep.md",
    "/help/articles/ops.runbook/media/ops/rack.png",  # an internal article, for the public
    f"/help/articles/{VPN}/media//etc/passwd",
])
def test_nothing_else_is_served(public, url):
    assert public.get(url, follow_redirects=True).status_code == 404


def test_staff_see_other_front_matter_fields_and_customers_do_not(public, staff):
    page = soup(staff.get(f"/articles/{RESET}"))
    extra = page.select_one("details.meta-extra")
    assert extra is not None and "description" in extra.get_text() and "toc" in extra.get_text()
    assert soup(public.get(f"/help/articles/{RESET}")).select_one("details.meta-extra") is None
    assert "extra" not in public.get(f"/api/articles/{RESET}").get_json()
