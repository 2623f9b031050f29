"""One scoring implementation: what --explain shows is what ranked the results."""

from __future__ import annotations

import pytest

QUERIES = [
    "ORA-12154", "odbc login timeout", '"access denied" share', "sql server deadlock", "0x80070005",
    "Login timeout expired SQLSTATE HYT00 when the app connects", "outlook keeps asking for password",
    "relay 550 5.7.1 unable to relay", "certificate chain not trusted odbc", "kerberos nothing-like-this",
]


def _check(hit) -> None:
    ex = hit.explanation
    assert ex["score"] == hit.score
    if "meaning" not in ex:
        assert ex["text_score"] * ex["multiplier"] == pytest.approx(ex["score"], abs=1e-3)
    assert ex["parts"]["words"] + ex["parts"]["boosters"] == pytest.approx(ex["text_score"], abs=1e-3)
    assert sum(f["score"] for f in ex["fields"].values()) == pytest.approx(ex["parts"]["words"], abs=1e-3)
    assert sum(ex["boosters"].values()) == pytest.approx(ex["parts"]["boosters"], abs=1e-3)


@pytest.mark.parametrize("query", QUERIES)
def test_explanations_add_up_to_the_scores_that_ranked_the_hits(sample, query: str) -> None:
    plain = sample.search(query, audience="internal", limit=10)
    explained = sample.search(query, audience="internal", limit=10, explain=True)
    assert [(h.id, h.score) for h in explained.hits] == [(h.id, h.score) for h in plain.hits]
    assert explained.hits, query
    for hit in explained.hits:
        _check(hit)


def test_ticket_explanations_add_up_too(sample) -> None:
    title, description = "ODBC connections fail after upgrade", "Login timeout expired; error 0x80070005 on save."
    plain = sample.suggest(title, description, audience="internal")
    explained = sample.suggest(title, description, audience="internal", explain=True)
    assert [(h.id, h.score) for h in explained.hits] == [(h.id, h.score) for h in plain.hits]
    for hit in explained.hits:
        _check(hit)
        assert hit.explanation["tier"] == "key terms"


def test_explanations_name_the_boosters_that_counted(sample) -> None:
    hit = sample.search("ORA-12154", audience="internal", explain=True).hits[0]
    assert "exact error code 'ora-12154'" in hit.explanation["boosters"]
    assert hit.explanation["parts"]["boosters"] > 0
