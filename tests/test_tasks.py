import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from prestasync import queries, shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.models import Shop
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from prestasync.progress import JobType
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks
from tests.conftest import RecordingQueue

KEY = "TASKKEY" + "2" * 25


@pytest.fixture
def rt(settings: Settings) -> Runtime:
    runtime = Runtime(settings)
    runtime.migrate()
    return runtime


@pytest.mark.parametrize("type", [JobType.IMPORT, JobType.EXPORT])
def test_a_job_whose_shop_was_deleted_fails_with_a_clear_message(rt: Runtime, type: JobType) -> None:
    with rt.session() as session, session.begin():
        shops.add_shop(session, rt.vault, name="Gone", url="http://gone.test", key=KEY)
    (job,) = Control(rt, RecordingQueue()).start(type, [1], {})
    with rt.session() as session, session.begin():
        session.execute(delete(Shop))
    Tasks(make_huey("memory://", "test"), rt).run_job(job.id)
    with Session(rt.engine) as session:
        done = queries.get_job(session, job.id)
    assert (done.status, done.error_message, done.shop_name) == ("failed", "shop 'Gone' was deleted", "Gone")


def test_a_duplicate_delivery_does_nothing(rt: Runtime) -> None:
    shop = EmulatedShop(ShopConfig(key=KEY, products=30))
    with RunningEmulator({"": shop}) as running:
        with rt.session() as session, session.begin():
            shops.add_shop(session, rt.vault, name="A", url=running.url, key=KEY)
        (job,) = Control(rt, RecordingQueue()).start(JobType.IMPORT, [1], {})
        tasks = Tasks(make_huey("memory://", "test"), rt)
        tasks.run_job(job.id)
        requests = shop.requests
        tasks.run_job(job.id)
    with Session(rt.engine) as session:
        done = queries.get_job(session, job.id)
    assert (done.status, done.processed, done.attempts) == ("completed", 30, 1)
    assert shop.requests == requests  # the second delivery never reached the shop
