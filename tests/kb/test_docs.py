"""What authors and operators read matches what the code does."""

import re
from pathlib import Path

import click

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


def _settings_table() -> dict[str, list[str]]:
    """README's settings table: variable -> its cells."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in section.splitlines() if line.startswith("| `KB_")]
    return {cells[0].strip("`"): cells for cells in rows}


def test_every_setting_is_a_row_of_the_readme_settings_table_with_its_option():
    table = _settings_table()
    assert set(table) == {s.env for s in SETTINGS}
    for setting in SETTINGS:
        assert table[setting.env][1] == (f"`{setting.option}`" if setting.option else ""), setting.env
        assert table[setting.env][2] and table[setting.env][3], setting.env


def _options(command: click.Command, path: str = "kb"):
    """(command path, option) for every option of every command under ``command``."""
    for param in command.params:
        if isinstance(param, click.Option):
            yield path, param
    for name, sub in getattr(command, "commands", {}).items():
        yield from _options(sub, f"{path} {name}")


def test_every_option_backed_by_a_setting_says_so_in_its_help():
    from cli import main

    by_option = {s.option: s for s in SETTINGS if s.option}
    seen = set()
    for path, option in _options(main):
        named = re.findall(r"\[env: (\w+)\]", option.help or "")
        backing = [by_option[flag] for flag in option.opts if flag in by_option]
        if backing:
            seen.add(backing[0].name)
            assert named == [backing[0].env], f"`{path} {option.opts[0]} --help` must end with [env: ...]"
        else:
            assert named == [], f"`{path} {option.opts[0]}` names {named} but no setting backs it"
    assert seen == {s.name for s in SETTINGS if s.option}


def test_readme_layout_names_every_folder_and_only_folders_that_exist():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    named = {name.rstrip("/") for line in section.splitlines() if line.startswith("| `")
             for name in re.findall(r"`([\w/]+/)`", line.split("|")[1])}
    assert all((REPO / name).is_dir() for name in named), sorted(n for n in named if not (REPO / n).is_dir())
    packages = {p.parent.relative_to(REPO).as_posix() for top in ("kb", "indexer", "web", "cli")
                for p in (REPO / top).rglob("__init__.py")}
    assert packages | {"articles", "tests", "bench"} <= named


def test_every_lint_rule_is_described():
    assert all(text for text in RULES.values())
