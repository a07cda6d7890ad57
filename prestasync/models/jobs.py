"""Jobs and their ledger: one row per bulk job, one per item it handles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from prestasync.models.base import CAUSE_MAX, CODE_MAX, ITEM_KEY_MAX, SHOP_NAME_MAX, Base, BigId, UTCDateTime, utcnow


class Job(Base):
    """One bulk job against one shop: the seed's `job_progress`, extended.

    Counters are only ever changed by relative updates (`processed = processed + n`), so
    many writers on one row never lose an update. `version` grows on every write; the
    live-update poller uses it to tell changed rows apart.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_created", "status", "created_at"),
        Index("ix_jobs_shop_created", "shop_id", "created_at"),
        Index("ix_jobs_updated", "updated_at"),
        Index("ix_jobs_finished", "finished_at"),
        # "All jobs, newest first" (history, the poller's snapshot): without it, a table scan.
        Index("ix_jobs_created", "created_at"),
        # The notification outbox looks for ended jobs not yet announced (`notified IS NULL`).
        Index("ix_jobs_notified", "notified"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="SET NULL"))
    shop_name: Mapped[str] = mapped_column(String(SHOP_NAME_MAX))
    group_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    # Outcomes of the handled items (issue 8): records created, updated, left unchanged.
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    checkpoint: Mapped[str | None] = mapped_column(String(200))
    # What the job is doing now inside its current items (`{"phase": "images", "done": 3,
    # "total": 40}`), NULL between steps; progress a card can show before the counters move.
    step: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_message: Mapped[str | None] = mapped_column(Text)
    retry_of: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The status last announced (e-mail, webhooks, notification centre); see `outbox.py`.
    notified: Mapped[str | None] = mapped_column(String(20))


class JobItem(Base):
    """The item ledger: one row per planned item (exports, syncs, files) and per failed or
    skipped item of any job.

    Never capped: a job with 10,000 failures has 10,000 rows, read page by page. `state` is a
    `progress.ItemState`, changed only through `ledger`; `outcome` a `progress.Outcome`.
    `changes` maps each changed field to `[before, after]`; `digest` fingerprints the shop's
    record as it was read, so applying a preview can tell whether it changed since.
    """

    __tablename__ = "job_items"
    __table_args__ = (
        Index("ix_job_items_job_state", "job_id", "state"),
        Index("ix_job_items_job_cause", "job_id", "cause"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(ITEM_KEY_MAX))
    remote_id: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(10), default="failed")
    outcome: Mapped[str | None] = mapped_column(String(10))
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    digest: Mapped[str | None] = mapped_column(String(40))
    # Who claimed a planned item (`running`); duplicate chunk deliveries claim nothing.
    lease: Mapped[str | None] = mapped_column(String(36))
    error_code: Mapped[str | None] = mapped_column(String(CODE_MAX))
    message: Mapped[str | None] = mapped_column(Text)
    # `message` with SKUs, quoted values and numbers normalised (see `progress.cause_of`).
    cause: Mapped[str | None] = mapped_column(String(CAUSE_MAX))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
