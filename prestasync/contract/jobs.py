"""Jobs and their items as the outside sees them: a job with its rate, ETA and allowed actions,
its ledger rows, failures grouped by cause, and what an export changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from prestasync.contract.base import Out
from prestasync.models import Job, JobItem, utcnow
from prestasync.progress import Action, JobStatus, allowed_actions, estimate, percent


class JobStep(Out):
    """What a running job is doing inside its current items, before its counters move."""

    phase: str = Field(
        description="catalogue: reading the shop's categories, attributes, features and brands; "
        "images: downloading the current page's product images (done of total)"
    )
    done: int
    total: int


class JobOut(Out):
    """One job, as `GET /api/jobs/{id}` and `jobs show ID --json` give it."""

    id: int
    uuid: str
    type: str = Field(description="import | export | sync | file_import")
    status: JobStatus
    shop_id: int | None
    shop_name: str
    total: int
    processed: int = Field(description="items handled, failed ones included")
    failed: int
    skipped: int = Field(description="items not handled: the job ended first, or the record vanished")
    created: int = Field(description="records created")
    updated: int = Field(description="records changed")
    unchanged: int = Field(description="records already as wanted (nothing written)")
    percent: float
    rate_per_s: float | None
    eta_s: float | None
    elapsed_s: float | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    heartbeat_at: datetime | None
    error_message: str | None
    params: dict[str, Any]
    retry_of: int | None
    group_uuid: str | None
    cancel_requested: bool
    attempts: int
    version: int
    preview: bool = Field(description="a dry run: it read and compared, and wrote nothing")
    actions: list[Action] = Field(description="what a person may do to the job now")
    step: JobStep | None = Field(default=None, description="the current sub-step of a running job, if any")


class ItemOut(Out):
    """One ledger row: a failed, skipped or changed item."""

    id: int
    sku: str
    remote_id: int | None
    state: str
    outcome: str | None
    error_code: str | None
    message: str | None
    cause: str | None
    changes: dict[str, Any] | None
    attempt: int
    created_at: datetime
    updated_at: datetime


class FailureGroupOut(Out):
    """Failed items sharing a cause; `skus` is the first page of them."""

    cause: str
    count: int
    error_code: str
    skus: list[ItemOut] = Field(default_factory=list)


class FailureGroups(Out):
    groups: list[FailureGroupOut]
    total: int = Field(description="number of groups")
    items: int = Field(description="number of failed items")
    limit: int
    offset: int


class ChangeSummary(Out):
    """What an export did (or, for a preview, would do), grouped: new products, and how many
    updated products change each field (`price`, `stock`, `name`, `categories`…)."""

    created: int
    updated: int
    unchanged: int
    drift: int = Field(description="products changed in the shop since the preview: not written")
    failed: int
    fields: dict[str, int] = Field(description="updated products per changed field")


class JobsStarted(Out):
    """The answer to starting one job per shop."""

    jobs: list[JobOut]
    group_uuid: str | None


def job_out(job: Job, *, now: datetime | None = None) -> JobOut:
    """The job as the outside sees it, with rate, ETA and the actions its state allows."""
    now = now or utcnow()
    end = job.finished_at or now
    elapsed = (end - job.started_at).total_seconds() if job.started_at else None
    rate, eta = estimate(job.processed, job.total, elapsed)
    if JobStatus(job.status).is_terminal:
        # A finished job's mean rate is a fact, not an estimate: no warm-up needed.
        rate = round(job.processed / elapsed, 2) if elapsed and job.processed else None
        eta = 0.0 if job.status == JobStatus.COMPLETED else None
    preview = bool(job.params.get("dry_run"))
    return JobOut(
        id=job.id,
        uuid=job.uuid,
        type=job.type,
        status=JobStatus(job.status),
        shop_id=job.shop_id,
        shop_name=job.shop_name,
        total=job.total,
        processed=job.processed,
        failed=job.failed,
        skipped=job.skipped,
        created=job.created,
        updated=job.updated,
        unchanged=job.unchanged,
        percent=percent(job.processed, job.total),
        rate_per_s=rate,
        eta_s=eta,
        elapsed_s=round(elapsed, 1) if elapsed is not None else None,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        updated_at=job.updated_at,
        heartbeat_at=job.heartbeat_at,
        error_message=job.error_message,
        params=job.params,
        retry_of=job.retry_of,
        group_uuid=job.group_uuid,
        cancel_requested=job.cancel_requested,
        attempts=job.attempts,
        version=job.version,
        preview=preview,
        actions=sorted(allowed_actions(job.status, failed=job.failed, preview=preview, kind=job.type)),
        step=_step(job.step),
    )


def _step(raw: dict[str, Any] | None) -> JobStep | None:
    if not raw or not isinstance(raw.get("phase"), str):
        return None
    return JobStep(phase=raw["phase"], done=int(raw.get("done") or 0), total=int(raw.get("total") or 0))


def item_out(item: JobItem) -> ItemOut:
    return ItemOut(
        id=item.id,
        sku=item.sku,
        remote_id=item.remote_id,
        state=item.state,
        outcome=item.outcome,
        error_code=item.error_code,
        message=item.message,
        cause=item.cause,
        changes=item.changes,
        attempt=item.attempt,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )
