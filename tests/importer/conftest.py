"""A rig for import tests: emulated shops on a real socket, a real database, jobs run in-process
through the real task code (the queue is not under test here)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prestasync import queries, shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.imagestore import ImageStore
from prestasync.models import Job, JobItem, RemoteLink
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator
from prestasync.progress import JobType
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks


class Inline:
    """Runs each enqueued job at once in this process."""

    def __init__(self, rt: Runtime) -> None:
        self.tasks = Tasks(make_huey("memory://", "test"), rt)

    def enqueue_job(self, job_id: int, *, delay_s: float = 0.0) -> None:
        self.tasks.run_job(job_id)


class Rig:
    """One catalogue database and the shops it imports from (shop ids 1, 2… in `add` order)."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        self.rt = Runtime(settings, transport=transport)
        self.rt.migrate()
        self.control = Control(self.rt, Inline(self.rt))
        self.store = ImageStore(settings.data_dir / "images")
        self.shop_ids: list[int] = []

    def add(self, name: str, url: str, key: str) -> int:
        with self.rt.session() as session, session.begin():
            self.shop_ids.append(shops.add_shop(session, self.rt.vault, name=name, url=url, key=key).id)
        return self.shop_ids[-1]

    def run(self, shop_id: int = 1, params: dict[str, Any] | None = None) -> Job:
        (job,) = self.control.start(JobType.IMPORT, [shop_id], params or {})
        return self.job(job.id)

    def retry_failed(self, job_id: int) -> Job:
        return self.job(self.control.retry(job_id, failed_only=True).id)

    def job(self, job_id: int) -> Job:
        with Session(self.rt.engine) as session:
            return queries.get_job(session, job_id)

    def items(self, job_id: int) -> dict[str, JobItem]:
        with Session(self.rt.engine) as session:
            rows = session.execute(select(JobItem).where(JobItem.job_id == job_id)).scalars()
            return {row.sku: row for row in rows}

    def all(self, model: Any) -> list[Any]:
        """Every row of a table (by id when it has one)."""
        query = select(model).order_by(model.id) if hasattr(model, "id") else select(model)
        with Session(self.rt.engine) as session:
            return list(session.execute(query).scalars())

    def count(self, model: Any) -> int:
        with Session(self.rt.engine) as session:
            return int(session.execute(select(func.count()).select_from(model)).scalar() or 0)

    def links(self, shop_id: int, kind: str) -> dict[int, int]:
        """remote id -> catalogue id of one shop's links of `kind`."""
        with Session(self.rt.engine) as session:
            rows = session.execute(
                select(RemoteLink.remote_id, RemoteLink.local_id).where(
                    RemoteLink.shop_id == shop_id, RemoteLink.kind == kind
                )
            )
            return {remote: local for remote, local in rows.all()}  # noqa: C416 - a Result has keys()


@pytest.fixture
def serve() -> Iterator[Any]:
    """`serve(shop, …)` runs emulated shops on one socket and returns their base URLs."""
    running: list[RunningEmulator] = []

    def start(*emulated: EmulatedShop) -> list[str]:
        prefixes = {f"s{i}": shop for i, shop in enumerate(emulated)}
        emulator = RunningEmulator(prefixes).__enter__()
        running.append(emulator)
        return [f"{emulator.url}/{prefix}" for prefix in prefixes]

    yield start
    for emulator in running:
        emulator.__exit__(None, None, None)
