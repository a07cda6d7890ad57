"""The JSON API under `/api` (docs/contract.md; the schemas are at `/docs` and `/openapi.json`).

Every route declares its answer's model and every status it can return with its body's
shape, and bounds every number it takes (ids, limits, offsets, days), so a bad request is a
422 with a `Problem`, never a 500.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from prestasync import catalogue, queries, shops, stats
from prestasync.contract import (
    CHANGES_CSV,
    FAILURES_CSV,
    ChangeSummary,
    DayStats,
    FailureGroups,
    ItemOut,
    JobOut,
    JobsStarted,
    Page,
    Problem,
    ProductOut,
    ShopOut,
    ShopStats,
    change_rows,
    failure_row,
    item_out,
    job_out,
    product_out,
    shop_out,
)
from prestasync.models import SHOP_NAME_MAX, SHOP_URL_MAX, SKU_MAX
from prestasync.progress import JobType, Outcome
from prestasync.web.deps import ControlDep, ReadSessionDep, RuntimeDep, SessionDep

MAX_ID = 2**63 - 1  # the largest id any of the three databases stores
MAX_OFFSET = 10**9
GROUP_SKUS = 20  # SKUs shown with each failure group before paging

StatusFilter = Literal[
    "active", "finished", "pending", "running", "held", "cancelling", "completed", "failed", "cancelled"
]
JobId = Annotated[int, Path(ge=1, le=MAX_ID, description="A job id.")]
ShopId = Annotated[int, Path(ge=1, le=MAX_ID, description="A shop id.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Days = Annotated[int, Query(ge=1, le=366)]


def _problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    meaning = {
        401: "no or refused credentials",
        404: "no such job or shop",
        409: "the job's state refuses this",
        422: "malformed or out-of-range input",
        502: "the shop answered with an error",
    }
    return {code: {"model": Problem, "description": meaning[code]} for code in (401, 422, *codes)}


router = APIRouter(prefix="/api", responses=_problems())


class JobParams(BaseModel):
    """What a job runs on. Unknown keys are refused; `skus` must not be empty when given."""

    model_config = ConfigDict(extra="forbid")

    since: str | None = Field(None, max_length=64, description="import: only products changed since (ISO 8601)")
    skus: list[Annotated[str, Field(max_length=SKU_MAX)]] | None = Field(
        None, max_length=100_000, description="export: exactly these SKUs"
    )
    remote_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, max_length=100_000, description="import: exactly these shop product ids"
    )
    dry_run: bool = Field(False, description="export/sync: read and compare only, write nothing (a preview)")
    confirmed: bool = Field(False, description="export/sync: let the change guard pass (seen and approved)")


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: JobType
    shop_id: int | None = Field(None, ge=1, le=MAX_ID)
    shop_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, min_length=1, max_length=100, description="One job per shop, grouped."
    )
    params: JobParams = Field(default_factory=lambda: JobParams())


class ShopRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=SHOP_NAME_MAX)
    url: str = Field(min_length=1, max_length=SHOP_URL_MAX)
    key: str = Field(min_length=1, max_length=200)


@router.get("/jobs", response_model=Page[JobOut])
def list_jobs(
    session: ReadSessionDep,
    status: StatusFilter | None = None,
    shop_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    type: JobType | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> Page[JobOut]:
    """Jobs, newest first. `status=active` is what the dashboard header shows."""
    flt = queries.JobFilter(status, shop_id, type.value if type else None, limit=limit, offset=offset)
    items = [job_out(j) for j in queries.list_jobs(session, flt)]
    return Page[JobOut](items=items, total=queries.count_jobs(session, flt), limit=limit, offset=offset)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=_problems(404))
def get_job(job_id: JobId, session: ReadSessionDep) -> JobOut:
    return job_out(queries.get_job(session, job_id))


@router.get("/jobs/{job_id}/errors", response_model=Page[ItemOut], responses=_problems(404))
def job_errors(
    job_id: JobId,
    session: ReadSessionDep,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cause: Annotated[str | None, Query(max_length=255, description="Only this cause (`` = without one).")] = None,
) -> Page[ItemOut]:
    """The job's failed items, page by page; never capped."""
    queries.get_job(session, job_id)
    page = queries.failed_items(session, job_id, cause=cause, offset=offset, limit=limit)
    total = queries.count_failed_items(session, job_id, cause=cause)
    return Page[ItemOut](items=[item_out(i) for i in page], total=total, offset=offset, limit=limit)


