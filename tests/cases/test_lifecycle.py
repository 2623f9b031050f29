"""A case's life in a real database: fields, transitions, and every closing rule refusing."""

from __future__ import annotations

import pytest

from kb.cases import lookup, rules, store
from kb.cases.rules import CaseRuleError
from kb.errors import NotFound


def new(engine, **fields):
    fields.setdefault("title", "Outlook asks for the password again and again")
    return store.create_case(engine, **fields)


def test_new_case_has_defaults_and_a_readable_id(engine):
    case = new(engine, description="Since the mailbox move.", product="Outlook", customer="Contoso")
    assert case.status == rules.NEW
    assert (case.severity, case.priority, case.channel) == ("C", 3, "engineer")
    assert case.display_id == f"CAS-{case.id:06d}"
    assert store.get_case(engine, case.display_id) == case
    assert store.get_case(engine, str(case.id)).title == case.title
    assert case.as_dict()["id"] == case.display_id


@pytest.mark.parametrize("text", ["CAS-000042", "cas-42", "#42", "42", 42])
def test_case_ids_parse_in_every_written_form(text):
    assert store.parse_case_id(text) == 42


@pytest.mark.parametrize("text", ["", "CAS-", "abc", "0", "42; drop table cases", "-1"])
def test_malformed_case_ids_are_not_found(text):
    with pytest.raises(NotFound, match="not a case id"):
        store.parse_case_id(text)


def test_unknown_case_is_not_found(engine):
    with pytest.raises(NotFound, match="CAS-000099"):
        store.get_case(engine, 99)


@pytest.mark.parametrize("fields,field,message", [
    ({"title": "  "}, "title", "is required"),
    ({"severity": "Z"}, "severity", "not a severity"),
    ({"priority": 7}, "priority", "not a priority"),
    ({"priority": True}, "priority", "not a priority"),
    ({"title": "x" * 301}, "title", "limit is 300"),
    ({"product": ["list"]}, "product", "must be text"),
])
def test_invalid_fields_name_the_field(engine, fields, field, message):
    fields = {"title": "Title", **fields}
    with pytest.raises(store.CaseFieldError, match=message) as exc:
        store.create_case(engine, **fields)
    assert exc.value.field == field


@pytest.mark.parametrize("given,expected", [("Sev A", "A"), ("a", "A"), ("sev1", "1"), (1, "1"), ("B", "B")])
def test_severity_spellings(given, expected):
    assert store.clean_severity(given) == expected


def test_status_moves_along_allowed_transitions(engine, taxonomy):
    case = new(engine)
    case = store.set_status(engine, case.id, "active")
    case = store.set_status(engine, case.id, "Waiting on customer")
    assert case.status == rules.WAITING and case.status_label == "Waiting on customer"
    case = store.set_status(engine, case.id, "active")
    case = store.resolve_case(engine, taxonomy, case.id, "configuration-change", "Changed the proxy setting.")
    assert case.status == rules.RESOLVED and case.resolved_at is not None
    closed = store.close_case(engine, taxonomy, case.id)  # reuses the code it was resolved with
    assert (closed.status, closed.resolution_code) == (rules.CLOSED, "configuration-change")
    assert closed.resolution_notes == "Changed the proxy setting."
    assert closed.closed_at is not None


def test_closed_is_final(engine, taxonomy):
    case = new(engine)
    store.close_case(engine, taxonomy, case.id, "advisory-answered")
    for status in ("active", "new", "waiting-on-customer"):
        with pytest.raises(CaseRuleError) as exc:
            store.set_status(engine, case.id, status)
        assert exc.value.rule == "transition"
    with pytest.raises(CaseRuleError, match="already closed"):
        store.close_case(engine, taxonomy, case.id, "advisory-answered")
    with pytest.raises(CaseRuleError, match="closed"):
        store.update_case(engine, case.id, title="Rewriting history")


def test_reopening_a_resolved_case_clears_its_code(engine, taxonomy):
    case = new(engine)
    store.resolve_case(engine, taxonomy, case.id, "workaround-provided", "Use the web client for now.")
    case = store.set_status(engine, case.id, "active")
    assert case.resolution_code is None and case.resolved_at is None
    assert case.resolution_notes == "Use the web client for now."
    with pytest.raises(CaseRuleError) as exc:
        store.close_case(engine, taxonomy, case.id)
    assert exc.value.rule == "resolution_code"


def test_resolving_and_closing_need_their_own_functions(engine):
    case = new(engine)
    with pytest.raises(CaseRuleError, match="resolution code"):
        store.set_status(engine, case.id, "closed")
    with pytest.raises(CaseRuleError, match="not a case status"):
        store.set_status(engine, case.id, "on hold")


