"""The job ledger's writes: jobs and their items change state here and nowhere else.

Every state change is a conditional UPDATE (`... WHERE status IN (:allowed)`) built from the
tables in `progress.py`, so two processes racing to change one job or item can never both
win, and nothing is read, changed in Python and written back.

Lock order. A transaction that touches a job's items first locks the job's row (`lock()`:
`SELECT … FOR UPDATE`; SQLite's `BEGIN IMMEDIATE` already serialises writers), then its
items. Taking them in the opposite order in two writers is how MariaDB deadlocks (a tracker
closing items then counting them on the job row, against a finisher changing the job then
skipping its items). With one order there is no cycle.

A job in a final state is frozen: `record()` and every item write check, under the job's
lock, that the job is still being worked on, and drop late writes of a chunk that outlived
its job instead of changing the counts of an ended job.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, case, delete, func, insert, literal, null, select, update
from sqlalchemy.orm import Session

from prestasync.errors import InvalidTransition, JobNotFound
from prestasync.models import (
    CAUSE_MAX,
    CODE_MAX,
    ITEM_KEY_MAX,
    MESSAGE_MAX,
    SHOP_NAME_MAX,
    Job,
    JobItem,
    Shop,
    utcnow,
)
from prestasync.progress import (
    ITEM_OPEN,
    TERMINAL,
    WORKING,
    ItemState,
    JobStatus,
    JobType,
    Outcome,
    cause_of,
    item_sources_of,
    sources_of,
)

BATCH = 500  # rows per INSERT / IN (...) list: far below every engine's parameter limit


@dataclass(frozen=True)
class NewItem:
    """A ledger row written straight into a final state (an import's failures and skips, a done
    item with a note: `state` DONE, its `outcome` counted like any done item's, or a file row's
    outcome with its `changes`)."""

    key: str
    state: ItemState
    message: str | None = None
    code: str | None = None
    remote_id: int | None = None
    cause: str | None = None
    outcome: Outcome | None = None
    changes: dict[str, Any] | None = None


@dataclass(frozen=True)
class Close:
    """A claimed (`running`) item's end: its new state, outcome, changes and cause."""

    item_id: int
    state: ItemState
    outcome: Outcome | None = None
    changes: dict[str, Any] | None = None
    digest: str | None = None
    message: str | None = None
    code: str | None = None
    remote_id: int | None = None
    cause: str | None = None

    @property
    def is_plain(self) -> bool:
        return not (self.changes or self.digest or self.message or self.code or self.remote_id or self.cause)


@dataclass
class Delta:
    """What one tracker flush adds to a job: counts of items handled without a ledger row
    (`done`, by outcome), ledger rows, item closes, and optionally a new total, checkpoint and
    current step (`step`: None leaves it, `{}` clears it)."""

    done: dict[Outcome, int] = field(default_factory=dict)
    items: list[NewItem] = field(default_factory=list)
    closes: list[Close] = field(default_factory=list)
    total: int | None = None
    checkpoint: str | None = None
    step: dict[str, Any] | None = None

    def empty(self) -> bool:
        unset = self.total is None and self.checkpoint is None and self.step is None
        return not (self.done or self.items or self.closes) and unset

    def merge_back(self, older: Delta) -> None:
        """Put an unwritten older delta back in front of this one; newer values win."""
        for outcome, n in older.done.items():
            self.done[outcome] = self.done.get(outcome, 0) + n
        self.items[:0] = older.items
        self.closes[:0] = older.closes
        self.total = self.total if self.total is not None else older.total
        self.checkpoint = self.checkpoint if self.checkpoint is not None else older.checkpoint
        self.step = self.step if self.step is not None else older.step


# -- jobs ---------------------------------------------------------------------------------------


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


