"""The mapping file names fallback owners, teams and the help center's rule."""

from pathlib import Path

from kb.kcs.policy import Policy
from kb.mapping import load_mapping, mapping_for
from kb.model import Article

MAPPING = """\
owners:
  default: knowledge-team
  products: {SQL Server: data-platform-team}
  folders: {identity: identity-team, identity/legacy: legacy-team}
  teams: {identity-team: [ana, bo]}
help_center: published
"""


def article(path: str, **fields) -> Article:
    return Article(id="X", title="t", body="", path=path, **fields)


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "kb.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_an_articles_own_owner_wins_then_its_product_then_the_deepest_folder_then_the_default(tmp_path):
    mapping = load_mapping(write(tmp_path, MAPPING))
    policy = mapping.policy
    assert mapping.problems == []
    assert policy.owner_for(article("identity/x.md", owner="j.doe")) == ("j.doe", "article")
    assert policy.owner_for(article("identity/x.md", product="sql server")) == ("data-platform-team", "product")
    assert policy.owner_for(article("identity/legacy/x.md")) == ("legacy-team", "folder")
    assert policy.owner_for(article("identity/x.md")) == ("identity-team", "folder")
    assert policy.owner_for(article("network/x.md")) == ("knowledge-team", "default")
    assert Policy().owner_for(article("network/x.md")) == (None, None)


def test_team_members_own_their_teams_tasks(tmp_path):
    policy = load_mapping(write(tmp_path, MAPPING)).policy
    assert policy.owners_of("ana") == ("ana", "identity-team")
    assert policy.owners_of("zoe") == ("zoe",)


def test_the_help_center_shows_validated_articles_only_unless_the_mapping_says_published(tmp_path):
    assert Policy().validated_only and load_mapping(tmp_path).policy.validated_only
    assert not load_mapping(write(tmp_path, MAPPING)).policy.validated_only


def test_a_bad_setting_is_reported_with_its_line(tmp_path):
    mapping = load_mapping(write(tmp_path, "strict: true\nowners:\n  defualt: x\nhelp_center: everything\n"))
    messages = {(p.line, p.field): p.message for p in mapping.problems}
    assert (3, "owners.defualt") in messages
    assert (4, "help_center") in messages and "validated" in messages[(4, "help_center")]
    assert all(p.rule == "mapping" for p in mapping.problems)
    assert mapping.policy.validated_only and mapping.policy.default_owner is None


def test_the_policy_is_read_again_when_the_file_changes(tmp_path):
    write(tmp_path, "owners: {default: first}\n")
    assert mapping_for(tmp_path).policy.default_owner == "first"
    write(tmp_path, "owners: {default: second-owner}\n")
    assert mapping_for(tmp_path).policy.default_owner == "second-owner"
    (tmp_path / "kb.yaml").unlink()
    assert mapping_for(tmp_path).policy.default_owner is None