@router.get("/jobs/{job_id}/errors/groups", response_model=FailureGroups, responses=_problems(404))
def job_error_groups(
    job_id: JobId,
    session: ReadSessionDep,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> FailureGroups:
    """The failed items grouped by cause, biggest first, each with its first SKUs; paginated."""
    queries.get_job(session, job_id)
    groups = [
        group.model_copy(
            update={
                "skus": [
                    item_out(i) for i in queries.failed_items(session, job_id, cause=group.cause, limit=GROUP_SKUS)
                ]
            }
        )
        for group in queries.failure_groups(session, job_id, offset=offset, limit=limit)
    ]
    return FailureGroups(
        groups=groups,
        total=queries.count_failure_groups(session, job_id),
        items=queries.count_failed_items(session, job_id),
        offset=offset,
        limit=limit,
    )


@router.get(
    "/jobs/{job_id}/errors.csv",
    response_class=StreamingResponse,
    responses={**_problems(404), 200: {"content": {"text/csv": {}}, "description": "every failed item"}},
)
def job_errors_csv(job_id: JobId, session: ReadSessionDep) -> StreamingResponse:
    queries.get_job(session, job_id)
    headers = {"Content-Disposition": f'attachment; filename="job-{job_id}-errors.csv"'}
    rows = _csv_rows(session.get_bind(), job_id)
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8", headers=headers)


def _csv_rows(bind: Engine | Connection, job_id: int) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(FAILURES_CSV)
    offset = 0
    with Session(bind) as session:  # the read-only engine: a long download holds up no writer
        while page := queries.failed_items(session, job_id, offset=offset, limit=1000):
            writer.writerows(failure_row(item_out(item)) for item in page)
            offset += len(page)
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


@router.post("/jobs", status_code=202, response_model=JobOut | JobsStarted, responses=_problems(404, 409))
def create_job(body: JobRequest, control: ControlDep) -> JobOut | JobsStarted:
    """Start a job (or one per shop with `shop_ids`). Returns the job, or `{"jobs": [...]}`."""
    ids = body.shop_ids or ([body.shop_id] if body.shop_id is not None else [])
    params = body.params.model_dump(exclude_none=True, exclude_defaults=True)
    created = [job_out(j) for j in control.start(body.type, ids, params)]
    if body.shop_ids:
        return JobsStarted(jobs=created, group_uuid=created[0].group_uuid)
    return created[0]


@router.post("/jobs/{job_id}/cancel", status_code=202, response_model=JobOut, responses=_problems(404, 409))
def cancel_job(job_id: JobId, control: ControlDep) -> JobOut:
    return job_out(control.cancel(job_id))


@router.post("/jobs/{job_id}/retry", status_code=202, response_model=JobOut, responses=_problems(404, 409))
def retry_job(job_id: JobId, control: ControlDep, failed_only: bool = False) -> JobOut:
    return job_out(control.retry(job_id, failed_only=failed_only))


@router.post("/jobs/{job_id}/confirm", status_code=202, response_model=JobOut, responses=_problems(404, 409))
def confirm_job(job_id: JobId, control: ControlDep) -> JobOut:
    """Release a job the change guard held: it writes its plan."""
    return job_out(control.confirm(job_id))


@router.post("/jobs/{job_id}/apply", status_code=202, response_model=JobOut, responses=_problems(404, 409))
def apply_preview(job_id: JobId, control: ControlDep, confirmed: bool = False) -> JobOut:
    """Write exactly what a completed preview planned (a new job); products changed in the shop
    since the preview are reported as drift and left alone."""
    return job_out(control.apply(job_id, confirmed=confirmed))


@router.get("/jobs/{job_id}/changes", response_model=Page[ItemOut], responses=_problems(404))
def job_changes(
    job_id: JobId,
    session: ReadSessionDep,
    outcome: Literal["created", "updated", "drift"] | None = None,
    field: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$", description="e.g. price, stock")] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[ItemOut]:
    """The products the job changed (a preview: would change), each with its fields before → after."""
    queries.get_job(session, job_id)
    kind = Outcome(outcome) if outcome else None
    page, total = queries.changed_items(session, job_id, outcome=kind, field=field, offset=offset, limit=limit)
    return Page[ItemOut](items=[item_out(i) for i in page], total=total, offset=offset, limit=limit)


@router.get("/jobs/{job_id}/changes/summary", response_model=ChangeSummary, responses=_problems(404))
def job_change_summary(job_id: JobId, session: ReadSessionDep) -> ChangeSummary:
    """The changes grouped: new products, updated products per field, drift, failures."""
    queries.get_job(session, job_id)
    return queries.change_summary(session, job_id)


@router.get(
    "/jobs/{job_id}/changes.csv",
    response_class=StreamingResponse,
    responses={**_problems(404), 200: {"content": {"text/csv": {}}, "description": "one row per changed field"}},
)
def job_changes_csv(job_id: JobId, session: ReadSessionDep) -> StreamingResponse:
    queries.get_job(session, job_id)
    headers = {"Content-Disposition": f'attachment; filename="job-{job_id}-changes.csv"'}
    return StreamingResponse(
        _change_rows(session.get_bind(), job_id), media_type="text/csv; charset=utf-8", headers=headers
    )


def _change_rows(bind: Engine | Connection, job_id: int) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CHANGES_CSV)
    offset = 0
    with Session(bind) as session:
        while True:
            page, _ = queries.changed_items(session, job_id, offset=offset, limit=1000)
            if not page:
                break
            for item in page:
                writer.writerows(change_rows(item_out(item)))
            offset += len(page)
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


@router.get("/shops", response_model=list[ShopOut])
def list_shops(session: ReadSessionDep) -> list[ShopOut]:
    return [shop_out(s) for s in shops.list_shops(session)]


@router.post("/shops", status_code=201, response_model=ShopOut, responses=_problems(409))
def add_shop(body: ShopRequest, rt: RuntimeDep, session: SessionDep) -> ShopOut:
    with session.begin():
        shop = shops.add_shop(session, rt.vault, name=body.name, url=body.url, key=body.key)
    return shop_out(shop)


@router.get("/shops/{shop_id}/stats", response_model=ShopStats, responses=_problems(404))
def shop_stats(shop_id: ShopId, session: ReadSessionDep, days: Days = 7) -> ShopStats:
    shops.get_shop(session, shop_id)
    return stats.shop_stats(session, shop_id, days)


@router.get("/shops/{shop_id}/stats/daily", response_model=list[DayStats], responses=_problems(404))
def shop_daily_stats(shop_id: ShopId, session: ReadSessionDep, days: Days = 7) -> list[DayStats]:
    """Jobs by outcome and items handled per UTC day, oldest first (the sync centre's chart)."""
    shops.get_shop(session, shop_id)
    return stats.daily_stats(session, shop_id, days)


@router.get("/products", response_model=Page[ProductOut])
def list_products(
    session: ReadSessionDep,
    search: Annotated[str, Query(max_length=200)] = "",
    shop_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Offset = 0,
) -> Page[ProductOut]:
    """The catalogue (SKU order) with each product's sync state per shop; `total` counts all matches."""
    found = catalogue.search(session, text=search, shop_id=shop_id, limit=limit, offset=offset)
    links = catalogue.bindings_for(session, [p.id for p in found])
    return Page[ProductOut](
        items=[product_out(p, links.get(p.id, [])) for p in found],
        total=catalogue.count(session, text=search, shop_id=shop_id),
        limit=limit,
        offset=offset,
    )
