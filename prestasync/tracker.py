"""The progress writer a running job uses: `start / advance / fail_item / check_cancel / finish`.

Counts are kept in memory and written by a small background flusher at most once per
`interval_s` (default 250 ms), plus once at each state change and at the end. Each write
is one short transaction holding an atomic relative update
(`processed = processed + :n`), the buffered ledger rows, and a read of the cancel flag,
so any number of trackers (threads, processes, machines) can share one job row without
losing an update. A write also refreshes the heartbeat, and an idle tracker still
heartbeats every `heartbeat_s`, so a job waiting on a slow shop is not taken for dead.

Tracking never breaks the job: a failed flush keeps its deltas for the next one, and
only the final flush in `finish()` is allowed to raise.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, case, func, insert, literal, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from prestasync import jobs
from prestasync.models import Job, JobItem, utcnow
from prestasync.progress import JobStatus, cause_of

log = logging.getLogger(__name__)

SKU_MAX = 255


class JobCancelled(Exception):
    """Raised by `check_cancel()` once a cancel was requested; the job stops at this item."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class _Pending:
    processed: int = 0
    failed: int = 0
    skipped: int = 0
    total: int | None = None
    checkpoint: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    # Planned ledger rows (fanned-out jobs) finished by this process: id, or id + failure.
    done_items: list[int] = field(default_factory=list)
    failed_items: list[dict[str, Any]] = field(default_factory=list)

    def empty(self) -> bool:
        return not (
            self.processed or self.failed or self.skipped or self.items or self.done_items or self.failed_items
        ) and (self.total is None and self.checkpoint is None)

    def merge_back(self, other: _Pending) -> None:
        """Return an unwritten snapshot to the buffer, newer values winning."""
        self.processed += other.processed
        self.failed += other.failed
        self.skipped += other.skipped
        self.total = self.total if self.total is not None else other.total
        self.checkpoint = self.checkpoint if self.checkpoint is not None else other.checkpoint
        self.items[:0] = other.items
        self.done_items[:0] = other.done_items
        self.failed_items[:0] = other.failed_items


