"""The import job end to end: emulator over a socket, real worker processes, real queues."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prestasync import queries, shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.models import Job, Product
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from prestasync.progress import JobType
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks
from tests.conftest import WorkerFactory, wait_for

KEY = "IMPORTKEY" + "7" * 23
BROKEN = {5: {"reference": ""}, 9: {"price": "abc"}, 11: {"reference": "SKU-00010"}}


@pytest.fixture
def emulated() -> Iterator[tuple[EmulatedShop, str]]:
    shop = EmulatedShop(ShopConfig(key=KEY, products=1000, broken=BROKEN))
    with RunningEmulator({"": shop}) as running:
        yield shop, running.url


def setup(settings: Settings, url: str, key: str = KEY) -> tuple[Runtime, Control]:
    rt = Runtime(settings)
    rt.migrate()
    with rt.session() as session, session.begin():
        shops.add_shop(session, rt.vault, name="Shop A", url=url, key=key)
    return rt, Control(rt, Tasks(make_huey(settings.resolved_queue_url, settings.queue_name), rt))


def finished(rt: Runtime, job_id: int) -> Job | None:
    with Session(rt.engine) as session:
        job = queries.get_job(session, job_id)
    return job if job.status in ("completed", "failed", "cancelled") else None


def import_and_wait(rt: Runtime, control: Control, timeout: float = 60) -> Job:
    (job,) = control.start(JobType.IMPORT, [1], {})
    done = wait_for(lambda: finished(rt, job.id), timeout, f"import job {job.id} to finish")
    assert isinstance(done, Job)
    return done


def assert_catalogue_matches(rt: Runtime, shop: EmulatedShop) -> None:
    expected = {p["reference"]: p for p in shop.products() if p["id"] not in BROKEN}
    with Session(rt.engine) as session:
        got = {p.sku: p for p in session.execute(select(Product)).scalars()}
    assert set(got) == set(expected)
    for sku, record in expected.items():
        assert got[sku].price == Decimal(record["price"])
        assert got[sku].name == {"en": record["name"][1], "pl": record["name"][2]}
        assert got[sku].quantity == record["quantity"]


def test_import_of_1000_products_through_a_worker_process(
    settings: Settings, emulated: tuple[EmulatedShop, str], start_worker: WorkerFactory
) -> None:
    shop, url = emulated
    rt, control = setup(settings, url)
    start_worker(settings, "--concurrency", "2")
    job = import_and_wait(rt, control)
    assert (job.status, job.total, job.processed, job.failed) == ("completed", 1000, 1000, 3)
    with Session(rt.engine) as session:
        failures = {i.sku: i.message for i in queries.failed_items(session, job.id)}
    assert set(failures) == {"#5", "SKU-00009", "SKU-00010"}
    assert "no reference" in failures["#5"] and "'abc'" in failures["SKU-00009"]
    assert_catalogue_matches(rt, shop)

    again = import_and_wait(rt, control)
    assert (again.status, again.failed) == ("completed", 3)
    with Session(rt.engine) as session:
        assert session.execute(select(func.count(Product.id))).scalar() == 997


def test_wrong_key_fails_the_job_quickly_without_leaking_the_key(
    settings: Settings, emulated: tuple[EmulatedShop, str], start_worker: WorkerFactory
) -> None:
    wrong = "WRONGKEY" + "0" * 24
    rt, control = setup(settings, emulated[1], key=wrong)
    start_worker(settings)
    job = import_and_wait(rt, control, timeout=15)
    assert job.status == "failed"
    assert (
        job.error_message and "401" in job.error_message and "Authentification key is not active" in job.error_message
    )
    assert wrong not in job.error_message


@pytest.mark.redis
@pytest.mark.postgres
def test_import_with_the_redis_queue_and_postgresql(
    settings: Settings, emulated: tuple[EmulatedShop, str], start_worker: WorkerFactory, pg_url: str, redis_url: str
) -> None:

    settings = settings.model_copy(update={"database_url": pg_url, "queue_url": redis_url})
    rt, control = setup(settings, emulated[1])
    start_worker(settings, "--concurrency", "2")
    job = import_and_wait(rt, control)
    assert (job.status, job.processed, job.failed) == ("completed", 1000, 3)
    assert_catalogue_matches(rt, emulated[0])


class Inline:
    """Runs each enqueued job at once in this process (the queue is not under test here)."""

    def __init__(self, rt: Runtime) -> None:
        self.tasks = Tasks(make_huey("memory://", "test"), rt)

    def enqueue_job(self, job_id: int) -> None:
        self.tasks.run_job(job_id)


def test_failed_only_retry_reimports_exactly_the_fixed_records(
    settings: Settings, emulated: tuple[EmulatedShop, str]
) -> None:
    from prestasync.prestashop import PrestaShopClient

    shop, url = emulated
    rt, _ = setup(settings, url)
    control = Control(rt, Inline(rt))
    (first,) = control.start(JobType.IMPORT, [1], {})
    with PrestaShopClient.connect(url, KEY) as client:
        client.patch_product(5, {"reference": "FIXED-5"})
        client.patch_product(9, {"price": "12.50"})
    retry = control.retry(first.id, failed_only=True)
    with Session(rt.engine) as session:
        done = queries.get_job(session, retry.id)
        still = [i.sku for i in queries.failed_items(session, retry.id)]
        skus = set(session.execute(select(Product.sku)).scalars())
    assert retry.params == {"remote_ids": [5, 9, 11]}
    assert (done.status, done.total, done.processed, done.failed) == ("completed", 3, 3, 1)
    assert still == ["SKU-00010"]  # the duplicate reference was not fixed
    assert {"FIXED-5", "SKU-00009"} <= skus


def test_since_imports_only_products_changed_after_it(settings: Settings, emulated: tuple[EmulatedShop, str]) -> None:
    from prestasync.prestashop import PrestaShopClient

    shop, url = emulated
    rt, _ = setup(settings, url)
    with PrestaShopClient.connect(url, KEY) as client:
        client.patch_product(700, {"price": "99.00"})
    (job,) = Control(rt, Inline(rt)).start(JobType.IMPORT, [1], {"since": "2026-06-01T00:00:00"})
    with Session(rt.engine) as session:
        done = queries.get_job(session, job.id)
        prices = {p.sku: p.price for p in session.execute(select(Product)).scalars()}
    assert (done.status, done.total, done.processed) == ("completed", 1, 1)
    assert prices == {"SKU-00700": Decimal("99.00")}
