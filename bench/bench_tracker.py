"""Tracker write amplification: DB writes per 10,000 items, ours vs the seed's two policies.

All three policies process 10,000 items paced at 1,000 items/s against the same SQLite
job table, and every UPDATE on `jobs` is counted at the driver. For ours, a reader thread
samples the row every 5 ms to measure staleness: how long a counted item waits before it
is visible to a reader (the UI).

    .venv/bin/python bench/bench_tracker.py [--items N] [--rate R]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

from prestasync import ledger
from prestasync.db import make_engine
from prestasync.models import Job
from prestasync.progress import JobType
from prestasync.schema import upgrade
from prestasync.tracker import Tracker


def count_updates(engine: Engine) -> list[int]:
    counter = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE JOBS"):
            counter[0] += 1

    return counter


def paced(items: int, rate: float, step: Callable[[int], None]) -> float:
    began = time.monotonic()
    for i in range(1, items + 1):
        step(i)
        delay = began + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    return time.monotonic() - began


def new_job(engine: Engine, total: int) -> int:
    with Session(engine) as session, session.begin():
        return ledger.create_job(session, type=JobType.IMPORT, shop=None, params={}, total=total)


def seed_per_item(engine: Engine, items: int, rate: float) -> int:
    """The seed's TracksJobProgress trait: increment per item, plus a touch every 5 items."""
    job_id, counter = new_job(engine, items), count_updates(engine)

    def step(i: int) -> None:
        with engine.begin() as conn:
            conn.execute(text("UPDATE jobs SET processed = processed + 1 WHERE id = :id"), {"id": job_id})
            if i % 5 == 0:
                conn.execute(text("UPDATE jobs SET updated_at = CURRENT_TIMESTAMP WHERE id = :id"), {"id": job_id})

    paced(items, rate, step)
    return counter[0]


def seed_per_five(engine: Engine, items: int, rate: float) -> int:
    """The seed's JobProgressService: one absolute update every 5 items, plus the completion."""
    job_id, counter = new_job(engine, items), count_updates(engine)

    def step(i: int) -> None:
        if i % 5 == 0:
            with engine.begin() as conn:
                conn.execute(text("UPDATE jobs SET processed = :n WHERE id = :id"), {"n": i, "id": job_id})

    paced(items, rate, step)
    with engine.begin() as conn:
        conn.execute(text("UPDATE jobs SET status = 'completed' WHERE id = :id"), {"id": job_id})
    return counter[0]


def ours(engine: Engine, items: int, rate: float, interval: float) -> tuple[int, list[float], float]:
    job_id = new_job(engine, items)
    reader = make_engine(str(engine.url), read_only=True)
    counter = count_updates(engine)
    advanced_at: list[float] = [0.0] * (items + 1)
    staleness: list[float] = []
    done = threading.Event()

    def watch() -> None:
        with reader.connect() as conn:
            while not done.is_set():
                seen = conn.execute(select(Job.processed).where(Job.id == job_id)).scalar() or 0
                conn.rollback()
                now = time.monotonic()
                if seen < items and advanced_at[seen + 1]:
                    staleness.append(now - advanced_at[seen + 1])
                time.sleep(0.005)

    tracker = Tracker(engine, job_id, interval_s=interval)
    tracker.start()
    watcher = threading.Thread(target=watch)
    watcher.start()

    def step(i: int) -> None:
        advanced_at[i] = time.monotonic()
        tracker.advance()

    took = paced(items, rate, step)
    tracker.finish()
    done.set()
    watcher.join()
    reader.dispose()
    return counter[0], staleness, took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=1_000.0)
    parser.add_argument("--interval", type=float, default=0.25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        per_item = seed_per_item(engine, args.items, args.rate)
        per_five = seed_per_five(engine, args.items, args.rate)
        mine, stale, took = ours(engine, args.items, args.rate, args.interval)
    stale.sort()
    p95 = stale[int(0.95 * (len(stale) - 1))] if stale else 0.0
    print(f"{args.items} items at {args.rate:.0f} items/s, SQLite, UPDATEs on the job row:")
    print(f"  seed trait (per item + touch/5):  {per_item:7d} writes")
    print(f"  seed service (every 5 items):     {per_five:7d} writes")
    print(f"  prestasync tracker ({args.interval * 1000:.0f} ms):     {mine:7d} writes")
    floor = int(took / args.interval) + 1  # one write per interval of progress, plus start and end
    print(f"  ratio per-5 / ours: {per_five / mine:.1f}x   (goal >= 50x)")
    print(
        f"  run took {took:.2f} s: a writer that keeps staleness <= {args.interval * 1000:.0f} ms needs >= {floor}"
        f" writes, i.e. at most {per_five / floor:.1f}x fewer than per-5"
    )
    print(f"  ratio per-item / ours: {per_item / mine:.1f}x")
    print(
        f"  staleness seen by a reader polling every 5 ms: median {statistics.median(stale) * 1000:.0f} ms,"
        f" p95 {p95 * 1000:.0f} ms, max {stale[-1] * 1000:.0f} ms   (goal <= 250 ms)"
    )


if __name__ == "__main__":
    main()