def test_update_changes_only_given_fields_and_bumps_revision(engine):
    case = new(engine, product="Outlook")
    updated = store.update_case(engine, case.id, description="More detail.", severity="A")
    assert (updated.description, updated.severity, updated.product) == ("More detail.", "A", "Outlook")
    assert updated.revision == case.revision + 1
    with pytest.raises(store.CaseFieldError, match="not an editable"):
        store.update_case(engine, case.id, status="closed")


def test_list_filters_and_counts(engine, taxonomy):
    first = new(engine, title="VPN drops every hour", owner="alice", product="VPN")
    new(engine, title="Printer offline", owner="bob")
    store.close_case(engine, taxonomy, first.id, "could-not-reproduce")
    assert [c.title for c in lookup.list_cases(engine)] == ["Printer offline", "VPN drops every hour"]
    assert [c.id for c in lookup.list_cases(engine, status="closed")] == [first.id]
    assert [c.id for c in lookup.list_cases(engine, owner="alice")] == [first.id]
    assert [c.title for c in lookup.list_cases(engine, text="print")] == ["Printer offline"]
    assert lookup.list_cases(engine, text="100%_") == []
    assert lookup.count_cases(engine, status=["new", "closed"]) == 2


def test_title_search_ignores_case_beyond_ascii_on_every_backend(engine):
    """SQLite's own lower() folds only A-Z; PostgreSQL's folds every letter. Both must agree."""
    new(engine, title="ÉCHEC de synchronisation Über-Konto")
    assert len(lookup.list_cases(engine, text="échec")) == 1
    assert len(lookup.list_cases(engine, text="über-konto")) == 1
    assert lookup.count_cases(engine, text="ÜBER") == 1


# --- the closing rules: each one refuses ---------------------------------------------------------


def test_closing_without_a_code_is_refused(engine, taxonomy):
    case = new(engine)
    with pytest.raises(CaseRuleError, match="needs a resolution code") as exc:
        store.close_case(engine, taxonomy, case.id, "")
    assert exc.value.rule == "resolution_code"


def test_unknown_code_is_named_with_a_did_you_mean(engine, taxonomy):
    case = new(engine)
    with pytest.raises(CaseRuleError) as exc:
        store.close_case(engine, taxonomy, case.id, "configuration-chnage")
    assert exc.value.rule == "resolution_code"
    assert "'configuration-chnage'" in str(exc.value)
    assert "Did you mean 'configuration-change'?" in str(exc.value)
    assert store.get_case(engine, case.id).status == rules.NEW


@pytest.mark.parametrize("code", [c for c in ("solved-existing-article", "solved-new-article",
                                              "solved-article-updated")])
def test_requires_article_refuses_without_a_link(engine, taxonomy, code):
    assert taxonomy.get(code).requires_article
    case = new(engine)
    with pytest.raises(CaseRuleError, match="needs an article linked") as exc:
        store.close_case(engine, taxonomy, case.id, code)
    assert exc.value.rule == "requires_article"


def test_solved_existing_article_needs_a_solved_link(engine, taxonomy):
    case = new(engine)
    store.link_article(engine, case.id, "KB0001", solved=False)
    with pytest.raises(CaseRuleError, match="marked as solving") as exc:
        store.close_case(engine, taxonomy, case.id, "solved-existing-article")
    assert exc.value.rule == "requires_article"
    store.link_article(engine, case.id, "KB0001", solved=True)
    closed = store.close_case(engine, taxonomy, case.id, "solved-existing-article", "Followed KB0001.")
    assert closed.solved_articles == ("KB0001",)


def test_requires_bug_reference_refuses_without_one(engine, taxonomy):
    assert taxonomy.get("product-bug-filed").requires_bug_reference
    case = new(engine)
    with pytest.raises(CaseRuleError, match="bug reference") as exc:
        store.close_case(engine, taxonomy, case.id, "product-bug-filed", "Filed.", "  ")
    assert exc.value.rule == "requires_bug_reference"
    closed = store.close_case(engine, taxonomy, case.id, "product-bug-filed", "Filed.", "BUG-4711")
    assert closed.bug_reference == "BUG-4711"


def test_rules_are_checked_again_when_a_resolved_case_closes(engine, taxonomy):
    case = new(engine)
    store.link_article(engine, case.id, "KB0002", solved=True)
    store.resolve_case(engine, taxonomy, case.id, "solved-existing-article")
    store.unlink_article(engine, case.id, "KB0002")
    with pytest.raises(CaseRuleError) as exc:
        store.close_case(engine, taxonomy, case.id)
    assert exc.value.rule == "requires_article"


def test_every_rule_is_documented():
    assert {"transition", "resolution_code", "requires_article", "requires_bug_reference",
            "capture"} <= set(rules.RULES)
