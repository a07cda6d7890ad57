"""Twenty jobs at once over five shops and three worker processes: exact counts, no deadlock.

Per shop two imports (five shops sharing SKUs, so their upserts meet on the same catalogue
rows) and two exports of distinct catalogue SKUs, all started together. MariaDB (with the
SQLite queue) and PostgreSQL (with the Redis queue). Every job must end completed with each
of its items counted once, every shop must hold exactly the products sent to it, and no
worker may log a deadlock (MariaDB 1213, PostgreSQL "deadlock detected"), a lock
wait timeout (1205) or a failed progress write. The ledger takes the job's row lock before its
items in every transaction (`ledger.lock`), which is what this holds it to.

The big version (more jobs, products and workers) is `bench/bench_deadlocks.py`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from prestasync import queries, shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.models import Product, utcnow
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from prestasync.progress import JobStatus, JobType
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks
from tests.conftest import MARIA_ADMIN, PG_ADMIN, WorkerFactory, _server_database, need_service, wait_for

# Small pages and chunks: many short transactions per job, so writers meet often.
SHOPS, IMPORTS_PER_SHOP, EXPORTS_PER_SHOP, PRODUCTS_PER_JOB, WORKERS = 5, 2, 2, 25, 3
KEY = "LOCKKEY" + "7" * 25
# What a worker logs when the database broke a transaction off for a lock.
LOCK_TROUBLE = re.compile(r"1213|1205|[Dd]eadlock|[Ll]ock wait timeout|could not serialize|progress write failed")


@pytest.fixture(params=["mariadb", "postgres-redis"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with ExitStack() as stack:
        if request.param == "mariadb":
            need_service("MariaDB", "127.0.0.1", 3306)
            admin, queue = MARIA_ADMIN, f"sqlite:///{tmp_path / 'queue.db'}"
        else:
            need_service("PostgreSQL", "127.0.0.1", 5432)
            need_service("Redis", "127.0.0.1", 6379)
            admin, queue = PG_ADMIN, f"redis://127.0.0.1:6379/{14}"
            make_huey(queue, "prestasync").flush()  # a queue of our own: nothing left from an earlier run
        url = stack.enter_context(contextmanager(_server_database)(admin, f"ps_test_{uuid.uuid4().hex[:10]}"))
        yield Settings(
            data_dir=tmp_path / "data",
            secret_key="test-secret-key",
            database_url=url,
            queue_url=queue,
            progress_interval_s=0.05,
            heartbeat_every_s=0.5,
            chunk_size=5,
            page_size=10,
            shop_concurrency=4,
        )


def catalogue(rt: Runtime, count: int) -> None:
    now = utcnow()
    rows = [
        {"sku": f"L-{i:04d}", "name": {"en": f"Lock {i}"}, "description": {}, "price": Decimal(i % 50) + Decimal("0.5")}
        | {"quantity": i % 9, "active": True, "created_at": now, "updated_at": now}
        for i in range(count)
    ]
    with rt.session() as session, session.begin():
        session.execute(insert(Product), rows)


def test_twenty_concurrent_jobs_count_exactly_without_deadlocks(
    settings: Settings, start_worker: WorkerFactory, tmp_path: Path
) -> None:
    rt = Runtime(settings)
    rt.migrate()
    exported = EXPORTS_PER_SHOP * PRODUCTS_PER_JOB
    catalogue(rt, exported)
    # Every shop holds the same references (SKU-00001…): imports from all five upsert the same rows.
    emulated = {f"s{n}": EmulatedShop(ShopConfig(key=KEY, products=PRODUCTS_PER_JOB)) for n in range(SHOPS)}
    with RunningEmulator(emulated) as running:
        with rt.session() as session, session.begin():
            shop_ids = [
                shops.add_shop(session, rt.vault, name=f"Shop {p}", url=f"{running.url}/{p}", key=KEY).id
                for p in emulated
            ]
        control = Control(rt, Tasks(make_huey(settings.resolved_queue_url, settings.queue_name), rt))
        jobs = []
        for part in range(max(IMPORTS_PER_SHOP, EXPORTS_PER_SHOP)):  # each export its own SKUs
            skus = [f"L-{i:04d}" for i in range(part * PRODUCTS_PER_JOB, (part + 1) * PRODUCTS_PER_JOB)]
            jobs += control.start(JobType.EXPORT, shop_ids, {"skus": skus}) if part < EXPORTS_PER_SHOP else []
            jobs += control.start(JobType.IMPORT, shop_ids, {}) if part < IMPORTS_PER_SHOP else []
        assert len(jobs) == SHOPS * (IMPORTS_PER_SHOP + EXPORTS_PER_SHOP) == 20
        for n in range(WORKERS):
            start_worker(settings, "--concurrency", "4", *(["--no-periodic"] if n else []))

        def ended() -> bool:
            with Session(rt.engine) as session:
                return all(queries.get_job(session, j.id).status in ("completed", "failed", "cancelled") for j in jobs)

        wait_for(ended, 240, "20 jobs to end")
        with Session(rt.engine) as session:
            final = [queries.get_job(session, j.id) for j in jobs]
        # An import lists what the shop holds when it starts (its own products, and those an
        # export already created there): every listed product is counted once, none fails.
        counts = {(j.type, j.status, j.processed == j.total, j.failed, j.skipped) for j in final}
        errors = [(j.id, j.type, j.error_message) for j in final if j.error_message]
        assert counts == {(t, JobStatus.COMPLETED.value, True, 0, 0) for t in ("import", "export")}, (counts, errors)
        assert all(j.total == PRODUCTS_PER_JOB for j in final if j.type == "export")
        assert all(PRODUCTS_PER_JOB <= j.total <= PRODUCTS_PER_JOB + exported for j in final if j.type == "import")
        assert all(len(shop.products()) == PRODUCTS_PER_JOB + exported for shop in emulated.values())
    rt.dispose()
    logs = "".join(p.read_text(errors="replace") for p in sorted(tmp_path.glob("worker-*.log")))
    trouble = [line for line in logs.splitlines() if LOCK_TROUBLE.search(line)]
    assert not trouble, f"{len(trouble)} lock errors in the worker logs, first: {trouble[:3]}"
