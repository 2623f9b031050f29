"""Users, roles, API tokens and sign-in sessions.

Passwords are stored as werkzeug hashes (scrypt); API tokens are random, shown once, and
stored only as a SHA-256 digest. There is no default user and no default password.

Sign-in sessions are kept on the server: the browser's cookie carries a random key, the
database its digest, its user and its expiry. Every signed-in request looks the key up, so
signing out, changing the password or disabling the account ends sessions at once on every
server sharing the database, and a copied cookie is worth nothing afterwards.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from werkzeug.security import check_password_hash, generate_password_hash

from kb.db import api_tokens, user_sessions, users, utcnow
from kb.errors import KBError, NotFound

# Who may see what. A role's visibility grows down the list.
ROLES = ("customer", "engineer", "author", "admin")
MIN_PASSWORD_LENGTH = 10
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    disabled: bool = False

    @property
    def is_staff(self) -> bool:
        """Engineers, authors and admins see internal content."""
        return self.role in ("engineer", "author", "admin")

    @property
    def can_author(self) -> bool:
        return self.role in ("author", "admin")


def _user(row) -> User:
    return User(id=row.id, name=row.name, role=row.role, disabled=bool(row._mapping.get("disabled", False)))


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise KBError(f"Password too short: use at least {MIN_PASSWORD_LENGTH} characters.")
    if password.strip() != password:
        raise KBError("Password must not start or end with whitespace.")


def add_user(engine: Engine, name: str, role: str, password: str) -> User:
    """Create a user; raises KBError for a taken name, unknown role or weak password."""
    if role not in ROLES:
        raise KBError(f"Unknown role '{role}'; choose one of {', '.join(ROLES)}.")
    if not name or len(name) > 80 or not set(name) <= _NAME_CHARS:
        raise KBError("User names use letters, digits, '.', '_', '@' and '-' (at most 80).")
    validate_password(password)
    password_hash = generate_password_hash(password)
    try:
        with engine.begin() as conn:
            if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first():
                raise KBError(f"User '{name}' already exists.")
            result = conn.execute(users.insert().values(
                name=name, role=role, password_hash=password_hash, created_at=utcnow(), disabled=False))
            return User(id=result.inserted_primary_key[0], name=name, role=role)
    except sa.exc.IntegrityError:  # created by someone else between the check and the insert
        raise KBError(f"User '{name}' already exists.") from None


def get_user(engine: Engine, name: str) -> User:
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    if row is None:
        raise NotFound(f"No user named '{name}'. Create one with `kb users add {name} --role engineer`.")
    return _user(row)


def get_user_by_id(engine: Engine, user_id: int) -> User | None:
    """The user with this id, enabled or not (``disabled`` says which); None when there is none."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
    return _user(row) if row else None


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        return [_user(r) for r in conn.execute(sa.select(users).order_by(users.c.name))]


def set_role(engine: Engine, name: str, role: str) -> User:
    if role not in ROLES:
        raise KBError(f"Unknown role '{role}'; choose one of {', '.join(ROLES)}.")
    user = get_user(engine, name)
    with engine.begin() as conn:
        conn.execute(users.update().where(users.c.id == user.id).values(role=role))
    return replace(user, role=role)


def set_password(engine: Engine, name: str, password: str) -> User:
    """Change a user's password and end every session they have (other browsers sign in again)."""
    validate_password(password)
    user = get_user(engine, name)
    with engine.begin() as conn:
        conn.execute(users.update().where(users.c.id == user.id)
                     .values(password_hash=generate_password_hash(password)))
        _end_user_sessions(conn, user.id)
    return user


def set_disabled(engine: Engine, name: str, disabled: bool) -> tuple[User, int]:
    """Disable or enable an account; returns the user and how many sessions were ended.

    Disabling ends the user's sessions and stops their tokens and sign-ins; enabling again
    revives nothing: the user signs in anew.
    """
    user = get_user(engine, name)
    with engine.begin() as conn:
        conn.execute(users.update().where(users.c.id == user.id).values(disabled=disabled))
        ended = _end_user_sessions(conn, user.id) if disabled else 0
    return user, ended


# A real hash of a random password: checking against it when the user doesn't exist
# takes as long as a real check, so response times don't reveal which names exist.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


def authenticate(engine: Engine, name: str, password: str) -> User | None:
    """The user if the name and password match an enabled account, else None."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    if row is None or row.disabled:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return _user(row) if check_password_hash(row.password_hash, password) else None


TOKEN_USE_RESOLUTION = timedelta(minutes=1)  # how fresh a token's last_used_at is kept


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, name: str, label: str = "") -> str:
    """Create an API token for a user and return it; it is not stored and can't be shown again."""
    user = get_user(engine, name)
    token = "kb_" + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(api_tokens.insert().values(user_id=user.id, token_hash=_digest(token), label=label,
                                                created_at=utcnow(), revoked=False))
    return token


# Built once: every API request asks, and building the statement cost more than running it.
_TOKEN_OWNER = (sa.select(users, api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at)
                .join(api_tokens, api_tokens.c.user_id == users.c.id)
                .where(api_tokens.c.token_hash == sa.bindparam("digest"), api_tokens.c.revoked.is_(False),
                       users.c.disabled.is_(False)))


def user_for_token(engine: Engine, token: str) -> User | None:
    """The enabled user a valid, unrevoked token belongs to."""
    if not token or len(token) > 200:
        return None
    with engine.connect() as conn:
        row = conn.execute(_TOKEN_OWNER, {"digest": _digest(token)}).first()
    if row is None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_RESOLUTION:
        # A write per request would serialize every API call on the database's write lock;
        # "last used" to the minute is all an admin needs.
        with engine.begin() as conn:
            conn.execute(api_tokens.update().where(api_tokens.c.id == row.token_id).values(last_used_at=now))
    return User(id=row.id, name=row.name, role=row.role)


def revoke_tokens(engine: Engine, name: str) -> int:
    """Revoke every token of a user; returns how many were revoked."""
    user = get_user(engine, name)
    with engine.begin() as conn:
        result = conn.execute(api_tokens.update().where(api_tokens.c.user_id == user.id,
                                                        api_tokens.c.revoked.is_(False)).values(revoked=True))
    return result.rowcount


# --- sign-in sessions ------------------------------------------------------------------------

MAX_SESSION_KEY_LENGTH = 100  # keys are 43 characters; anything much longer is not one of ours


def start_session(engine: Engine, user_id: int, lifetime: timedelta) -> str:
    """Open a session for a user and return its key (for the cookie); the key is not stored."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    with engine.begin() as conn:
        # Expired sessions are forgotten as new ones start: the table holds live ones only.
        conn.execute(user_sessions.delete().where(user_sessions.c.expires_at <= now))
        conn.execute(user_sessions.insert().values(key_hash=_digest(key), user_id=user_id, created_at=now,
                                                   expires_at=now + lifetime))
    return key


# Built once, as _TOKEN_OWNER: every signed-in page asks.
_SESSION_OWNER = (sa.select(users.c.id, users.c.name, users.c.role)
                  .join(user_sessions, user_sessions.c.user_id == users.c.id)
                  .where(user_sessions.c.key_hash == sa.bindparam("digest"),
                         user_sessions.c.expires_at > sa.bindparam("now"),
                         users.c.disabled.is_(False)))


def session_user(engine: Engine, key: str) -> User | None:
    """The enabled user a live session key belongs to; None when ended, expired or unknown."""
    if not isinstance(key, str) or not key or len(key) > MAX_SESSION_KEY_LENGTH:
        return None
    with engine.connect() as conn:
        row = conn.execute(_SESSION_OWNER, {"digest": _digest(key), "now": utcnow()}).first()
    return _user(row) if row else None


def end_session(engine: Engine, key: str) -> None:
    """End one session (signing out)."""
    if isinstance(key, str) and 0 < len(key) <= MAX_SESSION_KEY_LENGTH:
        with engine.begin() as conn:
            conn.execute(user_sessions.delete().where(user_sessions.c.key_hash == _digest(key)))


def end_sessions(engine: Engine, name: str) -> int:
    """End every session of a user on every server (sign them out everywhere); returns how many."""
    user = get_user(engine, name)
    with engine.begin() as conn:
        return _end_user_sessions(conn, user.id)


def count_sessions(engine: Engine, name: str) -> int:
    """How many live sessions a user has."""
    user = get_user(engine, name)
    query = (sa.select(sa.func.count()).select_from(user_sessions)
             .where(user_sessions.c.user_id == user.id, user_sessions.c.expires_at > utcnow()))
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()


def _end_user_sessions(conn: Connection, user_id: int) -> int:
    return conn.execute(user_sessions.delete().where(user_sessions.c.user_id == user_id)).rowcount
