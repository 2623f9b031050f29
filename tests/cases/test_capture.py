"""Knowledge capture: a draft article from a solved case that passes lint as written."""

from __future__ import annotations

import time

import pytest

from kb.articles import load_knowledge_base
from kb.cases import capture, store
from kb.cases.rules import CaseRuleError
from kb.errors import KBError
from kb.lint import lint
from tests.conftest import article_text


@pytest.fixture
def articles(make_kb):
    return make_kb({
        "identity/kb0007.md": article_text("id: KB0007\ntitle: Time skew breaks Kerberos\ntype: how-to"),
        "windows/legacy.md": article_text("id: KB0041\ntitle: [broken"),  # unparsable, but its id is taken
    })


def errors(root):
    return [p for p in lint(load_knowledge_base(root)) if p.is_error and "legacy.md" not in p.path]


@pytest.mark.parametrize("article_type,code,bug", [("known-issue", "product-bug-filed", "BUG-77"),
                                                     ("tsg", "configuration-change", None)])
def test_captured_draft_is_lint_clean_and_linked(engine, taxonomy, articles, article_type, code, bug):
    case = store.create_case(engine, title="Outlook prompts for a password after the mailbox move",
                             description="Outlook asks for credentials every few minutes.\n\n0x8004010F.",
                             product="Outlook", owner="alice")
    store.close_case(engine, taxonomy, case.id, code, "Recreate the Outlook profile.", bug)
    captured = capture.capture_from_case(engine, case.id, articles, article_type=article_type,
                                         captured_by="bob")
    assert captured.article_id == "KB0042"
    assert captured.path.parent == articles / "drafts"
    assert errors(articles) == []
    article = load_knowledge_base(articles).get("KB0042")
    assert (article.type, article.audience, article.status) == (article_type, "internal", "draft")
    assert (article.product, article.owner, article.title) == ("Outlook", "alice", case.title)
    assert article.resolution_codes == ("solved-existing-article", code)
    sections = article.outline.sections
    assert "credentials every few minutes" in sections["symptoms"]
    assert sections["cause"] == capture.CAUSE_PLACEHOLDER
    assert sections["resolution"] == "Recreate the Outlook profile."
    assert ("BUG-77" in sections.get("status", "")) == (bug is not None)
    assert captured.case.solved_articles == ("KB0042",)


def test_case_text_cannot_break_the_article(engine, taxonomy, articles):
    description = ("## Cause\n\nNot really a heading\n---\n"
                   "See [the fix](kb:KB9999) and [time](kb:KB0007).\n\n"
                   "```\n# a shell comment stays\n```\n~~~\nunclosed fence")
    case = store.create_case(engine, title="Weird: text [with] *markdown* # and ---", description=description)
    store.close_case(engine, taxonomy, case.id, "configuration-change", "## Resolution\n1. Restart it.")
    captured = capture.capture_from_case(engine, case.id, articles, article_type="tsg")
    assert errors(articles) == []
    text = captured.path.read_text(encoding="utf-8")
    assert "\\## Cause" in text and "# a shell comment stays" in text
    assert "(kb:KB0007)" in text and "kb:KB9999" not in text
    article = load_knowledge_base(articles).get(captured.article_id)
    assert article.title == case.title
    assert set(article.outline.sections) >= {"symptoms", "cause", "resolution"}


def test_ids_count_up_and_files_are_never_overwritten(engine, taxonomy, articles):
    ids = []
    for title in ("Same title", "Same title"):
        case = store.create_case(engine, title=title)
        store.close_case(engine, taxonomy, case.id, "could-not-reproduce")
        ids.append(capture.capture_from_case(engine, case.id, articles).article_id)
    assert ids == ["KB0042", "KB0043"]  # KB0041 is taken by a file that doesn't even parse
    taken = articles / "drafts" / "kb0044-taken.md"
    taken.write_text("precious", encoding="utf-8")
    case = store.create_case(engine, title="Taken")
    store.close_case(engine, taxonomy, case.id, "could-not-reproduce")
    with pytest.raises(KBError, match="never overwrites"):
        capture.capture_from_case(engine, case.id, articles)
    assert taken.read_text(encoding="utf-8") == "precious"
    assert store.get_case(engine, case.id).links == ()


def test_the_draft_reminds_its_author_to_write_the_cause(engine, taxonomy, articles):
    case = store.create_case(engine, title="Disk full on the log volume")
    store.close_case(engine, taxonomy, case.id, "configuration-change")
    captured = capture.capture_from_case(engine, case.id, articles, article_type="tsg")
    warnings = [p for p in lint(load_knowledge_base(articles)) if captured.path.name in p.path]
    assert {p.rule for p in warnings} == {"unfilled-template"} and not any(p.is_error for p in warnings)
    assert len(warnings) == 2  # the cause, and the resolution the notes didn't give


def test_open_cases_and_cases_with_an_article_are_refused(engine, taxonomy, articles, closed_case):
    open_case = store.create_case(engine, title="Still open")
    with pytest.raises(CaseRuleError, match="resolve it") as exc:
        capture.capture_from_case(engine, open_case.id, articles)
    assert exc.value.rule == "capture"
    solved = closed_case("Solved by KB0007", solved_by=("KB0007",))
    with pytest.raises(CaseRuleError, match="already links KB0007"):
        capture.capture_from_case(engine, solved.id, articles)
    assert not (articles / "drafts").exists() or not any((articles / "drafts").iterdir())


CAPTURE_SCRIPT = """
import sys, time
from pathlib import Path
from kb.cases.capture import capture_from_case
from kb.db import engine_for

db_url, articles, go, *case_ids = sys.argv[1:]
engine = engine_for(db_url)
while not Path(go).exists():
    time.sleep(0.001)
for case_id in case_ids:
    print(capture_from_case(engine, int(case_id), articles, captured_by="worker").article_id, flush=True)
"""


def test_two_processes_capturing_at_the_same_moment_get_different_ids(engine, db_url, taxonomy, articles,
                                                                       tmp_path):
    import subprocess
    import sys

    from tests.conftest import REPO

    for n in range(400):  # a knowledge base of some size: scanning it for the highest id takes a while
        (articles / "bulk" / f"a{n}.md").parent.mkdir(exist_ok=True)
        (articles / "bulk" / f"a{n}.md").write_text(article_text(f"id: KB{n + 100:04d}\ntitle: Article {n}"))
    cases = []
    for n in range(16):
        case = store.create_case(engine, title=f"Printer queue {n} stalls after a driver update",
                                 description="Jobs stay queued.")
        cases.append(store.close_case(engine, taxonomy, case.id, "configuration-change", "Restart the spooler.").id)
    go = tmp_path / "go"
    workers = [subprocess.Popen([sys.executable, "-c", CAPTURE_SCRIPT, db_url, str(articles), str(go),
                                 *map(str, cases[half::2])], cwd=REPO, stdout=subprocess.PIPE, text=True)
               for half in (0, 1)]
    time.sleep(1.5)  # both interpreters are up and waiting
    go.touch()
    outputs = [w.communicate(timeout=120)[0].split() for w in workers]
    assert all(w.returncode == 0 for w in workers)
    ids = outputs[0] + outputs[1]
    assert len(ids) == 16 and len(set(ids)) == 16, sorted(ids)
    kb = load_knowledge_base(articles)
    assert not [p for p in kb.errors if p.rule == "duplicate-id"]
    linked = {store.get_case(engine, case_id).solved_articles[0] for case_id in cases}
    assert linked == set(ids), "each case points at its own draft"
