"""Item rows: planned, claimed under a lease, closed with their outcome, handed back or
skipped. Every write takes the job's lock first (`jobs.lock`) and writes nothing once the
job has ended."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from prestasync.ledger.jobs import BATCH, lock
from prestasync.models import (
    CAUSE_MAX,
    CODE_MAX,
    ITEM_KEY_MAX,
    MESSAGE_MAX,
    JobItem,
    utcnow,
)
from prestasync.progress import (
    ITEM_OPEN,
    WORKING,
    ItemState,
    Outcome,
    cause_of,
    item_sources_of,
)


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


def close_one(session: Session, job_id: int, close: Close, now: datetime) -> bool:
    """End one `running` item with its data; False when it was no longer running (not counted)."""
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


def close_many(
    session: Session, job_id: int, ids: list[int], state: ItemState, outcome: Outcome | None, now: datetime
) -> int:
    """End `running` items that carry no data of their own, in batches; returns how many moved."""
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


def count_items(session: Session, job_id: int, states: Iterable[ItemState] = ITEM_OPEN) -> int:
    query = select(func.count(JobItem.id)).where(JobItem.job_id == job_id, JobItem.state.in_([s.value for s in states]))
    return int(session.execute(query).scalar() or 0)
