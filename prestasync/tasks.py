"""Huey wiring and nothing else: load a job by id, build its `JobContext`, call its body, and
turn what the body raised into the job's final state.

Tasks take ids, never objects, and are enqueued only after the job row is committed. A
task that finds its job no longer runnable (cancelled while queued, or a duplicate
delivery) does nothing. `Tasks` is also the `JobQueue` that bodies hand follow-up work to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from huey import Huey
from sqlalchemy.orm import Session

from prestasync import export, fileimport, importer, queries
from prestasync.context import JobContext
from prestasync.errors import InvalidTransition, JobCancelled, JobError, JobNotFound
from prestasync.models import Shop
from prestasync.prestashop import PrestaShopError
from prestasync.progress import JobStatus, JobType
from prestasync.runtime import Runtime
from prestasync.tracker import Tracker

log = logging.getLogger(__name__)


class Tasks:
    """The tasks registered on one Huey instance for one runtime; implements `queue.JobQueue`."""

    def __init__(self, huey: Huey, rt: Runtime) -> None:
        self.huey, self.rt = huey, rt
        self._run_job = huey.task(name="run_job")(self.run_job)
        self._run_lane = huey.task(name="run_lane")(self.run_lane)

    def enqueue_job(self, job_id: int, *, delay_s: float = 0.0) -> None:
        if delay_s > 0:
            self._run_job.schedule((job_id,), delay=delay_s)
        else:
            self._run_job(job_id)

    def enqueue_lane(self, job_id: int, *, delay_s: float = 0.0) -> None:
        if delay_s > 0:
            self._run_lane.schedule((job_id,), delay=delay_s)
        else:
            self._run_lane(job_id)

    def run_job(self, job_id: int) -> None:
        """Run (or resume) a job from start to a terminal state, or hand it to lane tasks."""
        ctx = self._context(job_id, self.rt.tracker(job_id))
        if ctx is None:
            return
        try:
            ctx.tracker.start()
        except InvalidTransition as exc:
            log.info("job %s not started: %s", job_id, exc)
            return
        if ctx.job.type == JobType.IMPORT:
            _run(ctx.tracker, lambda: importer.run_import(ctx))
        elif ctx.job.type == JobType.FILE_IMPORT:
            _run(ctx.tracker, lambda: fileimport.run_file_import(ctx))
        else:
            _run(ctx.tracker, lambda: export.plan(ctx), hand_off=True)

    def run_lane(self, job_id: int) -> None:
        """One batch of an export or sync job's items; the last lane out moves the job on."""
        ctx = self._context(job_id, self.rt.tracker(job_id))
        if ctx is not None:
            export.run_lane(ctx)

    def _context(self, job_id: int, tracker: Tracker) -> JobContext | None:
        try:
            with Session(self.rt.engine, expire_on_commit=False) as session:
                job = queries.get_job(session, job_id)
                shop = session.get(Shop, job.shop_id) if job.shop_id is not None else None
        except JobNotFound:
            log.info("job %s no longer exists; dropping its task", job_id)
            return None
        return JobContext(self.rt, self, job, shop, tracker)


def _run(tracker: Tracker, body: Callable[[], object], *, hand_off: bool = False) -> None:
    """Run a job body and end the job by what happened; `hand_off` leaves it to chunk tasks."""
    try:
        body()
    except JobCancelled:
        _end(tracker, JobStatus.CANCELLED)
    except (PrestaShopError, JobError) as exc:
        _end(tracker, JobStatus.FAILED, str(exc))
    except Exception as exc:
        log.exception("job %s crashed", tracker.job_id)
        _end(tracker, JobStatus.FAILED, f"internal error: {type(exc).__name__}: {exc}")
    else:
        if hand_off:
            tracker.close()  # lane tasks carry the job from here
        else:
            _end(tracker, JobStatus.COMPLETED)


def _end(tracker: Tracker, status: JobStatus, error: str | None = None) -> None:
    try:
        tracker.finish(status, error)
    except InvalidTransition as exc:  # the reaper or a cancel got there first
        log.warning("job %s: %s", tracker.job_id, exc)