def finish(session: Session, job_id: int, target: JobStatus, error: str | None = None, **values: Any) -> int:
    """End a job: skip its open items and count them, then move it to the terminal `target`.

    A completed preview keeps its `planned` items: they are what applying it would do. A
    job without item rows for every item (an import) counts the items it never reached as
    skipped. Returns how many items were skipped here.
    """
    current = lock(session, job_id)
    if current not in sources_of(target):
        # Refuse before touching items: skipping them first, then failing the transition,
        # left a late finisher's item changes in an ended job once its caller committed.
        raise InvalidTransition(job_id, current, target)
    keep = {ItemState.PLANNED} if target == JobStatus.COMPLETED else set()
    moved = skip_open(session, job_id, ITEM_OPEN - keep)
    skipped: Any = Job.skipped + moved
    if target != JobStatus.COMPLETED:
        # Items with no row at all (an import's unread pages) were not reached either.
        skipped = case((Job.total > Job.processed + skipped, Job.total - Job.processed), else_=skipped)
    values = {"skipped": skipped, "heartbeat_at": utcnow(), "step": null(), **values}
    if error is not None:
        values["error_message"] = error[:MESSAGE_MAX]
    transition(session, job_id, target, **values)
    return moved


def request_cancel(session: Session, job_id: int) -> JobStatus:
    """Cancel a job: a pending or held one ends at once, a running one is asked to stop.

    Returns the status the job is in afterwards. Cancelling a finished job is refused;
    cancelling one already `cancelling` is a no-op.
    """
    status = lock(session, job_id)
    if status in (JobStatus.PENDING, JobStatus.HELD):
        finish(session, job_id, JobStatus.CANCELLED, cancel_requested=True)
        return JobStatus.CANCELLED
    if status == JobStatus.RUNNING:
        transition(session, job_id, JobStatus.CANCELLING, cancel_requested=True)
        return JobStatus.CANCELLING
    if status == JobStatus.CANCELLING:
        return status
    raise InvalidTransition(job_id, status, JobStatus.CANCELLED)


def record(session: Session, job_id: int, delta: Delta) -> bool:
    """Write one tracker flush: item rows, item closes and counts, under the job's lock.

    Counts come from what really moved: a close whose item is no longer `running` (a
    duplicate delivery, a resumed run racing a slow one) counts nothing. Returns False, and
    writes nothing, when the job already ended (an ended job is frozen).
    """
    if lock(session, job_id) not in WORKING:
        return False
    now = utcnow()
    counts = _Counts()
    for outcome, n in delta.done.items():
        counts.add(ItemState.DONE, outcome, n)
    if delta.items:
        add_items(session, job_id, delta.items, now)
        for item in delta.items:
            counts.add(item.state, item.outcome, 1)
    plain: dict[tuple[ItemState, Outcome | None], list[int]] = {}
    for close in delta.closes:
        if close.is_plain:  # no per-item data: one UPDATE for all of its kind
            plain.setdefault((close.state, close.outcome), []).append(close.item_id)
        elif _close(session, job_id, close, now):
            counts.add(close.state, close.outcome, 1)
    for (state, kind), ids in plain.items():
        counts.add(state, kind, _close_many(session, job_id, ids, state, kind, now))
    _count(session, job_id, counts, delta, now)
    return True


def heartbeat(session: Session, job_id: int) -> None:
    stmt = update(Job).where(Job.id == job_id, Job.status.in_([s.value for s in WORKING]))
    session.execute(stmt.values(heartbeat_at=utcnow()).execution_options(synchronize_session=False))


@dataclass
class _Counts:
    processed: int = 0
    failed: int = 0
    skipped: int = 0
    outcomes: dict[Outcome, int] = field(default_factory=dict)

    def add(self, state: ItemState, outcome: Outcome | None, n: int) -> None:
        if state == ItemState.SKIPPED:
            self.skipped += n
            return
        if state in (ItemState.DONE, ItemState.FAILED):
            self.processed += n
        if state == ItemState.FAILED:
            self.failed += n
        if outcome is not None and state == ItemState.DONE:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + n


