"""Helpers for catalogue file tests: a seeded catalogue, files written on the fly, jobs run in-process."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from prestasync import queries, uploads
from prestasync.filejobs import FileJobs
from prestasync.models import Job, JobItem, Product
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks
from tests.conftest import RecordingQueue

SEEDED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def seed(rt: Runtime, count: int, prefix: str = "P") -> list[str]:
    """`count` products, changed long ago, with names in two languages."""
    skus = [f"{prefix}-{i:05d}" for i in range(1, count + 1)]
    rows = [
        {
            "sku": sku,
            "name": {"en": f"Product {i}", "pl": f"Produkt {i}"},
            "description": {"en": f"<p>About {i}</p>"},
            "price": Decimal(f"{i}.25"),
            "quantity": i,
            "active": i % 7 != 0,
            "created_at": SEEDED_AT,
            "updated_at": SEEDED_AT,
        }
        for i, sku in enumerate(skus, start=1)
    ]
    with Session(rt.engine) as session, session.begin():
        if rows:
            session.execute(insert(Product), rows)
    return skus


@dataclass(frozen=True)
class Snapshot:
    price: Decimal
    name: dict[str, str]
    quantity: int
    active: bool
    updated_at: datetime


def catalogue(rt: Runtime) -> dict[str, Snapshot]:
    with Session(rt.engine) as session:
        found = session.execute(select(Product)).scalars()
        return {p.sku: Snapshot(p.price, p.name, p.quantity, p.active, p.updated_at) for p in found}


def write_csv(path: Path, rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        csv.writer(out, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], *, sheet: str = "Sheet") -> Path:
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    for row in rows:
        ws.append(list(row))
    book.save(path)
    return path


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as src:
        return list(csv.reader(src))


def start(rt: Runtime, path: Path, *, profile: str | None = None, dry_run: bool = False) -> Job:
    """Store the file and create its job (not run: the queue only records it)."""
    stored = uploads.store_file(rt.settings, path)
    return FileJobs(rt, RecordingQueue()).start(stored, profile=profile, dry_run=dry_run)


def run(rt: Runtime, job_id: int) -> Job:
    """Run the job to its end in this process, as a worker's task would."""
    Tasks(make_huey("memory://", "test"), rt).run_job(job_id)
    return job(rt, job_id)


def import_file(rt: Runtime, path: Path, *, profile: str | None = None, dry_run: bool = False) -> Job:
    return run(rt, start(rt, path, profile=profile, dry_run=dry_run).id)


def job(rt: Runtime, job_id: int) -> Job:
    with Session(rt.engine) as session:
        return queries.get_job(session, job_id)


def items(rt: Runtime, job_id: int, state: str | None = None) -> list[JobItem]:
    with Session(rt.engine) as session:
        query = select(JobItem).where(JobItem.job_id == job_id)
        if state:
            query = query.where(JobItem.state == state)
        return list(session.execute(query.order_by(JobItem.id)).scalars())


def counts(done: Job) -> tuple[str, int, int, int, int, int, int]:
    return (done.status, done.total, done.processed, done.failed, done.created, done.updated, done.unchanged)
