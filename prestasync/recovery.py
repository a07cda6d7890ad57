"""Keeping jobs honest when workers die: the reaper, the cancel watchdog and scheduled cleanup.

Huey hands a task to one worker at most once, so a worker killed mid-job leaves its job
`running` with nobody behind it. The reaper finds jobs whose heartbeat is older than
`heartbeat_timeout_s` and hands them back to the queue to resume from their checkpoint
(import: last finished page; export: items not yet done). A job that has been resumed
`MAX_ATTEMPTS` times is failed with "worker lost". An export whose items are all still
waiting (queued, or planned for its write stage) is only waiting behind other jobs; it is left
running and its lanes are sent again. A held job waits for a person and is left alone.
Pending jobs that sat unclaimed (their
enqueue may never have reached the queue) are enqueued again; a duplicate delivery is
harmless because starting a job is a conditional state change.

Every step is a conditional UPDATE, so two reapers running at once cannot double-act.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from prestasync import export, ledger, queries, uploads
from prestasync.errors import InvalidTransition
from prestasync.models import Job, JobItem, utcnow
from prestasync.progress import ItemState, JobStatus
from prestasync.queue import JobQueue
from prestasync.runtime import Runtime

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
CLEANUP_EVERY_S = 24 * 3600


@dataclass
class ReapReport:
    resumed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)


def reap(rt: Runtime, queue: JobQueue) -> ReapReport:
    """One pass over stale jobs. Safe to run from several processes at once."""
    s, now, report = rt.settings, utcnow(), ReapReport()
    heartbeat_before = now - timedelta(seconds=s.heartbeat_timeout_s)
    pending_before = now - timedelta(seconds=max(2 * s.heartbeat_timeout_s, 10.0))
    with Session(rt.engine) as session:
        stale = queries.stale_jobs(session, heartbeat_before=heartbeat_before, pending_before=pending_before)
    for job in stale:
        try:
            _reap_one(rt, job, report)
        except InvalidTransition:
            continue  # it moved on its own meanwhile: nothing to do
    _cancel_watchdog(rt, report)
    for job_id in report.resumed + report.requeued:
        queue.enqueue_job(job_id)
    for job_id in report.waiting:
        export.enqueue_lanes(rt, queue, job_id)
    if any((report.resumed, report.failed, report.cancelled, report.requeued, report.waiting)):
        log.info("reaper: %s", report)
    return report


def _reap_one(rt: Runtime, job: Job, report: ReapReport) -> None:
    with Session(rt.engine) as session, session.begin():
        if job.status == JobStatus.CANCELLING:
            ledger.finish(session, job.id, JobStatus.CANCELLED, "worker lost while cancelling")
            report.cancelled.append(job.id)
        elif job.status == JobStatus.PENDING:
            stmt = update(Job).where(Job.id == job.id, Job.status == JobStatus.PENDING.value)
            session.execute(stmt.values(updated_at=utcnow()).execution_options(synchronize_session=False))
            report.requeued.append(job.id)
        elif _has_plan(session, job.id) and not _release_items(session, job.id) and _has_queued(session, job.id):
            # A fanned-out job whose chunks wait behind other work: nothing was lost, so
            # no attempt is spent. Its chunk messages are sent again in case one vanished
            # with a dead worker between dequeue and claim (duplicates claim nothing).
            stmt = update(Job).where(Job.id == job.id, Job.status == JobStatus.RUNNING.value)
            session.execute(stmt.values(heartbeat_at=utcnow()).execution_options(synchronize_session=False))
            report.waiting.append(job.id)
        elif job.attempts >= MAX_ATTEMPTS:
            timeout = rt.settings.heartbeat_timeout_s
            message = f"worker lost: no heartbeat for {timeout:.0f} s, after {job.attempts} attempts"
            ledger.finish(session, job.id, JobStatus.FAILED, message)
            report.failed.append(job.id)
        else:
            ledger.transition(session, job.id, JobStatus.PENDING, worker=None)
            report.resumed.append(job.id)


def _has_plan(session: Session, job_id: int) -> bool:
    return session.execute(select(JobItem.id).where(JobItem.job_id == job_id).limit(1)).first() is not None


def _has_queued(session: Session, job_id: int) -> bool:
    return ledger.count_items(session, job_id, [ItemState.QUEUED, ItemState.PLANNED]) > 0


def _release_items(session: Session, job_id: int) -> int:
    """Items a dead worker had claimed go back to `queued` for the resumed run; returns how many."""
    ledger.lock(session, job_id)
    return ledger.release(session, job_id)


def _cancel_watchdog(rt: Runtime, report: ReapReport) -> None:
    """A job stuck in `cancelling` past the timeout is declared cancelled."""
    cutoff = utcnow() - timedelta(seconds=rt.settings.cancel_timeout_s)
    with Session(rt.engine) as session, session.begin():
        ids = [
            job.id
            for job in queries.list_jobs(session, queries.JobFilter(status="cancelling", limit=1000))
            if job.updated_at < cutoff
        ]
        for job_id in ids:
            try:
                ledger.finish(session, job_id, JobStatus.CANCELLED, "cancel timed out")
                report.cancelled.append(job_id)
            except InvalidTransition:
                pass


class Scheduler:
    """Runs the reaper every `reaper_every_s` and the cleanup daily, in a daemon thread.

    Run it in one process per deployment (`worker --no-periodic` elsewhere); running it
    twice is safe, only wasteful.
    """

    def __init__(self, rt: Runtime, queue: JobQueue) -> None:
        self.rt, self.queue = rt, queue
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._since_cleanup = float(CLEANUP_EVERY_S)  # clean once at start

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        period = float(self.rt.settings.reaper_every_s)
        while True:
            self.tick(period)
            if self._stop.wait(period):
                return

    def tick(self, elapsed_s: float) -> None:
        try:
            reap(self.rt, self.queue)
            self._since_cleanup += elapsed_s
            if self._since_cleanup >= CLEANUP_EVERY_S:
                deleted = ledger.cleanup(self.rt.engine, self.rt.settings.cleanup_days)
                log.info(
                    "cleanup: deleted %d finished jobs older than %d days",
                    deleted,
                    self.rt.settings.cleanup_days,
                )
                self._since_cleanup = 0.0
                uploads.prune(self.rt.settings, self.rt.engine)
        except Exception:  # the scheduler must outlive a database hiccup
            log.exception("scheduler tick failed")
