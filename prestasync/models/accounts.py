"""Dashboard accounts and the API tokens of scripts and the CLI."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from prestasync.models.base import EMAIL_MAX, USERNAME_MAX, Base, BigId, UTCDateTime, utcnow


class User(Base):
    """A dashboard account. Passwords are stored as scrypt hashes (see `accounts.py`)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Notifications: where and in which language to write, which job events by e-mail, and
    # for which shops (None: all of them).
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    language: Mapped[str | None] = mapped_column(String(5))
    email_events: Mapped[list[str] | None] = mapped_column(JSON)
    email_shops: Mapped[list[int] | None] = mapped_column(JSON)


class ApiToken(Base):
    """A bearer token for scripts and the CLI. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
