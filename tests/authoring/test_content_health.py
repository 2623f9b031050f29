"""Content health in `kb lint`: near-duplicate titles, leftover guidance, empty sections, links."""

from __future__ import annotations

import itertools
import random
import time
from datetime import date

import pytest

from kb.articles import load_knowledge_base
from kb.authoring import near_duplicate_pairs, title_similarity, title_tokens
from kb.lint import lint
from tests.authoring.conftest import BASE, TSG_BODY
from tests.conftest import article_text

TODAY = date(2026, 11, 23)


def findings(make_kb, files: dict[str, str], rule: str):
    root = make_kb({**BASE, **files})
    return [p for p in lint(load_knowledge_base(root), today=TODAY) if p.rule == rule]


def test_near_duplicate_titles_are_warned_about_once(make_kb):
    copy = article_text("id: KB0100\ntitle: Analyse SQL-Server deadlock (error 1205)")
    found = findings(make_kb, {"z/copy.md": copy}, "near-duplicate-title")
    assert len(found) == 1
    (problem,) = found
    assert problem.path.endswith("z/copy.md") and problem.severity == "warning" and problem.line == 3
    assert "KB0007" in problem.message


def test_exact_duplicates_are_left_to_duplicate_title(make_kb):
    root = make_kb({**BASE, "z/copy.md": article_text("title: Analyse SQL Server deadlocks (Error 1205)")})
    rules = {p.rule for p in lint(load_knowledge_base(root), today=TODAY)}
    assert "duplicate-title" in rules and "near-duplicate-title" not in rules


def test_archived_articles_are_not_near_duplicates(make_kb):
    old = article_text("id: KB0100\ntitle: Analyse SQL Server deadlocks (error 1205) on 2012\n"
                       "status: archived\nsuperseded_by: KB0007")
    found = findings(make_kb, {"z/old.md": old}, "near-duplicate-title")
    assert found == []


def test_different_titles_sharing_words_are_not_near_duplicates(make_kb):
    found = findings(make_kb, {"z/other.md": article_text("title: SQL Server login timeout (Error 18456)")},
                     "near-duplicate-title")
    assert found == []


def test_title_similarity_normalizes_case_plurals_and_stop_words():
    assert title_tokens("The deadlocks in SQL") == title_tokens("deadlock SQL")
    assert title_similarity("Reset a user's password", "Reset the users passwords") == 1.0
    assert title_similarity("ORA-12154 in Oracle", "ORA 12154 in Oracle") < 1.0  # error codes stay whole
    assert title_similarity("", "x") == 0.0


def test_near_duplicate_join_matches_brute_force():
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(40)]
    titles = {f"K{i}": " ".join(rng.choices(vocab, k=rng.randint(1, 7))) for i in range(800)}
    tokens = {k: title_tokens(t) for k, t in titles.items()}
    keys = list(titles)
    for threshold in (0.5, 0.75, 0.9):
        expected = {(a, b) for i, a in enumerate(keys) for b in keys[i + 1:]
                    if min(len(tokens[a]), len(tokens[b])) >= 2
                    and len(tokens[a] & tokens[b]) / len(tokens[a] | tokens[b]) >= threshold}
        assert {(a, b) for a, b, _ in near_duplicate_pairs(titles, threshold)} == expected


@pytest.mark.slow
def test_near_duplicate_join_scales_to_100k_titles():
    rng = random.Random(3)
    vocab = [f"term{i}" for i in range(30000)]
    cumulative = list(itertools.accumulate(1 / (i + 1) for i in range(len(vocab))))  # Zipf-like word use
    titles = {f"KB{i}": " ".join(rng.choices(vocab, cum_weights=cumulative, k=rng.randint(3, 12)))
              for i in range(100_000)}
    titles["COPY"] = titles["KB5"] + " again"
    started = time.perf_counter()
    pairs = list(near_duplicate_pairs(titles))
    assert time.perf_counter() - started < 30  # about 4 s here; comparing every pair takes hours
    assert any({a, b} == {"KB5", "COPY"} for a, b, _ in pairs) or len(title_tokens(titles["KB5"])) < 3


def test_leftover_guidance_is_a_warning_with_its_line(make_kb):
    body = TSG_BODY + "\n## More information\n\n> TODO: add links\n"
    found = findings(make_kb, {"g.md": article_text("title: Guided\ntype: tsg", body)}, "unfilled-template")
    line = 5 + body.splitlines().index("> TODO: add links")
    assert [(p.severity, p.line) for p in found] == [("warning", line)]
    assert "add links" in found[0].message


def test_empty_resolution_section_is_an_error(make_kb):
    body = "## Symptoms\n\nIt fails.\n\n## Cause\n\nA reason.\n\n## Resolution\n\n## More information\n\nx\n"
    found = findings(make_kb, {"e.md": article_text("title: Empty fix\ntype: tsg", body)}, "empty-section")
    assert len(found) == 1 and found[0].is_error and "Resolution" in found[0].message
    assert found[0].line == 5 + body.splitlines().index("## Resolution")


def test_broken_links_and_anchors_between_articles(make_kb):
    body = "See [a](kb:KB0007#sec-nowhere), [b](kb:KB0404) and [c](kb:KB0007#sec-cause).\n"
    root = make_kb({**BASE, "l.md": article_text("title: Links", body)})
    problems = [p for p in lint(load_knowledge_base(root), today=TODAY) if p.path.endswith("l.md")]
    assert sorted(p.rule for p in problems) == ["broken-anchor", "broken-link"]
