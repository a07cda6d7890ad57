"""Peak worker memory while importing 100,000 products.

The emulator runs in its own process with 100,000 products; a real `prestasync worker`
process imports them into SQLite. The worker's peak resident set (VmHWM from /proc) is read
just before it is stopped, and compared with the same worker idle (the baseline).

    .venv/bin/python bench/bench_memory.py [--products N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_import import KEY, emulator_process

from prestasync import queries, shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.progress import JobType
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    args = parser.parse_args()
    with emulator_process(args.products, 0.0) as url, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), secret_key="bench")
        rt = Runtime(settings)
        rt.migrate()
        with rt.session() as session, session.begin():
            shops.add_shop(session, rt.vault, name="big", url=url, key=KEY)
        env = {**os.environ, "PRESTASYNC_DATA_DIR": tmp, "PRESTASYNC_SECRET_KEY": "bench"}
        worker = subprocess.Popen([sys.executable, "-m", "prestasync", "worker"], env=env, stderr=subprocess.DEVNULL)
        try:
            time.sleep(3)  # let the idle worker settle before reading its baseline
            idle = peak_rss_mb(worker.pid)
            began = time.perf_counter()
            (job,) = Control(rt, Tasks(make_huey(settings.resolved_queue_url, settings.queue_name), rt)).start(
                JobType.IMPORT, [1], {}
            )
            while True:
                with rt.session() as session:
                    row = queries.get_job(session, job.id)
                if row.status in ("completed", "failed", "cancelled"):
                    break
                time.sleep(0.2)
            took = time.perf_counter() - began
            peak = peak_rss_mb(worker.pid)
        finally:
            worker.terminate()
            worker.wait(timeout=15)
    print(f"import of {args.products} products by one worker process ({row.status}, {row.processed}/{row.total}):")
    print(f"  idle worker peak RSS:   {idle:7.1f} MB")
    print(f"  peak RSS during import: {peak:7.1f} MB   (goal < 300 MB)")
    print(f"  growth: {peak - idle:.1f} MB; import took {took:.1f} s ({args.products / took:.0f} products/s)")


if __name__ == "__main__":
    main()
