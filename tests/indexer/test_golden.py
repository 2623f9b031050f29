"""Golden queries (tests/golden_queries.yaml): the right article first, against the sample KB."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

GOLDEN_FILE = REPO / "tests" / "golden_queries.yaml"


def load_golden(path: Path = GOLDEN_FILE) -> list[dict]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in entries:
        assert set(entry) <= {"query", "expect", "why", "audience", "statuses"}, entry
    return entries


GOLDEN = load_golden()


def test_golden_file_is_substantial_and_targets_existing_articles(sample) -> None:
    assert len(GOLDEN) >= 25
    assert len({g["query"] for g in GOLDEN}) == len(GOLDEN), "duplicate golden query"
    for entry in GOLDEN:
        visible = sample.get_article(entry["expect"], audience=entry.get("audience", "internal"),
                                     statuses=entry.get("statuses", ["published"]))
        assert visible is not None, f"{entry['expect']} is not visible for {entry['query']!r}"


@pytest.mark.parametrize("entry", GOLDEN, ids=[g["query"][:40] for g in GOLDEN])
def test_golden_query_ranks_expected_article_first(sample, entry: dict) -> None:
    page = sample.search(entry["query"], audience=entry.get("audience", "internal"),
                         statuses=entry.get("statuses", ["published"]), limit=5)
    got = [hit.id for hit in page.hits]
    assert got[:1] == [entry["expect"]], f"{entry['query']!r} ({entry.get('why')}): got {got}"
