"""A pasted name that no article has: its shorter forms that articles do have, said so."""

from __future__ import annotations

import pytest

from indexer import Searcher, build_index
from indexer.plan import names_shortened
from indexer.query import parse_query
from tests.indexer.conftest import tsg

ARTICLES = {
    "proxy.md": tsg("KB-PROXY", "Free/busy lookups fail behind a proxy",
                    symptoms="The log shows System.Net.WebException: Unable to connect to the remote server."),
    "bar.md": tsg("KB-BAR", "The bar is denied to guests", symptoms="Access to the bar was denied twice."),
    "sockets.md": tsg("KB-SOCKET", "Socket errors on the relay", audience="internal",
                      symptoms="System.Net.Sockets.SocketException: A connection attempt failed."),
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    root = tmp_path_factory.mktemp("names")
    folder = root / "articles"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    build_index(folder, root / "index")
    with Searcher(root / "index") as s:
        yield s


def shortened(query: str) -> list[str]:
    out, parsed = [], parse_query(query)
    while (parsed := names_shortened(parsed)) is not None:
        out.append(parsed.text)
    return out


def test_a_name_is_shortened_from_its_start_down_to_a_name() -> None:
    assert shortened("Contoso.Billing.Net.WebException") == [
        "Billing.Net.WebException", "Net.WebException", "WebException"]
    assert shortened("ERROR_FOO_BAR_DENIED") == ["FOO_BAR_DENIED", "BAR_DENIED"]  # never a lone "DENIED"


def test_codes_words_and_phrases_are_never_shortened() -> None:
    assert shortened("ORA-12154") == []
    assert shortened("KB5003637") == []
    assert shortened("sign-in fails") == []
    assert shortened('"Contoso.Billing.WebException"') == []


def test_a_run_of_dotted_words_longer_than_any_name_is_left_as_typed() -> None:
    assert len(shortened(".".join(["Contoso"] * 11) + ".WebException")) == 11
    assert shortened(".".join(["Contoso"] * 12) + ".WebException") == []


def test_a_name_no_article_has_finds_the_articles_with_its_class(searcher) -> None:
    page = searcher.search("Contoso.Billing.Net.WebException")
    assert [h.id for h in page.hits] == ["KB-PROXY"]
    assert "Contoso.Billing.Net.WebException" in page.notice and "WebException" in page.notice


def test_a_shorter_form_no_article_has_whole_finds_nothing(searcher) -> None:
    # "bar" and "denied" are in KB-BAR, but nobody writes BAR_DENIED: its parts would be noise.
    page = searcher.search("ERROR_FOO_BAR_DENIED")
    assert page.total == 0 and not page.hits


def test_shortening_keeps_to_what_the_reader_may_see(searcher) -> None:
    assert searcher.search("MyCompany.Sockets.SocketException").total == 0
    page = searcher.search("MyCompany.Sockets.SocketException", audience="internal")
    assert [h.id for h in page.hits] == ["KB-SOCKET"]
