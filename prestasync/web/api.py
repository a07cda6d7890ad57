"""The JSON API under `/api` (docs/contract.md; the schemas are at `/docs` and `/openapi.json`).

Every route declares its answer's model and every status it can return with its body's
shape, and bounds every number it takes (ids, limits, offsets, days), so a bad request is a
422 with a `Problem`, never a 500.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from prestasync import catalogue, queries
from prestasync.contract import (
    CHANGES_CSV,
    FAILURES_CSV,
    ID_MAX,
    ChangeSummary,
    FailureGroups,
    ItemOut,
    JobOut,
    JobsStarted,
    Page,
    Problem,
    ProductOut,
    change_rows,
    failure_row,
    item_out,
    job_out,
    product_out,
)
from prestasync.errors import InvalidInput
from prestasync.models import SKU_MAX
from prestasync.progress import JobType, Outcome
from prestasync.web.deps import ControlDep, ReadSessionDep

MAX_ID = ID_MAX
MAX_OFFSET = 10**9
GROUP_SKUS = 20  # SKUs shown with each failure group before paging
# "Holds a character that is not a space" (JSON Schema patterns search), where a space is what
# Python's `str.strip()` removes: ECMA's `\s` plus the separators \x1c-\x1f and NEL (\x85).
# No NUL anywhere either: PostgreSQL refuses it in text ("cannot contain NUL (0x00) bytes").
NOT_BLANK = r"^[^\x00]*[^\s\x1c-\x1f\x85\x00][^\x00]*$"
NO_NUL = r"^[^\x00]*$"

StatusFilter = Literal[
    "active", "finished", "pending", "running", "held", "cancelling", "completed", "failed", "cancelled"
]


def _json_integer(value: Any) -> Any:
    # pydantic reads `true` and "1" as 1; JSON Schema's integer is neither (but is 7.0).
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON integer")
    return value


BodyId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_json_integer)]
JobId = Annotated[int, Path(ge=1, le=MAX_ID, description="A job id.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Days = Annotated[int, Query(ge=1, le=366)]


def _problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    meaning = {
        401: "no or refused credentials",
        403: "a session's state-changing request without its CSRF token (bearer requests need none)",
        404: "no such job or shop",
        409: "the present state refuses this: the job's state, a shop name taken, a shop with active jobs",
        422: "malformed or out-of-range input",
        502: "the shop answered with an error",
    }
    return {code: {"model": Problem, "description": meaning[code]} for code in (401, 422, *codes)}


def _known_query(request: Request) -> None:
    """Refuse query parameters the route does not take, and any given twice: a typo
    (`?stauts=failed`) would otherwise be ignored and answer with everything, and of
    `?limit=5&limit=9` FastAPI silently keeps one; both look like a right answer."""
    route = request.scope.get("route")
    known = _query_names(route.dependant) if isinstance(route, APIRoute) else set()
    given = Counter(name for name, _ in request.query_params.multi_items())
    unknown = sorted(set(given) - known)
    if unknown:
        shown = ", ".join(repr(name[:40]) for name in unknown[:5])
        takes = ", ".join(sorted(known)) or "none"
        raise InvalidInput(f"unknown query parameter(s): {shown}; this route takes: {takes}")
    if repeated := sorted(name for name, n in given.items() if n > 1):  # every parameter here is one value
        raise InvalidInput(f"query parameter(s) given more than once: {', '.join(repeated)}")


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


router = APIRouter(prefix="/api", responses=_problems(), dependencies=[Depends(_known_query)])


def _iso_text(value: Any) -> Any:
    # Only ISO 8601 text: pydantic would read a JSON number as a Unix time (`"since": 0` is 1970).
    if value is not None and not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date or date-time as text")
    return value


class ImportParams(BaseModel):
    """What an import reads: everything, what changed since a moment, or exactly some records."""

    model_config = ConfigDict(extra="forbid")

    since: Annotated[datetime | date | None, BeforeValidator(_iso_text)] = Field(
        None, description="only products changed since (ISO 8601 date or date-time; without a zone: UTC)"
    )
    remote_ids: list[BodyId] | None = Field(
        None, min_length=1, max_length=100_000, description="exactly these shop product ids"
    )


class WriteFlags(BaseModel):
    """How an export or sync writes: a preview that writes nothing, or approved in advance."""

    dry_run: bool = Field(False, description="read and compare only, write nothing (a preview)")
    confirmed: bool = Field(False, description="let the change guard pass (the plan was seen and approved)")


class ExportParams(WriteFlags):
    """What an export pushes: the whole catalogue, or exactly these SKUs (never an empty list)."""

    model_config = ConfigDict(extra="forbid")

    skus: list[Annotated[str, Field(min_length=1, max_length=SKU_MAX, pattern=NOT_BLANK)]] | None = Field(
        None, min_length=1, max_length=100_000, description="exactly these SKUs; leave it out for all"
    )


class SyncParams(WriteFlags):
    """A sync pushes what changed since the last successful sync (or whole-catalogue export)."""

    model_config = ConfigDict(extra="forbid")


class _JobRequest(BaseModel):
    # Exactly one of `shop_id` and `shop_ids` (not null), said in the schema too (JSON Schema `oneOf`).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": ["shop_id"], "properties": {"shop_id": {"type": "integer"}}},
                {"required": ["shop_ids"], "properties": {"shop_ids": {"type": "array"}}},
            ]
        },
    )

    shop_id: BodyId | None = None
    shop_ids: list[BodyId] | None = Field(None, min_length=1, max_length=100, description="One job per shop, grouped.")

    @model_validator(mode="after")
    def _one_way_to_name_shops(self) -> _JobRequest:
        if (self.shop_id is None) == (self.shop_ids is None):
            raise ValueError("give either shop_id or shop_ids")
        return self

    @property
    def shops(self) -> list[int]:
        return self.shop_ids if self.shop_ids is not None else [self.shop_id or 0]


class ImportRequest(_JobRequest):
    type: Literal[JobType.IMPORT]
    params: ImportParams = Field(default_factory=lambda: ImportParams())


class ExportRequest(_JobRequest):
    type: Literal[JobType.EXPORT]
    params: ExportParams = Field(default_factory=lambda: ExportParams())


class SyncRequest(_JobRequest):
    type: Literal[JobType.SYNC]
    params: SyncParams = Field(default_factory=lambda: SyncParams())


JobRequest = Annotated[ImportRequest | ExportRequest | SyncRequest, Field(discriminator="type")]


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
    cause: Annotated[
        str | None, Query(max_length=255, pattern=NO_NUL, description="Only this cause (`` = without one).")
    ] = None,
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


@router.post("/jobs", status_code=202, response_model=JobOut | JobsStarted, responses=_problems(403, 404))
def create_job(body: Annotated[JobRequest, Body()], control: ControlDep) -> JobOut | JobsStarted:
    """Start a job (or one per shop with `shop_ids`). Returns the job, or `{"jobs": [...]}`."""
    params = body.params.model_dump(mode="json", exclude_none=True)
    created = [job_out(j) for j in control.start(body.type, body.shops, params)]
    if body.shop_ids:
        return JobsStarted(jobs=created, group_uuid=created[0].group_uuid)
    return created[0]


@router.post("/jobs/{job_id}/cancel", status_code=202, response_model=JobOut, responses=_problems(403, 404, 409))
def cancel_job(job_id: JobId, control: ControlDep) -> JobOut:
    return job_out(control.cancel(job_id))


@router.post("/jobs/{job_id}/retry", status_code=202, response_model=JobOut, responses=_problems(403, 404, 409))
def retry_job(job_id: JobId, control: ControlDep, failed_only: bool = False) -> JobOut:
    return job_out(control.retry(job_id, failed_only=failed_only))


@router.post("/jobs/{job_id}/confirm", status_code=202, response_model=JobOut, responses=_problems(403, 404, 409))
def confirm_job(job_id: JobId, control: ControlDep) -> JobOut:
    """Release a job the change guard held: it writes its plan."""
    return job_out(control.confirm(job_id))


@router.post("/jobs/{job_id}/apply", status_code=202, response_model=JobOut, responses=_problems(403, 404, 409))
def apply_preview(job_id: JobId, control: ControlDep, confirmed: bool = False) -> JobOut:
    """Write exactly what a completed preview planned (a new job); products changed in the shop
    since the preview are reported as drift and left alone."""
    return job_out(control.apply(job_id, confirmed=confirmed))


@router.get("/jobs/{job_id}/changes", response_model=Page[ItemOut], responses=_problems(404))
def job_changes(
    job_id: JobId,
    session: ReadSessionDep,
    outcome: Literal["created", "updated", "drift"] | None = None,
    field: Annotated[
        str | None,
        Query(max_length=64, pattern=r"^[a-z_]+$", description="a kind of change as the summary names it: price…"),
    ] = None,
    sku: Annotated[
        str | None, Query(max_length=SKU_MAX, pattern=NO_NUL, description="only SKUs containing this (any case)")
    ] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[ItemOut]:
    """The products the job changed (a preview: would change), each with its fields before → after."""
    queries.get_job(session, job_id)
    kind = Outcome(outcome) if outcome else None
    page, total = queries.changed_items(session, job_id, outcome=kind, field=field, sku=sku, offset=offset, limit=limit)
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


@router.get("/products", response_model=Page[ProductOut])
def list_products(
    session: ReadSessionDep,
    search: Annotated[str, Query(max_length=200, pattern=NO_NUL)] = "",
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
