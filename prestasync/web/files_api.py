"""The JSON API of catalogue files and reports, under `/api` (docs/contract.md; schemas at `/docs`).

- `POST /api/catalogue/imports` (multipart, part `file`): store the file, start a file import
  job (202 + the job); `?profile=` reads it with a saved profile, `?dry_run=true` only compares.
- `POST /api/catalogue/imports/{job_id}/apply`: import for real what a completed dry run showed.
- `GET /api/catalogue/export.csv|.xlsx`: the whole catalogue, streamed.
- `GET|PUT|DELETE /api/catalogue/profiles[/{name}]`, `GET /api/catalogue/fields`.
- `GET /api/jobs/report.csv|.xlsx?status=&shop_id=&type=`: job history, one row per job.

This router is included before the main one, so `/api/jobs/report.csv` is not taken for
`/api/jobs/{job_id}`. Errors are `Problem`s: 404 unknown profile or job, 409 a job state
that refuses, 413 a file over the size limit, 422 a file or request that cannot be used.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from starlette.background import BackgroundTask

from prestasync import catalogue_file, fields, filewriter, profiles, reports
from prestasync.contract import FieldOut, JobOut, Problem, ProfileOptions, ProfileOut, job_out, profile_out
from prestasync.filejobs import FileJobs
from prestasync.models import PROFILE_NAME_MAX
from prestasync.progress import JobType
from prestasync.queries import JobFilter
from prestasync.web.api import MAX_ID, JobId, StatusFilter
from prestasync.web.deps import ControlDep, ReadSessionDep, RuntimeDep, SessionDep
from prestasync.web.upload import receive_upload

MEANING = {
    401: "no or refused credentials",
    404: "no such profile or job",
    409: "the job's state refuses this",
    413: "the file is over the size limit (PRESTASYNC_FILE_MAX_BYTES); refused before it is read",
    422: "a file, profile or parameter that cannot be used; the detail names the row or the field",
}
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary", "description": "a .csv or .xlsx file"}},
                "required": ["file"],
            }
        }
    },
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": Problem, "description": MEANING[code]} for code in (401, 422, *codes)}


def _files(control: ControlDep) -> FileJobs:
    return FileJobs(control.rt, control.queue)


def _reader(request: Request) -> Engine:
    engine: Engine = request.app.state.reader
    return engine


FilesDep = Annotated[FileJobs, Depends(_files)]
ReaderDep = Annotated[Engine, Depends(_reader)]
ProfileName = Annotated[str, Path(min_length=1, max_length=PROFILE_NAME_MAX, description="A profile's name.")]
router = APIRouter(prefix="/api", responses=problems())


class ProfileRequest(BaseModel):
    """A profile's mapping (file column -> catalogue column, "" to ignore it) and options."""

    model_config = ConfigDict(extra="forbid")

    mapping: dict[Annotated[str, Field(max_length=200)], Annotated[str, Field(max_length=100)]] = Field(
        default_factory=dict, max_length=500
    )
    options: ProfileOptions = Field(default_factory=ProfileOptions)


