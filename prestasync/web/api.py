"""The JSON API under `/api` (see CONTRACT.md and `/docs`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from prestasync import catalogue, jobs, shops
from prestasync.progress import JobStatus, JobType
from prestasync.web.deps import ControlDep, ReadSessionDep, RuntimeDep, SessionDep

router = APIRouter(prefix="/api")
StatusFilter = Literal["active", "finished", "pending", "running", "cancelling", "completed", "failed", "cancelled"]


class JobRequest(BaseModel):
    type: JobType
    shop_id: int | None = None
    shop_ids: list[int] | None = Field(None, max_length=100, description="One job per shop, grouped.")
    params: dict[str, Any] = Field(default_factory=dict)


class ShopRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=500)
    key: str = Field(min_length=1, max_length=200)


@router.get("/jobs")
def list_jobs(
    session: ReadSessionDep,
    status: StatusFilter | None = None,
    shop_id: int | None = None,
    type: JobType | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """Jobs, newest first. `status=active` is what the dashboard header shows."""
    flt = jobs.JobFilter(status, shop_id, type.value if type else None, limit=limit, offset=offset)
    items = [jobs.to_dict(j) for j in jobs.list_jobs(session, flt)]
    return {"items": items, "total": jobs.count_jobs(session, flt), "limit": limit, "offset": offset}


@router.get("/jobs/{job_id}")
def get_job(job_id: int, session: ReadSessionDep) -> dict[str, Any]:
    return jobs.to_dict(jobs.get_job(session, job_id))


@router.get("/jobs/{job_id}/errors")
def job_errors(
    job_id: int,
    session: ReadSessionDep,
    offset: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=1000),
    cause: str | None = Query(None, max_length=255, description="Only items of this cause (`` = without one)."),
) -> dict[str, Any]:
    """The job's failed items, page by page; never capped."""
    jobs.get_job(session, job_id)
    if cause is None:
        page = jobs.failed_items(session, job_id, offset=offset, limit=limit)
        total = jobs.count_failed_items(session, job_id)
    else:
        page = jobs.failed_items_by_cause(session, job_id, cause, offset=offset, limit=limit)
        total = jobs.count_failed_items_by_cause(session, job_id, cause)
    return {"items": [jobs.item_to_dict(i) for i in page], "total": total, "offset": offset, "limit": limit}


@router.get("/jobs/{job_id}/errors/groups")
def job_error_groups(
    job_id: int, session: ReadSessionDep, offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500)
) -> dict[str, Any]:
    """The failed items grouped by normalised cause, with counts, biggest first; paginated."""
    jobs.get_job(session, job_id)
    return {
        "groups": jobs.failure_groups(session, job_id, offset=offset, limit=limit),
        "total": jobs.count_failure_groups(session, job_id),
        "items": jobs.count_failed_items(session, job_id),
        "offset": offset,
        "limit": limit,
    }


@router.get("/jobs/{job_id}/errors.csv")
def job_errors_csv(job_id: int, session: ReadSessionDep) -> StreamingResponse:
    jobs.get_job(session, job_id)
    headers = {"Content-Disposition": f'attachment; filename="job-{job_id}-errors.csv"'}
    rows = _csv_rows(session.get_bind(), job_id)
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8", headers=headers)


def _csv_rows(bind: Engine | Connection, job_id: int) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(jobs.CSV_HEADER)
    offset = 0
    with Session(bind) as session:  # the read-only engine: a long download holds up no writer
        while page := jobs.failed_items(session, job_id, offset=offset, limit=1000):
            for item in page:
                writer.writerow(jobs.csv_row(jobs.item_to_dict(item)))
            offset += len(page)
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


@router.post("/jobs", status_code=202)
def create_job(body: JobRequest, control: ControlDep) -> dict[str, Any]:
    """Start a job (or one per shop with `shop_ids`). Returns the job, or `{"jobs": [...]}`."""
    ids = body.shop_ids or ([body.shop_id] if body.shop_id is not None else [])
    created = [jobs.to_dict(j) for j in control.start(body.type, ids, body.params)]
    if body.shop_ids:
        return {"jobs": created, "group_uuid": created[0]["group_uuid"]}
    return created[0]


@router.post("/jobs/{job_id}/cancel", status_code=202)
def cancel_job(job_id: int, control: ControlDep) -> dict[str, Any]:
    return jobs.to_dict(control.cancel(job_id))


@router.post("/jobs/{job_id}/retry", status_code=202)
def retry_job(job_id: int, control: ControlDep, failed_only: bool = False) -> dict[str, Any]:
    return jobs.to_dict(control.retry(job_id, failed_only=failed_only))


@router.get("/shops")
def list_shops(session: ReadSessionDep) -> list[dict[str, Any]]:
    return [shops.to_dict(s) for s in shops.list_shops(session)]


@router.post("/shops", status_code=201)
def add_shop(body: ShopRequest, rt: RuntimeDep, session: SessionDep) -> dict[str, Any]:
    with session.begin():
        shop = shops.add_shop(session, rt.vault, name=body.name, url=body.url, key=body.key)
    return shops.to_dict(shop)


@router.get("/shops/{shop_id}/stats")
def shop_stats(shop_id: int, session: ReadSessionDep, days: int = Query(7, ge=1, le=366)) -> dict[str, Any]:
    shops.get_shop(session, shop_id)
    return jobs.shop_stats(session, shop_id, days)


@router.get("/shops/{shop_id}/stats/daily")
def shop_daily_stats(shop_id: int, session: ReadSessionDep, days: int = Query(7, ge=1, le=366)) -> list[dict[str, Any]]:
    """Jobs by outcome and items handled per UTC day, oldest first (the sync centre's chart)."""
    shops.get_shop(session, shop_id)
    return jobs.daily_stats(session, shop_id, days)


@router.get("/products")
def list_products(
    session: ReadSessionDep,
    search: str = Query("", max_length=200),
    shop_id: int | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    found = catalogue.search(session, text=search, shop_id=shop_id, limit=limit, offset=offset)
    links = catalogue.bindings_for(session, [p.id for p in found])
    return {
        "items": [catalogue.to_dict(p, links.get(p.id, [])) for p in found],
        "limit": limit,
        "offset": offset,
    }


def metrics_text(counts: dict[str, int]) -> str:
    lines = ["# HELP prestasync_jobs Jobs by status.", "# TYPE prestasync_jobs gauge"]
    lines += [f'prestasync_jobs{{status="{status}"}} {n}' for status, n in sorted(counts.items())]
    return "\n".join(lines) + "\n"


__all__ = ["JobStatus", "metrics_text", "router"]