def _count(session: Session, job_id: int, c: _Counts, delta: Delta, now: datetime) -> None:
    grown = Job.processed + c.processed
    new_total = Job.total if delta.total is None else literal(delta.total)
    floor = grown + Job.skipped + c.skipped
    # `total` is assigned first: MariaDB evaluates SET left to right with new values.
    assignments: list[tuple[Any, Any]] = [
        (Job.total, case((new_total < floor, floor), else_=new_total)),
        (Job.processed, grown),
        (Job.failed, Job.failed + c.failed),
        (Job.skipped, Job.skipped + c.skipped),
        (Job.created, Job.created + c.outcomes.get(Outcome.CREATED, 0)),
        (Job.updated, Job.updated + c.outcomes.get(Outcome.UPDATED, 0)),
        (Job.unchanged, Job.unchanged + c.outcomes.get(Outcome.UNCHANGED, 0)),
        (Job.version, Job.version + 1),
        (Job.updated_at, now),
        (Job.heartbeat_at, now),
    ]
    if delta.checkpoint is not None:
        assignments.append((Job.checkpoint, delta.checkpoint))
    if delta.step is not None:
        assignments.append((Job.step, delta.step or null()))  # `{}` clears: SQL NULL, not JSON null
    stmt = update(Job).where(Job.id == job_id).ordered_values(*assignments)
    session.execute(stmt.execution_options(synchronize_session=False))


# -- items --------------------------------------------------------------------------------------


def plan(session: Session, job_id: int, keys: Sequence[str]) -> int:
    """Write one `queued` row per key (first run of a fanned-out job); returns how many.

    Takes the job's lock first, and writes nothing once the job is no longer being worked on.
    """
    if lock(session, job_id) not in WORKING:
        return 0
    now = utcnow()
    rows = [_row(job_id, key, ItemState.QUEUED, now) for key in keys]
    for start in range(0, len(rows), BATCH):
        session.execute(insert(JobItem), rows[start : start + BATCH])
    return len(rows)


def add_items(session: Session, job_id: int, items: Sequence[NewItem], now: datetime | None = None) -> None:
    """Insert rows in a final state (an import's failures and skips); the caller counts them."""
    now = now or utcnow()
    rows = [
        {
            **_row(job_id, item.key, item.state, now),
            "remote_id": item.remote_id,
            "message": item.message[:MESSAGE_MAX] if item.message else None,
            "error_code": item.code[:CODE_MAX] if item.code else None,
            "cause": _cause(item.cause, item.message, item.key),
            "outcome": item.outcome.value if item.outcome else None,
            "changes": item.changes,
        }
        for item in items
    ]
    for start in range(0, len(rows), BATCH):
        session.execute(insert(JobItem), rows[start : start + BATCH])


def claim(session: Session, job_id: int, ids: Iterable[int], lease: str, source: ItemState) -> list[tuple[int, str]]:
    """Move the given items from `source` to `running` under `lease`; returns those moved.

    A duplicate delivery, or a worker that lost a race, claims nothing: only rows still in
    `source` move. Nothing is claimed once the job is no longer being worked on. The caller
    holds the job's lock (`lock()`; taking it again here is free).
    """
    id_list = list(ids)
    if not id_list or lock(session, job_id) not in WORKING:
        return []
    stmt = update(JobItem).where(JobItem.id.in_(id_list), JobItem.job_id == job_id, JobItem.state == source.value)
    values = {"state": ItemState.RUNNING.value, "lease": lease, "updated_at": utcnow()}
    session.execute(stmt.values(**values).execution_options(synchronize_session=False))
    rows = session.execute(
        select(JobItem.id, JobItem.sku)
        .where(JobItem.job_id == job_id, JobItem.lease == lease, JobItem.state == ItemState.RUNNING.value)
        .order_by(JobItem.id)
    )
    return [(item_id, sku) for item_id, sku in rows]


