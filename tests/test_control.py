import threading
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from prestasync import ledger, shops
from prestasync.config import Settings
from prestasync.control import Control, ControlError, validate_params
from prestasync.errors import InvalidInput, ShopNotFound
from prestasync.ledger import Delta, NewItem
from prestasync.progress import ItemState, JobStatus, JobType
from prestasync.runtime import Runtime
from prestasync.tracker import Tracker
from tests.conftest import RecordingQueue


@pytest.fixture
def rt(settings: Settings) -> Runtime:
    runtime = Runtime(settings)
    runtime.migrate()
    with runtime.session() as session, session.begin():
        shops.add_shop(session, runtime.vault, name="A", url="http://a.test", key="A" * 32)
        shops.add_shop(session, runtime.vault, name="B", url="http://b.test", key="B" * 32)
    return runtime


def finished_job_with_failures(rt: Runtime, control: Control, skus: list[str]) -> int:
    (job,) = control.start(JobType.EXPORT, [1], {})
    tracker = Tracker(rt.engine, job.id, autoflush=False)
    tracker.start()
    for sku in skus:
        tracker.fail_item(sku, "Validation error", code="ps_85")
    tracker.advance(3)
    tracker.finish()
    return job.id


def test_start_enqueues_after_commit_one_job_per_shop(rt: Runtime) -> None:
    queue = RecordingQueue()
    created = Control(rt, queue).start(JobType.EXPORT, [1, 2], {"skus": ["B", "A", "A"]})
    assert queue.ids == [j.id for j in created]
    assert {j.shop_name for j in created} == {"A", "B"}
    assert created[0].group_uuid and created[0].group_uuid == created[1].group_uuid
    assert created[0].params == {"skus": ["A", "B"]}


def test_params_are_validated() -> None:
    # Malformed parameters are invalid input (API 422, CLI exit 2), not a refusal of the job rules.
    with pytest.raises(InvalidInput, match="unknown parameter"):
        validate_params(JobType.SYNC, {"skus": ["A"]})
    with pytest.raises(InvalidInput, match="ISO date"):
        validate_params(JobType.IMPORT, {"since": "last tuesday"})
    with pytest.raises(InvalidInput, match="list of strings"):
        validate_params(JobType.EXPORT, {"skus": "A,B"})
    assert validate_params(JobType.EXPORT, {"skus": [" B", "A", "A"]}) == {"skus": ["A", "B"]}
    assert validate_params(JobType.IMPORT, {"remote_ids": [3, 1, 3]}) == {"remote_ids": [1, 3]}


@pytest.mark.parametrize(
    ("type", "params"),
    [
        (JobType.EXPORT, {"skus": []}),
        (JobType.EXPORT, {"skus": [" "]}),
        (JobType.EXPORT, {"skus": ["A", ""]}),
        (JobType.IMPORT, {"remote_ids": []}),
        (JobType.IMPORT, {"remote_ids": [True]}),
        (JobType.IMPORT, {"remote_ids": ["1"]}),
        (JobType.IMPORT, {"remote_ids": [0]}),
        (JobType.IMPORT, {"since": ""}),
        (JobType.IMPORT, {"since": None}),
    ],
)
def test_an_empty_selection_is_refused_not_read_as_everything(type: JobType, params: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        validate_params(type, params)
    assert validate_params(JobType.IMPORT, {"since": "2026-01-02"}) == {"since": "2026-01-02T00:00:00+00:00"}


def test_unknown_shop_is_refused(rt: Runtime) -> None:
    with pytest.raises(ShopNotFound, match="no shop with id 99"):
        Control(rt, RecordingQueue()).start(JobType.IMPORT, [99], {})


def test_retry_failed_only_takes_exactly_the_failed_skus(rt: Runtime) -> None:
    control = Control(rt, RecordingQueue())
    original = finished_job_with_failures(rt, control, ["S-2", "S-1", "S-3"])
    retry = control.retry(original, failed_only=True)
    assert (retry.retry_of, retry.params, retry.status) == (original, {"skus": ["S-1", "S-2", "S-3"]}, "pending")


def test_retry_of_an_active_job_is_refused(rt: Runtime) -> None:
    control = Control(rt, RecordingQueue())
    (job,) = control.start(JobType.IMPORT, [1], {})
    with pytest.raises(ControlError, match="still pending"):
        control.retry(job.id)


def test_two_retries_at_once_make_one_job(rt: Runtime) -> None:
    control = Control(rt, RecordingQueue())
    original = finished_job_with_failures(rt, control, ["S-1"])
    results: list[object] = []
    barrier = threading.Barrier(2)

    def go() -> None:
        barrier.wait()
        try:
            results.append(control.retry(original, failed_only=True).id)
        except ControlError as exc:
            results.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(r, int) for r in results) == 1
    assert sum(isinstance(r, ControlError) and "already being retried" in str(r) for r in results) == 1


def test_cancel_of_a_finished_job_says_why(rt: Runtime) -> None:
    control = Control(rt, RecordingQueue())
    original = finished_job_with_failures(rt, control, [])
    with pytest.raises(ControlError, match="can be cancelled"):
        control.cancel(original)


def test_failed_only_without_failures_is_refused(rt: Runtime, tmp_path: Path) -> None:
    control = Control(rt, RecordingQueue())
    original = finished_job_with_failures(rt, control, [])
    with pytest.raises(ControlError, match="no failed items"):
        control.retry(original, failed_only=True)


def test_import_retry_failed_only_uses_remote_ids(rt: Runtime) -> None:
    control = Control(rt, RecordingQueue())
    (job,) = control.start(JobType.IMPORT, [1], {})
    with Session(rt.engine) as session, session.begin():
        ledger.transition(session, job.id, JobStatus.RUNNING)
        ledger.record(session, job.id, Delta(items=[NewItem("#5", ItemState.FAILED, "bad", remote_id=5)]))
        ledger.transition(session, job.id, JobStatus.COMPLETED)
    assert control.retry(job.id, failed_only=True).params == {"remote_ids": [5]}


def test_a_queue_outage_keeps_the_job_pending_for_the_reaper(rt: Runtime) -> None:
    class Down:
        def enqueue_job(self, job_id: int) -> None:
            raise ConnectionError("redis is down")

    (job,) = Control(rt, Down()).start(JobType.IMPORT, [1], {})
    assert job.status == "pending"
