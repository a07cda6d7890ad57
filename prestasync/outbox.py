"""The notification outbox: each job event announced exactly once, however many workers look.

A job that reached a status worth announcing (`messages.EVENTS`: completed, failed, held,
cancelled; the list goes by status, so a status added later is one entry) has
`jobs.notified` different from its status. `claim()` finds such jobs and, one at a time,
sets `notified = status` with a conditional UPDATE (`... WHERE status = :s AND notified
IS DISTINCT FROM :s`). The worker whose UPDATE matches writes, in the same transaction,
one notification per user (the dashboard's bell), one e-mail delivery per subscribed user
with an address, and one webhook delivery per endpoint listening for the event. If that
transaction fails, the claim rolls back with it and the next tick tries again; if it
commits, nobody else can claim the event. A held job that is confirmed and later ends is
announced again, once, for its new status.

Deliveries are sent later by `deliveries.py`, never by the job: a dead mail server or a
slow webhook cannot hold a job up.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.orm import Session

from prestasync import queries
from prestasync.config import Settings
from prestasync.contract import JobEvent, JobReport, job_out
from prestasync.messages import EVENTS
from prestasync.models import ANSWER_MAX, Delivery, DeliveryAttempt, Job, Notification, User, Webhook, utcnow
from prestasync.progress import TERMINAL
from prestasync.telemetry import Telemetry

log = logging.getLogger(__name__)
BATCH = 100
TOP_CAUSES = 3


def job_link(settings: Settings, job_id: int) -> str:
    """The absolute address of a job in the sync centre, for e-mails and webhooks."""
    return f"{settings.public_url.rstrip('/')}/shops/sync?job={job_id}"


def claim(engine: Engine, settings: Settings, telemetry: Telemetry | None = None) -> list[tuple[int, str]]:
    """Announce every job event not yet announced; returns the (job id, event) pairs this call won."""
    with Session(engine) as session:
        fresh = select(Job.id, Job.status).where(Job.notified.is_(None), Job.status.in_(EVENTS))
        # A held job announced as held that has ended since: announce its end too.
        released = select(Job.id, Job.status).where(
            Job.notified.in_([e for e in EVENTS if e not in TERMINAL]), Job.status.in_([s.value for s in TERMINAL])
        )
        candidates = list(session.execute(fresh.limit(BATCH))) + list(session.execute(released.limit(BATCH)))
    won: list[tuple[int, str]] = []
    for job_id, status in candidates:
        try:
            if _claim_one(engine, settings, job_id, status, telemetry):
                won.append((job_id, status))
        except Exception:  # one bad job must not block the announcements of the others
            log.exception("job %s: could not announce %s", job_id, status)
    return won


def _claim_one(engine: Engine, settings: Settings, job_id: int, status: str, telemetry: Telemetry | None) -> bool:
    # expire_on_commit=False: the job's timings are read for the metrics after the commit.
    with Session(engine, expire_on_commit=False) as session, session.begin():
        stmt = (
            update(Job)
            .where(Job.id == job_id, Job.status == status, or_(Job.notified.is_(None), Job.notified != status))
            .values(notified=status)
            .execution_options(synchronize_session=False)
        )
        if session.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
            return False
        job = queries.get_job(session, job_id)
        _announce(session, settings, job, status)
    if telemetry is not None and status in TERMINAL and job.started_at and job.finished_at:
        telemetry.job_ended(job.type, status, (job.finished_at - job.started_at).total_seconds())
    return True


def _announce(session: Session, settings: Settings, job: Job, event: str) -> None:
    now = utcnow()
    out = job_out(job, now=now)
    users = list(session.execute(select(User)).scalars())
    for user in users:
        session.add(
            Notification(
                user_id=user.id,
                job_id=job.id,
                event=event,
                job_type=job.type,
                shop_name=job.shop_name,
                processed=job.processed,
                failed=job.failed,
                error=(job.error_message or "")[:ANSWER_MAX] or None,
                created_at=now,
            )
        )
    if settings.smtp_host:
        report: JobReport | None = None
        for user in users:
            if not _subscribed(user, event, job.shop_id):
                continue
            report = report or JobReport(
                event=event,
                job=out,
                link=job_link(settings, job.id),
                top_causes=queries.failure_groups(session, job.id, limit=TOP_CAUSES) if job.failed else [],
            )
            session.add(_delivery("email", event, job.id, report.model_dump_json(), now, user_id=user.id))
    body = JobEvent(**out.model_dump(), event=event).model_dump_json()
    for hook in session.execute(select(Webhook).where(Webhook.enabled.is_(True))).scalars():
        if event in hook.events:
            session.add(_delivery("webhook", event, job.id, body, now, webhook_id=hook.id))


def _subscribed(user: User, event: str, shop_id: int | None) -> bool:
    if not user.email or event not in (user.email_events or []):
        return False
    return not user.email_shops or shop_id in user.email_shops


def _delivery(
    channel: str,
    event: str,
    job_id: int,
    body: str,
    now: datetime,
    *,
    user_id: int | None = None,
    webhook_id: int | None = None,
) -> Delivery:
    return Delivery(
        channel=channel,
        user_id=user_id,
        webhook_id=webhook_id,
        job_id=job_id,
        event=event,
        body=body,
        state="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )


def cleanup(engine: Engine, days: int) -> int:
    """Delete notifications and finished deliveries older than `days` (with the job history)."""
    cutoff = utcnow() - timedelta(days=days)
    with Session(engine) as session, session.begin():
        old = select(Delivery.id).where(Delivery.state != "pending", Delivery.updated_at < cutoff)
        ids = list(session.execute(old.limit(10_000)).scalars())
        if ids:
            session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(ids)))
            session.execute(delete(Delivery).where(Delivery.id.in_(ids)))
        gone = session.execute(delete(Notification).where(Notification.created_at < cutoff))
        return len(ids) + int(gone.rowcount)  # type: ignore[attr-defined]
