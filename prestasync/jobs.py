"""The job ledger: creating jobs, changing their state, and every query the UI, API and CLI ask.

State changes are conditional UPDATEs (`... WHERE id = :id AND status IN (:allowed)`), so
two processes racing to change one job can never both win, and no job is read, changed
in Python and written back.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, and_, delete, func, literal_column, or_, select, update
from sqlalchemy.orm import Session

from prestasync.models import Job, JobItem, Shop, utcnow
from prestasync.progress import (
    ACTIVE,
    TERMINAL,
    InvalidTransition,
    JobStatus,
    JobType,
    estimate,
    percent,
    sources_of,
)


class JobNotFound(Exception):
    def __init__(self, job_id: int) -> None:
        super().__init__(f"job {job_id} does not exist")
        self.job_id = job_id


@dataclass(frozen=True)
class JobFilter:
    """What a job list is narrowed to. `status` also takes `active` and `finished`."""

    status: str | None = None
    shop_id: int | None = None
    type: str | None = None
    group_uuid: str | None = None
    limit: int = 50
    offset: int = 0


def create_job(
    session: Session,
    *,
    type: JobType,
    shop: Shop | None,
    params: dict[str, Any],
    total: int = 0,
    retry_of: int | None = None,
    group_uuid: str | None = None,
) -> int:
    """Insert a pending job and return its id. The caller enqueues it after commit."""
    now = utcnow()
    job = Job(
        uuid=str(uuidlib.uuid4()),
        type=type.value,
        status=JobStatus.PENDING.value,
        shop_id=shop.id if shop else None,
        shop_name=shop.name if shop else "",
        group_uuid=group_uuid,
        total=total,
        processed=0,
        failed=0,
        skipped=0,
        params=params,
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
    result = session.execute(stmt.execution_options(synchronize_session=False))
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return
    current = session.execute(select(Job.status).where(Job.id == job_id)).scalar()
    if current is None:
        raise JobNotFound(job_id)
    raise InvalidTransition(job_id, current, target)


def request_cancel(session: Session, job_id: int) -> JobStatus:
    """Cancel a job: a pending one ends at once, a running one is asked to stop.

    Returns the status the job is in afterwards. Cancelling a finished job is an error;
    cancelling one already `cancelling` is a no-op.
    """
    status = get_status(session, job_id)
    if status == JobStatus.PENDING:
        try:
            transition(session, job_id, JobStatus.CANCELLED, cancel_requested=True)
            return JobStatus.CANCELLED
        except InvalidTransition:
            status = get_status(session, job_id)  # a worker picked it up meanwhile
    if status == JobStatus.RUNNING:
        transition(session, job_id, JobStatus.CANCELLING, cancel_requested=True)
        return JobStatus.CANCELLING
    if status == JobStatus.CANCELLING:
        return status
    raise InvalidTransition(job_id, status, JobStatus.CANCELLED)


def get_status(session: Session, job_id: int) -> JobStatus:
    status = session.execute(select(Job.status).where(Job.id == job_id)).scalar()
    if status is None:
        raise JobNotFound(job_id)
    return JobStatus(status)


def get_job(session: Session, job_id: int) -> Job:
    row = session.get(Job, job_id, populate_existing=True)
    if row is None:
        raise JobNotFound(job_id)
    return row


def list_jobs(session: Session, flt: JobFilter) -> list[Job]:
    """Jobs newest first. `active` is the hot query the dashboard header runs."""
    query = _filtered(select(Job), flt, _dialect(session)).order_by(Job.created_at.desc(), Job.id.desc())
    return list(session.execute(query.limit(flt.limit).offset(flt.offset)).scalars())


def count_jobs(session: Session, flt: JobFilter) -> int:
    return int(session.execute(_filtered(select(func.count(Job.id)), flt, _dialect(session))).scalar() or 0)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _filtered(query: Select[Any], flt: JobFilter, dialect: str) -> Select[Any]:
    if flt.status == "active":
        query = query.where(_rare(Job.status.in_([s.value for s in ACTIVE]), dialect))
    elif flt.status == "finished":
        query = query.where(Job.status.in_([s.value for s in TERMINAL]))
    elif flt.status in ACTIVE:
        query = query.where(_rare(Job.status == JobStatus(flt.status).value, dialect))
    elif flt.status:
        query = query.where(Job.status == JobStatus(flt.status).value)
    if flt.shop_id is not None:
        query = query.where(Job.shop_id == flt.shop_id)
    if flt.type:
        query = query.where(Job.type == JobType(flt.type).value)
    if flt.group_uuid:
        query = query.where(Job.group_uuid == flt.group_uuid)
    return query


def _rare(condition: ColumnElement[bool], dialect: str) -> ColumnElement[bool]:
    """Tell SQLite's planner that few rows are active.

    Its statistics average over all statuses (a fifth of the table each), so without the
    hint it walks `ix_jobs_created` through a million finished jobs, newest first, to find
    the 15 active ones (310 ms); with it, it reads them by `ix_jobs_status_created` and
    sorts them (under 1 ms, bench/bench_hot_query.py). PostgreSQL and MariaDB keep
    per-value statistics and need no hint.
    """
    # The probability must be a literal in the SQL text, not a bound parameter.
    return func.likelihood(condition, literal_column("0.001")) if dialect == "sqlite" else condition


def changed_since(session: Session, since: datetime, limit: int = 500) -> list[Job]:
    """Rows written at or after `since`, oldest first; the live-update poller's query."""
    query = select(Job).where(Job.updated_at >= since).order_by(Job.updated_at, Job.id).limit(limit)
    return list(session.execute(query).scalars())


