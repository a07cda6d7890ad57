"""The progress writer a running job uses: `start / advance / fail_item / close_item /
check_cancel / finish`.

Counts are kept in memory and written by a small background flusher at most once per
`interval_s` (default 250 ms), plus once at each state change and at the end. Each write
is one short transaction through `ledger.record()`: the job's row locked first, the
buffered ledger rows and item closes, one atomic relative update of the counters
(`processed = processed + :n`), and a read of the cancel flag. So any number of trackers
(threads, processes, machines) can share one job row without losing an update, and a
tracker that outlives its job (the job was failed or cancelled meanwhile) changes nothing:
its writes are dropped and `check_cancel()` stops the body. A write also refreshes the
heartbeat, and an idle tracker still heartbeats every `heartbeat_s`, so a job waiting on a
slow shop is not taken for dead.

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

from sqlalchemy import Engine, func, null, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from prestasync import ledger
from prestasync.errors import JobCancelled
from prestasync.ledger import Close, Delta, NewItem
from prestasync.models import Job, utcnow
from prestasync.progress import ItemState, JobStatus, Outcome

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


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
        observer: Callable[[Delta, float], None] | None = None,
    ) -> None:
        self.engine, self.job_id = engine, job_id
        # Told what each successful write carried and how long it took (metrics; see telemetry.py).
        self.observer = observer
        self.interval_s, self.heartbeat_s = interval_s, heartbeat_s
        self.clock = clock
        self.writes = 0
        self._autoflush = autoflush
        self._pending = Delta()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._cancel = False
        self._ended = False  # the job reached a final state without us: stop working on it
        self._last_write = clock()
        self._last_read = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, *, total: int | None = None, worker: str | None = None) -> None:
        """Move the job to `running` (first start or resume) and begin flushing."""
        now = utcnow()
        values: dict[str, object] = {
            "started_at": func.coalesce(Job.started_at, now),  # a resumed job keeps its first start
            "heartbeat_at": now,
            "attempts": Job.attempts + 1,
            "worker": worker or worker_name(),
            "step": null(),  # a resumed job's last step was the dead worker's
        }
        if total is not None:
            values["total"] = total
        with Session(self.engine) as session, session.begin():
            ledger.transition(session, self.job_id, JobStatus.RUNNING, **values)
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
        """Write the last counts and move the job to a terminal state (`ledger.finish`)."""
        self._stop_thread()
        started = time.perf_counter()
        with self._flush_lock, Session(self.engine) as session, session.begin():
            delta = self._take()
            written = ledger.record(session, self.job_id, delta)
            ledger.finish(session, self.job_id, status, error)
        self.writes += 1
        if written:
            self._observe(delta, started)

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

    def set_checkpoint(self, value: str) -> None:
        with self._lock:
            self._pending.checkpoint = value

    def set_step(self, phase: str, done: int = 0, total: int = 0) -> None:
        """Say what the job is doing inside its current items (`images`, 3 of 40), for the card.

        In memory like the counts, written with the next flush; cheap to call per sub-step.
        """
        with self._lock:
            self._pending.step = {"phase": phase, "done": done, "total": total}

    def clear_step(self) -> None:
        """The current step is over (its items are counted)."""
        with self._lock:
            self._pending.step = {}

    def advance(self, n: int = 1, outcome: Outcome = Outcome.UNCHANGED) -> None:
        """Count `n` items handled without a ledger row (an import's good records)."""
        self.record(done={outcome: n})

    def fail_item(self, key: str, message: str, *, code: str | None = None, remote_id: int | None = None) -> None:
        """Count one handled-but-failed item and queue its ledger row."""
        self.record(items=[NewItem(key, ItemState.FAILED, message, code, remote_id)])

    def record(
        self,
        *,
        done: dict[Outcome, int] | None = None,
        items: Sequence[NewItem] = (),
        checkpoint: str | None = None,
    ) -> None:
        """Count a batch of items and move the checkpoint, atomically.

        A flush sees either none or all of it, so after a crash the checkpoint and the
        counts agree and a resumed job neither skips nor double-counts a page. `items`
        are ledger rows in a final state (failed, skipped).
        """
        with self._lock:
            for outcome, n in (done or {}).items():
                if n:
                    self._pending.done[outcome] = self._pending.done.get(outcome, 0) + n
            self._pending.items.extend(items)
            if checkpoint is not None:
                self._pending.checkpoint = checkpoint

    def close_item(self, close: Close) -> None:
        """A claimed item ended (done, failed, skipped, planned, or handed back)."""
        with self._lock:
            self._pending.closes.append(close)

    @property
    def cancel_requested(self) -> bool:
        return self._cancel or self._ended

    def check_cancel(self) -> None:
        """Raise JobCancelled if a cancel was seen or the job ended; refreshes a stale flag itself."""
        if not self._autoflush and self.clock() - self._last_read >= self.interval_s:
            self.flush()
        if self._cancel or self._ended:
            raise JobCancelled(f"job {self.job_id} was cancelled" if self._cancel else f"job {self.job_id} ended")

    # -- writing -----------------------------------------------------------------------------

    def flush(self) -> None:
        """Write whatever is buffered now (or just heartbeat and read the cancel flag)."""
        with self._flush_lock:
            snapshot = self._take()
            started = time.perf_counter()
            try:
                with Session(self.engine) as session, session.begin():
                    self._write(session, snapshot)
            except SQLAlchemyError:
                with self._lock:
                    self._pending.merge_back(snapshot)
                log.warning("job %s: progress write failed; will retry", self.job_id, exc_info=True)
                return
            self.writes += 1
            if not self._ended:
                self._observe(snapshot, started)

    def _observe(self, delta: Delta, started: float) -> None:
        if self.observer is None:
            return
        try:
            self.observer(delta, time.perf_counter() - started)
        except Exception:  # metrics never break a job
            log.warning("job %s: progress observer failed", self.job_id, exc_info=True)

    def _take(self) -> Delta:
        with self._lock:
            snapshot, self._pending = self._pending, Delta()
        return snapshot

    def _write(self, session: Session, delta: Delta) -> None:
        if not ledger.record(session, self.job_id, delta):
            self._ended = True
            if not delta.empty():
                log.info("job %s already ended; dropped a late progress write", self.job_id)
        flag = session.execute(select(Job.cancel_requested).where(Job.id == self.job_id)).scalar()
        self._cancel = bool(flag)
        self._last_write = self._last_read = self.clock()

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
