"""Whole-product export: wall time against the shop's own busy time, requests, peak worker memory.

Issue 9's benchmark. An emulated shop A (in a process of its own) is seeded with `--products`
products of `--combinations` combinations and `--images` images each, categories three deep,
features and manufacturers; a worker imports it into a fresh SQLite catalogue. Then a second
worker process exports that catalogue to an empty shop B that takes `--write-ms` per record
write, `--image-ms` per image upload and `--read-ms` per read, with the per-shop limit of 4
requests in flight, and exports it once more (nothing changed: no write expected).

The baseline, measured in the same run, is the shop itself: the time B spent answering
(`busy_s`, summed over requests) divided by the limit is the fastest any client could go
within it. The latency floor counts only the configured latencies (requests x latency / limit):
it leaves out the emulator's own processing time, so it is the stricter of the two.

    .venv/bin/python bench/bench_export_whole.py [--products 500] [--combinations 4] [--images 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from emulator_process import EmulatorProcess, requests

from prestasync import queries, shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.progress import TERMINAL, JobStatus, JobType
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks

KEY_A = "WHOLEBENCHA" + "1" * 21
KEY_B = "WHOLEBENCHB" + "2" * 21
LIMIT = 4


class Bench:
    """A catalogue in a temporary data dir, its two shops, and worker processes on demand."""

    def __init__(self, url: str, data_dir: Path, logs: Path | None) -> None:
        self.data_dir, self.logs, self.started = data_dir, logs, 0
        self.rt = Runtime(Settings(data_dir=data_dir, secret_key="bench", shop_concurrency=LIMIT))
        self.rt.migrate()
        with self.rt.session() as session, session.begin():
            self.a = shops.add_shop(session, self.rt.vault, name="A", url=f"{url}/a", key=KEY_A).id
            self.b = shops.add_shop(session, self.rt.vault, name="B", url=f"{url}/b", key=KEY_B).id
        queue = make_huey(self.rt.settings.resolved_queue_url, self.rt.settings.queue_name)
        self.control = Control(self.rt, Tasks(queue, self.rt))

    def worker(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PRESTASYNC_DATA_DIR": str(self.data_dir), "PRESTASYNC_SECRET_KEY": "bench",
               "PRESTASYNC_SHOP_CONCURRENCY": str(LIMIT)}  # fmt: skip
        log = subprocess.DEVNULL if self.logs is None else (self.logs / f"worker-{self.started}.log").open("wb")
        self.started += 1
        return subprocess.Popen([sys.executable, "-m", "prestasync", "worker"], env=env, stderr=log)

    def run(self, kind: JobType, shop_id: int) -> tuple[float, float, str]:
        """Start a job and wait for its end: (seconds from the click, seconds the job ran, outcome).

        The job's own time (`started_at` to `finished_at`) leaves out the queue's pick-up delay
        and a worker process still starting; it is the figure compared with the shop's time.
        """
        began = time.perf_counter()
        (job,) = self.control.start(kind, [shop_id], {})
        while True:
            with self.rt.session() as session:
                row = queries.get_job(session, job.id)
            if JobStatus(row.status) in TERMINAL or row.status == JobStatus.HELD:
                outcome = (f"{row.status}: {row.processed} products, created {row.created}, updated {row.updated}, "
                           f"unchanged {row.unchanged}, failed {row.failed}")  # fmt: skip
                ran = (row.finished_at - row.started_at).total_seconds() if row.finished_at and row.started_at else 0
                return time.perf_counter() - began, ran, outcome
            time.sleep(0.05)


def peak_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stop(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()
    worker.wait(timeout=30)


def latency_floor(stats: dict[str, Any], args: argparse.Namespace) -> float:
    total = 0.0
    for call, n in stats["counts"].items():
        method, resource = call.split(" ", 1)
        if resource.startswith("images"):
            total += n * (args.image_ms if method == "POST" else args.read_ms)
        elif method in ("GET", "HEAD"):
            total += n * args.read_ms
        else:
            total += n * args.write_ms
    return total / 1000 / LIMIT


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--combinations", type=int, default=4)
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--write-ms", type=float, default=50.0)
    parser.add_argument("--image-ms", type=float, default=20.0)
    parser.add_argument("--read-ms", type=float, default=10.0)
    parser.add_argument("--logs", type=Path, help="keep the workers' logs in this directory")
    args = parser.parse_args()
    seeded = {"key": KEY_A, "products": args.products, "combinations_per_product": args.combinations,
              "images_per_product": args.images, "category_depth": 3, "features": 2, "manufacturers": 3}  # fmt: skip
    empty = {"key": KEY_B, "write_latency_ms": args.write_ms, "image_latency_ms": args.image_ms,
             "read_latency_ms": args.read_ms}  # fmt: skip
    n = args.products
    print(f"whole-product export: {n} products, {n * args.combinations} combinations, {n * args.images} images; "
          f"{args.write_ms:.0f} ms per write, {args.image_ms:.0f} ms per image upload, {args.read_ms:.0f} ms per "
          f"read, per-shop limit {LIMIT}")  # fmt: skip
    with EmulatorProcess({"a": seeded, "b": empty}) as emu, tempfile.TemporaryDirectory() as tmp:
        bench = Bench(emu.url, Path(tmp), args.logs)
        importer = bench.worker()
        try:
            took, _, outcome = bench.run(JobType.IMPORT, bench.a)
        finally:
            stop(importer)
        print(f"  catalogue from shop A: {took:.1f} s ({outcome})")
        exporter = bench.worker()
        try:
            results = []
            for step in ("first", "unchanged"):
                emu.reset("b")
                took, ran, outcome = bench.run(JobType.EXPORT, bench.b)
                stats = emu.stats("b")
                results.append((step, took, ran, outcome, stats))
            memory = peak_mb(exporter.pid)
        finally:
            stop(exporter)
    for step, took, ran, outcome, stats in results:
        reads, writes = requests(stats)
        print(f"  {step:9} export: {ran:7.1f} s ({took:.1f} s from the click) {reads:6d} reads {writes:6d} writes "
              f"({(reads + writes) / n:.2f} requests per product; {outcome})")  # fmt: skip
    _, _, took, _, stats = results[0]
    busy = stats["busy_s"] / LIMIT
    floor = latency_floor(stats, args)
    print("  first export's requests: " + ", ".join(f"{k} {v}" for k, v in sorted(stats["counts"].items())))
    print(f"  shop B's busy time / limit: {busy:.1f} s -> job time / busy {took / busy:.2f}x (goal <= 1.15x)")
    print(f"  latencies alone / limit: {floor:.1f} s -> {took / floor:.2f}x; most requests in flight {stats['peak']}")
    print(f"  peak worker memory (VmHWM of the exporting worker): {memory:.0f} MB (goal < 300 MB)")


if __name__ == "__main__":
    main()
