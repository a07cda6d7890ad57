"""Sending what the outbox owes: e-mails and webhook calls, retried with backoff, every try logged.

`send_due()` picks due deliveries and leases each with a conditional UPDATE (`lease_until`,
and `attempts + 1`), so two workers never try the same one at once; only then does it
send, outside any transaction. Every try becomes a `delivery_attempts` row (status, the
start of the answer, duration). A try that fails is tried again after
`delivery_backoff_s * 2^(attempt - 1)` (at most an hour), until `delivery_attempts`
tries were made; then the delivery is `failed` and stays in the log. A worker that dies
mid-try leaves a lease that expires, and the delivery is tried again: an e-mail or a
call may then arrive twice, which is why webhooks carry a delivery id to deduplicate on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from prestasync import mailer, messages, webhooks
from prestasync.contract import AttemptOut, DeliveryOut, JobReport, Page
from prestasync.models import Delivery, DeliveryAttempt, User, Webhook, utcnow
from prestasync.runtime import Runtime
from prestasync.telemetry import timed
from prestasync.webhooks import Answer

log = logging.getLogger(__name__)
BATCH = 20
MAX_BACKOFF_S = 3600.0


def send_due(rt: Runtime, *, now: datetime | None = None) -> int:
    """Try every due delivery this worker can lease; returns how many were tried."""
    now = now or utcnow()
    with Session(rt.engine) as session:
        due = list(
            session.execute(
                select(Delivery.id)
                .where(Delivery.state == "pending", Delivery.next_attempt_at <= now, _unleased(now))
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(BATCH)
            ).scalars()
        )
    tried = 0
    for delivery_id in due:
        try:
            tried += _try(rt, delivery_id, now)
        except Exception:  # one broken delivery must not block the rest
            log.exception("delivery %s: try failed", delivery_id)
    return tried


def _unleased(now: datetime) -> ColumnElement[bool]:
    return or_(Delivery.lease_until.is_(None), Delivery.lease_until < now)


def _try(rt: Runtime, delivery_id: int, now: datetime) -> bool:
    s = rt.settings
    lease = max(s.webhook_timeout_s, s.smtp_timeout_s) + 30.0
    with Session(rt.engine, expire_on_commit=False) as session, session.begin():
        won = session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.state == "pending",
                Delivery.next_attempt_at <= now,
                _unleased(now),
            )
            .values(lease_until=now + timedelta(seconds=lease), attempts=Delivery.attempts + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if won != 1:
            return False
        row = session.get(Delivery, delivery_id, populate_existing=True)
        assert row is not None
        target = session.get(User, row.user_id) if row.user_id else session.get(Webhook, row.webhook_id)
    elapsed = timed()
    answer = _send(rt, row, target)
    _record(rt, row, answer, elapsed())
    return True


def _send(rt: Runtime, row: Delivery, target: User | Webhook | None) -> Answer:
    s = rt.settings
    if isinstance(target, Webhook):
        secret = rt.vault.open(target.secret_encrypted)
        return webhooks.post(
            target.url, secret, row.body, event=row.event, delivery_id=row.id, timeout_s=s.webhook_timeout_s
        )
    if isinstance(target, User) and target.email and s.smtp_host:
        lang = target.language or "en"
        subject, body = messages.mail(
            lang, JobReport.model_validate_json(row.body), f"{s.public_url.rstrip('/')}/notifications"
        )
        sent = mailer.send(s, target.email, subject, body)
        return Answer(sent.code, sent.text) if not sent.ok else Answer(200, f"{sent.code} {sent.text}")
    return Answer(None, "no recipient: the user has no e-mail address or SMTP is not configured")


def _record(rt: Runtime, row: Delivery, answer: Answer, seconds: float) -> None:
    s, now = rt.settings, utcnow()
    attempt = row.attempts
    values: dict[str, object] = {
        "lease_until": None,
        "last_status": answer.status,
        "last_answer": answer.excerpt,
        "updated_at": now,
    }
    if answer.ok:
        values.update(state="done", delivered_at=now)
    elif attempt >= s.delivery_attempts:
        values["state"] = "failed"
    else:
        wait = min(s.delivery_backoff_s * 2 ** (attempt - 1), MAX_BACKOFF_S)
        values["next_attempt_at"] = now + timedelta(seconds=wait)
    with Session(rt.engine) as session, session.begin():
        session.add(
            DeliveryAttempt(
                delivery_id=row.id,
                attempt=attempt,
                at=now,
                status=answer.status,
                answer=answer.excerpt,
                seconds=seconds,
            )
        )
        session.execute(
            update(Delivery).where(Delivery.id == row.id).values(**values).execution_options(synchronize_session=False)
        )
    result = "ok" if answer.ok else ("gave_up" if values.get("state") == "failed" else "retry")
    rt.telemetry.deliveries.labels(row.channel, result).inc()
    if not answer.ok:
        log.info(
            "delivery %s (%s) try %d failed: %s %s", row.id, row.channel, attempt, answer.status, answer.excerpt[:100]
        )


# -- the delivery log ---------------------------------------------------------------------------


def log_page(session: Session, *, webhook_id: int | None = None, limit: int = 50, offset: int = 0) -> Page[DeliveryOut]:
    """Deliveries newest first, each with its tries (all channels, or one webhook's)."""
    query = select(Delivery)
    count = select(func.count(Delivery.id))
    if webhook_id is not None:
        query, count = query.where(Delivery.webhook_id == webhook_id), count.where(Delivery.webhook_id == webhook_id)
    rows = list(session.execute(query.order_by(Delivery.id.desc()).limit(limit).offset(offset)).scalars())
    tries: dict[int, list[AttemptOut]] = {r.id: [] for r in rows}
    if rows:
        attempts = select(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(list(tries)))
        for a in session.execute(attempts.order_by(DeliveryAttempt.attempt)).scalars():
            tries[a.delivery_id].append(
                AttemptOut(attempt=a.attempt, at=a.at, status=a.status, answer=a.answer, seconds=round(a.seconds, 3))
            )
    items = [
        DeliveryOut(
            id=r.id,
            channel=r.channel,
            webhook_id=r.webhook_id,
            user_id=r.user_id,
            job_id=r.job_id,
            event=r.event,
            state=r.state,
            attempts=r.attempts,
            next_attempt_at=r.next_attempt_at,
            last_status=r.last_status,
            last_answer=r.last_answer,
            created_at=r.created_at,
            delivered_at=r.delivered_at,
            tries=tries[r.id],
        )
        for r in rows
    ]
    total = int(session.execute(count).scalar() or 0)
    return Page[DeliveryOut](items=items, total=total, limit=limit, offset=offset)
