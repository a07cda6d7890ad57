"""Queue tasks: thin wrappers that load a job by id, run it under a tracker, and record the outcome.

Tasks take ids, never objects, and are enqueued only after the job row is committed. A
task that finds its job no longer runnable (cancelled while queued, or a duplicate
delivery) does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from huey import Huey
from sqlalchemy.orm import Session

from prestasync import exporter, jobs
from prestasync.importer import run_import
from prestasync.models import Job, Shop
from prestasync.prestashop import PrestaShopError
from prestasync.progress import InvalidTransition, JobError, JobStatus, JobType
from prestasync.runtime import Runtime
from prestasync.tracker import JobCancelled, Tracker

log = logging.getLogger(__name__)

Runner = Callable[[Runtime, Job, Shop, Tracker], None]


class Tasks:
    """The tasks registered on one Huey instance for one runtime."""

    def __init__(self, huey: Huey, rt: Runtime) -> None:
        self.huey, self.rt = huey, rt
        self._run_job = huey.task(name="run_job")(self.run_job)
        self._run_chunk = huey.task(name="run_chunk")(self.run_chunk)

    def enqueue_job(self, job_id: int) -> None:
        self._run_job(job_id)

    def enqueue_chunk(self, job_id: int, item_ids: list[int]) -> None:
        self._run_chunk(job_id, item_ids)

    def enqueue_chunk_later(self, job_id: int, item_ids: list[int], delay_s: float = 0.5) -> None:
        """Try a chunk again shortly (its shop had no free request slot)."""
        self._run_chunk.schedule((job_id, item_ids), delay=delay_s)

    def enqueue_open_chunks(self, job_id: int) -> None:
        exporter.enqueue_open_chunks(self, job_id)

    def tracker(self, job_id: int) -> Tracker:
        s = self.rt.settings
        return Tracker(self.rt.engine, job_id, interval_s=s.progress_interval_s, heartbeat_s=s.heartbeat_every_s)

    def run_job(self, job_id: int) -> None:
        """Run (or resume) a job from start to a terminal state, or hand it to chunk tasks."""
        try:
            with Session(self.rt.engine, expire_on_commit=False) as session:
                job = jobs.get_job(session, job_id)
                shop = session.get(Shop, job.shop_id) if job.shop_id is not None else None
        except jobs.JobNotFound:
            log.info("job %s no longer exists; dropping its task", job_id)
            return
        tracker = self.tracker(job_id)
        try:
            tracker.start()
        except InvalidTransition as exc:
            log.info("job %s not started: %s", job_id, exc)
            return
        if job.type == JobType.IMPORT:
            self._finish(tracker, lambda: _run_with_shop(run_import, self.rt, job, shop, tracker))
        else:
            self._finish(tracker, lambda: exporter.plan(self, job, shop, tracker), hand_off=True)

    def run_chunk(self, job_id: int, item_ids: list[int]) -> None:
        """Export one chunk of a fanned-out job's items; the last chunk completes the job."""
        exporter.run_chunk(self, job_id, item_ids)

    def _finish(self, tracker: Tracker, body: Callable[[], object], *, hand_off: bool = False) -> None:
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
                tracker.close()  # chunk tasks carry the job from here
            else:
                _end(tracker, JobStatus.COMPLETED)


def _run_with_shop(runner: Runner, rt: Runtime, job: Job, shop: Shop | None, tracker: Tracker) -> None:
    if shop is None:
        raise JobError(f"shop {job.shop_name!r} was deleted")
    runner(rt, job, shop, tracker)


def _end(tracker: Tracker, status: JobStatus, error: str | None = None) -> None:
    try:
        tracker.finish(status, error)
    except InvalidTransition as exc:  # the reaper or a cancel got there first
        log.warning("job %s: %s", tracker.job_id, exc)
