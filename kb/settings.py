"""kb's settings, declared once: name, environment variable, default and help.

The same table feeds the command line's ``--help``, the web app's defaults and the docs,
so a setting can't exist in one place and be missing from another.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("articles_dir", "KB_ARTICLES", "articles",
            "Folder holding the Markdown knowledge base (articles, resolution codes, synonyms)."),
    Setting("instance_dir", "KB_INSTANCE", "instance",
            "Folder for runtime state: the search index and the SQLite database."),
    Setting("index_dir", "KB_INDEX", None,
            "Root folder of the search indexes (public and internal). Default: INSTANCE/index."),
    Setting("db_url", "KB_DB", None,
            "Database URL for users, cases and events. Default: sqlite:///INSTANCE/kb.sqlite3."),
    Setting("host", "KB_HOST", "127.0.0.1", "Address `kb serve` listens on."),
    Setting("port", "KB_PORT", "5000", "Port `kb serve` listens on."),
    Setting("workers", "KB_WORKERS", None,
            "Server processes for `kb serve` (search is CPU-bound: one per core). Default: the CPU count."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str, override: str | os.PathLike | None = None) -> str | None:
    """Return a setting: an explicit override, else its environment variable, else its default."""
    if override is not None:
        return str(override)
    setting = _BY_NAME[name]
    value = os.environ.get(setting.env)
    if value:
        return value
    if setting.default is not None:
        return setting.default
    instance = Path(get("instance_dir"))
    if name == "index_dir":
        return str(instance / "index")
    if name == "db_url":
        return f"sqlite:///{(instance / 'kb.sqlite3').as_posix()}"
    if name == "workers":
        return str(max(1, min(os.cpu_count() or 1, 8)))
    return None


def help_for(name: str) -> str:
    """Help text for a command-line option backed by a setting, naming its variable."""
    setting = _BY_NAME[name]
    return f"{setting.help} [env: {setting.env}]"