class Tracker:
    """Tracks one job's progress from one process. Thread-safe."""

    def __init__(
        self,
        engine: Engine,
        job_id: int,
        *,
        interval_s: float = 0.25,
        heartbeat_s: float = 10.0,
        autoflush: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine, self.job_id = engine, job_id
        self.interval_s, self.heartbeat_s = interval_s, heartbeat_s
        self.clock = clock
        self.writes = 0
        self._autoflush = autoflush
        self._pending = _Pending()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._cancel = False
        self._last_write = clock()
        self._last_read = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, *, total: int | None = None, worker: str | None = None) -> None:
        """Move the job to `running` (first start or resume) and begin flushing."""
        now = utcnow()
        values: dict[str, Any] = {
            "started_at": func.coalesce(Job.started_at, now),  # a resumed job keeps its first start
            "heartbeat_at": now,
            "attempts": Job.attempts + 1,
            "worker": worker or worker_name(),
        }
        if total is not None:
            values["total"] = total
        with Session(self.engine) as session, session.begin():
            jobs.transition(session, self.job_id, JobStatus.RUNNING, **values)
            self._cancel = bool(session.execute(select(Job.cancel_requested).where(Job.id == self.job_id)).scalar())
        self.writes += 1
        self._last_write = self._last_read = self.clock()
        self.start_flushing()

    def start_flushing(self) -> None:
        """Begin background flushing without a state change (a chunk of a running job)."""
        if self._autoflush and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"tracker-{self.job_id}", daemon=True)
            self._thread.start()

    def finish(self, status: JobStatus = JobStatus.COMPLETED, error: str | None = None) -> None:
        """Write the last counts and move the job to a terminal state.

        A cancelled job counts the items it never reached as skipped.
        """
        self._stop_thread()
        with self._flush_lock, Session(self.engine) as session, session.begin():
            self._write(session, self._take())
            values: dict[str, Any] = {"heartbeat_at": utcnow()}
            if error is not None:
                values["error_message"] = error[:4000]
            if status == JobStatus.CANCELLED:
                values["skipped"] = case((Job.total > Job.processed, Job.total - Job.processed), else_=literal(0))
            jobs.transition(session, self.job_id, status, **values)
        self.writes += 1

    def close(self) -> None:
        """Stop the flusher and write what is left, without a state change."""
        self._stop_thread()
        with self._lock:
            dirty = not self._pending.empty()
        if dirty:
            self.flush()

    def _stop_thread(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    # -- counting (in memory, no I/O) ----------------------------------------------------------

    def set_total(self, total: int) -> None:
        with self._lock:
            self._pending.total = total

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self._pending.processed += n

    def fail_item(self, sku: str, message: str, *, code: str | None = None, remote_id: int | None = None) -> None:
        """Count one handled-but-failed item and queue its ledger row."""
        self.record(failures=[(sku, message, code, remote_id)])

    def record(
        self,
        *,
        succeeded: int = 0,
        skipped: int = 0,
        failures: Sequence[tuple[str, str, str | None, int | None]] = (),
        checkpoint: str | None = None,
    ) -> None:
        """Count a batch of items and move the checkpoint, atomically.

        A flush sees either none or all of it, so after a crash the checkpoint and the
        counts agree and a resumed job neither skips nor double-counts a page.
        Each failure is `(sku, message, code, remote_id)`.
        """
        rows = [
            {
                "job_id": self.job_id,
                "sku": sku[:SKU_MAX],
                "remote_id": remote_id,
                "state": "failed",
                "error_code": code[:100] if code else None,
                "message": message,
                "cause": cause_of(message, sku),
                "attempt": 1,
            }
            for sku, message, code, remote_id in failures
        ]
        with self._lock:
            self._pending.processed += succeeded + skipped + len(rows)
            self._pending.skipped += skipped
            self._pending.failed += len(rows)
            self._pending.items.extend(rows)
            if checkpoint is not None:
                self._pending.checkpoint = checkpoint

    def item_done(self, item_id: int) -> None:
        """A planned item (a `queued`/`running` ledger row) succeeded."""
        with self._lock:
            self._pending.done_items.append(item_id)

    def item_failed(self, item_id: int, message: str, *, code: str | None = None, remote_id: int | None = None) -> None:
        """A planned item failed; its ledger row keeps the cause."""
        row = {
            "id": item_id,
            "message": message,
            "code": code[:100] if code else None,
            "remote_id": remote_id,
        }
        with self._lock:
            self._pending.failed_items.append(row)

    def set_checkpoint(self, value: str) -> None:
        with self._lock:
            self._pending.checkpoint = value

    @property
    def cancel_requested(self) -> bool:
        return self._cancel

    def check_cancel(self) -> None:
        """Raise JobCancelled if a cancel was seen; refreshes a stale flag itself."""
        if not self._autoflush and self.clock() - self._last_read >= self.interval_s:
            self.flush()
        if self._cancel:
            raise JobCancelled(f"job {self.job_id} was cancelled")

    # -- writing -----------------------------------------------------------------------------

    def flush(self) -> None:
        """Write whatever is buffered now (or just heartbeat and read the cancel flag)."""
        with self._flush_lock:
            snapshot = self._take()
            try:
                with Session(self.engine) as session, session.begin():
                    self._write(session, snapshot)
            except SQLAlchemyError:
                with self._lock:
                    self._pending.merge_back(snapshot)
                log.warning("job %s: progress write failed; will retry", self.job_id, exc_info=True)
                return
            self.writes += 1

    def _take(self) -> _Pending:
        with self._lock:
            snapshot, self._pending = self._pending, _Pending()
        return snapshot

    def _write(self, session: Session, p: _Pending) -> None:
        now = utcnow()
        done, failed = self._finish_items(session, p, now)
        grown = Job.processed + p.processed + done + failed
        new_total = Job.total if p.total is None else literal(p.total)
        # `total` is assigned first: MariaDB evaluates SET left to right with new values.
        assignments: list[tuple[Any, Any]] = [
            (Job.total, case((new_total < grown, grown), else_=new_total)),
            (Job.processed, grown),
            (Job.failed, Job.failed + p.failed + failed),
            (Job.skipped, Job.skipped + p.skipped),
            (Job.version, Job.version + 1),
            (Job.updated_at, now),
            (Job.heartbeat_at, now),
        ]
        if p.checkpoint is not None:
            assignments.append((Job.checkpoint, p.checkpoint))
        stmt = update(Job).where(Job.id == self.job_id).ordered_values(*assignments)
        session.execute(stmt.execution_options(synchronize_session=False))
        if p.items:
            session.execute(insert(JobItem), [{**row, "created_at": now, "updated_at": now} for row in p.items])
        self._cancel = bool(session.execute(select(Job.cancel_requested).where(Job.id == self.job_id)).scalar())
        self._last_write = self._last_read = self.clock()

    def _finish_items(self, session: Session, p: _Pending, now: Any) -> tuple[int, int]:
        """Close planned ledger rows; count only rows this write actually moved.

        A duplicate delivery of the same item (or a resumed run racing a slow one) finds
        the row no longer `running` and adds nothing, so counts stay exact.
        """
        done = 0
        if p.done_items:
            stmt = update(JobItem).where(JobItem.id.in_(p.done_items), JobItem.state == "running")
            result = session.execute(
                stmt.values(state="done", updated_at=now).execution_options(synchronize_session=False)
            )
            done = int(result.rowcount)  # type: ignore[attr-defined]
        failed = 0
        for row in p.failed_items:
            stmt = update(JobItem).where(JobItem.id == row["id"], JobItem.state == "running")
            values = {
                "state": "failed",
                "message": row["message"],
                "error_code": row["code"],
                "updated_at": now,
            }
            if row["remote_id"] is not None:
                values["remote_id"] = row["remote_id"]
            result = session.execute(stmt.values(**values).execution_options(synchronize_session=False))
            failed += int(result.rowcount)  # type: ignore[attr-defined]
        return done, failed

    def _run(self) -> None:
        # Fixed ticks, not "interval after the last flush": the write time must not stretch the
        # period (that would add writes' worth of staleness and drift the write count).
        tick = self.clock()
        while True:
            tick += self.interval_s
            if self._stop.wait(max(tick - self.clock(), 0.0)):
                return
            with self._lock:
                dirty = not self._pending.empty()
            idle_for = self.clock() - self._last_write
            if dirty or idle_for >= self.heartbeat_s:
                self.flush()
            elif self.clock() - self._last_read >= 1.0:
                self._read_cancel()

    def _read_cancel(self) -> None:
        try:
            with self.engine.connect() as conn:
                flag = conn.execute(select(Job.cancel_requested).where(Job.id == self.job_id)).scalar()
        except SQLAlchemyError:
            log.warning("job %s: cancel flag read failed", self.job_id, exc_info=True)
            return
        self._cancel = bool(flag)
        self._last_read = self.clock()
