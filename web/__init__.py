"""kb's web app: engineer search, article pages, the public help center and the JSON API.

Everything is built by :func:`create_app`; nothing happens at import time, so tests and
``kb serve`` each get an app wired to their own folders and database.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from kb import settings

SECRET_KEY_FILE = "secret_key"


def _defaults() -> dict:
    """Settings every app starts from; the instance file, environment and caller override them."""
    from web.flagging import ANONYMOUS_FLAG_WINDOW_SECONDS, ANONYMOUS_FLAGS_PER_WINDOW
    from web.payloads import MAX_BODY_BYTES

    return {
        "ARTICLES_DIR": settings.get("articles_dir"),
        "INDEX_DIR": None,  # default: KB_INDEX, else INSTANCE/index (resolved after overrides)
        "DB_URL": None,  # default: KB_DB, else sqlite:///INSTANCE/kb.sqlite3
        # Reindex changed articles in this process (`kb serve --watch`; KB_WATCH).
        "WATCH": settings.get("watch"),
        "PER_PAGE": 10,
        "MAX_CONTENT_LENGTH": MAX_BODY_BYTES,
        "SESSION_COOKIE_NAME": "kb_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # "auto": Secure when the request came over https; True/False force it.
        "SESSION_COOKIE_SECURE": "auto",
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        # Number of reverse proxies in front of kb whose X-Forwarded-* headers to trust.
        "TRUSTED_PROXIES": settings.get("trusted_proxies"),
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_MAX_FAILURES_PER_IP": 50,
        "LOGIN_WINDOW_SECONDS": 15 * 60,
        # What anonymous clients may do, per client address: (count, within seconds). See web/throttle.py.
        "ANONYMOUS_VOTES": (20, 3600),
        "VOTE_REPEAT_SECONDS": 24 * 3600,  # one anonymous vote per client and article within this
        "ANONYMOUS_CASES": (5, 3600),
        "ANONYMOUS_COSTLY_CALLS": (20, 600),
        "SIGNALS_TTL_SECONDS": 30.0,
        "SEARCH_LOG_BATCH": 50,
        "SEARCH_LOG_DELAY_SECONDS": 2.0,
        # Article views are added up in memory and written at most this often.
        "VIEW_LOG_DELAY_SECONDS": 10.0,
        # Flags from readers who aren't signed in as staff, per address and window.
        "ANONYMOUS_FLAGS_PER_WINDOW": ANONYMOUS_FLAGS_PER_WINDOW,
        "ANONYMOUS_FLAG_WINDOW_SECONDS": ANONYMOUS_FLAG_WINDOW_SECONDS,
        # Tasks due from review dates, votes and reuse are raised at most this often per process.
        "SWEEP_INTERVAL_SECONDS": 300.0,
    }


def create_app(config: Mapping | None = None) -> Flask:
    """Build the app: defaults, then ``INSTANCE/kb.cfg``, then env, then ``config``."""
    config = dict(config or {})
    instance = Path(config.get("INSTANCE_DIR") or settings.get("instance_dir")).resolve()
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    app.config.from_mapping(_defaults())
    app.config.from_pyfile("kb.cfg", silent=True)
    if settings.from_env("secret_key"):
        app.config["SECRET_KEY"] = settings.from_env("secret_key")
    app.config.update(config)
    app.config["INSTANCE_DIR"] = str(instance)
    # Index and database default to the environment, else to this app's instance folder.
    app.config["INDEX_DIR"] = str(Path(app.config["INDEX_DIR"] or settings.from_env("index_dir")
                                       or instance / "index").resolve())
    app.config["DB_URL"] = (app.config["DB_URL"] or settings.from_env("db_url")
                            or f"sqlite:///{(instance / 'kb.sqlite3').as_posix()}")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(instance)

    from web import auth, authoring, csrf, errors, loop, notices, security, services, throttle

    # services first: the others use its database
    for part in (security, services, loop, auth, throttle, csrf, errors, notices):
        part.init_app(app)
    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    authoring.init_app(app)  # last: with WATCH set it starts the watcher on the finished app
    return app


def blueprints() -> list:
    """Every page area and API of the app, each a blueprint of its own module."""
    from web import (
        admin,
        answers,
        api,
        articles,
        auth,
        authoring,
        case_actions,
        case_api,
        case_pages,
        flagging,
        help,
        home,
        insights,
        kcs_api,
        kcs_pages,
        search,
        support,
        tasks,
    )

    return [home.bp, auth.bp, search.bp, articles.bp, help.bp, api.bp, answers.bp, admin.bp,
            case_pages.bp, case_actions.bp, case_api.bp, support.bp, insights.bp, authoring.bp, flagging.bp,
            kcs_api.bp, kcs_pages.bp, tasks.bp]


def load_or_create_secret_key(instance: Path) -> str:
    """The instance's secret key, generated on first use and kept in a 0600 file.

    A fixed default would let anyone who read the source forge sessions; a key generated
    per start would sign everyone out on every restart.
    """
    path = instance / SECRET_KEY_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Write a private temporary file, then link it into place: the link either creates the
    # complete file or fails because another process got there first, never half-written.
    tmp = instance / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key + "\n")
        os.link(tmp, path)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    finally:
        tmp.unlink(missing_ok=True)
    return key
