"""Parsing article files: fields, defaults, types and the problems each mistake produces."""

from datetime import date

import pytest

from kb.articles import is_article_file, load_knowledge_base, parse_article
from tests.conftest import article_text


def parse(tmp_path, text: str | bytes, name: str = "article.md", *, strict: bool | None = None):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return parse_article(path, tmp_path, strict=strict)


def rules(result) -> list[str]:
    return [p.rule for p in result.problems]


def test_all_fields_are_read(tmp_path):
    result = parse(tmp_path, article_text("""
        id: KB0100
        title: VPN drops every 8 minutes
        type: tsg
        audience: public
        status: review
        product: VPN Gateway
        component: IKEv2
        tags: [vpn, ikev2]
        error_codes: [0x80070005, "809", ORA-12154]
        resolution_codes: [configuration-change]
        related: [KB0001]
        superseded_by: KB0200
        owner: net-team
        updated: 2026-03-01
        review_by: 2027-03-01
    """))
    a = result.article
    assert result.ok, result.problems
    assert (a.id, a.type, a.audience, a.status) == ("KB0100", "tsg", "public", "review")
    assert a.tags == ("vpn", "ikev2")
    # Hex and numeric codes keep the text the author wrote, not YAML's integer reading.
    assert a.error_codes == ("0x80070005", "809", "ORA-12154")
    assert a.updated == date(2026, 3, 1) and a.review_by == date(2027, 3, 1)
    assert a.line_of("tags") == 9


def test_defaults_keep_new_articles_private(tmp_path):
    a = parse(tmp_path, article_text("title: Something"), "my-note.md").article
    assert a.id == "my-note"
    assert a.audience == "internal"
    assert a.status == "published"
    assert not a.is_public


@pytest.mark.parametrize("audience,status,public", [
    ("public", "published", True), ("public", "draft", False), ("public", "review", False),
    ("public", "archived", False), ("internal", "published", False),
])
def test_only_public_and_published_is_public(tmp_path, audience, status, public):
    a = parse(tmp_path, article_text(f"title: T\naudience: {audience}\nstatus: {status}")).article
    assert a.is_public is public


def test_numeric_looking_id_keeps_leading_zeros(tmp_path):
    assert parse(tmp_path, article_text("id: 0042\ntitle: T")).article.id == "0042"


def test_byte_order_mark_and_leading_blank_lines_are_tolerated(tmp_path):
    text = "\ufeff\n\n" + article_text("title: With BOM")
    assert parse(tmp_path, text).article.title == "With BOM"


def test_unknown_field_suggests_the_known_one_and_is_an_error_in_the_strict_format(tmp_path):
    result = parse(tmp_path, article_text("title: T\ntgas: [a]"), strict=True)
    problem = next(p for p in result.problems if p.rule == "unknown-field")
    assert problem.field == "tgas" and "did you mean 'tags'" in problem.message
    assert problem.line == 3
    assert problem.is_error
    assert not result.ok


def test_wrong_types_are_reported_with_their_field(tmp_path):
    result = parse(tmp_path, article_text("""
        title: T
        tags: vpn
        owner: [a, b]
        updated: last tuesday
        type: tsq
    """))
    by_field = {p.field: p for p in result.problems}
    assert "must be a list" in by_field["tags"].message
    assert "single value" in by_field["owner"].message
    assert "YYYY-MM-DD" in by_field["updated"].message
    assert "did you mean 'tsg'" in by_field["type"].message


def test_missing_title_is_an_error(tmp_path):
    result = parse(tmp_path, article_text("type: tsg"))
    assert result.article is None
    assert rules(result) == ["required-field"]


@pytest.mark.parametrize("text,message", [
    ("---\ntitle: T\nno closing fence\n", "never closed"),
    ("+++\ntitle = 'T'\n", "never closed"),
    ("+++\ntitle = [\n+++\nbody\n", "not valid TOML"),
    ("---\ntitle: [unclosed\n---\nbody\n", "not valid YAML"),
    ("---\n- a\n- b\n---\nbody\n", "mapping"),
])
def test_broken_front_matter_is_reported_not_raised(tmp_path, text, message):
    result = parse(tmp_path, text)
    assert result.article is None
    assert message in result.problems[0].message
    assert result.problems[0].rule == "front-matter"


def test_yaml_error_points_at_its_line(tmp_path):
    result = parse(tmp_path, "---\ntitle: ok\ntags: [a, b\nowner: x\n---\n")
    assert result.problems[0].line >= 3


def test_non_utf8_file_is_reported(tmp_path):
    result = parse(tmp_path, b"---\ntitle: caf\xe9\n---\n")
    assert rules(result) == ["encoding"]


def test_unsafe_id_is_refused_in_the_strict_format(tmp_path):
    result = parse(tmp_path, article_text("id: ../../etc/passwd\ntitle: T"), strict=True)
    assert rules(result) == ["invalid-id"]
    assert result.article is None


def test_unsafe_id_falls_back_to_the_path_with_a_warning(tmp_path):
    result = parse(tmp_path, article_text("id: ../../etc/passwd\ntitle: T"), "guides/vpn.md")
    assert rules(result) == ["invalid-id"] and not result.problems[0].is_error
    assert "using 'guides.vpn'" in result.problems[0].message
    assert result.article.id == "guides.vpn"


def test_duplicate_field_is_reported(tmp_path):
    result = parse(tmp_path, article_text("title: A\ntitle: B"))
    assert "duplicate-field" in rules(result)


def test_yaml_tags_cannot_construct_python_objects(tmp_path):
    result = parse(tmp_path, article_text("title: !!python/object/apply:os.system ['echo hi']"))
    assert result.article is None or result.article.title != "0"
    assert not result.ok


def test_readmes_and_underscored_files_are_not_articles(tmp_path):
    from pathlib import Path

    assert is_article_file(Path("db/odbc.md"))
    assert not is_article_file(Path("README.md"))
    assert not is_article_file(Path("_drafts/x.md"))
    assert not is_article_file(Path(".git/x.md"))
    assert not is_article_file(Path("notes.txt"))


def test_one_broken_file_does_not_stop_the_rest(make_kb):
    root = make_kb({
        "a.md": article_text("id: A\ntitle: Good one"),
        "b.md": "---\ntitle: [broken\n---\n",
        "c.md": article_text("id: C\ntitle: Another good one"),
    })
    kb = load_knowledge_base(root)
    assert set(kb.articles) == {"A", "C"}
    assert kb.broken_paths() == {"b.md"}
    assert [p.path.endswith("b.md") for p in kb.errors] == [True]


def test_duplicate_ids_keep_the_first_file(make_kb):
    root = make_kb({
        "a.md": article_text("id: SAME\ntitle: First"),
        "b.md": article_text("id: SAME\ntitle: Second"),
    })
    kb = load_knowledge_base(root)
    assert kb.articles["SAME"].title == "First"
    dup = next(p for p in kb.problems if p.rule == "duplicate-id")
    assert dup.path.endswith("b.md") and "a.md" in dup.message
