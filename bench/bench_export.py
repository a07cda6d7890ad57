"""Export requests and wall time: prestasync's export against the previous 4-requests-per-product design.

Both run against their own emulated shop in a separate process (50 ms per write, 10 ms per
read by default) with the same per-shop limit (4 requests in flight), on the same catalogue:
- ours: `prestasync export` jobs run by a real worker process (SQLite database and queue);
- baseline: the design prestasync had before (kept here to measure against): for every product,
  find it by reference, POST it or PUT the whole record, GET its stock row, PATCH it; 4 threads.
Three runs each: a first export to an empty shop, an unchanged re-export, and a re-export with
1 % of the prices changed. The floor is the shop's own busy time divided by the limit.

    .venv/bin/python bench/bench_export.py [--products N] [--write-ms MS] [--read-ms MS]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

sys.path.insert(0, str(Path(__file__).parent))
from emulator_process import EmulatorProcess, requests

from prestasync import queries, shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.models import Product, utcnow
from prestasync.prestashop import PrestaShopClient, RemoteProduct
from prestasync.progress import JobType
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks

KEY = "EXPORTBENCH" + "5" * 21
LIMIT = 4
READ_ONLY = {"quantity", "manufacturer_name", "position_in_category", "id"}


def catalogue(count: int) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "sku": f"B-{i:05d}",
            "name": {"en": f"Bench {i}", "pl": f"Test {i}"},
            "description": {"en": f"Product {i}."},
            "price": Decimal(i % 50) + Decimal("0.50"),
            "quantity": i % 20 + 1,
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(1, count + 1)
    ]


class Ours:
    """prestasync itself: a worker process and jobs started through `Control`."""

    def __init__(self, url: str, data_dir: Path, rows: list[dict[str, Any]]) -> None:
        self.settings = Settings(data_dir=data_dir, secret_key="bench", shop_concurrency=LIMIT)
        self.rt = Runtime(self.settings)
        self.rt.migrate()
        with self.rt.session() as session, session.begin():
            shops.add_shop(session, self.rt.vault, name="bench", url=url, key=KEY)
            session.execute(insert(Product), rows)
        env = {**os.environ, "PRESTASYNC_DATA_DIR": str(data_dir), "PRESTASYNC_SECRET_KEY": "bench",
               "PRESTASYNC_SHOP_CONCURRENCY": str(LIMIT)}  # fmt: skip
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "prestasync", "worker"], env=env, stderr=subprocess.DEVNULL
        )
        queue = make_huey(self.settings.resolved_queue_url, self.settings.queue_name)
        self.control = Control(self.rt, Tasks(queue, self.rt))

    def export(self) -> tuple[float, str]:
        began = time.perf_counter()
        (job,) = self.control.start(JobType.EXPORT, [1], {})
        while True:
            with self.rt.session() as session:
                row = queries.get_job(session, job.id)
            if row.status in ("completed", "failed", "cancelled", "held"):
                # The job's own time (a worker took it until it ended) is what is compared: the
                # first job would otherwise also count the worker process starting up.
                ran = (row.finished_at - row.started_at).total_seconds() if row.finished_at and row.started_at else 0.0
                clicked = time.perf_counter() - began
                return ran, (f"{row.status}: created {row.created}, updated {row.updated}, unchanged {row.unchanged}; "
                             f"{clicked:.1f} s from the click")  # fmt: skip
            time.sleep(0.02)

    def change_prices(self, skus: list[str]) -> None:
        with self.rt.session() as session, session.begin():
            session.execute(
                update(Product).where(Product.sku.in_(skus)).values(price=Product.price + 1, updated_at=utcnow())
            )

    def close(self) -> None:
        self.worker.terminate()
        self.worker.wait(timeout=15)
        self.rt.dispose()


class Baseline:
    """The previous design: 4 requests per product, changed or not, 4 products at a time."""

    def __init__(self, url: str, rows: list[dict[str, Any]]) -> None:
        self.client = PrestaShopClient.connect(url, KEY, max_connections=LIMIT)
        self.rows = {row["sku"]: row for row in rows}

    def export(self) -> tuple[float, str]:
        began = time.perf_counter()
        with ThreadPoolExecutor(LIMIT) as pool:
            list(pool.map(self._one, self.rows.values()))
        return time.perf_counter() - began, f"{len(self.rows)} products pushed"

    def _one(self, row: dict[str, Any]) -> None:
        texts = {"name": {1: row["name"]["en"], 2: row["name"]["pl"]}, "description": {1: row["description"]["en"]}}
        mine = {"reference": row["sku"], "price": format(row["price"], "f"), "active": "1"}
        found = [
            r for r in self.client.products_by_references([row["sku"]])[row["sku"]] if isinstance(r, RemoteProduct)
        ]
        if found:
            current = found[0]
            whole = {k: v for k, v in current.fields.items() if k not in READ_ONLY and v != ""}
            product_id = self.client.replace("products", current.id, {**whole, **mine}, texts, current=current).id
        else:
            fields = {**mine, "state": "1", "id_category_default": "2"}
            product_id = self.client.create("products", fields, texts, {"categories": [2]}).id
        own = [r for r in self.client.stock_rows_for([product_id]) if r.id_product_attribute == 0]
        self.client.set_stock_row(own[0], int(row["quantity"]))

    def change_prices(self, skus: list[str]) -> None:
        for sku in skus:
            self.rows[sku] = {**self.rows[sku], "price": self.rows[sku]["price"] + 1}


def run(emu: EmulatorProcess, name: str, runner: Ours | Baseline, changed: list[str]) -> list[tuple[float, int, str]]:
    results = []
    for step in ("first", "unchanged", "changed"):
        if step == "changed":
            runner.change_prices(changed)
        emu.reset(name)
        elapsed, outcome = runner.export()
        stats = emu.stats(name)
        reads, writes = requests(stats)
        results.append((elapsed, reads + writes, outcome))
        if step == "first":
            first_busy = stats["busy_s"]
            results[-1] = (elapsed, reads + writes, f"{outcome}; shop busy {first_busy:.1f} s")
            runner_floor[name] = first_busy / LIMIT
        print(f"  {name:9} {step:9} {elapsed:8.2f} s  {reads:6d} reads {writes:6d} writes  ({results[-1][2]})")
    return results


runner_floor: dict[str, float] = {}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--write-ms", type=float, default=50.0)
    parser.add_argument("--read-ms", type=float, default=10.0)
    args = parser.parse_args()
    rows = catalogue(args.products)
    changed = [row["sku"] for row in rows[:: max(1, args.products // max(1, args.products // 100))]][
        : max(1, args.products // 100)
    ]
    latency = {"key": KEY, "write_latency_ms": args.write_ms, "read_latency_ms": args.read_ms}
    print(f"export of {args.products} products, {args.write_ms:.0f} ms per write, {args.read_ms:.0f} ms per read, "
          f"per-shop limit {LIMIT}, {len(changed)} prices changed in the third run:")  # fmt: skip
    with EmulatorProcess({"ours": latency, "base": latency}) as emu, tempfile.TemporaryDirectory() as tmp:
        ours = Ours(f"{emu.url}/ours", Path(tmp), rows)
        try:
            mine = run(emu, "ours", ours, changed)
        finally:
            ours.close()
        base = run(emu, "base", Baseline(f"{emu.url}/base", rows), changed)
    goals = {"first": 1.8, "unchanged": 50.0, "changed": 20.0}
    print("  speed-up against the baseline (same run):")
    for (step, goal), (m, m_req, _), (b, b_req, _) in zip(goals.items(), mine, base, strict=True):
        verdict = "ok" if b / m >= goal else "MISSED"
        per = f"{m_req / args.products:.3f} requests per product (baseline {b_req / args.products:.2f})"
        print(f"    {step:9} {b / m:7.1f}x faster, {per}  goal >= {goal:.1f}x  {verdict}")
    floor = runner_floor["ours"]
    ratio = mine[0][0] / floor
    print(f"  first export / shop's busy time at the limit: {ratio:.2f}x  (floor {floor:.1f} s, goal <= 1.15x)")


if __name__ == "__main__":
    main()
