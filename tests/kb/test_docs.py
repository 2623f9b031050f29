"""What authors and operators read matches what the code does."""

from pathlib import Path

from kb.lint import RULES
from kb.model import ARTICLE_TYPES, FIELDS
from kb.settings import SETTINGS

REPO = Path(__file__).resolve().parents[2]


def test_every_front_matter_field_is_documented_for_authors():
    guide = (REPO / "articles" / "README.md").read_text()
    for name in FIELDS:
        assert f"`{name}`" in guide, name
    for kind in ARTICLE_TYPES:
        assert kind in guide, kind


def test_every_setting_has_help_and_is_in_the_readme():
    readme = (REPO / "README.md").read_text()
    for setting in SETTINGS:
        assert setting.help
        assert setting.env in readme, setting.env


def test_every_lint_rule_is_described():
    assert all(text for text in RULES.values())
