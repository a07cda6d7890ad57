import hashlib
import multiprocessing
import time
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from prestasync import ledger, queries
from prestasync.db import make_engine
from prestasync.errors import InvalidTransition, JobCancelled
from prestasync.models import Job, JobItem
from prestasync.progress import JobStatus, JobType
from prestasync.tracker import Tracker


def new_job(engine: Engine, total: int = 0) -> int:
    with Session(engine) as session, session.begin():
        return ledger.create_job(session, type=JobType.IMPORT, shop=None, params={}, total=total)


def read(engine: Engine, job_id: int) -> Job:
    with Session(engine) as session:
        return queries.get_job(session, job_id)


def count_job_updates(engine: Engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE JOBS"):
            seen.append(statement)

    return seen


def _writer(url: str, job_id: int, items: int, failures: int) -> None:
    engine = make_engine(url)
    tracker = Tracker(engine, job_id, interval_s=0.002)
    for i in range(items):
        tracker.advance()
        if i % 50 == 0:
            tracker.flush()
    for i in range(failures):
        tracker.fail_item(f"SKU-{job_id}-{i}", "price is not valid", code="85")
        tracker.flush()
    tracker.close()
    engine.dispose()


def test_eight_writer_processes_lose_no_update(engine: Engine, db_url: str) -> None:
    job_id = new_job(engine, total=8 * 420)
    Tracker(engine, job_id, autoflush=False).start()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(db_url, job_id, 400, 20)) for _ in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    job = read(engine, job_id)
    assert (job.processed, job.failed, job.total) == (8 * 420, 8 * 20, 8 * 420)
    with engine.connect() as conn:
        rows = conn.execute(select(func.count(JobItem.id)).where(JobItem.job_id == job_id)).scalar()
    assert rows == 160


def test_coalescing_bounds_writes_for_ten_thousand_items(sqlite_engine: Engine) -> None:
    job_id = new_job(sqlite_engine)
    updates = count_job_updates(sqlite_engine)
    tracker = Tracker(sqlite_engine, job_id, interval_s=0.25)
    began = time.monotonic()
    tracker.start(total=10_000)
    digest = b""
    for _ in range(10_000):
        digest = hashlib.sha256(digest * 200).digest()  # the item's "work"
        tracker.advance()
    tracker.finish()
    duration = time.monotonic() - began
    job = read(sqlite_engine, job_id)
    assert (job.status, job.processed, job.total) == ("completed", 10_000, 10_000)
    assert len(updates) <= duration / 0.25 + 3, (len(updates), duration)


def test_flusher_writes_counts_within_the_interval_while_idle(sqlite_engine: Engine) -> None:
    job_id = new_job(sqlite_engine, total=10)
    tracker = Tracker(sqlite_engine, job_id, interval_s=0.05)
    tracker.start()
    tracker.advance(3)
    deadline = time.monotonic() + 5
    while read(sqlite_engine, job_id).processed != 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert read(sqlite_engine, job_id).processed == 3
    tracker.finish()


def test_processed_beyond_total_grows_total(sqlite_engine: Engine) -> None:
    job_id = new_job(sqlite_engine, total=2)
    tracker = Tracker(sqlite_engine, job_id, autoflush=False)
    tracker.start()
    tracker.advance(5)
    tracker.finish()
    job = read(sqlite_engine, job_id)
    assert (job.processed, job.total) == (5, 5)


def test_failed_items_land_in_the_ledger_in_full(sqlite_engine: Engine) -> None:
    job_id = new_job(sqlite_engine, total=300)
    tracker = Tracker(sqlite_engine, job_id, autoflush=False)
    tracker.start()
    for i in range(300):
        tracker.fail_item(f"<b>SKU-{i}</b>", f"boom {i}", code="85")
    tracker.finish()
    with Session(sqlite_engine) as session:
        assert queries.count_failed_items(session, job_id) == 300
        page = queries.failed_items(session, job_id, offset=290, limit=50)
    assert [i.sku for i in page] == [f"<b>SKU-{i}</b>" for i in range(290, 300)]
    assert read(sqlite_engine, job_id).failed == 300


def test_cancel_is_seen_and_unreached_items_are_skipped(sqlite_engine: Engine) -> None:
    job_id = new_job(sqlite_engine, total=100)
    tracker = Tracker(sqlite_engine, job_id, autoflush=False, interval_s=0.0)
    tracker.start()
    tracker.advance(40)
    with Session(sqlite_engine) as session, session.begin():
        assert ledger.request_cancel(session, job_id) == JobStatus.CANCELLING
    with pytest.raises(JobCancelled):
        tracker.check_cancel()
    tracker.finish(JobStatus.CANCELLED)
    job = read(sqlite_engine, job_id)
    assert (job.status, job.processed, job.skipped) == ("cancelled", 40, 60)
    assert job.finished_at is not None


def test_illegal_transitions_are_rejected(engine: Engine) -> None:
    job_id = new_job(engine)
    with Session(engine) as session, session.begin():
        with pytest.raises(InvalidTransition):
            ledger.transition(session, job_id, JobStatus.COMPLETED)
    tracker = Tracker(engine, job_id, autoflush=False)
    tracker.start()
    tracker.finish(JobStatus.FAILED, error="shop down")
    with pytest.raises(InvalidTransition, match="failed to running"):
        Tracker(engine, job_id, autoflush=False).start()
    assert read(engine, job_id).error_message == "shop down"


def test_cancel_of_a_pending_job_ends_it_at_once(sqlite_engine: Engine) -> None:
    job_id = new_job(sqlite_engine)
    with Session(sqlite_engine) as session, session.begin():
        assert ledger.request_cancel(session, job_id) == JobStatus.CANCELLED
    with Session(sqlite_engine) as session, session.begin():
        with pytest.raises(InvalidTransition):
            ledger.request_cancel(session, job_id)


def test_the_current_step_is_written_cleared_and_gone_when_the_job_ends(engine: Engine) -> None:
    from prestasync.contract import JobStep, job_out
    from prestasync.ledger import NewItem
    from prestasync.progress import ItemState, Outcome

    job_id = new_job(engine, total=3)
    tracker = Tracker(engine, job_id, autoflush=False)
    tracker.start()
    tracker.set_step("images", 4, 40)
    tracker.flush()
    assert read(engine, job_id).step == {"phase": "images", "done": 4, "total": 40}
    assert job_out(read(engine, job_id)).step == JobStep(phase="images", done=4, total=40)
    tracker.clear_step()
    noted = NewItem("SKU-1", ItemState.DONE, "image #7 has no file", "ghost_image", 7, outcome=Outcome.CREATED)
    tracker.record(done={Outcome.UNCHANGED: 1}, items=[noted])
    tracker.flush()
    job = read(engine, job_id)
    assert (job.step, job.processed, job.created, job.unchanged, job.failed) == (None, 2, 1, 1, 0)
    tracker.set_step("images", 1, 2)
    tracker.finish()
    assert read(engine, job_id).step is None and job_out(read(engine, job_id)).step is None
