"""Dashboard accounts and API tokens.

Passwords are stored as scrypt hashes (`scrypt$n$r$p$salt$hash`, salt and hash in
base64), so a copy of the database does not reveal them and a stolen hash is slow to
attack. API tokens are random strings shown once at creation; only their SHA-256 is
stored, which is enough because a token has 256 bits of entropy and needs no stretching.

The first start of a web process creates an admin account when no user exists (see
`ensure_admin`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prestasync.config import Settings
from prestasync.errors import AccountError, NotFoundError
from prestasync.models import ApiToken, User, utcnow

log = logging.getLogger(__name__)

# 16 MiB of memory per hash, about 50 ms on one core: OWASP's scrypt minimum is N=2^17 with
# r=8 for new systems, but the dashboard runs on small machines and logins are rate limited.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
TOKEN_PREFIX = "pst_"
PASSWORD_FILE = "admin-password.txt"
MIN_PASSWORD = 8


@dataclass(frozen=True)
class Principal:
    """Who a request acts for, and how it proved it (`session` or `token`)."""

    user_id: int
    username: str
    via: str
    token_id: int | None = None


def hash_password(password: str) -> str:
    """A self-describing scrypt hash of `password` with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches `stored`; False for any malformed hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def fingerprint(user: User) -> str:
    """A short digest of the password hash; sessions carry it so a password change ends them."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
    return password


def create_user(session: Session, username: str, password: str) -> User:
    """Add a user; the caller commits."""
    username = username.strip()
    if not username or len(username) > 100:
        raise AccountError("a username is 1 to 100 characters")
    user = User(username=username, password_hash=hash_password(_check_password(password)), created_at=utcnow())
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise AccountError(f"a user named {username!r} already exists") from exc
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar()


def set_password(session: Session, username: str, password: str, *, create: bool = False) -> User:
    """Change a user's password (or create the user when `create`); the caller commits."""
    user = find_user(session, username)
    if user is None:
        if create:
            return create_user(session, username, password)
        raise NotFoundError(f"no user named {username!r}")
    user.password_hash = hash_password(_check_password(password))
    session.flush()
    return user


# Verified against when the username is unknown, so a failed login takes the same time
# whether or not the user exists.
_DUMMY_HASH = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(b'0' * 16)}${_b64(b'0' * 32)}"


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user whose name and password match, else None."""
    user = find_user(session, username.strip())
    if user is None:
        verify_password(password, _DUMMY_HASH)
        return None
    return user if verify_password(password, user.password_hash) else None


def ensure_admin(engine: Engine, settings: Settings) -> str | None:
    """Create the first admin when no user exists. Returns the generated password, if any.

    The password is `settings.admin_password` when set; otherwise one is generated,
    written once to stderr and to `<data_dir>/admin-password.txt` (mode 0600) so that a
    demo can show it. Two processes starting together may race: the loser's insert fails
    on the unique username and it simply carries on.
    """
    generated = "" if settings.admin_password else secrets.token_urlsafe(12)
    try:
        with Session(engine) as session, session.begin():
            if session.execute(select(func.count(User.id))).scalar():
                return None
            create_user(session, settings.admin_user, settings.admin_password or generated)
    except AccountError:
        return None
    if generated:
        _announce(settings, generated)
    return generated or None


def _announce(settings: Settings, password: str) -> None:
    path = Path(settings.data_dir) / PASSWORD_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(f"{settings.admin_user}\n{password}\n")
    except OSError as exc:  # the password is still printed below
        log.warning("could not write %s: %s", path, exc)
    sys.stderr.write(
        f"\nprestasync: created the first user {settings.admin_user!r} with password {password!r}\n"
        f"(also saved in {path}; change it with: prestasync users set-password {settings.admin_user})\n\n"
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`: the row, and the plain token (shown once, never stored)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AccountError("a token name is 1 to 100 characters")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=_token_hash(plain), created_at=utcnow())
    session.add(row)
    session.flush()
    return row, plain


def verify_token(session: Session, token: str) -> Principal | None:
    """The principal a bearer token stands for, or None. Reads only (see `touch_token`)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.execute(
        select(ApiToken.id, User.id, User.username)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _token_hash(token))
    ).first()
    if row is None:
        return None
    token_id, user_id, username = row
    return Principal(user_id, username, "token", token_id)


def touch_token(session: Session, token_id: int) -> None:
    """Record that a token was used now; the caller commits (and decides how often)."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.execute(select(ApiToken).order_by(ApiToken.id)).scalars())


def revoke_token(session: Session, token_id: int) -> None:
    """Delete a token; requests carrying it are refused from then on. The caller commits."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"no token with id {token_id}")
    session.delete(row)
    session.flush()
