"""Who may see what: the rules of ``kb/visibility.py``, one test each.

They sit beside ``test_leaks.py``, which attacks the same boundary through every public
page and endpoint of a running app; ``tests/indexer/test_visibility.py`` attacks the public
index directly. Here the rules themselves are pinned down, so a change to one is a
deliberate, visible change to this file.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kb import visibility
from kb.model import AUDIENCES, STATUSES
from kb.users import ROLES
from kb.visibility import (
    AUTHOR_STATUSES,
    PUBLIC,
    STAFF_ONLY_FIELDS,
    Reader,
    fields_for,
    in_public_index,
    index_for,
    public_replacement_id,
    reader_for,
    status_filter,
    valid_article_id,
)


def test_visibility_by_role():
    class U:
        def __init__(self, role):
            self.role = role
            self.is_staff = role in ("engineer", "author", "admin")
            self.can_author = role in ("author", "admin")

    assert visibility.visibility(None) == ("public", ("published",))
    assert visibility.visibility(U("customer")) == ("public", ("published",))
    assert visibility.visibility(U("engineer")) == ("internal", ("published",))
    assert visibility.visibility(U("author")) == ("internal", ("published", "review", "draft"))
    assert visibility.visibility(U("admin")) == ("internal", ("published", "review", "draft"))


def test_only_staff_may_filter_archived():
    assert "archived" in Reader("internal", ("published",)).filter_statuses
    assert Reader("public", ("published",)).filter_statuses == ("published",)


def test_every_role_gets_a_reader_and_only_staff_read_the_internal_index():
    from kb.users import User

    for role in ROLES:
        user = User(1, f"someone-{role}", role)
        reader = reader_for(user)
        assert reader.user is user
        assert reader.is_staff == user.is_staff == (index_for(reader.audience) == "internal")
    assert reader_for(None) == PUBLIC


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("status", STATUSES)
def test_the_public_index_holds_exactly_the_published_public_articles(audience, status):
    assert in_public_index(audience, status) == (audience == "public" and status == "published")


def test_an_unknown_audience_reads_no_index():
    with pytest.raises(ValueError, match="audience must be one of"):
        index_for("everyone")


def test_the_public_index_needs_no_status_filter_and_the_internal_one_always_has_one():
    assert not visibility.index_is_filtered("public") and visibility.index_is_filtered("internal")
    assert status_filter("public", ("draft", "archived")) is None
    assert status_filter("internal", ("published",)) == ("published",)
    assert status_filter("internal", ("draft", "bogus", "published")) == ("draft", "published")
    assert status_filter("internal", ()) == ()  # no statuses: nothing, not everything


def test_archived_articles_are_found_by_id_only_when_asked_and_only_by_staff():
    engineer = Reader("internal", ("published",))
    assert "archived" not in engineer.lookup_statuses()
    assert "archived" in engineer.lookup_statuses(include_archived=True)
    assert PUBLIC.lookup_statuses(include_archived=True) == ("published",)
    assert engineer.may_filter_by("archived") and not PUBLIC.may_filter_by("archived")


def test_every_status_is_visible_to_authors_or_only_on_request():
    assert set(AUTHOR_STATUSES) | {"archived"} == set(STATUSES)


@dataclass
class _Archived:
    audience: str
    status: str = "archived"
    superseded_by: str | None = "KB0002"


@pytest.mark.parametrize("article,expected", [
    (_Archived("public"), "KB0002"),
    (_Archived("internal"), None),  # an internal article's replacement is not the public's business
    (_Archived("public", status="published"), None),  # only archived articles forward
    (_Archived("public", superseded_by=None), None),
    (None, None),
])
def test_only_an_archived_public_article_points_the_public_at_its_replacement(article, expected):
    assert public_replacement_id(article) == expected


@pytest.mark.parametrize("article_id,ok", [
    ("KB0042", True), ("kb-old.v2_x", True), ("", False), (None, False), ("../KB0001", False),
    ("KB 1", False), ("x" * 101, False), ("<script>", False), ("KB0001\n", False),
])
def test_requested_ids_are_checked_for_shape_before_any_lookup(article_id, ok):
    assert valid_article_id(article_id) is ok


def test_staff_only_fields_are_dropped_for_everyone_else():
    metadata = {"id": "KB1", "title": "T", **{name: "x" for name in STAFF_ONLY_FIELDS}}
    assert fields_for(metadata, PUBLIC) == {"id": "KB1", "title": "T"}
    assert fields_for(metadata, Reader("internal", ("published",))) == metadata
