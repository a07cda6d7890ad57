"""An ended job is frozen, on SQLite, PostgreSQL and MariaDB.

Once a job is completed, failed or cancelled, nothing a slow chunk, a late tracker, a second
finisher or a reaper writes changes it: not its counts, not its items, not its timestamps.
Its `skipped` is the number of its skipped items, and none of its items is left `queued` or
`running`, even when its worker was killed mid-chunk (the last test, with a real worker).
"""

from __future__ import annotations

import os
import signal
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from prestasync import ledger, recovery, shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.errors import InvalidTransition
from prestasync.ledger import Close, Delta, NewItem
from prestasync.models import Job, JobItem, Product, utcnow
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from prestasync.progress import ItemState, JobStatus, JobType, Outcome
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks
from prestasync.tracker import Tracker
from tests.conftest import RecordingQueue, WorkerFactory, wait_for


def running_export(engine: Engine, items: int) -> tuple[int, list[int]]:
    with Session(engine) as session, session.begin():
        job_id = ledger.create_job(session, type=JobType.EXPORT, shop=None)
        ledger.transition(session, job_id, JobStatus.RUNNING, started_at=utcnow())
        ledger.plan(session, job_id, [f"SKU-{i}" for i in range(items)])
        ids = list(session.execute(select(JobItem.id).where(JobItem.job_id == job_id).order_by(JobItem.id)).scalars())
    return job_id, ids