def skip_open(session: Session, job_id: int, states: Iterable[ItemState]) -> int:
    """Skip the job's items that are still in one of `states`; returns how many moved."""
    wanted = [s.value for s in states]
    if not wanted:
        return 0
    stmt = update(JobItem).where(JobItem.job_id == job_id, JobItem.state.in_(wanted))
    result = session.execute(
        stmt.values(state=ItemState.SKIPPED.value, updated_at=utcnow()).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def release(session: Session, job_id: int, ids: Sequence[int] | None = None) -> int:
    """Hand `running` items (all of the job's, or `ids`) back to `queued`; returns how many.

    The reaper does this for a dead worker's items, and a chunk that lost its shop slot
    for the items it did not reach; they are read and compared again by whoever claims them.
    """
    if lock(session, job_id) not in WORKING:  # an ended job's items stay as it left them
        return 0
    stmt = update(JobItem).where(JobItem.job_id == job_id, JobItem.state == ItemState.RUNNING.value)
    if ids is not None:
        if not ids:
            return 0
        stmt = stmt.where(JobItem.id.in_(list(ids)))
    values = {"state": ItemState.QUEUED.value, "lease": None, "updated_at": utcnow()}
    return int(session.execute(stmt.values(**values).execution_options(synchronize_session=False)).rowcount)  # type: ignore[attr-defined]


def _close(session: Session, job_id: int, close: Close, now: datetime) -> bool:
    if ItemState.RUNNING not in item_sources_of(close.state):
        raise ValueError(f"a running item cannot become {close.state}")
    stmt = update(JobItem).where(
        JobItem.id == close.item_id, JobItem.job_id == job_id, JobItem.state == ItemState.RUNNING.value
    )
    values: dict[str, Any] = {"state": close.state.value, "updated_at": now}
    if close.outcome is not None:
        values["outcome"] = close.outcome.value
    if close.changes is not None:
        values["changes"] = close.changes
    if close.digest is not None:
        values["digest"] = close.digest
    if close.message is not None:
        values["message"] = close.message[:MESSAGE_MAX]
        values["cause"] = _cause(close.cause, close.message, "")
    if close.code is not None:
        values["error_code"] = close.code[:CODE_MAX]
    if close.remote_id is not None:
        values["remote_id"] = close.remote_id
    return session.execute(stmt.values(**values).execution_options(synchronize_session=False)).rowcount == 1  # type: ignore[attr-defined, no-any-return]


def _close_many(
    session: Session, job_id: int, ids: list[int], state: ItemState, outcome: Outcome | None, now: datetime
) -> int:
    if ItemState.RUNNING not in item_sources_of(state):
        raise ValueError(f"a running item cannot become {state}")
    values: dict[str, Any] = {"state": state.value, "updated_at": now}
    if outcome is not None:
        values["outcome"] = outcome.value
    moved = 0
    for start in range(0, len(ids), BATCH):
        stmt = update(JobItem).where(
            JobItem.id.in_(ids[start : start + BATCH]),
            JobItem.job_id == job_id,
            JobItem.state == ItemState.RUNNING.value,
        )
        moved += session.execute(stmt.values(**values).execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    return moved


def _row(job_id: int, key: str, state: ItemState, now: datetime) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "sku": key[:ITEM_KEY_MAX],
        "state": state.value,
        "attempt": 1,
        "created_at": now,
        "updated_at": now,
    }


def _cause(cause: str | None, message: str | None, key: str) -> str | None:
    if cause:
        return cause[:CAUSE_MAX]
    return cause_of(message, key)[:CAUSE_MAX] if message else None


# -- housekeeping -------------------------------------------------------------------------------


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


def count_items(session: Session, job_id: int, states: Iterable[ItemState] = ITEM_OPEN) -> int:
    query = select(func.count(JobItem.id)).where(JobItem.job_id == job_id, JobItem.state.in_([s.value for s in states]))
    return int(session.execute(query).scalar() or 0)
