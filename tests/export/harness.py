"""A whole export setup in one process: a runtime on SQLite, emulated shops on a real socket, and
the real task code on Huey's in-memory queue in immediate mode (each enqueued task runs at once,
in the caller's thread), so a job runs to its end inside `run()` and requests can be counted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from huey import MemoryHuey
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from prestasync import queries, shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.models import Job, JobItem, Product, Shop, utcnow
from prestasync.prestashop import PrestaShopClient
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from prestasync.progress import JobType
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks

KEY = "HARNESSKEY" + "7" * 22
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Harness:
    def __init__(self, rt: Runtime, emulator: RunningEmulator, shops_by_name: dict[str, EmulatedShop]) -> None:
        self.rt, self.emulator, self.shops = rt, emulator, shops_by_name
        self.control = Control(rt, Tasks(MemoryHuey("harness", immediate=True, results=False), rt))

    def shop_id(self, name: str) -> int:
        with Session(self.rt.engine) as session:
            return shops.find_shop(session, name).id

    def run(self, type: JobType, shop: str, **params: Any) -> Job:
        """Start a job and return its row once the immediate queue has run it."""
        (job,) = self.control.start(type, [self.shop_id(shop)], params)
        return self.job(job.id)

    def job(self, job_id: int) -> Job:
        with Session(self.rt.engine) as session:
            return queries.get_job(session, job_id)

    def items(self, job_id: int) -> list[JobItem]:
        with Session(self.rt.engine) as session:
            return list(session.execute(select(JobItem).where(JobItem.job_id == job_id).order_by(JobItem.id)).scalars())

    def add_products(self, n: int, *, start: int = 1, **values: Any) -> None:
        add_products(self.rt, n, start=start, **values)

    def update(self, sku: str, **values: Any) -> None:
        with Session(self.rt.engine) as session, session.begin():
            product = session.execute(select(Product).where(Product.sku == sku)).scalar_one()
            for name, value in values.items():
                setattr(product, name, value)
            product.updated_at = utcnow()

    def client(self, name: str) -> PrestaShopClient:
        """A client for shop `name`, for a test that edits the shop as its operator would."""
        return PrestaShopClient.connect(f"{self.emulator.url}/{name}", self.shops[name].config.key)

    def shop_row(self, name: str) -> Shop:
        with Session(self.rt.engine) as session:
            return shops.find_shop(session, name)


def add_products(rt: Runtime, n: int, *, start: int = 1, **values: Any) -> None:
    """Catalogue products `P-00001`… with names in en and pl, a two-line description, stock."""
    now = utcnow()
    rows = [
        {
            "sku": f"P-{i:05d}",
            "name": {"en": f"Thing {i}", "pl": f"Rzecz {i}"},
            "description": {"en": f"About thing {i}\r\nsecond line"},
            "price": Decimal(i % 97) + Decimal("0.99"),
            "quantity": i % 13 + 1,
            "active": True,
            "created_at": now,
            "updated_at": now,
            **values,
        }
        for i in range(start, start + n)
    ]
    with Session(rt.engine) as session, session.begin():
        session.execute(insert(Product), rows)


def counts(shop: EmulatedShop) -> tuple[int, int]:
    """(reads, writes) the shop has answered since its counters were reset."""
    reads = sum(n for (method, _), n in shop.counts.items() if method not in WRITES)
    writes = sum(n for (method, _), n in shop.counts.items() if method in WRITES)
    return reads, writes


@contextmanager
def harness(tmp_path: Path, **configs: ShopConfig) -> Iterator[Harness]:
    """Shops named by the keyword arguments (each its own emulated shop), registered and empty."""
    settings = Settings(
        data_dir=tmp_path / "data",
        secret_key="harness",
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        queue_url="memory://",
        progress_interval_s=0.05,
        heartbeat_every_s=0.5,
    )
    rt = Runtime(settings)
    rt.migrate()
    emulated = {name: EmulatedShop(config) for name, config in configs.items()}
    with RunningEmulator(emulated) as emulator:
        with Session(rt.engine) as session, session.begin():
            for name, config in configs.items():
                shops.add_shop(session, rt.vault, name=name, url=f"{emulator.url}/{name}", key=config.key)
        try:
            yield Harness(rt, emulator, emulated)
        finally:
            rt.dispose()


def config(**values: Any) -> ShopConfig:
    return ShopConfig(key=KEY, **values)


def one(shop: EmulatedShop, sku: str) -> dict[str, Any]:
    """The shop's only product with this reference (its `quantity` is the true stock)."""
    (found,) = shop.product_by_reference(sku)
    return found
