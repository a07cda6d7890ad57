"""Lock trouble under load: many import and export jobs at once over emulated shops and workers.

Counts what the workers log when the database breaks a transaction off for a lock (MariaDB
1213 deadlocks and 1205 lock wait timeouts, PostgreSQL "deadlock detected", failed progress
writes) and checks every job's counts. `tests/test_concurrency.py` is the small version.

    .venv/bin/python bench/bench_deadlocks.py [--db mariadb|postgres] [--shops 5] [--imports-per-shop 2]
        [--exports-per-shop 2] [--products 40] [--workers 3] [--concurrency 4]

Each shop holds `--products` products with the same references as the others (so imports
from all shops upsert the same catalogue rows); each export pushes its own `--products`
catalogue SKUs.

Needs MariaDB on 127.0.0.1:3306 (root, no password) or PostgreSQL on 127.0.0.1:5432 and Redis.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

from prestasync import queries, shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.models import Product, utcnow
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from prestasync.progress import JobType
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks

KEY = "LOCKBENCH" + "7" * 23
ADMIN = {
    "mariadb": "mariadb+pymysql://root@127.0.0.1:3306/test",
    "postgres": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
}
TROUBLE = re.compile(r"1213|1205|[Dd]eadlock|[Ll]ock wait timeout|could not serialize|progress write failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=sorted(ADMIN), default="mariadb")
    parser.add_argument("--shops", type=int, default=5)
    parser.add_argument("--imports-per-shop", type=int, default=2)
    parser.add_argument("--exports-per-shop", type=int, default=2)
    parser.add_argument("--products", type=int, default=40, help="products per job")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    name = f"ps_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN[args.db], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run(args, ADMIN[args.db].rpartition("/")[0] + f"/{name}", Path(tmp))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}" + (" WITH (FORCE)" if args.db == "postgres" else "")))


def run(args: argparse.Namespace, url: str, tmp: Path) -> None:
    queue = "redis://127.0.0.1:6379/13" if args.db == "postgres" else f"sqlite:///{tmp / 'queue.db'}"
    settings = Settings(
        data_dir=tmp / "data",
        secret_key="bench",
        database_url=url,
        queue_url=queue,
        progress_interval_s=0.05,
        heartbeat_every_s=0.5,
        chunk_size=10,
    )
    if queue.startswith("redis"):
        make_huey(queue, "prestasync").flush()
    rt = Runtime(settings)
    rt.migrate()
    per_shop = args.exports_per_shop * args.products
    now = utcnow()
    with rt.session() as session, session.begin():
        session.execute(
            insert(Product),
            [
                {"sku": f"L-{i:05d}", "name": {"en": f"L {i}"}, "description": {}, "price": Decimal("2.50")}
                | {"quantity": 1, "active": True, "created_at": now, "updated_at": now}
                for i in range(per_shop)
            ],
        )
    emulated = {f"s{n}": EmulatedShop(ShopConfig(key=KEY, products=args.products)) for n in range(args.shops)}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESTASYNC_")}
    env |= {f"PRESTASYNC_{k.upper()}": str(v) for k, v in settings.model_dump().items()}
    with RunningEmulator(emulated) as running:
        with rt.session() as session, session.begin():
            ids = [shops.add_shop(session, rt.vault, name=p, url=f"{running.url}/{p}", key=KEY).id for p in emulated]
        control = Control(rt, Tasks(make_huey(queue, "prestasync"), rt))
        jobs = []
        for part in range(max(args.imports_per_shop, args.exports_per_shop)):
            skus = [f"L-{i:05d}" for i in range(part * args.products, (part + 1) * args.products)]
            jobs += control.start(JobType.EXPORT, ids, {"skus": skus}) if part < args.exports_per_shop else []
            jobs += control.start(JobType.IMPORT, ids, {}) if part < args.imports_per_shop else []
        started = time.monotonic()
        logs = [tmp / f"worker-{n}.log" for n in range(args.workers)]
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "prestasync", "worker", "--concurrency", str(args.concurrency)]
                + (["--no-periodic"] if n else []),
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            for n, log in enumerate(logs)
        ]
        try:
            while True:
                with Session(rt.engine) as session:
                    final = [queries.get_job(session, j.id) for j in jobs]
                if all(j.status in ("completed", "failed", "cancelled") for j in final):
                    break
                time.sleep(0.5)
            elapsed = time.monotonic() - started
        finally:
            for w in workers:
                w.terminate()
                w.wait(timeout=30)
        exact = sum(j.status == "completed" and j.processed == j.total and not (j.failed or j.skipped) for j in final)
        in_shops = [len(s.products()) for s in emulated.values()]
    trouble = [line for log in logs for line in log.read_text(errors="replace").splitlines() if TROUBLE.search(line)]
    print(f"{args.db}: {len(jobs)} jobs x {args.products} products, {args.workers} workers x {args.concurrency}")
    print(f"  {elapsed:.1f} s; jobs with exact counts: {exact}/{len(jobs)}; products per shop: {in_shops}")
    deadlocks = sum("1213" in t or "eadlock" in t for t in trouble)
    print(f"  lock errors in worker logs: {len(trouble)} (deadlocks: {deadlocks})")
    for line in trouble[:3]:
        print(f"    {line[:200]}")
    for j in final:
        if not (j.status == "completed" and j.processed == j.total and not (j.failed or j.skipped)):
            print(f"  job {j.id} {j.type} {j.status}: {j.processed}/{j.total}, {j.failed} failed, {j.skipped} skipped")
            with Session(rt.engine) as session:
                for item in queries.failed_items(session, j.id, limit=3):
                    print(f"    {item.sku}: {item.error_code} {(item.message or '')[:150]}")
    rt.dispose()


if __name__ == "__main__":
    main()
