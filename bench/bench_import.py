"""Import throughput: ours vs a per-product fetch loop vs a bare paginated fetch (the floor).

The emulator serves 10,000 products over a real socket with 20 ms added to every request,
from its own process (`prestasync emulator`), as a real shop would be: in this process it
would compete with the import for the GIL.
- ours: the import job (keyset pages of 100 with `display=full`, parsing, validation,
  catalogue upsert into SQLite, progress tracking), run in-process;
- per-product loop: what `prestapyt` users write: list the ids, then GET each product;
  it is measured on `--sample` products and extrapolated (labelled as such) unless `--full`;
- floor: the same keyset pages fetched with httpx and thrown away (no parsing, no DB).

    .venv/bin/python bench/bench_import.py [--products N] [--latency-ms MS] [--sample N] [--full]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from prestasync import queries, shops
from prestasync.config import Settings
from prestasync.contract import job_out
from prestasync.control import Control
from prestasync.progress import JobType
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks

KEY = "BENCHKEY" + "9" * 24


class Inline:
    """Runs each enqueued job at once, in this process."""

    def __init__(self, tasks: Tasks) -> None:
        self.tasks = tasks

    def enqueue_job(self, job_id: int) -> None:
        self.tasks.run_job(job_id)


def ours(url: str, data_dir: Path, page_size: int) -> tuple[float, dict[str, object]]:
    rt = Runtime(Settings(data_dir=data_dir, secret_key="bench", page_size=page_size))
    rt.migrate()
    with rt.session() as session, session.begin():
        shops.add_shop(session, rt.vault, name="bench", url=url, key=KEY)
    control = Control(rt, Inline(Tasks(make_huey("memory://", "test"), rt)))
    began = time.perf_counter()
    (job,) = control.start(JobType.IMPORT, [1], {})
    elapsed = time.perf_counter() - began
    with rt.session() as session:
        return elapsed, job_out(queries.get_job(session, job.id)).model_dump(mode="json")


def floor(url: str, page_size: int) -> float:
    began, after = time.perf_counter(), 0
    with httpx.Client(base_url=url + "/api/", auth=(KEY, "")) as client:
        while True:
            params = {"display": "full", "filter[id]": f">[{after}]", "sort": "[id_ASC]", "limit": f"0,{page_size}"}
            body = client.get("products", params=params).text
            count = body.count("<product>")
            if count < page_size:
                return time.perf_counter() - began
            after += count  # ids are 1..N without gaps in the seeded shop


def per_product(url: str, sample: int) -> tuple[float, int]:
    began = time.perf_counter()
    with httpx.Client(base_url=url + "/api/", auth=(KEY, "")) as client:
        listing = client.get("products").text
        ids = [int(part.split('"', 1)[0]) for part in listing.split('<product id="')[1:]]
        for product_id in ids[:sample]:
            client.get(f"products/{product_id}").raise_for_status()
    return time.perf_counter() - began, len(ids)


@contextmanager
def emulator_process(products: int, latency_ms: float) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = ["--port", str(port), "--products", str(products), "--latency-ms", str(latency_ms), "--key", KEY]
    proc = subprocess.Popen([sys.executable, "-m", "prestasync", "emulator", *args], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the emulator did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--full", action="store_true", help="run the per-product loop over every product")
    args = parser.parse_args()
    with emulator_process(args.products, args.latency_ms) as url, tempfile.TemporaryDirectory() as tmp:
        bare = floor(url, args.page_size)
        mine, job = ours(url, Path(tmp), args.page_size)
        sample = args.products if args.full else min(args.sample, args.products)
        loop_s, listed = per_product(url, sample)
    loop_total = loop_s * listed / sample
    label = "measured" if sample == listed else f"extrapolated from {sample} products"
    print(f"import of {args.products} products, {args.latency_ms:.0f} ms per request, page size {args.page_size}:")
    print(f"  floor (bare paginated fetch):   {bare:8.2f} s   {args.products / bare:8.0f} products/s")
    print(f"  prestasync import job:          {mine:8.2f} s   {args.products / mine:8.0f} products/s")
    print(f"  per-product fetch loop:         {loop_total:8.2f} s   {listed / loop_total:8.0f} products/s ({label})")
    print(f"  speed-up vs per-product loop: {loop_total / mine:.1f}x   (goal >= 20x)")
    print(f"  ours / floor: {mine / bare:.2f}x   (goal <= 1.5x)")
    print(f"  job: status {job['status']}, processed {job['processed']}/{job['total']}, failed {job['failed']}")


if __name__ == "__main__":
    main()
