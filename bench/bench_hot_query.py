"""The dashboard's hot query and the sync centre's other job lists, on a 1,000,000-job table.

Per engine (SQLite in a temp dir; PostgreSQL on 127.0.0.1:5432 and MariaDB on
127.0.0.1:3306, each in a fresh database that is dropped at the end; an engine whose port
is closed is skipped with a note) the migrated schema is loaded with `--jobs` finished jobs
(completed/failed/cancelled, 20 shops, `created_at` spread over 90 days, ids growing with
`created_at` as in real use) plus 15 active ones (pending/running/cancelling, the newest),
then ANALYZEd (PostgreSQL: `VACUUM (ANALYZE)`, so autovacuum does not start mid-run).
Rows go in through Core `insert(Job.__table__)` executemany, 10,000 a batch (SQLite in one
transaction, MariaDB committing every 100,000), and through psycopg's COPY on PostgreSQL.

Measured through the real functions on a `Session` of the dashboard's read-only engine,
`--runs` times each after 10 warm-up runs, p50/p95/max in ms (the connection is checked
out before the clock starts; the `active, per request` row adds opening the Session and
its connection, as a dashboard request pays it):

- `list_jobs(JobFilter(status="active", limit=20))`: the hot query (goal: p95 < 5 ms);
- `list_jobs(JobFilter(limit=20))`: all jobs, newest first;
- `list_jobs(JobFilter(shop_id=<the busiest shop>, limit=20))`;
- `count_jobs(JobFilter(status="active"))`.

A query is timed for at most 5 s (so one without a usable index, near a second a run at
1M rows, gets fewer runs: see the `runs` column). The plan of the hot query is printed per
engine (EXPLAIN QUERY PLAN, EXPLAIN ANALYZE, MariaDB's ANALYZE), and the plan of any query
that misses 5 ms at p95. The whole script takes about 3 minutes on 2 cores.

    .venv/bin/python bench/bench_hot_query.py [--jobs N] [--runs N] [--engines sqlite,postgresql,mariadb]
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, create_engine, event, insert, text
from sqlalchemy.orm import Session

from prestasync.db import make_engine
from prestasync.models import Job, Shop, utcnow
from prestasync.queries import JobFilter, count_jobs, list_jobs
from prestasync.schema import upgrade

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIA_ADMIN = "mariadb+pymysql://root@127.0.0.1:3306/test"
SHOPS = 20
DAYS = 90
BATCH = 10_000
WARMUP = 10
# A query without a usable index can take a second per run at 1M rows: stop timing it
# after this many seconds (warm-up after a tenth of it), so the whole script stays bounded.
QUERY_BUDGET_S = 5.0
GOAL_MS = 5.0
JOBS = cast(Table, Job.__table__)
SHOPS_TABLE = cast(Table, Shop.__table__)
ACTIVE = [("pending", 5), ("running", 7), ("cancelling", 3)]

# group_uuid, checkpoint and retry_of stay NULL, as on most real finished jobs.
JOB_COLUMNS = [
    "uuid",
    "type",
    "status",
    "shop_id",
    "shop_name",
    "total",
    "processed",
    "failed",
    "skipped",
    "params",
    "error_message",
    "cancel_requested",
    "attempts",
    "worker",
    "version",
    "created_at",
    "started_at",
    "finished_at",
    "updated_at",
    "heartbeat_at",
]


@dataclass
class Query:
    name: str
    run: Callable[[Session], object]
    hot: bool = False


@dataclass
class Result:
    engine: str
    load_s: float = 0.0
    timings: dict[str, list[float]] = field(default_factory=dict)
    plans: dict[str, str] = field(default_factory=dict)
    note: str = ""


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# --- data --------------------------------------------------------------------------------


def shop_name(shop_id: int) -> str:
    return f"shop-{shop_id:02d}"


def finished_jobs(count: int, now: datetime, rng: random.Random) -> Iterator[list[dict[str, Any]]]:
    """`count` finished jobs, oldest first, in batches of BATCH rows."""
    start = now - timedelta(days=DAYS)
    step = (timedelta(days=DAYS) - timedelta(hours=6)) / max(count, 1)
    # Some shops sync far more often than others: weights 1..20, shuffled.
    weights = list(range(1, SHOPS + 1))
    rng.shuffle(weights)
    shop_of = [shop for shop, w in zip(range(1, SHOPS + 1), weights, strict=True) for _ in range(w)]
    types = ["sync"] * 7 + ["export"] * 2 + ["import"]
    batch: list[dict[str, Any]] = []
    for i in range(count):
        created = start + step * (i + rng.random())
        shop = shop_of[rng.randrange(len(shop_of))]
        roll = rng.random()
        status = "completed" if roll < 0.90 else "failed" if roll < 0.96 else "cancelled"
        total = rng.randrange(1, 5_000)
        processed = total if status == "completed" else rng.randrange(total)
        failed = rng.randrange(10) if rng.random() < 0.2 else 0
        started = created + timedelta(seconds=rng.uniform(0.1, 30))
        finished = started + timedelta(seconds=total / rng.uniform(20, 200))
        batch.append(
            {
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "type": types[i % len(types)],
                "status": status,
                "shop_id": shop,
                "shop_name": shop_name(shop),
                "total": total,
                "processed": processed,
                "failed": min(failed, processed),
                "skipped": total - processed if status == "cancelled" else 0,
                "params": {"skus": None} if i % 10 else {"skus": ["A-1", "A-2"]},
                "error_message": "shop answered 503 Service Unavailable" if status == "failed" else None,
                "cancel_requested": status == "cancelled",
                "attempts": 1,
                "worker": f"worker-{shop % 4}:{1000 + shop}",
                "version": 2 + total // 250,
                "created_at": created,
                "started_at": started,
                "finished_at": finished,
                "updated_at": finished,
                "heartbeat_at": finished - timedelta(seconds=1),
            }
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def active_jobs(now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    """15 active jobs, created in the last hours, oldest first."""
    rows: list[dict[str, Any]] = []
    created = now - timedelta(hours=5)
    for status, n in ACTIVE:
        for _ in range(n):
            created += timedelta(minutes=rng.uniform(5, 20))
            shop = rng.randrange(1, SHOPS + 1)
            started = None if status == "pending" else created + timedelta(seconds=2)
            rows.append(
                {
                    "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "type": "sync",
                    "status": status,
                    "shop_id": shop,
                    "shop_name": shop_name(shop),
                    "total": 1_000,
                    "processed": 0 if status == "pending" else 400,
                    "failed": 0,
                    "skipped": 0,
                    "params": {"skus": None},
                    "error_message": None,
                    "cancel_requested": status == "cancelling",
                    "attempts": 0 if status == "pending" else 1,
                    "worker": None if status == "pending" else "worker-0:1000",
                    "version": 0 if status == "pending" else 9,
                    "created_at": created,
                    "started_at": started,
                    "finished_at": None,
                    "updated_at": now,
                    "heartbeat_at": None if status == "pending" else now,
                }
            )
    rows.sort(key=lambda r: r["created_at"])
    return rows


def shops_rows(now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "name": shop_name(i),
            "url": f"https://shop{i}.example.com",
            "api_key_encrypted": "bench-not-a-real-key",
            "synced_until": None,
            "created_at": now - timedelta(days=DAYS + 10),
            "updated_at": now,
        }
        for i in range(1, SHOPS + 1)
    ]


# --- loading -----------------------------------------------------------------------------


def load(engine: Engine, count: int) -> float:
    """Insert shops and jobs, ANALYZE, and return the seconds it took."""
    rng = random.Random(20240611)
    now = utcnow()
    began = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(SHOPS_TABLE), shops_rows(now))
    if engine.dialect.name == "postgresql":
        copy_jobs(engine, finished_jobs(count, now, rng))
    else:
        table = insert(JOBS)
        batches = finished_jobs(count, now, rng)
        # SQLite: one transaction. MariaDB: commit every 100k rows to keep the undo log small.
        per_tx = 10**9 if engine.dialect.name == "sqlite" else 10
        done = False
        while not done:
            with engine.begin() as conn:
                for _ in range(per_tx):
                    batch = next(batches, None)
                    if batch is None:
                        done = True
                        break
                    conn.execute(table, batch)
    with engine.begin() as conn:
        conn.execute(insert(JOBS), active_jobs(now, rng))
    analyze(engine)
    return time.perf_counter() - began


def copy_jobs(engine: Engine, batches: Iterator[list[dict[str, Any]]]) -> None:
    """PostgreSQL: COPY through psycopg; INSERT executemany was 2.5x slower (4.4 s per 100k rows)."""

    def naive(value: datetime | None) -> datetime | None:
        return None if value is None else value.replace(tzinfo=None)

    stamps = {"created_at", "started_at", "finished_at", "updated_at", "heartbeat_at"}
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f"COPY jobs ({', '.join(JOB_COLUMNS)}) FROM STDIN") as copy:
            for batch in batches:
                for row in batch:
                    copy.write_row(
                        [
                            naive(row[c]) if c in stamps else json.dumps(row[c]) if c == "params" else row[c]
                            for c in JOB_COLUMNS
                        ]
                    )


def analyze(engine: Engine) -> None:
    name = engine.dialect.name
    if name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) jobs")
            conn.exec_driver_sql("VACUUM (ANALYZE) shops")
    elif name in ("mysql", "mariadb"):
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE TABLE jobs, shops").all()
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


# --- measuring ---------------------------------------------------------------------------


def queries(shop_id: int) -> list[Query]:
    return [
        Query("active (hot)", lambda s: list_jobs(s, JobFilter(status="active", limit=20)), hot=True),
        Query("all, newest", lambda s: list_jobs(s, JobFilter(status=None, limit=20))),
        Query(f"shop {shop_id} (busiest)", lambda s: list_jobs(s, JobFilter(shop_id=shop_id, limit=20))),
        Query("count active", lambda s: count_jobs(s, JobFilter(status="active"))),
    ]


def time_query(engine: Engine, query: Query, runs: int, *, per_request: bool = False) -> list[float]:
    """Milliseconds per call, `runs` times after up to WARMUP warm-up calls, within QUERY_BUDGET_S.

    By default the Session's connection is checked out before the clock starts; with
    `per_request` the Session is opened, queried and closed on the clock, as a request does.
    """
    warm: list[float] = []
    out: list[float] = []
    while len(out) < runs and sum(out) < QUERY_BUDGET_S * 1000:
        elapsed = _once(engine, query, per_request)
        if len(warm) < WARMUP and sum(warm) < QUERY_BUDGET_S * 100:
            warm.append(elapsed)
        else:
            out.append(elapsed)
    return out


def _once(engine: Engine, query: Query, per_request: bool) -> float:
    if per_request:
        began = time.perf_counter()
        with Session(engine) as session:
            query.run(session)
        return (time.perf_counter() - began) * 1000
    with Session(engine) as session:
        session.connection()
        began = time.perf_counter()
        query.run(session)
        return (time.perf_counter() - began) * 1000


def captured_sql(engine: Engine, query: Query) -> tuple[str, Any]:
    """The statement and parameters `query` sends to the driver (its last one)."""
    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        with Session(engine) as session:
            query.run(session)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return seen[-1]


def plan(engine: Engine, query: Query) -> str:
    statement, parameters = captured_sql(engine, query)
    name = engine.dialect.name
    prefix = {
        "sqlite": "EXPLAIN QUERY PLAN ",
        "postgresql": "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ",
    }.get(name, "ANALYZE ")  # MariaDB: EXPLAIN columns plus r_rows, r_filtered, r_total_time_ms
    with engine.connect() as conn:
        result = conn.exec_driver_sql(prefix + statement, parameters)
        keys = list(result.keys())
        rows = result.all()
    if name == "sqlite":
        lines = [f"  {'  ' * (_depth(rows, r[1]))}{r[3]}" for r in rows]
    elif name == "postgresql":
        lines = [f"  {r[0]}" for r in rows]
    else:
        wanted = ["table", "type", "key", "rows", "r_rows", "filtered", "r_filtered", "r_total_time_ms", "Extra"]
        idx = [keys.index(k) for k in wanted if k in keys]
        lines = ["  " + "  ".join(f"{keys[i]}={r[i]}" for i in idx) for r in rows]
    return "\n".join(lines)


def _depth(rows: Sequence[Any], parent: int) -> int:
    parents = {r[0]: r[1] for r in rows}
    depth = 0
    while parent:
        depth += 1
        parent = parents.get(parent, 0)
    return depth


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(name: str, url: str, count: int, runs: int) -> Result:
    result = Result(name)
    writer = make_engine(url)
    reader = make_engine(url, read_only=True)
    try:
        upgrade(writer)
        result.load_s = load(writer, count)
        print(f"{name}: loaded {count:,} finished + 15 active jobs, ANALYZEd, in {result.load_s:.1f} s", flush=True)
        busiest = _busiest_shop(reader)
        for query in queries(busiest):
            result.timings[query.name] = time_query(reader, query, runs)
            if query.hot:
                result.timings["active, per request"] = time_query(reader, query, runs, per_request=True)
            if query.hot or pct(result.timings[query.name], 0.95) >= GOAL_MS:
                result.plans[query.name] = plan(reader, query)
        for query_name, values in result.timings.items():
            print(
                f"  {query_name:<22} p50 {pct(values, 0.5):8.2f}  p95 {pct(values, 0.95):8.2f}"
                f"  max {max(values):8.2f} ms  ({len(values)} runs)",
                flush=True,
            )
        for query_name, text_plan in result.plans.items():
            print(f"  plan of {query_name}:\n{text_plan}", flush=True)
    finally:
        reader.dispose()
        writer.dispose()
    return result


def _busiest_shop(engine: Engine) -> int:
    with engine.connect() as conn:
        sql = "SELECT shop_id FROM jobs GROUP BY shop_id ORDER BY COUNT(*) DESC LIMIT 1"
        return int(conn.execute(text(sql)).scalar_one())


def on_server(name: str, admin_url: str, port: int, count: int, runs: int) -> Result:
    if not port_open(port):
        print(f"{name}: skipped, nothing listens on 127.0.0.1:{port}", flush=True)
        return Result(name, note=f"skipped: port {port} closed")
    db = f"bench_hot_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {db}"))
    try:
        return measure(name, f"{admin_url.rpartition('/')[0]}/{db}", count, runs)
    finally:
        with admin.connect() as conn:
            force = " WITH (FORCE)" if admin.dialect.name == "postgresql" else ""
            conn.execute(text(f"DROP DATABASE IF EXISTS {db}{force}"))
        admin.dispose()


def report(results: list[Result], count: int, runs: int) -> None:
    print()
    print(f"{count:,} finished + 15 active jobs, {runs} runs per query after {WARMUP} warm-up; ms")
    print(f"{'engine':<11}{'load s':>8}  {'query':<22}{'p50':>8}{'p95':>8}{'max':>8}{'runs':>6}")
    for r in results:
        if r.note:
            print(f"{r.engine:<11}{'':>8}  {r.note}")
            continue
        for i, (name, values) in enumerate(r.timings.items()):
            head = f"{r.engine:<11}{r.load_s:>8.1f}" if i == 0 else f"{'':<11}{'':>8}"
            figures = f"{pct(values, 0.5):>8.2f}{pct(values, 0.95):>8.2f}{max(values):>8.2f}{len(values):>6}"
            print(f"{head}  {name:<22}{figures}")
    measured = [r for r in results if not r.note]
    missed = [r.engine for r in measured if pct(r.timings["active (hot)"], 0.95) >= GOAL_MS]
    verdict = "met" if measured and not missed else f"MISSED on {', '.join(missed)}" if missed else "not measured"
    print(f"goal: hot query (active, limit 20) p95 < {GOAL_MS:.0f} ms on every engine: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000, help="finished jobs to load (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per query (default 200)")
    parser.add_argument("--engines", default="sqlite,postgresql,mariadb")
    args = parser.parse_args()
    wanted = args.engines.split(",")
    began = time.perf_counter()
    results: list[Result] = []
    if "sqlite" in wanted:
        with tempfile.TemporaryDirectory() as tmp:
            results.append(measure("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args.jobs, args.runs))
    if "postgresql" in wanted:
        results.append(on_server("postgresql", PG_ADMIN, 5432, args.jobs, args.runs))
    if "mariadb" in wanted:
        results.append(on_server("mariadb", MARIA_ADMIN, 3306, args.jobs, args.runs))
    report(results, args.jobs, args.runs)
    print(f"total run time {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
