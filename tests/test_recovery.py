from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from prestasync import ledger, queries
from prestasync.config import Settings
from prestasync.models import Job, JobItem, utcnow
from prestasync.progress import JobStatus, JobType
from prestasync.recovery import MAX_ATTEMPTS, reap
from prestasync.runtime import Runtime
from prestasync.tracker import Tracker
from tests.conftest import RecordingQueue


@pytest.fixture
def rt(settings: Settings) -> Runtime:
    runtime = Runtime(settings.model_copy(update={"heartbeat_timeout_s": 5.0, "cancel_timeout_s": 5.0}))
    runtime.migrate()
    return runtime


def job_in(rt: Runtime, status: JobStatus, *, age_s: float, attempts: int = 1) -> int:
    with Session(rt.engine) as session, session.begin():
        job_id = ledger.create_job(session, type=JobType.IMPORT, shop=None, params={})
    if status != JobStatus.PENDING:
        Tracker(rt.engine, job_id, autoflush=False).start()
    if status == JobStatus.CANCELLING:
        with Session(rt.engine) as session, session.begin():
            ledger.request_cancel(session, job_id)
    old = utcnow() - timedelta(seconds=age_s)
    with Session(rt.engine) as session, session.begin():
        session.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=old, updated_at=old, attempts=attempts))
    return job_id


def status(rt: Runtime, job_id: int) -> Job:
    with Session(rt.engine) as session:
        return queries.get_job(session, job_id)


def test_a_job_without_heartbeat_is_resumed(rt: Runtime) -> None:
    queue = RecordingQueue()
    stale, fresh = job_in(rt, JobStatus.RUNNING, age_s=30), job_in(rt, JobStatus.RUNNING, age_s=1)
    report = reap(rt, queue)
    assert report.resumed == [stale] and queue.ids == [stale]
    assert status(rt, stale).status == "pending"
    assert status(rt, fresh).status == "running"


def test_resumed_export_items_go_back_to_queued(rt: Runtime) -> None:
    job_id = job_in(rt, JobStatus.RUNNING, age_s=30)
    with Session(rt.engine) as session, session.begin():
        now = utcnow()
        session.add(JobItem(job_id=job_id, sku="A", state="running", attempt=1, created_at=now, updated_at=now))
    reap(rt, RecordingQueue())
    with Session(rt.engine) as session:
        states = session.execute(select(JobItem.state).where(JobItem.job_id == job_id)).scalars().all()
    assert states == ["queued"]


def test_a_fanned_out_job_waiting_in_the_queue_is_not_resumed(rt: Runtime) -> None:
    job_id = job_in(rt, JobStatus.RUNNING, age_s=30, attempts=MAX_ATTEMPTS)
    with Session(rt.engine) as session, session.begin():
        now = utcnow()
        session.add(JobItem(job_id=job_id, sku="A", state="queued", attempt=1, created_at=now, updated_at=now))
    queue = RecordingQueue()
    report = reap(rt, queue)
    assert (report.waiting, queue.chunks, queue.ids) == ([job_id], [job_id], [])
    assert status(rt, job_id).status == "running"
    assert reap(rt, RecordingQueue()).waiting == []  # its heartbeat was refreshed


def test_a_job_lost_too_often_fails_with_worker_lost(rt: Runtime) -> None:
    job_id = job_in(rt, JobStatus.RUNNING, age_s=30, attempts=MAX_ATTEMPTS)
    report = reap(rt, RecordingQueue())
    job = status(rt, job_id)
    assert report.failed == [job_id]
    assert job.status == "failed" and job.error_message and job.error_message.startswith("worker lost")


def test_cancelling_jobs_always_end(rt: Runtime) -> None:
    dead = job_in(rt, JobStatus.CANCELLING, age_s=30)
    assert reap(rt, RecordingQueue()).cancelled == [dead]
    assert status(rt, dead).status == "cancelled"


def test_a_forgotten_pending_job_is_enqueued_again_once(rt: Runtime) -> None:
    queue = RecordingQueue()
    job_id = job_in(rt, JobStatus.PENDING, age_s=60)
    reap(rt, queue)
    reap(rt, queue)
    assert queue.ids == [job_id]


def test_two_reapers_at_once_act_once(rt: Runtime) -> None:
    job_id = job_in(rt, JobStatus.RUNNING, age_s=30)
    first, second = RecordingQueue(), RecordingQueue()
    reap(rt, first)
    reap(rt, second)
    assert first.ids + second.ids == [job_id]


def test_cleanup_deletes_old_finished_jobs_only(rt: Runtime) -> None:
    old_done = job_in(rt, JobStatus.RUNNING, age_s=1)
    Tracker(rt.engine, old_done, autoflush=False).finish(JobStatus.COMPLETED)
    recent_done = job_in(rt, JobStatus.RUNNING, age_s=1)
    Tracker(rt.engine, recent_done, autoflush=False).finish(JobStatus.FAILED, error="x")
    old_running = job_in(rt, JobStatus.RUNNING, age_s=1)
    with Session(rt.engine) as session, session.begin():
        long_ago = utcnow() - timedelta(days=8)
        session.execute(
            update(Job).where(Job.id.in_([old_done, old_running])).values(finished_at=long_ago, created_at=long_ago)
        )
        now = utcnow()
        session.add(JobItem(job_id=old_done, sku="X", state="failed", attempt=1, created_at=now, updated_at=now))
    assert ledger.cleanup(rt.engine, 7) == 1
    with Session(rt.engine) as session:
        remaining = set(session.execute(select(Job.id)).scalars())
        items = session.execute(select(func.count(JobItem.id))).scalar()
    assert remaining == {recent_done, old_running}
    assert items == 0


def test_a_planned_job_with_nothing_left_open_is_resumed_to_finish(rt: Runtime) -> None:
    job_id = job_in(rt, JobStatus.RUNNING, age_s=30)
    with Session(rt.engine) as session, session.begin():
        now = utcnow()
        session.add(JobItem(job_id=job_id, sku="A", state="skipped", attempt=1, created_at=now, updated_at=now))
    queue = RecordingQueue()
    assert reap(rt, queue).resumed == [job_id]
    assert queue.ids == [job_id] and status(rt, job_id).status == "pending"