def failed_items(session: Session, job_id: int, *, offset: int = 0, limit: int = 100) -> list[JobItem]:
    query = (
        select(JobItem)
        .where(JobItem.job_id == job_id, JobItem.state == "failed")
        .order_by(JobItem.id)
        .offset(offset)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def count_failed_items(session: Session, job_id: int) -> int:
    query = select(func.count(JobItem.id)).where(JobItem.job_id == job_id, JobItem.state == "failed")
    return int(session.execute(query).scalar() or 0)


def summary(session: Session) -> dict[str, int]:
    """Job counts by status, for the dashboard and `/metrics`."""
    rows = session.execute(select(Job.status, func.count(Job.id)).group_by(Job.status)).all()
    counts = {s.value: 0 for s in JobStatus}
    counts.update({status: int(n) for status, n in rows})
    return counts


def shop_stats(session: Session, shop_id: int, days: int) -> dict[str, Any]:
    """Per-shop statistics over the last `days`: jobs, success rate, items, mean duration."""
    since = utcnow() - timedelta(days=days)
    jobs = session.execute(
        select(Job.status, Job.processed, Job.failed, Job.started_at, Job.finished_at).where(
            Job.shop_id == shop_id, Job.created_at >= since
        )
    ).all()
    finished = [j for j in jobs if j.status in {s.value for s in TERMINAL}]
    completed = [j for j in finished if j.status == JobStatus.COMPLETED]
    durations = [(j.finished_at - j.started_at).total_seconds() for j in finished if j.started_at and j.finished_at]
    return {
        "shop_id": shop_id,
        "days": days,
        "jobs": len(jobs),
        "completed": len(completed),
        "failed": sum(1 for j in finished if j.status == JobStatus.FAILED),
        "cancelled": sum(1 for j in finished if j.status == JobStatus.CANCELLED),
        "active": len(jobs) - len(finished),
        "success_rate": round(100.0 * len(completed) / len(finished), 1) if finished else None,
        "items_processed": sum(j.processed for j in jobs),
        "items_failed": sum(j.failed for j in jobs),
        "avg_duration_s": round(sum(durations) / len(durations), 1) if durations else None,
    }


def cleanup(engine: Engine, days: int, *, batch: int = 500) -> int:
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


def stale_jobs(session: Session, *, heartbeat_before: datetime, pending_before: datetime) -> Sequence[Job]:
    """Running jobs that stopped heartbeating, and pending jobs nobody has picked up."""
    running = and_(
        Job.status.in_([JobStatus.RUNNING.value, JobStatus.CANCELLING.value]),
        func.coalesce(Job.heartbeat_at, Job.updated_at) < heartbeat_before,
    )
    pending = and_(Job.status == JobStatus.PENDING.value, Job.updated_at < pending_before)
    return list(session.execute(select(Job).where(running | pending)).scalars())


def to_dict(job: Job, *, now: datetime | None = None) -> dict[str, Any]:
    """The job JSON of the outside contract (CONTRACT.md), plus a few extra fields."""
    now = now or utcnow()
    end = job.finished_at or now
    elapsed = (end - job.started_at).total_seconds() if job.started_at else None
    rate, eta = estimate(job.processed, job.total, elapsed)
    if JobStatus(job.status).is_terminal:
        # A finished job's mean rate is a fact, not an estimate: no warm-up needed.
        rate = round(job.processed / elapsed, 2) if elapsed and job.processed else None
        eta = 0.0 if job.status == JobStatus.COMPLETED else None
    return {
        "id": job.id,
        "uuid": job.uuid,
        "type": job.type,
        "status": job.status,
        "shop_id": job.shop_id,
        "shop_name": job.shop_name,
        "total": job.total,
        "processed": job.processed,
        "failed": job.failed,
        "skipped": job.skipped,
        "percent": percent(job.processed, job.total),
        "rate_per_s": rate,
        "eta_s": eta,
        "elapsed_s": round(elapsed, 1) if elapsed is not None else None,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "updated_at": _iso(job.updated_at),
        "heartbeat_at": _iso(job.heartbeat_at),
        "error_message": job.error_message,
        "params": job.params,
        "retry_of": job.retry_of,
        "group_uuid": job.group_uuid,
        "cancel_requested": job.cancel_requested,
        "attempts": job.attempts,
        "version": job.version,
    }


def item_to_dict(item: JobItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "sku": item.sku,
        "remote_id": item.remote_id,
        "state": item.state,
        "error_code": item.error_code,
        "message": item.message,
        "attempt": item.attempt,
        "created_at": _iso(item.created_at),
    }


CSV_HEADER = ["sku", "remote_id", "error_code", "message", "at"]


def csv_row(item: dict[str, Any]) -> list[str]:
    """A failed item (`item_to_dict`) as a row under `CSV_HEADER`, for the API and the CLI alike.

    A SKU or message starting like a formula (`=HYPERLINK(...)`) is prefixed with `'` so a
    spreadsheet opening the file shows it as text instead of running it.
    """
    return [
        _as_text(item["sku"]),
        str(item["remote_id"] or ""),
        item["error_code"] or "",
        _as_text(item["message"] or ""),
        item["created_at"] or "",
    ]


def _as_text(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _cause_is(cause: str) -> Any:
    # An empty cause stands for rows without one (NULL or ""), so the UI can ask for that group.
    return or_(JobItem.cause.is_(None), JobItem.cause == "") if cause == "" else JobItem.cause == cause


def failure_groups(session: Session, job_id: int, *, offset: int = 0, limit: int = 50) -> list[dict[str, Any]]:
    """The job's failed items grouped by normalised cause, biggest group first.

    Each group has `cause` ("" for items without one), `count` and one `error_code`.
    """
    cause = func.coalesce(JobItem.cause, "")
    query = (
        select(cause.label("cause"), func.count(JobItem.id).label("n"), func.max(JobItem.error_code))
        .where(JobItem.job_id == job_id, JobItem.state == "failed")
        .group_by(cause)
        .order_by(func.count(JobItem.id).desc(), cause)
        .offset(offset)
        .limit(limit)
    )
    return [{"cause": c, "count": int(n), "error_code": code} for c, n, code in session.execute(query)]


def count_failure_groups(session: Session, job_id: int) -> int:
    causes = (
        select(func.coalesce(JobItem.cause, ""))
        .where(JobItem.job_id == job_id, JobItem.state == "failed")
        .distinct()
        .subquery()
    )
    return int(session.execute(select(func.count()).select_from(causes)).scalar() or 0)


def failed_items_by_cause(
    session: Session, job_id: int, cause: str, *, offset: int = 0, limit: int = 100
) -> list[JobItem]:
    """One page of the failed items that share `cause` ("" for items without one)."""
    query = (
        select(JobItem)
        .where(JobItem.job_id == job_id, JobItem.state == "failed", _cause_is(cause))
        .order_by(JobItem.id)
        .offset(offset)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def count_failed_items_by_cause(session: Session, job_id: int, cause: str) -> int:
    query = select(func.count(JobItem.id)).where(JobItem.job_id == job_id, JobItem.state == "failed", _cause_is(cause))
    return int(session.execute(query).scalar() or 0)


def daily_stats(session: Session, shop_id: int, days: int) -> list[dict[str, Any]]:
    """Per UTC day of the last `days` (oldest first): jobs by outcome and items handled.

    Days are bucketed in Python: date functions differ between the three engines, and a
    shop's jobs over a month are few enough to read.
    """
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    rows = session.execute(
        select(Job.created_at, Job.status, Job.processed, Job.failed).where(
            Job.shop_id == shop_id, Job.created_at >= since
        )
    ).all()
    series = {first + timedelta(days=i): _empty_day(first + timedelta(days=i)) for i in range(days)}
    for created, status, processed, failed in rows:
        day = series.get(created.date())
        if day is None:
            continue
        day["jobs"] += 1
        if status in ("completed", "failed", "cancelled"):
            day[status] += 1
        day["items_processed"] += processed
        day["items_failed"] += failed
    return list(series.values())


def _empty_day(day: date) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "jobs": 0,
        "completed": 0,
        "failed": 0,
        "cancelled": 0,
        "items_processed": 0,
        "items_failed": 0,
    }
