"""Fair shops: two exports at once, each to its own shop, share the workers from the start."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from prestasync import queries, shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.models import Job
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator
from prestasync.progress import JobType
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks
from tests.conftest import WorkerFactory
from tests.export.harness import KEY, add_products, config


@pytest.fixture
def two_shops(settings: Settings) -> Iterator[tuple[Runtime, dict[str, EmulatedShop], str]]:
    slow = EmulatedShop(config(write_latency_ms=100))
    fast = EmulatedShop(config())
    with RunningEmulator({"slow": slow, "fast": fast}) as emulator:
        rt = Runtime(settings)
        rt.migrate()
        with Session(rt.engine) as session, session.begin():
            for name in ("slow", "fast"):
                shops.add_shop(session, rt.vault, name=name, url=f"{emulator.url}/{name}", key=KEY)
        yield rt, {"slow": slow, "fast": fast}, emulator.url
        rt.dispose()


def test_two_shops_exported_at_once_both_progress_from_the_start(
    settings: Settings, two_shops: tuple[Runtime, dict[str, EmulatedShop], str], start_worker: WorkerFactory
) -> None:
    """One worker with as many threads as one shop's limit: interleaved lanes, not a queue."""
    rt, _, _ = two_shops
    add_products(rt, 240)
    control = Control(rt, Tasks(make_huey(settings.resolved_queue_url, settings.queue_name), rt))
    with Session(rt.engine) as session:
        ids = [shops.find_shop(session, name).id for name in ("slow", "fast")]
    (slow_job,) = control.start(JobType.EXPORT, ids[:1], {})
    # The fast shop gets half the products: it must finish first unless it waits behind the slow one.
    (fast_job,) = control.start(JobType.EXPORT, ids[1:], {"skus": [f"P-{i:05d}" for i in range(1, 121)]})
    start_worker(settings, "--concurrency", str(settings.shop_concurrency))
    first_progress: dict[int, float] = {}
    finished: dict[int, float] = {}
    began = time.monotonic()
    while len(finished) < 2 and time.monotonic() - began < 120:
        for job in _rows(rt, slow_job.id, fast_job.id):
            now = time.monotonic() - began
            if job.processed and job.id not in first_progress:
                first_progress[job.id] = now
            if job.status in ("completed", "failed", "cancelled") and job.id not in finished:
                finished[job.id] = now
        time.sleep(0.05)
    rows = {job.id: job for job in _rows(rt, slow_job.id, fast_job.id)}
    assert {j.status for j in rows.values()} == {"completed"}
    assert finished[fast_job.id] < finished[slow_job.id]  # the fast shop is not held up by the slow one
    # Both progressed from the start: each had written products while the other was still going.
    assert first_progress[fast_job.id] < finished[slow_job.id]
    assert first_progress[slow_job.id] < finished[fast_job.id]


def _rows(rt: Runtime, *job_ids: int) -> list[Job]:
    with Session(rt.engine) as session:
        return [queries.get_job(session, job_id) for job_id in job_ids]
