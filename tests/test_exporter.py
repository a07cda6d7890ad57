"""Export and sync end to end: emulator over a socket, real worker processes, real queues."""

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from prestasync import queries, shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.models import Job, Product, utcnow
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from prestasync.progress import JobType
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks
from tests.conftest import WorkerFactory, wait_for

KEY = "EXPORTKEY" + "3" * 23


@pytest.fixture
def emulated() -> Iterator[tuple[EmulatedShop, str]]:
    shop = EmulatedShop(ShopConfig(key=KEY, products=0))
    with RunningEmulator({"": shop}) as running:
        yield shop, running.url


def setup(settings: Settings, url: str, products: int) -> tuple[Runtime, Control]:
    rt = Runtime(settings)
    rt.migrate()
    now = utcnow()
    with rt.session() as session, session.begin():
        shops.add_shop(session, rt.vault, name="Shop A", url=url, key=KEY)
        rows = [
            {
                "sku": f"P-{i:05d}",
                "name": {"en": f"Thing {i}", "pl": f"Rzecz {i}"},
                "description": {"en": f"About thing {i}"},
                "price": Decimal(i % 97) + Decimal("0.99"),
                "quantity": i % 13,
                "active": i % 10 != 0,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(1, products + 1)
        ]
        session.execute(insert(Product), rows)
    return rt, Control(rt, Tasks(make_huey(settings.resolved_queue_url, settings.queue_name), rt))


def job_row(rt: Runtime, job_id: int) -> Job:
    with Session(rt.engine) as session:
        return queries.get_job(session, job_id)


def run(rt: Runtime, control: Control, type: JobType = JobType.EXPORT, timeout: float = 120, **params: object) -> Job:
    (job,) = control.start(type, [1], dict(params))
    done = wait_for(lambda: _terminal(rt, job.id), timeout, f"{type.value} job {job.id} to finish")
    assert isinstance(done, Job)
    return done


def _terminal(rt: Runtime, job_id: int) -> Job | None:
    job = job_row(rt, job_id)
    return job if job.status in ("completed", "failed", "cancelled") else None


def assert_shop_matches(rt: Runtime, shop: EmulatedShop) -> None:
    remote = shop.products()
    counts = Counter(p["reference"] for p in remote)
    assert all(n == 1 for n in counts.values()), [r for r, n in counts.items() if n > 1]
    with Session(rt.engine) as session:
        local = {p.sku: p for p in session.execute(select(Product)).scalars()}
    assert set(counts) == set(local)
    for record in remote:
        product = local[record["reference"]]
        assert Decimal(record["price"]) == product.price
        assert record["name"] == {1: product.name["en"], 2: product.name["pl"]}
        assert record["quantity"] == product.quantity
        assert record["active"] == int(product.active)


def test_export_2000_then_again_creates_nothing_and_wipes_nothing(
    settings: Settings, emulated: tuple[EmulatedShop, str], start_worker: WorkerFactory
) -> None:
    shop, url = emulated
    rt, control = setup(settings, url, 2000)
    start_worker(settings, "--concurrency", "4")
    job = run(rt, control)
    assert (job.status, job.total, job.processed, job.failed) == ("completed", 2000, 2000, 0)
    assert_shop_matches(rt, shop)
    before = {p["id"]: {k: v for k, v in p.items() if k != "date_upd"} for p in shop.products()}

    again = run(rt, control)
    assert (again.status, again.processed, again.failed) == ("completed", 2000, 0)
    after = {p["id"]: {k: v for k, v in p.items() if k != "date_upd"} for p in shop.products()}
    assert after == before  # no new record, and the shop's own fields (link_rewrite, state...) kept


def test_failed_skus_are_ledgered_and_retried_alone(
    settings: Settings, emulated: tuple[EmulatedShop, str], start_worker: WorkerFactory
) -> None:
    shop, url = emulated
    bad = {"P-00011", "P-00222", "P-00333"}
    shop.config.fail_skus = set(bad)
    rt, control = setup(settings, url, 400)
    start_worker(settings, "--concurrency", "4")
    job = run(rt, control)
    assert (job.status, job.processed, job.failed) == ("completed", 400, 3)
    with Session(rt.engine) as session:
        ledger = queries.failed_items(session, job.id)
    assert {i.sku for i in ledger} == bad
    assert all(i.error_code == "ps_85" and "price is not valid" in (i.message or "") for i in ledger)

    shop.config.fail_skus = set()
    retry = control.retry(job.id, failed_only=True)
    assert retry.params == {"skus": sorted(bad)}
    done = wait_for(lambda: _terminal(rt, retry.id), 60, "the retry to finish")
    assert isinstance(done, Job)
    assert (done.status, done.total, done.processed, done.failed, done.retry_of) == ("completed", 3, 3, 0, job.id)
    assert_shop_matches(rt, shop)


def _completions(tmp_path: Path) -> int:
    return sum(log.read_text().count(" completed (finisher ") for log in tmp_path.glob("worker-*.log"))


def fan_out(settings: Settings, shop: EmulatedShop, url: str, start_worker: WorkerFactory, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"shop_concurrency": 3})
    shop.config.write_latency_ms = 5
    rt, control = setup(settings, url, 1000)
    for _ in range(4):
        start_worker(settings, "--concurrency", "2")
    job = run(rt, control)
    assert (job.status, job.total, job.processed, job.failed, job.skipped) == ("completed", 1000, 1000, 0, 0)
    assert_shop_matches(rt, shop)
    assert _completions(tmp_path) == 1
    assert shop.peak_in_flight == 3  # 8 worker threads, yet never more than the shop's limit at once


