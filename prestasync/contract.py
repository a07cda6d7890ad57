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
from sqlalchemy.orm import Session

from prestasync import shops
from prestasync.catalogue.detail import ProductParts
from prestasync.models import Binding, ImportProfile, Job, JobItem, Product, Schedule, Shop, Webhook, utcnow
from prestasync.progress import Action, JobStatus, allowed_actions, estimate, percent

T = TypeVar("T")

# The largest id the API and the CLI take: 2**53 - 1, the largest integer every JSON reader holds
# exactly (JavaScript's Number.MAX_SAFE_INTEGER). At 2**63 - 1 (what BIGINT stores) a schema's
# `maximum` read as a float rounds up to 2**63, so a client checking it accepts ids the server
# then refuses. No real id comes near either bound.
ID_MAX = 2**53 - 1


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


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


class ShopOut(Out):
    """A shop and its settings, as `GET /api/shops/{id}` and `shops show ID --json` give it: never its key."""

    id: int
    name: str
    url: str
    synced_until: datetime | None = Field(description="`sync` pushes products changed after this instant")
    guard_enabled: bool = Field(description="the change guard holds sweeping exports for a person to confirm")
    guard_share_pct: int = Field(
        description="hold an export that zeroes the stock of, or moves the price of, more than this % of the products"
    )
    guard_price_pct: int = Field(description="a price counts as moved when it changes by more than this %")
    default_tax_group: int | None = Field(
        description="the shop's tax rules group id for products whose group it lacks; null: its lowest active one"
    )
    fallback_language: str | None = Field(
        description="the catalogue language for shop languages the catalogue lacks; null: the shop's default, "
        "else English, else the first one"
    )
    created_at: datetime
    updated_at: datetime


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


class AttributeOut(Out):
    """One attribute of a combination: its group and value, each named per language."""

    group: dict[str, str]
    value: dict[str, str]
    color: str = Field(description="a colour value's hex code, else empty")


class CombinationOut(Out):
    """A product's variant: its reference, the attribute values that make it, stock and impacts."""

    id: int
    reference: str
    ean13: str
    attributes: list[AttributeOut]
    quantity: int
    price_impact: str = Field(description="added to the product's price (may be negative)")
    weight_impact: str
    is_default: bool
    image_ids: list[int] = Field(description="ids of the product's images this variant shows")


class ImageOut(Out):
    """A product image; `url` serves its stored bytes (`GET /api/images/{id}`)."""

    id: int
    url: str
    content_type: str
    size: int
    position: int
    cover: bool
    legend: dict[str, str]


class CategoryOut(Out):
    id: int
    path: str = Field(description="the category's place in the tree, root first")
    name: dict[str, str]
    main: bool = Field(description="the product's default category")


class FeatureOut(Out):
    name: dict[str, str]
    value: dict[str, str]
    custom: bool


class ProductDetail(ProductOut):
    """One product whole, as `GET /api/products/{id}` gives it: the list's fields and the rest."""

    kind: str = Field(description="simple | combinations | pack | virtual")
    manufacturer: str | None
    combinations: list[CombinationOut]
    images: list[ImageOut]
    categories: list[CategoryOut]
    features: list[FeatureOut]


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


