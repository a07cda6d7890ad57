"""The daily loop as the outside sees it: schedules, the notification centre and its settings,
webhooks and their bodies, e-mailed job reports, and the deliveries with every try."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy.orm import Session

from prestasync import shops
from prestasync.contract.base import Out
from prestasync.contract.jobs import FailureGroupOut, JobOut
from prestasync.models import Schedule, Webhook


class ScheduleOut(Out):
    """A schedule: what it runs, when, and how its last slot went."""

    id: int
    shop_id: int
    shop_name: str
    type: str = Field(description="sync | import")
    every_min: int | None = Field(description="the interval in minutes, or null for a cron schedule")
    cron: str | None
    timezone: str
    paused: bool
    next_run_at: datetime = Field(description="the slot it waits for (kept while paused)")
    last_slot_at: datetime | None
    last_outcome: str | None = Field(description="started | skipped (a job of the kind was still active) | refused")
    last_job_id: int | None
    last_message: str | None
    runs: int
    skips: int


class JobEvent(JobOut):
    """A webhook's body: the job JSON, plus the event that made it leave."""

    event: str = Field(description="completed | failed | held | cancelled")


class JobReport(Out):
    """What an e-mail about a job says: the job, a link to it and its biggest failure causes."""

    event: str
    job: JobOut
    link: str
    top_causes: list[FailureGroupOut]


class NotificationOut(Out):
    """An entry of the notification centre, its text in the reader's language."""

    id: int
    job_id: int
    event: str
    text: str
    link: str
    created_at: datetime
    read: bool


class Unread(Out):
    unread: int


class NotifySettings(Out):
    """A user's notification settings: e-mail address, language, e-mailed events and shops."""

    email: str | None
    language: str | None
    email_events: list[str]
    email_shops: list[int] = Field(description="empty: every shop")


class WebhookOut(Out):
    """A webhook endpoint (never its secret)."""

    id: int
    url: str
    events: list[str]
    enabled: bool
    created_at: datetime


class WebhookCreated(WebhookOut):
    """The answer to adding a webhook: the only time its signing secret is shown."""

    secret: str


class AttemptOut(Out):
    attempt: int
    at: datetime
    status: int | None = Field(description="the HTTP status (webhook) or SMTP reply code; null when none came")
    answer: str | None = Field(description="the start of the answer, or the error")
    seconds: float


class DeliveryOut(Out):
    """One event owed to one webhook or mailbox, with every try so far."""

    id: int
    channel: str
    webhook_id: int | None
    user_id: int | None
    job_id: int
    event: str
    state: str = Field(description="pending | done | failed (gave up)")
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_answer: str | None
    created_at: datetime
    delivered_at: datetime | None
    tries: list[AttemptOut]


def schedule_out(session: Session, row: Schedule) -> ScheduleOut:
    """The schedule as the API and the CLI show it, with its shop's name."""
    shop = shops.get_shop(session, row.shop_id)
    return ScheduleOut(
        id=row.id,
        shop_id=row.shop_id,
        shop_name=shop.name,
        type=row.type,
        every_min=row.every_min,
        cron=row.cron,
        timezone=row.timezone,
        paused=row.paused,
        next_run_at=row.next_run_at,
        last_slot_at=row.last_slot_at,
        last_outcome=row.last_outcome,
        last_job_id=row.last_job_id,
        last_message=row.last_message,
        runs=row.runs,
        skips=row.skips,
    )


def webhook_out(row: Webhook) -> WebhookOut:
    """The endpoint without its secret."""
    return WebhookOut(id=row.id, url=row.url, events=row.events, enabled=row.enabled, created_at=row.created_at)
