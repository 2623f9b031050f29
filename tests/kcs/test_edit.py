"""Approving and archiving write the article's file: changed fields only, atomically, never a stale copy."""

from datetime import date

import pytest

from kb.articles import load_knowledge_base
from kb.errors import KBError
from kb.kcs.edit import EditConflict, approve, archive, set_fields

ORIGINAL = """---
# Owned by the identity team; ask before editing.
id: KB0100
title: "Sign-in loop after MFA"
type: reference
status: review
tags:
  - mfa
  - sign-in
owner: identity-team
---

Body text stays exactly as it is.
"""


def test_approving_records_who_and_when_and_publishes_an_article_in_review(make_kb):
    root = make_kb({"identity/kb0100.md": ORIGINAL})
    article = load_knowledge_base(root).get("KB0100")
    approve(root, article, "ana", today=date(2026, 11, 2))
    text = (root / "identity/kb0100.md").read_text(encoding="utf-8")
    assert text == ORIGINAL.replace("status: review", "status: published").replace(
        "owner: identity-team\n", "owner: identity-team\nconfidence: validated\nvalidated_at: 2026-11-02\n"
                                  "validated_by: ana\n")
    again = load_knowledge_base(root).get("KB0100")
    assert (again.confidence, again.validated_at, again.validated_by) == ("validated", date(2026, 11, 2), "ana")


def test_a_field_spanning_several_lines_is_replaced_whole(make_kb):
    root = make_kb({"kb0100.md": ORIGINAL})
    set_fields(root, load_knowledge_base(root).get("KB0100"), {"tags": ["mfa"], "owner": None})
    text = (root / "kb0100.md").read_text(encoding="utf-8")
    assert "tags: [mfa]\n" in text and "sign-in\n" not in text.split("---")[1] and "owner:" not in text
    assert text.startswith("---\n# Owned by the identity team")


def test_archiving_points_at_the_replacement(make_kb):
    root = make_kb({"a.md": ORIGINAL, "b.md": ORIGINAL.replace("KB0100", "KB0101")})
    kb = load_knowledge_base(root)
    archive(root, kb.get("KB0101"), kb.get("KB0100"))
    old = load_knowledge_base(root).get("KB0101")
    assert (old.status, old.superseded_by) == ("archived", "KB0100")
    with pytest.raises(KBError, match="itself"):
        archive(root, kb.get("KB0100"), kb.get("KB0100"))


def test_a_file_changed_since_it_was_read_is_not_overwritten(make_kb):
    root = make_kb({"a.md": ORIGINAL})
    article = load_knowledge_base(root).get("KB0100")
    (root / "a.md").write_text(ORIGINAL.replace("Body text", "An author's newer body text"), encoding="utf-8")
    with pytest.raises(EditConflict, match="changed since"):
        approve(root, article, "ana")
    assert "newer body" in (root / "a.md").read_text(encoding="utf-8")


def test_drafts_are_finished_before_they_are_validated(make_kb):
    root = make_kb({"a.md": ORIGINAL.replace("status: review", "status: draft")})
    with pytest.raises(KBError, match="work in progress"):
        approve(root, load_knowledge_base(root).get("KB0100"), "ana")


def test_a_change_that_would_break_the_file_is_refused(make_kb):
    root = make_kb({"a.md": ORIGINAL})
    with pytest.raises(EditConflict, match="would not read status"):
        set_fields(root, load_knowledge_base(root).get("KB0100"), {"status": "finished"})
    assert (root / "a.md").read_text(encoding="utf-8") == ORIGINAL