@router.post(
    "/catalogue/imports",
    status_code=202,
    response_model=JobOut,
    responses=problems(404, 413),
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload(
    request: Request,
    rt: RuntimeDep,
    files: FilesDep,
    profile: Annotated[str | None, Query(max_length=PROFILE_NAME_MAX, description="a saved profile's name")] = None,
    dry_run: Annotated[bool, Query(description="compare with the catalogue only; write nothing")] = False,
) -> JobOut:
    """Start a file import: the file is stored as it arrives, its header checked, the job queued."""
    stored = await receive_upload(request, rt.settings)
    job = await anyio.to_thread.run_sync(lambda: files.start(stored, profile=profile or None, dry_run=dry_run))
    return job_out(job)


@router.post("/catalogue/imports/{job_id}/apply", status_code=202, response_model=JobOut, responses=problems(404, 409))
def apply_preview(job_id: JobId, files: FilesDep) -> JobOut:
    """Import for real the file a completed dry run compared (a new job on the same stored file)."""
    return job_out(files.apply(job_id))


@router.get(
    "/catalogue/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "the catalogue, one row per product"}},
)
def export_csv(reader: ReaderDep) -> StreamingResponse:
    """The whole catalogue as CSV (columns from the registry), streamed a page at a time."""
    columns = catalogue_file.targets(reader)
    chunks = filewriter.csv_chunks(catalogue_file.header(columns), catalogue_file.rows(reader, columns))
    return StreamingResponse(chunks, media_type=filewriter.MEDIA_TYPES["csv"], headers=_attachment("catalogue.csv"))


@router.get(
    "/catalogue/export.xlsx",
    response_class=FileResponse,
    responses={200: {"content": {filewriter.MEDIA_TYPES["xlsx"]: {}}, "description": "the catalogue as a workbook"}},
)
def export_xlsx(reader: ReaderDep, rt: RuntimeDep) -> FileResponse:
    """The whole catalogue as an XLSX workbook (written in write-only mode, then sent)."""
    columns = catalogue_file.targets(reader)
    header, rows = catalogue_file.header(columns), catalogue_file.rows(reader, columns)
    return _workbook(
        rt.settings.data_dir,
        "catalogue.xlsx",
        lambda path: filewriter.write_xlsx(path, header, rows, title="catalogue"),
    )


@router.get("/catalogue/fields", response_model=list[FieldOut])
def catalogue_fields() -> list[FieldOut]:
    """The catalogue columns a file may have (what a profile maps to)."""
    return [
        FieldOut(name=f.name, localised=f.localised, required_for_new=f.required_for_new, help=f.help)
        for f in fields.FIELDS
    ]


@router.get("/catalogue/profiles", response_model=list[ProfileOut])
def list_profiles(session: ReadSessionDep) -> list[ProfileOut]:
    return [profile_out(p) for p in profiles.list_profiles(session)]


@router.get("/catalogue/profiles/{name}", response_model=ProfileOut, responses=problems(404))
def get_profile(name: ProfileName, session: ReadSessionDep) -> ProfileOut:
    return profile_out(profiles.get_profile(session, name))


@router.put("/catalogue/profiles/{name}", response_model=ProfileOut)
def save_profile(name: ProfileName, body: ProfileRequest, session: SessionDep) -> ProfileOut:
    """Create the profile, or replace its mapping and options."""
    with session.begin():
        return profile_out(profiles.save_profile(session, name, body.mapping, body.options))


@router.delete("/catalogue/profiles/{name}", status_code=204, response_class=Response, responses=problems(404))
def delete_profile(name: ProfileName, session: SessionDep) -> Response:
    with session.begin():
        profiles.delete_profile(session, name)
    return Response(status_code=204)


def _job_filter(
    status: StatusFilter | None = None,
    shop_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    type: JobType | None = None,
) -> JobFilter:
    return JobFilter(status, shop_id, type.value if type else None)


FilterDep = Annotated[JobFilter, Depends(_job_filter)]


@router.get(
    "/jobs/report.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "one row per job matching the filters"}},
)
def jobs_report_csv(reader: ReaderDep, flt: FilterDep) -> StreamingResponse:
    """Job history with the sync centre's filters, newest first, streamed."""
    return StreamingResponse(
        reports.csv_chunks(reader, flt), media_type=filewriter.MEDIA_TYPES["csv"], headers=_attachment("jobs.csv")
    )


@router.get(
    "/jobs/report.xlsx",
    response_class=FileResponse,
    responses={200: {"content": {filewriter.MEDIA_TYPES["xlsx"]: {}}, "description": "one row per job"}},
)
def jobs_report_xlsx(reader: ReaderDep, rt: RuntimeDep, flt: FilterDep) -> FileResponse:
    return _workbook(rt.settings.data_dir, "jobs.xlsx", lambda path: reports.write(reader, path, flt))


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def _workbook(data_dir: FilePath, filename: str, build: Callable[[FilePath], object]) -> FileResponse:
    """Build a workbook in a fresh file of the data dir and send it; the file goes once sent (or on failure)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=data_dir, prefix="export-", suffix=".xlsx", delete=False) as tmp:
        path = FilePath(tmp.name)
    try:
        build(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(
        path,
        media_type=filewriter.MEDIA_TYPES["xlsx"],
        filename=filename,
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
