"""Job rows: created, locked, moved from state to state by one conditional UPDATE, kept alive
by heartbeats, and deleted when old. The lock order and the frozen-when-ended rule are in
the package notes (`prestasync.ledger`)."""

from __future__ import annotations

import uuid as uuidlib
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from prestasync.errors import InvalidTransition, JobNotFound
from prestasync.models import (
    SHOP_NAME_MAX,
    Job,
    JobItem,
    Shop,
    utcnow,
)
from prestasync.progress import (
    TERMINAL,
    WORKING,
    JobStatus,
    JobType,
    sources_of,
)

BATCH = 500  # rows per INSERT / IN (...) list: far below every engine's parameter limit


def create_job(
    session: Session,
    *,
    type: JobType,
    shop: Shop | None,
    params: dict[str, Any] | None = None,
    total: int = 0,
    group_uuid: str | None = None,
    retry_of: int | None = None,
    label: str = "",
) -> int:
    """Insert a pending job and return its id (the caller commits, then enqueues it).

    A job without a shop is named by `label` where the shop's name would be (a file import:
    the file's name)."""
    now = utcnow()
    job = Job(
        uuid=str(uuidlib.uuid4()),
        type=type.value,
        status=JobStatus.PENDING.value,
        shop_id=shop.id if shop else None,
        shop_name=shop.name if shop else label[:SHOP_NAME_MAX],
        group_uuid=group_uuid,
        total=total,
        processed=0,
        failed=0,
        skipped=0,
        created=0,
        updated=0,
        unchanged=0,
        params=params or {},
        retry_of=retry_of,
        cancel_requested=False,
        attempts=0,
        version=0,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.flush()
    return job.id


def lock(session: Session, job_id: int) -> JobStatus:
    """Lock the job's row for this transaction (the first lock any item write takes)."""
    status = session.execute(select(Job.status).where(Job.id == job_id).with_for_update()).scalar()
    if status is None:
        raise JobNotFound(job_id)
    return JobStatus(status)


def transition(session: Session, job_id: int, target: JobStatus, **values: Any) -> None:
    """Move a job to `target` if its current state allows it, else raise InvalidTransition.

    Terminal targets also stamp `finished_at`. Extra column values ride along.
    """
    now = utcnow()
    values = {"status": target.value, "updated_at": now, "version": Job.version + 1, **values}
    if target in TERMINAL:
        values.setdefault("finished_at", now)
    allowed = [s.value for s in sources_of(target)]
    stmt = update(Job).where(Job.id == job_id, Job.status.in_(allowed)).values(**values)
    if session.execute(stmt.execution_options(synchronize_session=False)).rowcount == 1:  # type: ignore[attr-defined]
        return
    current = session.execute(select(Job.status).where(Job.id == job_id)).scalar()
    if current is None:
        raise JobNotFound(job_id)
    raise InvalidTransition(job_id, current, target)


def heartbeat(session: Session, job_id: int) -> None:
    stmt = update(Job).where(Job.id == job_id, Job.status.in_([s.value for s in WORKING]))
    session.execute(stmt.values(heartbeat_at=utcnow()).execution_options(synchronize_session=False))


def cleanup(engine: Engine, days: int, *, batch: int = BATCH) -> int:
    """Delete finished jobs older than `days`, with their item rows. Returns jobs deleted.

    Deletes in small batches so a big backlog never holds the write lock for long.
    """
    cutoff = utcnow() - timedelta(days=days)
    deleted = 0
    while True:
        with Session(engine) as session, session.begin():
            ids = list(
                session.execute(
                    select(Job.id)
                    .where(Job.status.in_([s.value for s in TERMINAL]), Job.finished_at < cutoff)
                    .limit(batch)
                ).scalars()
            )
            if not ids:
                return deleted
            # Explicit child delete: SQLite enforces ON DELETE CASCADE only with foreign_keys=ON,
            # and retry_of links must be cut before their targets go.
            session.execute(delete(JobItem).where(JobItem.job_id.in_(ids)).execution_options(synchronize_session=False))
            session.execute(
                update(Job)
                .where(Job.retry_of.in_(ids))
                .values(retry_of=None)
                .execution_options(synchronize_session=False)
            )
            session.execute(delete(Job).where(Job.id.in_(ids)).execution_options(synchronize_session=False))
            deleted += len(ids)
