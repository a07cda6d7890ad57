"""Whole-product import: wall time, requests and peak memory of importing a seeded shop twice.

The emulator serves `--products` products with `--combinations` combinations and `--images`
images each, categories `--depth` deep, from its own process (in this one it would compete
with the import for the GIL), with `--latency-ms` added to every request. The import runs in
this process on SQLite; requests are counted on our side of the socket.

    .venv/bin/python bench/bench_import_whole.py [--products 300] [--combinations 4] [--images 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import socket
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from prestasync import queries, shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.progress import JobType
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks

KEY = "BENCHKEY" + "9" * 24


class Counting(httpx.HTTPTransport):
    """The real socket, counting requests by kind (image binaries apart)."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.counts["image" if "/images/products/" in request.url.path else "other"] += 1
        return super().handle_request(request)


class Inline:
    def __init__(self, rt: Runtime) -> None:
        self.tasks = Tasks(make_huey("memory://", "test"), rt)

    def enqueue_job(self, job_id: int, *, delay_s: float = 0.0) -> None:
        self.tasks.run_job(job_id)


def serve(port: int, args: argparse.Namespace) -> None:
    import threading

    from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig

    config = ShopConfig(
        key=KEY,
        products=args.products,
        combinations_per_product=args.combinations,
        images_per_product=args.images,
        category_depth=args.depth,
        features=2,
        manufacturers=3,
        latency_ms=args.latency_ms,
    )
    with RunningEmulator({"": EmulatedShop(config)}, port=port):  # TCP_NODELAY, no access log
        threading.Event().wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--combinations", type=int, default=4)
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    port = free_port()
    emulator = multiprocessing.get_context("spawn").Process(target=serve, args=(port, args), daemon=True)
    emulator.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/api/", timeout=1)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    with tempfile.TemporaryDirectory() as tmp:
        transport = Counting()
        rt = Runtime(Settings(data_dir=Path(tmp), secret_key="bench"), transport=transport)
        rt.migrate()
        with rt.session() as session, session.begin():
            shops.add_shop(session, rt.vault, name="bench", url=url, key=KEY)
        control = Control(rt, Inline(rt))
        for run in ("first", "second"):
            transport.counts.clear()
            began = time.perf_counter()
            (job,) = control.start(JobType.IMPORT, [1], {})
            took = time.perf_counter() - began
            with rt.session() as session:
                done = queries.get_job(session, job.id)
            other, images = transport.counts["other"], transport.counts["image"]
            print(
                f"{run} import: {done.status}, {done.processed} products ({done.created} created, {done.unchanged} "
                f"unchanged, {done.failed} failed) in {took:.2f} s; {other} requests "
                f"({100 * other / max(done.processed, 1):.1f} per 100 products) + {images} image GETs"
            )
    print(f"peak RSS of the importing process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    emulator.terminate()


if __name__ == "__main__":
    main()
