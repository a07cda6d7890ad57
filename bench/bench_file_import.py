"""File import and export throughput, and the memory a large file takes.

Each run is a fresh SQLite database in a temporary folder; the job runs in this process as a
worker's task would (`Tasks.run_job`). Rows/s counts every row of the file (validation and
write passes together); peak memory is this process's maximum RSS, measured in a child
process per case so one case does not inherit another's peak.

    .venv/bin/python bench/bench_file_import.py [--rows N] [--big N]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from prestasync import catalogue_file, uploads
from prestasync.config import Settings
from prestasync.filejobs import FileJobs
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks

HEADER = ["sku", "name_en", "name_pl", "price", "quantity", "active"]


class NoQueue:
    def enqueue_job(self, job_id: int, *, delay_s: float = 0.0) -> None:
        pass

    def enqueue_chunk(self, job_id: int, item_ids: list[int], *, delay_s: float = 0.0) -> None:
        pass


def make_file(folder: Path, kind: str, rows: int) -> Path:
    data = ([f"B-{i:07d}", f"Name {i}", f"Nazwa {i}", f"{i % 900}.99", i % 50, 1] for i in range(rows))
    path = folder / f"bench.{kind}"
    if kind == "csv":
        with path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(HEADER)
            writer.writerows(data)
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("data")
        sheet.append(HEADER)
        for row in data:
            sheet.append(row)
        book.save(path)
    return path


def case(kind: str, rows: int, dry_run: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = Settings(data_dir=folder / "data", secret_key="bench", database_url=f"sqlite:///{folder / 'b.db'}")
        rt = Runtime(settings)
        rt.migrate()
        path = make_file(folder, kind, rows)
        started = time.perf_counter()
        job = FileJobs(rt, NoQueue()).start(uploads.store_file(settings, path), dry_run=dry_run)
        Tasks(make_huey("memory://", "test"), rt).run_job(job.id)
        seconds = time.perf_counter() - started
        exported = folder / f"out.{kind}"
        started = time.perf_counter()
        written = catalogue_file.write(rt.engine, exported) if not dry_run else 0
        export_s = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rt.dispose()
    return {
        "kind": kind,
        "rows": rows,
        "dry_run": dry_run,
        "import_s": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "export_rows_per_s": round(written / export_s) if written else None,
        "peak_rss_mb": round(peak_mb),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--case", nargs=3, metavar=("KIND", "ROWS", "DRY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        kind, rows, dry = args.case
        print(json.dumps(case(kind, int(rows), dry == "dry")))
        return
    plan = [(k, args.rows, d) for k in ("csv", "xlsx") for d in ("dry", "real")]
    plan += [("csv", args.big, "real"), ("xlsx", args.big, "real")]
    for kind, rows, dry in plan:
        child = subprocess.run(
            [sys.executable, __file__, "--case", kind, str(rows), dry], capture_output=True, text=True, check=True
        )
        print(child.stdout.strip())


if __name__ == "__main__":
    main()
