"""Export throughput: the fanned-out export job vs a sequential loop, against one shop.

The emulator (in this process, so its own busy time can be read) adds 50 ms to every write.
- ours: `prestasync export` run by a real worker process (4 threads, SQLite queue), with the
  per-shop limit of 4 requests in flight;
- sequential: the same client calls a simple script makes, one product after another (find by
  reference, create, set stock), on `--sample` products, extrapolated unless `--full`.
The floor is the shop's own busy time divided by the concurrency it was offered.

    .venv/bin/python bench/bench_export.py [--products N] [--write-ms MS] [--sample N] [--full]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert

from prestasync import queries, shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.models import Product, utcnow
from prestasync.prestashop import PrestaShopClient, ProductDraft
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from prestasync.progress import JobType
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks

KEY = "EXPORTBENCH" + "5" * 21
LIMIT = 4


def catalogue(count: int) -> list[dict[str, object]]:
    now = utcnow()
    return [
        {
            "sku": f"B-{i:05d}",
            "name": {"en": f"Bench {i}", "pl": f"Test {i}"},
            "description": {},
            "price": Decimal(i % 50) + Decimal("0.50"),
            "quantity": i % 20,
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(1, count + 1)
    ]


def ours(url: str, data_dir: Path, products: int) -> tuple[float, str]:
    settings = Settings(data_dir=data_dir, secret_key="bench", shop_concurrency=LIMIT, worker_concurrency=LIMIT)
    rt = Runtime(settings)
    rt.migrate()
    with rt.session() as session, session.begin():
        shops.add_shop(session, rt.vault, name="bench", url=url, key=KEY)
        session.execute(insert(Product), catalogue(products))
    env = {**os.environ, "PRESTASYNC_DATA_DIR": str(data_dir), "PRESTASYNC_SECRET_KEY": "bench"}
    worker = subprocess.Popen([sys.executable, "-m", "prestasync", "worker"], env=env, stderr=subprocess.DEVNULL)
    try:
        control = Control(rt, Tasks(make_huey(settings.resolved_queue_url), rt))
        began = time.perf_counter()
        (job,) = control.start(JobType.EXPORT, [1], {})
        while True:
            with rt.session() as session:
                row = queries.get_job(session, job.id)
            if row.status in ("completed", "failed", "cancelled"):
                return time.perf_counter() - began, f"{row.status} {row.processed}/{row.total}, {row.failed} failed"
            time.sleep(0.05)
    finally:
        worker.terminate()
        worker.wait(timeout=15)


def sequential(url: str, sample: int) -> float:
    began = time.perf_counter()
    with PrestaShopClient.connect(url, KEY) as client:
        for row in catalogue(sample):
            name = row["name"]
            assert isinstance(name, dict)
            draft = ProductDraft(str(row["sku"]), Decimal(str(row["price"])), True, {1: name["en"], 2: name["pl"]})
            found = client.find_products_by_reference(draft.reference)
            remote = client.update_product(found[0], draft) if found else client.create_product(draft)
            client.set_stock(remote.id, int(str(row["quantity"])))
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--write-ms", type=float, default=50.0)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    mine_shop = EmulatedShop(ShopConfig(key=KEY, write_latency_ms=args.write_ms))
    loop_shop = EmulatedShop(ShopConfig(key=KEY, write_latency_ms=args.write_ms))
    with RunningEmulator({"ours": mine_shop, "loop": loop_shop}) as running, tempfile.TemporaryDirectory() as tmp:
        mine, outcome = ours(f"{running.url}/ours", Path(tmp), args.products)
        sample = args.products if args.full else min(args.sample, args.products)
        loop_s = sequential(f"{running.url}/loop", sample) * args.products / sample
    writes = len(mine_shop.writes)
    label = "measured" if sample == args.products else f"extrapolated from {sample} products"
    print(f"export of {args.products} products, {args.write_ms:.0f} ms per write, per-shop limit {LIMIT}:")
    print(f"  prestasync export job (fan-out): {mine:8.2f} s   {writes / mine:6.1f} writes/s   ({outcome})")
    print(f"  sequential loop:                 {loop_s:8.2f} s   ({label})")
    print(
        f"  shop busy time: {mine_shop.busy_s:.2f} s over {mine_shop.requests} requests;"
        f" floor at {LIMIT} in flight: {mine_shop.busy_s / LIMIT:.2f} s"
    )
    print(f"  speed-up: {loop_s / mine:.2f}x   (goal >= {0.8 * LIMIT:.1f}x = 0.8 x limit)")
    print(f"  ours / floor: {mine / (mine_shop.busy_s / LIMIT):.2f}x")


if __name__ == "__main__":
    main()
