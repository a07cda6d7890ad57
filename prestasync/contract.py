"""What leaves the process, typed once: the job, item, failure group, shop, product and
statistics shapes of the API, the CLI's `--json`, the live events and the CSV files.

The API declares these as response models (so `/docs` shows them), the CLI prints
`model_dump(mode="json")` of the same objects, remote mode reads them back with
`model_validate`, and the SSE stream sends the job shape. CONTRACT (docs/contract.md) is
the outside promise; fields are only ever added.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from prestasync.models import Binding, Job, JobItem, Product, Shop, utcnow
from prestasync.progress import Action, JobStatus, allowed_actions, estimate, percent

T = TypeVar("T")

# The largest id the API and the CLI take: 2**53 - 1, the largest integer every JSON reader holds
# exactly (JavaScript's Number.MAX_SAFE_INTEGER). At 2**63 - 1 (what BIGINT stores) a schema's
# `maximum` read as a float rounds up to 2**63, so a client checking it accepts ids the server
# then refuses. No real id comes near either bound.
ID_MAX = 2**53 - 1


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class JobOut(Out):
    """One job, as `GET /api/jobs/{id}` and `jobs show ID --json` give it."""

    id: int
    uuid: str
    type: str = Field(description="import | export | sync")
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


class Page(Out, Generic[T]):
    """A page of a longer list: `total` counts all of it."""

    items: list[T]
    total: int
    limit: int
    offset: int


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


class JobsStarted(Out):
    """The answer to starting one job per shop."""

    jobs: list[JobOut]
    group_uuid: str | None


class ShopOut(Out):
    """A shop as the API shows it: never its key."""

    id: int
    name: str
    url: str
    synced_until: datetime | None
    created_at: datetime


class BindingOut(Out):
    shop_id: int
    remote_id: int | None
    status: str
    error: str | None
    synced_at: datetime | None


class ProductOut(Out):
    id: int
    sku: str
    name: dict[str, str]
    price: str
    quantity: int
    active: bool
    updated_at: datetime
    shops: list[BindingOut]


class ShopStats(Out):
    shop_id: int
    days: int
    jobs: int
    completed: int
    failed: int
    cancelled: int
    active: int
    success_rate: float | None
    items_processed: int
    items_failed: int
    avg_duration_s: float | None


class DayStats(Out):
    date: str
    jobs: int
    completed: int
    failed: int
    cancelled: int
    items_processed: int
    items_failed: int


class Problem(Out):
    """Every error answer of the API."""

    detail: str


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
        actions=sorted(allowed_actions(job.status, failed=job.failed, preview=preview)),
    )


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


def shop_out(shop: Shop) -> ShopOut:
    return ShopOut(id=shop.id, name=shop.name, url=shop.url, synced_until=shop.synced_until, created_at=shop.created_at)


def product_out(product: Product, bindings: Sequence[Binding] = ()) -> ProductOut:
    return ProductOut(
        id=product.id,
        sku=product.sku,
        name=product.name,
        price=money(product.price),
        quantity=product.quantity,
        active=product.active,
        updated_at=product.updated_at,
        shops=[
            BindingOut(
                shop_id=b.shop_id,
                remote_id=b.remote_id,
                status=b.last_status,
                error=b.last_error,
                synced_at=b.last_synced_at,
            )
            for b in bindings
        ],
    )


def money(value: Decimal) -> str:
    """A price as text: two decimals when that is exact, else every significant digit."""
    cents = value.quantize(Decimal("0.01"))
    return str(cents) if cents == value else format(value.normalize(), "f")


# -- CSV ----------------------------------------------------------------------------------------

FAILURES_CSV = ["sku", "remote_id", "error_code", "message", "at"]


def failure_row(item: ItemOut) -> list[str]:
    """A failed item as a row under `FAILURES_CSV`, for the API and the CLI alike."""
    return [
        as_text(item.sku),
        str(item.remote_id or ""),
        item.error_code or "",
        as_text(item.message or ""),
        iso(item.updated_at) or "",
    ]


def as_text(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula (`=HYPERLINK(...)`)
    gets a leading `'` instead of being run when the file is opened."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
