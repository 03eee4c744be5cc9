"""The people who record tickets: accounts with roles, passwords, API tokens and sessions.

* A password is stored only as an argon2id hash (``argon2-cffi``, memory-hard; the ``web``
  extra). A login with an unknown name still runs one hash, so the answer takes as long as
  for a wrong password and says the same.
* An API token (``fcsim users token NAME``) and a browser session are random 256-bit values
  shown once; the store keeps only their SHA-256 (a slow hash is not needed for values that
  cannot be guessed, and a token is checked on every API call).
* A disabled account keeps its history (its name stays on the events it wrote) but its
  password, tokens and sessions stop working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from fcsim.model.access import UserRole
from fcsim.recorder.checks import RecorderError
from fcsim.recorder.store import (
    API_TOKENS,
    SESSIONS,
    USERS,
    now_ms,
    read_transaction,
    write_transaction,
)

__all__ = ["MIN_PASSWORD_CHARS", "AccountError", "Accounts", "Session", "User", "tokens_equal"]

logger = logging.getLogger(__name__)

MIN_PASSWORD_CHARS = 8
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")
_TOKEN_PREFIX = "fct_"


class AccountError(RecorderError):
    """A refused account operation (bad name, role or password; unknown or duplicate user)."""


@dataclass(frozen=True)
class User:
    """An account as the web front end sees it (never the password hash)."""

    uid: int
    name: str
    role: str
    department: str | None
    enabled: bool


@dataclass(frozen=True)
class Session:
    """A live browser session: its user and its CSRF token."""

    user: User
    csrf: str
    expires_at_ms: int


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _user(row: Any) -> User:
    m = row._mapping
    return User(uid=int(m["uid"]), name=str(m["name"]), role=str(m["role"]),
                department=m["department"], enabled=bool(m["enabled"]))


class Accounts:
    """Accounts in a recorder store.

    Parameters
    ----------
    engine:
        The store's engine (``Recorder(url).engine``).
    hasher:
        An ``argon2.PasswordHasher`` (default: argon2-cffi's defaults, RFC 9106's
        low-memory profile: argon2id, 64 MiB, 3 passes).
    """

    def __init__(self, engine: Engine, *, hasher: Any = None) -> None:
        self.engine = engine
        if hasher is None:
            try:
                from argon2 import PasswordHasher
            except ImportError:  # pragma: no cover - the web extra is missing
                raise AccountError(
                    "accounts need argon2-cffi: pip install 'fcsim[web]'") from None
            hasher = PasswordHasher()
        self._hasher = hasher
        self._dummy_hash = hasher.hash(secrets.token_urlsafe(16))

    # -- management (fcsim users) -----------------------------------------------------------
    def add(self, name: str, role: str, password: str, *, department: str | None = None) -> User:
        """Create an account; the password must have at least 8 characters."""
        if not _NAME.match(name or "") or name != name.strip():
            raise AccountError(
                f"user name {name!r}: 1-64 characters, no control characters, no outer spaces")
        try:
            role = UserRole(role).value
        except ValueError:
            raise AccountError(f"role {role!r} is not one of "
                               f"{', '.join(r.value for r in UserRole)}") from None
        if len(password) < MIN_PASSWORD_CHARS:
            raise AccountError(f"user {name}: the password needs at least "
                               f"{MIN_PASSWORD_CHARS} characters")
        pw_hash = self._hasher.hash(password)
        try:
            with write_transaction(self.engine) as conn:
                conn.execute(insert(USERS).values(
                    name=name, role=role, department=department or None,
                    password_hash=pw_hash, enabled=True, created_at=now_ms()))
        except IntegrityError:
            raise AccountError(f"user {name} already exists") from None
        logger.info("added user %s (%s)", name, role)
        user = self.get(name)
        assert user is not None
        return user

    def disable(self, name: str) -> None:
        """Disable an account: its password, tokens and sessions stop working at once."""
        with write_transaction(self.engine) as conn:
            uid = conn.execute(select(USERS.c.uid).where(USERS.c.name == name)).scalar()
            if uid is None:
                raise AccountError(f"no user {name!r}")
            conn.execute(update(USERS).where(USERS.c.uid == uid).values(enabled=False))
            conn.execute(delete(SESSIONS).where(SESSIONS.c.uid == uid))
            conn.execute(delete(API_TOKENS).where(API_TOKENS.c.uid == uid))
        logger.info("disabled user %s", name)

    def get(self, name: str) -> User | None:
        """The account called ``name`` (enabled or not), or None."""
        with read_transaction(self.engine) as conn:
            row = conn.execute(select(USERS).where(USERS.c.name == name)).first()
        return None if row is None else _user(row)

    def users(self) -> list[User]:
        """Every account, in creation order."""
        with read_transaction(self.engine) as conn:
            return [_user(r) for r in conn.execute(select(USERS).order_by(USERS.c.uid))]

    def new_token(self, name: str) -> str:
        """A new API token for an enabled account (shown once; only its hash is kept)."""
        user = self.get(name)
        if user is None or not user.enabled:
            raise AccountError(f"no enabled user {name!r}")
        token = _TOKEN_PREFIX + secrets.token_urlsafe(32)
        with write_transaction(self.engine) as conn:
            conn.execute(insert(API_TOKENS).values(token_hash=_sha256(token), uid=user.uid,
                                                   created_at=now_ms()))
        logger.info("new API token for %s", name)
        return token

    # -- authentication ---------------------------------------------------------------------
    def verify_password(self, name: str, password: str) -> User | None:
        """The enabled account if ``password`` is its password, else None (same cost)."""
        from argon2.exceptions import InvalidHashError, VerificationError

        with read_transaction(self.engine) as conn:
            row = conn.execute(select(USERS).where(USERS.c.name == name)).first()
        stored = self._dummy_hash if row is None else str(row._mapping["password_hash"])
        try:
            ok = bool(self._hasher.verify(stored, password))
        except (VerificationError, InvalidHashError):
            ok = False
        if row is None or not ok or not row._mapping["enabled"]:
            return None
        return _user(row)

    def user_for_token(self, token: str) -> User | None:
        """The enabled account holding API token ``token``, else None."""
        if not token.startswith(_TOKEN_PREFIX):
            return None
        with read_transaction(self.engine) as conn:
            row = conn.execute(
                select(USERS).join(API_TOKENS, API_TOKENS.c.uid == USERS.c.uid)
                .where(API_TOKENS.c.token_hash == _sha256(token), USERS.c.enabled.is_(True))
            ).first()
        return None if row is None else _user(row)

    def new_session(self, user: User, *, ttl_s: float = 12 * 3600) -> tuple[str, Session]:
        """A new browser session: the cookie value (shown once) and the session."""
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = now_ms()
        expires = now + int(ttl_s * 1000)
        with write_transaction(self.engine) as conn:
            conn.execute(delete(SESSIONS).where(SESSIONS.c.expires_at < now))
            conn.execute(insert(SESSIONS).values(session_hash=_sha256(cookie), uid=user.uid,
                                                 csrf=csrf, created_at=now,
                                                 expires_at=expires))
        return cookie, Session(user, csrf, expires)

    def session(self, cookie: str) -> Session | None:
        """The live session of cookie value ``cookie`` (enabled user, not expired), else None."""
        with read_transaction(self.engine) as conn:
            row = conn.execute(
                select(USERS, SESSIONS.c.csrf, SESSIONS.c.expires_at)
                .join(SESSIONS, SESSIONS.c.uid == USERS.c.uid)
                .where(SESSIONS.c.session_hash == _sha256(cookie), USERS.c.enabled.is_(True))
            ).first()
        if row is None or int(row._mapping["expires_at"]) < now_ms():
            return None
        return Session(_user(row), str(row._mapping["csrf"]), int(row._mapping["expires_at"]))

    def end_session(self, cookie: str) -> None:
        """Log out: forget the session."""
        with write_transaction(self.engine) as conn:
            conn.execute(delete(SESSIONS).where(SESSIONS.c.session_hash == _sha256(cookie)))


def tokens_equal(a: str, b: str) -> bool:
    """Constant-time comparison of two secrets (CSRF tokens)."""
    return hmac.compare_digest(a.encode(), b.encode())
