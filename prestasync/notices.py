"""The notification centre: a user's notifications (unread count, list, mark read) and their settings.

The outbox (`outbox.py`) writes one row per user per job event; here they are read and
marked, always for one user, so nobody sees or marks another's. Texts are written when
read (`messages.line`), in the language asked for.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from prestasync import messages
from prestasync.config import Settings
from prestasync.contract import NotificationOut, NotifySettings, Page
from prestasync.errors import InvalidInput, NotFoundError
from prestasync.models import EMAIL_MAX, Notification, User, utcnow
from prestasync.outbox import job_link

# Deliberately loose: one @, something on each side, a dot in the domain. The mail server decides the rest.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def unread(session: Session, user_id: int) -> int:
    query = select(func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    return int(session.execute(query).scalar() or 0)


def page(
    session: Session,
    settings: Settings,
    user_id: int,
    lang: str,
    *,
    limit: int = 20,
    offset: int = 0,
    only_unread: bool = False,
) -> Page[NotificationOut]:
    """The user's notifications, newest first, their texts in `lang`."""
    where = [Notification.user_id == user_id]
    if only_unread:
        where.append(Notification.read_at.is_(None))
    rows = session.execute(
        select(Notification).where(*where).order_by(Notification.id.desc()).limit(limit).offset(offset)
    ).scalars()
    items = [
        NotificationOut(
            id=n.id,
            job_id=n.job_id,
            event=n.event,
            text=messages.line(
                lang,
                event=n.event,
                type=n.job_type,
                shop=n.shop_name,
                processed=n.processed,
                failed=n.failed,
                error=n.error,
            ),
            link=job_link(settings, n.job_id).removeprefix(settings.public_url.rstrip("/")),
            created_at=n.created_at,
            read=n.read_at is not None,
        )
        for n in rows
    ]
    total = int(session.execute(select(func.count(Notification.id)).where(*where)).scalar() or 0)
    return Page[NotificationOut](items=items, total=total, limit=limit, offset=offset)


def mark_read(session: Session, user_id: int, notification_id: int | None = None) -> int:
    """Mark one notification (or all) of the user read; returns how many changed. The caller commits."""
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        exists = session.execute(
            select(Notification.id).where(Notification.id == notification_id, Notification.user_id == user_id)
        ).first()
        if exists is None:
            raise NotFoundError(f"no notification with id {notification_id}")
        stmt = stmt.where(Notification.id == notification_id)
    result = session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def settings_for(session: Session, user_id: int) -> NotifySettings:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    return settings_of(user)


def settings_of(user: User) -> NotifySettings:
    return NotifySettings(
        email=user.email,
        language=user.language,
        email_events=user.email_events or [],
        email_shops=user.email_shops or [],
    )


def save_settings(session: Session, user_id: int, wanted: NotifySettings) -> NotifySettings:
    """Check and store a user's notification settings. The caller commits."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    email = (wanted.email or "").strip() or None
    if email is not None and (len(email) > EMAIL_MAX or not _EMAIL.match(email)):
        raise InvalidInput(f"{email!r} is not an e-mail address")
    if wanted.language not in (None, *messages.LANGUAGES):
        raise InvalidInput(f"language is one of {', '.join(messages.LANGUAGES)}")
    unknown = set(wanted.email_events) - set(messages.EVENTS)
    if unknown:
        raise InvalidInput(f"unknown event(s) {', '.join(sorted(unknown))}; choose among {', '.join(messages.EVENTS)}")
    user.email, user.language = email, wanted.language
    user.email_events = [e for e in messages.EVENTS if e in wanted.email_events]
    user.email_shops = sorted(set(wanted.email_shops)) or None
    session.flush()
    return settings_of(user)
