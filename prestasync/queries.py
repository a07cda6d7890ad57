"""Reading the job ledger: the job lists, one job, its failed items and their groups.

Everything here only reads, so the web layer runs it on its read-only engine (on SQLite
a reader never takes the write lock and cannot hold up job writers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session

from prestasync.contract import ChangeSummary, FailureGroupOut
from prestasync.errors import JobNotFound
from prestasync.models import Job, JobItem
from prestasync.progress import ACTIVE, TERMINAL, ItemState, JobStatus, JobType, Outcome


@dataclass(frozen=True)
class JobFilter:
    """What a job list is narrowed to. `status` also takes `active` and `finished`."""

    status: str | None = None
    shop_id: int | None = None
    type: str | None = None
    group_uuid: str | None = None
    limit: int = 50
    offset: int = 0


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


def iter_jobs(bind: Engine | Connection, flt: JobFilter, page: int = 1000) -> Iterator[Job]:
    """Every job matching `flt` (its limit and offset aside), newest first, for reports.

    Keyset pages, each read in its own short session: a job started while a long report is
    written neither shifts a page nor holds a read open between pages.
    """
    last: tuple[datetime, int] | None = None
    while True:
        with Session(bind) as session:
            query = _filtered(select(Job), flt, bind.dialect.name)
            if last is not None:
                query = query.where(or_(Job.created_at < last[0], and_(Job.created_at == last[0], Job.id < last[1])))
            rows = list(session.execute(query.order_by(Job.created_at.desc(), Job.id.desc()).limit(page)).scalars())
        if not rows:
            return
        yield from rows
        last = (rows[-1].created_at, rows[-1].id)


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


def stale_jobs(session: Session, *, heartbeat_before: datetime, pending_before: datetime) -> Sequence[Job]:
    """Running jobs that stopped heartbeating, and pending jobs nobody has picked up."""
    running = and_(
        Job.status.in_([JobStatus.RUNNING.value, JobStatus.CANCELLING.value]),
        func.coalesce(Job.heartbeat_at, Job.updated_at) < heartbeat_before,
    )
    pending = and_(Job.status == JobStatus.PENDING.value, Job.updated_at < pending_before)
    return list(session.execute(select(Job).where(running | pending)).scalars())


# -- items --------------------------------------------------------------------------------------


def _failed(job_id: int, cause: str | None) -> list[ColumnElement[bool]]:
    conditions = [JobItem.job_id == job_id, JobItem.state == ItemState.FAILED.value]
    if cause is not None:
        # An empty cause stands for rows without one (NULL or ""), so the UI can ask for that group.
        conditions.append(or_(JobItem.cause.is_(None), JobItem.cause == "") if cause == "" else JobItem.cause == cause)
    return conditions


def failed_items(
    session: Session, job_id: int, *, cause: str | None = None, offset: int = 0, limit: int = 100
) -> list[JobItem]:
    """One page of the job's failed items (those of one `cause` when given), oldest first."""
    query = select(JobItem).where(*_failed(job_id, cause)).order_by(JobItem.id).offset(offset).limit(limit)
    return list(session.execute(query).scalars())


def count_failed_items(session: Session, job_id: int, *, cause: str | None = None) -> int:
    return int(session.execute(select(func.count(JobItem.id)).where(*_failed(job_id, cause))).scalar() or 0)


def failure_groups(session: Session, job_id: int, *, offset: int = 0, limit: int = 50) -> list[FailureGroupOut]:
    """The job's failed items grouped by cause, biggest group first (without their SKUs).

    `cause` is "" for items without one; `error_code` is one of the group's error codes.
    """
    cause = func.coalesce(JobItem.cause, "")
    query = (
        select(cause, func.count(JobItem.id), func.max(JobItem.error_code))
        .where(*_failed(job_id, None))
        .group_by(cause)
        .order_by(func.count(JobItem.id).desc(), cause)
        .offset(offset)
        .limit(limit)
    )
    return [FailureGroupOut(cause=c, count=int(n), error_code=code or "") for c, n, code in session.execute(query)]


