"""Jobs and items as file rows: the failures and changes CSVs, and the job history report
(`GET /api/jobs/report.csv|.xlsx`, `jobs report FILE`), for the API and the CLI alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prestasync.contract.base import as_text, iso
from prestasync.contract.jobs import ItemOut, JobOut

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