def test_fan_out_over_four_worker_processes(
    settings: Settings, emulated: tuple[EmulatedShop, str], start_worker: WorkerFactory, tmp_path: Path
) -> None:
    fan_out(settings, *emulated, start_worker, tmp_path)


@pytest.mark.postgres
@pytest.mark.redis
def test_fan_out_on_postgresql_with_the_redis_queue(
    settings: Settings,
    emulated: tuple[EmulatedShop, str],
    start_worker: WorkerFactory,
    tmp_path: Path,
    pg_url: str,
    redis_url: str,
) -> None:

    settings = settings.model_copy(update={"database_url": pg_url, "queue_url": redis_url})
    fan_out(settings, *emulated, start_worker, tmp_path)


def test_cancel_mid_export_stops_every_write(
    settings: Settings, emulated: tuple[EmulatedShop, str], start_worker: WorkerFactory
) -> None:
    shop, url = emulated
    shop.config.write_latency_ms = 20
    rt, control = setup(settings, url, 2000)
    start_worker(settings, "--concurrency", "4")
    (job,) = control.start(JobType.EXPORT, [1], {})
    wait_for(lambda: job_row(rt, job.id).processed >= 50, 60, "the export to be under way")
    asked = time.monotonic()
    control.cancel(job.id)
    done = wait_for(lambda: _terminal(rt, job.id), 10, "the job to be cancelled")
    seen_cancelled = time.monotonic()
    assert isinstance(done, Job)
    assert done.status == "cancelled" and seen_cancelled - asked < 10
    assert 50 <= done.processed < 2000 and done.skipped == done.total - done.processed
    assert max(w.at for w in shop.writes) < seen_cancelled


def test_kill_9_of_the_worker_mid_export_resumes_without_duplicates(
    settings: Settings, emulated: tuple[EmulatedShop, str], start_worker: WorkerFactory
) -> None:
    shop, url = emulated
    shop.config.write_latency_ms = 5
    settings = settings.model_copy(update={"heartbeat_timeout_s": 3.0, "reaper_every_s": 1, "heartbeat_every_s": 0.5})
    rt, control = setup(settings, url, 800)
    doomed = start_worker(settings, "--concurrency", "4", "--no-periodic")
    (job,) = control.start(JobType.EXPORT, [1], {})
    wait_for(lambda: job_row(rt, job.id).processed >= 100, 60, "the export to be under way")
    os.killpg(doomed.pid, signal.SIGKILL)
    killed = time.monotonic()
    start_worker(settings, "--concurrency", "4")
    done = wait_for(lambda: _terminal(rt, job.id), 60, "the job to end after the crash")
    assert isinstance(done, Job)
    if done.status == "completed":
        assert (done.processed, done.failed, done.attempts) == (800, 0, 2)
    else:
        assert done.status == "failed" and (done.error_message or "").startswith("worker lost")
    assert time.monotonic() - killed < 2 * 3.0 + 30  # recovery within 2 x timeout, plus the remaining work
    assert_shop_matches(rt, shop)


def test_sync_pushes_only_what_changed_since_the_last_sync(
    settings: Settings, emulated: tuple[EmulatedShop, str], start_worker: WorkerFactory
) -> None:
    shop, url = emulated
    rt, control = setup(settings, url, 50)
    start_worker(settings, "--concurrency", "4")
    first = run(rt, control, JobType.SYNC)
    assert (first.status, first.total) == ("completed", 50)
    with rt.session() as session, session.begin():
        session.execute(
            update(Product)
            .where(Product.sku.in_(["P-00002", "P-00003"]))
            .values(price=Decimal("1234.50"), updated_at=utcnow())
        )
    second = run(rt, control, JobType.SYNC)
    assert (second.status, second.total, second.processed) == ("completed", 2, 2)
    assert [p["price"] for p in shop.product_by_reference("P-00002")] == ["1234.500000"]
    assert_shop_matches(rt, shop)


def test_a_garbled_answer_fails_one_item_and_the_job_still_completes(
    settings: Settings, emulated: tuple[EmulatedShop, str]
) -> None:
    import httpx
    from huey import MemoryHuey

    class GarbleSecondStockWrite(httpx.BaseTransport):
        """The real socket, except that the second stock PATCH gets a broken document back."""

        def __init__(self) -> None:
            self.real, self.stock_writes = httpx.HTTPTransport(), 0

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "PATCH" and "stock_availables" in request.url.path:
                self.stock_writes += 1
                if self.stock_writes == 2:
                    return httpx.Response(200, content=b"<prestashop><stock_available><id>", request=request)
            return self.real.handle_request(request)

    shop, url = emulated
    rt, _ = setup(settings, url, 5)
    rt.transport = GarbleSecondStockWrite()
    control = Control(rt, Tasks(MemoryHuey("export-test", immediate=True), rt))
    (job,) = control.start(JobType.EXPORT, [1], {})
    done = job_row(rt, job.id)
    with Session(rt.engine) as session:
        ledger = queries.failed_items(session, job.id)
    assert (done.status, done.total, done.processed, done.failed) == ("completed", 5, 5, 1)
    assert [i.error_code for i in ledger] == ["BadResponse"]
