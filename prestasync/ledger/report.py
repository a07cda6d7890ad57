"""What a job's workers report: one tracker flush (`record`: new rows, closes and counts in one
transaction) and the end of the job (`finish`, `request_cancel`), which skips what is open."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, literal, null, update
from sqlalchemy.orm import Session

from prestasync.errors import InvalidTransition
from prestasync.ledger.items import Close, NewItem, add_items, close_many, close_one, skip_open
from prestasync.ledger.jobs import lock, transition
from prestasync.models import (
    MESSAGE_MAX,
    Job,
    utcnow,
)
from prestasync.progress import (
    ITEM_OPEN,
    WORKING,
    ItemState,
    JobStatus,
    Outcome,
    sources_of,
)


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
        elif close_one(session, job_id, close, now):
            counts.add(close.state, close.outcome, 1)
    for (state, kind), ids in plain.items():
        counts.add(state, kind, close_many(session, job_id, ids, state, kind, now))
    _count(session, job_id, counts, delta, now)
    return True


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
