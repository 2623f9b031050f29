"""Settings: read through one table, typed, and a bad value names its variable."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kb import settings
from kb.errors import KBError
from kb.settings import SETTINGS, SettingError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for row in SETTINGS:
        monkeypatch.delenv(row.env, raising=False)


def test_an_explicit_value_wins_over_the_environment_which_wins_over_the_default(monkeypatch):
    assert settings.get("port") == 5000
    monkeypatch.setenv("KB_PORT", "8080")
    assert settings.get("port") == 8080
    assert settings.get("port", 9090) == 9090


def test_defaults_inside_the_instance_folder_follow_it(monkeypatch, tmp_path):
    monkeypatch.setenv("KB_INSTANCE", str(tmp_path))
    assert settings.get("index_dir") == str(tmp_path / "index")
    assert settings.get("db_url") == f"sqlite:///{(tmp_path / 'kb.sqlite3').as_posix()}"


def test_an_empty_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("KB_PORT", "")
    monkeypatch.setenv("KB_WATCH", "  ")
    assert settings.get("port") == 5000 and settings.get("watch") is False


@pytest.mark.parametrize("raw,value", [("1", True), ("yes", True), ("ON", True),
                                       ("0", False), ("false", False), ("off", False)])
def test_a_flag_reads_the_usual_words(monkeypatch, raw, value):
    monkeypatch.setenv("KB_WATCH", raw)
    assert settings.get("watch") is value


@pytest.mark.parametrize("env,raw,expected", [
    ("KB_PORT", "http", "whole number from 0 to 65535"),
    ("KB_PORT", "70000", "whole number from 0 to 65535"),
    ("KB_WORKERS", "0", "whole number from 1 to 64"),
    ("KB_WATCH", "maybe", "expected one of 1, true"),
    ("KB_DB", "kb.sqlite3", "database URL"),
])
def test_a_bad_value_is_an_error_naming_the_variable_and_the_value(monkeypatch, env, raw, expected):
    monkeypatch.setenv(env, raw)
    name = next(row.name for row in SETTINGS if row.env == env)
    with pytest.raises(SettingError) as caught:
        settings.get(name)
    message = str(caught.value)
    assert message.startswith(f"{env}={raw!r} is not valid: ") and expected in message
    assert isinstance(caught.value, KBError)


def test_the_encoder_can_be_turned_off(monkeypatch):
    from indexer.encoder import model_dir

    monkeypatch.setenv("KB_ENCODER_DIR", "Off")
    assert settings.get("encoder_dir") == settings.ENCODER_OFF and model_dir() is None


def test_the_command_line_reports_a_bad_setting_without_a_traceback(monkeypatch, tmp_path):
    from cli import main

    monkeypatch.setenv("KB_DB", "users.db")
    result = CliRunner().invoke(main, ["users", "list"])
    assert result.exit_code == 1
    assert "KB_DB='users.db' is not valid: expected a database URL" in result.stderr
    assert "Traceback" not in result.output


def test_the_web_app_refuses_a_bad_database_url_naming_the_variable(monkeypatch, tmp_path):
    from web import create_app

    monkeypatch.setenv("KB_DB", "not a url")
    with pytest.raises(SettingError, match="KB_DB='not a url'"):
        create_app({"INSTANCE_DIR": str(tmp_path), "ARTICLES_DIR": str(tmp_path)})