def count_failure_groups(session: Session, job_id: int) -> int:
    causes = select(func.coalesce(JobItem.cause, "")).where(*_failed(job_id, None)).distinct().subquery()
    return int(session.execute(select(func.count()).select_from(causes)).scalar() or 0)


def changed_items(
    session: Session,
    job_id: int,
    *,
    outcome: Outcome | None = None,
    field: str | None = None,
    sku: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[JobItem], int]:
    """One page of the items that change (or, in a preview, would change) a shop record, and
    how many there are: created, updated, or drifted; `outcome` narrows to one kind, `field` to
    items whose changes touch that kind of field (`change_kind`: `price`, `stock`, `name` in any
    language, `combination`…), `sku` to SKUs containing that text (any case)."""
    where = _changing(job_id, outcome)
    if sku:
        where.append(func.lower(JobItem.sku).like(f"%{_escape_like(sku.lower())}%", escape="\\"))
    query = select(JobItem).where(*where).order_by(JobItem.id)
    if field is None:
        total = int(session.execute(select(func.count(JobItem.id)).where(*where)).scalar() or 0)
        return list(session.execute(query.offset(offset).limit(limit)).scalars()), total
    # JSON keys cannot be filtered alike on three engines: read the changing items in pages.
    matching = [item for item in _all(session, query) if _touches(item, field)]
    return matching[offset : offset + limit], len(matching)


def change_kind(key: str) -> str:
    """The kind of change a key of `JobItem.changes` is, as summaries group and filters name
    them: `name.en` is `name`, `combination[Red, M].stock` is `combination`, `image[2]` and
    `cover` are `image`, `price[…]` (a specific price rule, not the price) is `specific_price`."""
    head = re.split(r"[.\[]", key, maxsplit=1)[0]
    if head == "price" and key.startswith("price["):
        return "specific_price"
    if head == "cover":
        return "image"
    return re.sub(r"[^a-z_]+", "_", head.lower()).strip("_") or "other"


def change_summary(session: Session, job_id: int) -> ChangeSummary:
    """The job's outcomes counted, and updated products per changed field."""
    counts = dict(
        session.execute(
            select(JobItem.outcome, func.count(JobItem.id))
            .where(JobItem.job_id == job_id, JobItem.outcome.is_not(None))
            .group_by(JobItem.outcome)
        ).all()
    )
    fields: dict[str, int] = {}
    query = select(JobItem).where(*_changing(job_id, Outcome.UPDATED)).order_by(JobItem.id)
    for item in _all(session, query):
        for name in {change_kind(key) for key in item.changes or {}}:
            fields[name] = fields.get(name, 0) + 1
    return ChangeSummary(
        created=counts.get(Outcome.CREATED.value, 0),
        updated=counts.get(Outcome.UPDATED.value, 0),
        unchanged=counts.get(Outcome.UNCHANGED.value, 0),
        drift=counts.get(Outcome.DRIFT.value, 0),
        failed=count_failed_items(session, job_id),
        fields=dict(sorted(fields.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def _all(session: Session, query: Select[JobItem], page: int = 1000) -> Iterator[JobItem]:
    offset = 0
    while rows := list(session.execute(query.offset(offset).limit(page)).scalars()):
        yield from rows
        offset += len(rows)


def _touches(item: JobItem, field: str) -> bool:
    return any(change_kind(key) == field for key in item.changes or {})


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _changing(job_id: int, outcome: Outcome | None) -> list[ColumnElement[bool]]:
    kinds = [outcome.value] if outcome else [Outcome.CREATED.value, Outcome.UPDATED.value, Outcome.DRIFT.value]
    states = [ItemState.DONE.value, ItemState.PLANNED.value, ItemState.SKIPPED.value]
    return [JobItem.job_id == job_id, JobItem.state.in_(states), JobItem.outcome.in_(kinds)]