def snapshot(engine: Engine, job_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with Session(engine) as session:
        job = session.execute(select(Job.__table__).where(Job.id == job_id)).mappings().one()
        items = session.execute(select(JobItem.__table__).where(JobItem.job_id == job_id).order_by(JobItem.id))
        return dict(job), [dict(row) for row in items.mappings()]


def end(engine: Engine, job_id: int, status: JobStatus) -> None:
    with Session(engine) as session, session.begin():
        if status == JobStatus.CANCELLED:
            ledger.request_cancel(session, job_id)
        ledger.finish(session, job_id, status, "shop down" if status == JobStatus.FAILED else None)


def assert_settled(engine: Engine, job_id: int) -> None:
    """Counts agree with the items, and nothing is left open."""
    with Session(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        states = dict(
            session.execute(
                select(JobItem.state, func.count()).where(JobItem.job_id == job_id).group_by(JobItem.state)
            ).all()
        )
    assert not states.keys() & {ItemState.QUEUED.value, ItemState.RUNNING.value}, states
    assert job.skipped == states.get(ItemState.SKIPPED.value, 0)
    assert job.failed == states.get(ItemState.FAILED.value, 0)
    assert job.processed == states.get(ItemState.DONE.value, 0) + job.failed
    assert job.processed + job.skipped == job.total


@pytest.mark.parametrize("final", [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED], ids=str)
def test_late_writes_change_nothing_in_an_ended_job(engine: Engine, final: JobStatus) -> None:
    job_id, ids = running_export(engine, 8)
    with Session(engine) as session, session.begin():
        ledger.lock(session, job_id)
        claimed = [i for i, _ in ledger.claim(session, job_id, ids[:4], "chunk-1", ItemState.QUEUED)]
        ledger.record(session, job_id, Delta(closes=[Close(claimed[0], ItemState.DONE, Outcome.UPDATED)], total=8))
        ledger.record(session, job_id, Delta(closes=[Close(claimed[1], ItemState.FAILED, message="no", code="x")]))
    end(engine, job_id, final)
    before = snapshot(engine, job_id)
    assert_settled(engine, job_id)

    late = Delta(
        done={Outcome.CREATED: 5},
        items=[NewItem("LATE", ItemState.FAILED, "late failure")],
        closes=[Close(claimed[2], ItemState.DONE, Outcome.UPDATED), Close(claimed[3], ItemState.FAILED, message="x")],
        total=100,
        checkpoint="999",
    )
    with Session(engine) as session, session.begin():  # a chunk that outlived its job reports
        assert ledger.record(session, job_id, late) is False
    with Session(engine) as session, session.begin():  # a duplicate delivery of a chunk
        ledger.lock(session, job_id)
        assert ledger.claim(session, job_id, ids, "chunk-2", ItemState.QUEUED) == []
        assert ledger.claim(session, job_id, ids, "chunk-3", ItemState.PLANNED) == []
    with Session(engine) as session, session.begin():  # the reaper and a resumed plan
        assert ledger.release(session, job_id) == 0
        ledger.heartbeat(session, job_id)
        assert ledger.plan(session, job_id, ["NEW-1", "NEW-2"]) == 0
    for other in (JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.COMPLETED):  # a second finisher
        with Session(engine) as session, session.begin():
            with pytest.raises(InvalidTransition):
                ledger.finish(session, job_id, other, "late")
    with Session(engine) as session, session.begin(), pytest.raises(InvalidTransition):
        ledger.request_cancel(session, job_id)
    tracker = Tracker(engine, job_id, autoflush=False)  # a tracker that missed the end
    tracker.advance(3)
    tracker.close_item(Close(claimed[2], ItemState.DONE, Outcome.UPDATED))
    tracker.flush()
    assert tracker.cancel_requested, "the tracker learns the job ended and stops its body"
    with pytest.raises(InvalidTransition):
        tracker.finish(JobStatus.COMPLETED)

    assert snapshot(engine, job_id) == before
    assert_settled(engine, job_id)


def test_a_failed_import_counts_unread_records_as_skipped(engine: Engine) -> None:
    """An import writes rows only for failed and vanished records: the rest of `total` it never
    reached is counted as skipped when it ends, and later writes change nothing."""
    with Session(engine) as session, session.begin():
        job_id = ledger.create_job(session, type=JobType.IMPORT, shop=None)
        ledger.transition(session, job_id, JobStatus.RUNNING, started_at=utcnow())
        ledger.record(session, job_id, Delta(done={Outcome.UPDATED: 13}, total=50, checkpoint="13"))
        ledger.record(session, job_id, Delta(items=[NewItem("#14", ItemState.SKIPPED, "gone", remote_id=14)]))
        ledger.finish(session, job_id, JobStatus.FAILED, "shop down")
    before = snapshot(engine, job_id)
    with Session(engine) as session, session.begin():
        assert not ledger.record(session, job_id, Delta(done={Outcome.UPDATED: 21}, checkpoint="34"))
    job = snapshot(engine, job_id)[0]
    assert snapshot(engine, job_id) == before
    assert (job["processed"], job["skipped"], job["total"]) == (13, 37, 50)


def test_killing_the_worker_mid_chunk_leaves_no_item_running(
    db_url: str, tmp_path: Path, start_worker: WorkerFactory
) -> None:
    """SIGKILL the only worker while its chunks hold items; cancel; the reaper ends the job."""
    key = "FROZENKEY" + "4" * 23
    settings = Settings(
        data_dir=tmp_path / "data",
        secret_key="test-secret-key",
        database_url=db_url,
        queue_url=f"sqlite:///{tmp_path / 'queue.db'}",
        progress_interval_s=0.05,
        heartbeat_every_s=0.2,
        heartbeat_timeout_s=1.0,
        cancel_timeout_s=60.0,
        chunk_size=10,
    )
    rt = Runtime(settings)
    rt.migrate()
    shop = EmulatedShop(ShopConfig(key=key, products=0, write_latency_ms=60))
    with RunningEmulator({"": shop}) as running:
        with rt.session() as session, session.begin():
            shops.add_shop(session, rt.vault, name="Slow", url=running.url, key=key)
            now = utcnow()
            session.execute(
                insert(Product),
                [
                    {"sku": f"K-{i:03d}", "name": {"en": f"K {i}"}, "description": {}, "price": Decimal("1.50")}
                    | {"quantity": 1, "active": True, "created_at": now, "updated_at": now}
                    for i in range(60)
                ],
            )
        (job,) = Control(rt, Tasks(make_huey(settings.resolved_queue_url, settings.queue_name), rt)).start(
            JobType.EXPORT, [1], {}
        )
        worker = start_worker(settings, "--concurrency", "2", "--no-periodic")

        def running_items() -> int:
            with Session(rt.engine) as session:
                return ledger.count_items(session, job.id, [ItemState.RUNNING])

        wait_for(lambda: running_items() >= 2, 60, "the worker to hold items")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    assert running_items() >= 1, "killed with items in hand"
    Control(rt, RecordingQueue()).cancel(job.id)
    wait_for(lambda: job.id in recovery.reap(rt, RecordingQueue()).cancelled, 30, "the reaper to end the job")
    with Session(rt.engine) as session:
        ended = session.get(Job, job.id)
        assert ended is not None and ended.status == JobStatus.CANCELLED and ended.skipped > 0
    assert_settled(rt.engine, job.id)
    rt.dispose()
