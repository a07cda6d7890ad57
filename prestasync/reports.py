"""Job history reports: one row per job matching the sync centre's filters, as CSV or XLSX.

The rows are `contract.job_report_row` of each job (`JOB_REPORT_COLUMNS`), newest first,
read in keyset pages (`queries.iter_jobs`) and written as they come, so a report over a
long history takes no more memory than a short one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from sqlalchemy import Connection, Engine

from prestasync import filewriter, queries
from prestasync.contract import JOB_REPORT_COLUMNS, job_out, job_report_row
from prestasync.fields import Cell
from prestasync.queries import JobFilter


def rows(bind: Engine | Connection, flt: JobFilter) -> Iterator[Sequence[Cell]]:
    for job in queries.iter_jobs(bind, flt):
        yield job_report_row(job_out(job))


def csv_chunks(bind: Engine | Connection, flt: JobFilter) -> Iterator[str]:
    return filewriter.csv_chunks(JOB_REPORT_COLUMNS, rows(bind, flt))


def write(bind: Engine | Connection, path: Path, flt: JobFilter) -> int:
    """Write the report to `path` (.csv or .xlsx, by its extension); returns the jobs written."""
    return filewriter.write_file(path, JOB_REPORT_COLUMNS, rows(bind, flt), title="jobs")
