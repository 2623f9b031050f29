"""Finding a case by its number, its customer or words from it, in a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kb.cases import lookup, store
from kb.db import utcnow


@pytest.fixture
def queue(engine):
    """Eight cases over eight days; two customers share the word "Northwind"."""
    start = utcnow() - timedelta(days=10)
    rows = [
        ("VPN drops every hour", "Northwind Traders", "VPN Gateway", "dana"),
        ("Printer offline after patch", "Contoso", "Windows", "lee"),
        ("Outlook prompts for password", "Northwind Health", "Exchange Online", None),
        ("Northwind asked about licences", "Fabrikam", None, "dana"),  # mentions, isn't the customer
        ("ODBC login timeout", "Tailspin Toys", "SQL Server", "lee"),
        ("Sync fails with HTTP 429", "Contoso", "Contoso CRM", "sam"),
        ("Blue screen after driver update", None, "Windows", None),
        ("Mail delayed 451 4.7.500", "Litware", "Exchange Online", "sam"),
    ]
    made = [store.create_case(engine, title=t, customer=c, product=p, owner=o,
                              description=f"Reported by {c or 'nobody'}.", at=start + timedelta(days=n))
            for n, (t, c, p, o) in enumerate(rows)]
    return {c.title: c for c in made}


def titles(found: lookup.Found) -> list[str]:
    return [c.title for c in found.cases]


@pytest.mark.parametrize("written", ["{id}", "{id_lower}", "cas-{n}", "#{n}", "{n}", " {id} "])
def test_a_case_is_found_by_its_number_in_every_written_form(engine, queue, written):
    target = queue["Sync fails with HTTP 429"]
    query = written.format(id=target.display_id, id_lower=target.display_id.lower(), n=target.id)
    found = lookup.find_cases(engine, query)
    assert found.cases[0].id == target.id


def test_a_customer_name_finds_that_customers_cases_before_cases_that_only_mention_it(engine, queue):
    found = lookup.find_cases(engine, "northwind")
    assert set(titles(found)[:2]) == {"VPN drops every hour", "Outlook prompts for password"}
    assert titles(found)[2] == "Northwind asked about licences"
    assert found.total == 3


def test_every_word_must_match_somewhere_in_the_case(engine, queue):
    assert titles(lookup.find_cases(engine, "northwind health")) == ["Outlook prompts for password"]
    assert titles(lookup.find_cases(engine, "contoso windows")) == ["Printer offline after patch"]
    assert lookup.find_cases(engine, "contoso vpn").total == 0


def test_words_match_title_product_owner_and_description(engine, queue):
    assert titles(lookup.find_cases(engine, "451")) == ["Mail delayed 451 4.7.500"]
    assert set(titles(lookup.find_cases(engine, "sql server"))) == {"ODBC login timeout"}
    assert lookup.find_cases(engine, "reported by tailspin").cases[0].title == "ODBC login timeout"
    assert {c.owner for c in lookup.find_cases(engine, "sam").cases} == {"sam"}


def test_wildcards_in_a_query_are_plain_characters(engine, queue):
    assert lookup.find_cases(engine, "%").total == 0
    assert lookup.find_cases(engine, "_").total == 0
    assert lookup.find_cases(engine, "100%_").total == 0


def test_a_blank_query_lists_every_case_newest_first(engine, queue):
    found = lookup.find_cases(engine, "  ")
    assert found.total == 8
    assert titles(found)[0] == "Mail delayed 451 4.7.500"


def test_sorting_by_a_column_and_direction(engine, queue):
    by_customer = lookup.find_cases(engine, sort="customer", descending=False)
    customers = [c.customer for c in by_customer.cases]
    assert customers[-1] is None, "cases without a customer go last"
    named = [c for c in customers if c]
    assert named == sorted(named)
    oldest = lookup.find_cases(engine, sort="created", descending=False).cases[0]
    assert oldest.title == "VPN drops every hour"
    assert lookup.find_cases(engine, sort="updated").cases[0].title == "Mail delayed 451 4.7.500"
    with pytest.raises(lookup.BadSort, match="sort by one of"):
        lookup.find_cases(engine, sort="password")


def test_a_query_combines_with_filters_and_pages(engine, queue):
    found = lookup.find_cases(engine, "contoso", product="Windows")
    assert titles(found) == ["Printer offline after patch"]
    page = lookup.find_cases(engine, "northwind", limit=1, offset=1)
    assert page.total == 3 and len(page.cases) == 1


def test_a_requester_sees_only_the_cases_they_opened(engine, queue):
    mine = store.create_case(engine, title="My scanner", created_by="pat", channel="portal")
    store.create_case(engine, title="Their scanner", created_by="kim", channel="portal")
    assert titles(lookup.find_cases(engine, requester="pat")) == [mine.title]
    assert lookup.find_cases(engine, "their", requester="pat").total == 0


@pytest.mark.parametrize("text, number", [("CAS-000042", 42), ("cas-42", 42), (" CAS42 ", 42),
                                          ("42", None), ("#42", None), ("0x80070005", None),
                                          ("CAS-0", None), ("CAS-42 VPN", None), ("", None)])
def test_only_unmistakable_case_numbers_count_as_case_numbers(text, number):
    assert lookup.case_number(text) == number