class ProfileOptions(Out):
    """How a catalogue file is read. Also the request body's `options` (unknown keys refused)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delimiter: str = Field("", max_length=1, description="CSV: one character; empty = guessed from the header")
    encoding: str = Field("utf-8", min_length=1, max_length=40, description="CSV: utf-8 (BOM or not), cp1250…")
    decimal_comma: bool = Field(False, description="numbers are written 12,50")
    sheet: str = Field("", max_length=31, description="XLSX: the sheet to read; empty = the first")


class ProfileOut(Out):
    """A saved import profile: file column -> catalogue column (`""` ignores the column)."""

    name: str
    mapping: dict[str, str]
    options: ProfileOptions
    created_at: datetime
    updated_at: datetime


class FieldOut(Out):
    """A catalogue column a file may have (per-language texts: `name_en`, `name_pl`…)."""

    name: str
    localised: bool
    required_for_new: bool
    help: str


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


def shop_out(shop: Shop) -> ShopOut:
    return ShopOut(
        id=shop.id,
        name=shop.name,
        url=shop.url,
        synced_until=shop.synced_until,
        guard_enabled=shop.guard_enabled,
        guard_share_pct=shop.guard_share_pct,
        guard_price_pct=shop.guard_price_pct,
        default_tax_group=shop.default_tax_group,
        fallback_language=shop.fallback_language,
        created_at=shop.created_at,
        updated_at=shop.updated_at,
    )


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


def product_detail(parts: ProductParts) -> ProductDetail:
    """A product with its variants, images, categories, features and manufacturer."""
    base = product_out(parts.product, parts.bindings)
    return ProductDetail(
        **base.model_dump(),
        kind=parts.product.kind,
        manufacturer=parts.manufacturer.name if parts.manufacturer else None,
        combinations=[
            CombinationOut(
                id=v.row.id,
                reference=v.row.reference,
                ean13=v.row.ean13,
                attributes=[AttributeOut(group=g.name, value=a.name, color=a.color) for g, a in v.options],
                quantity=v.row.quantity,
                price_impact=money(v.row.price_impact),
                weight_impact=format(v.row.weight_impact.normalize(), "f"),
                is_default=v.row.is_default,
                image_ids=list(v.row.images or []),
            )
            for v in parts.variants
        ],
        images=[
            ImageOut(
                id=i.id,
                url=f"/api/images/{i.id}",
                content_type=i.content_type,
                size=i.size,
                position=i.position,
                cover=i.cover,
                legend=i.legend or {},
            )
            for i in parts.images
        ],
        categories=[
            CategoryOut(id=c.id, path=c.path, name=c.name or {}, main=c.id == parts.main_category)
            for c in parts.categories
        ],
        features=[FeatureOut(name=f.name or {}, value=v.value or {}, custom=v.custom) for f, v in parts.features],
    )


def profile_out(profile: ImportProfile) -> ProfileOut:
    return ProfileOut(
        name=profile.name,
        mapping=profile.mapping,
        options=ProfileOptions.model_validate(profile.options),
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )


def money(value: Decimal) -> str:
    """A price as text: two decimals when that is exact, else every significant digit."""
    cents = value.quantize(Decimal("0.01"))
    return str(cents) if cents == value else format(value.normalize(), "f")


# -- CSV ----------------------------------------------------------------------------------------

FAILURES_CSV = ["sku", "remote_id", "error_code", "message", "at"]
CHANGES_CSV = ["sku", "outcome", "field", "before", "after"]


def failure_row(item: ItemOut) -> list[str]:
    """A failed item as a row under `FAILURES_CSV`, for the API and the CLI alike."""
    return [
        as_text(item.sku),
        str(item.remote_id or ""),
        item.error_code or "",
        as_text(item.message or ""),
        iso(item.updated_at) or "",
    ]


def change_rows(item: ItemOut) -> list[list[str]]:
    """An item's changes as rows under `CHANGES_CSV`, one per field (a new product: one row)."""
    sku, outcome = as_text(item.sku), item.outcome or ""
    if not item.changes:
        return [[sku, outcome, "", "", ""]]
    return [[sku, outcome, name, _cell(pair[0]), _cell(pair[1])] for name, pair in sorted(item.changes.items())]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return as_text(", ".join(map(str, value)) if isinstance(value, list) else str(value))


# Job history reports (`GET /api/jobs/report.csv|.xlsx`, `jobs report FILE`): one row per job.
JOB_REPORT_COLUMNS = [
    "id",
    "type",
    "shop",
    "status",
    "created_at",
    "started_at",
    "finished_at",
    "duration_s",
    "total",
    "processed",
    "failed",
    "skipped",
    "created",
    "updated",
    "unchanged",
    "error",
]


def job_report_row(job: JobOut) -> list[str | int | float | datetime | None]:
    """A job as a row under `JOB_REPORT_COLUMNS`; the writer escapes text and formats times."""
    duration = (job.finished_at - job.started_at).total_seconds() if job.finished_at and job.started_at else None
    return [
        job.id,
        job.type,
        job.shop_name,
        job.status.value,
        job.created_at,
        job.started_at,
        job.finished_at,
        round(duration, 3) if duration is not None else None,
        job.total,
        job.processed,
        job.failed,
        job.skipped,
        job.created,
        job.updated,
        job.unchanged,
        job.error_message or "",
    ]


def as_text(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula (`=HYPERLINK(...)`)
    gets a leading `'` instead of being run when the file is opened."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


# -- the daily loop: schedules, notifications, webhooks ------------------------------------------


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
