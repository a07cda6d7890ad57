"""Live viewers: DB load and update latency of the SSE push design against the seed's polling.

One web process (`create_app` under uvicorn, in a child process, loopback only) on a
SQLite database with one running job. This process plays the viewers and a job writer:
the writer bumps the job row every 200 ms (as a tracker does: `processed + 1`, a new
`version`, `updated_at`) and notes when each value was committed; each viewer notes when
it first saw each value. Two designs, measured in the same run:

- push (ours): every viewer holds one `GET /api/events` stream; one poller per process
  reads changed job rows (default tick, 250 ms) and fans them out;
- polling (the seed's ADR-004): every viewer calls `GET /api/jobs?status=active` every
  3 s (staggered), which queries the active jobs on each call.

For 1, 100 and 500 viewers it prints the statements on the `jobs` table per second in the
web process (counted with a `before_cursor_execute` listener on its engines), and the
p50/p95 latency from a row change to a viewer seeing it. Goals: push flat in viewers at
<= 5 q/s per process, p95 <= 500 ms at 500 viewers.

    .venv/bin/python bench/bench_viewers.py [--viewers 1,100,500] [--window 6]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event, update

from prestasync import accounts, ledger, queries, shops
from prestasync.config import Settings
from prestasync.models import Job, utcnow
from prestasync.progress import JobStatus, JobType
from prestasync.runtime import Runtime

WRITE_EVERY_S = 0.2
POLL_EVERY_S = 3.0  # the seed's wire:poll interval
PUSH, POLL = "push (ours)", "polling (seed)"


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ---------------------------------------------------------------- the web process (child)


def serve(data_dir: Path) -> None:
    """Run the app with job-table statement counting exposed at `/bench/queries`."""
    import socket

    import uvicorn

    from prestasync.web.app import create_app

    class NoQueue:
        def enqueue_job(self, job_id: int) -> None:
            pass

    raise_fd_limit()
    rt = Runtime(settings(data_dir))
    app = create_app(rt, queue=NoQueue())
    counted = {"poller": 0, "requests": 0}
    lock = threading.Lock()

    def counter(name: str) -> Any:
        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if "FROM jobs" in statement:
                with lock:
                    counted[name] += 1

        return count

    event.listen(app.state.broadcaster.engine, "before_cursor_execute", counter("poller"))
    for engine in (rt.engine, app.state.reader):
        event.listen(engine, "before_cursor_execute", counter("requests"))
    app.add_api_route("/bench/queries", lambda: dict(counted), methods=["GET"])
    sock = socket.socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, backlog=4096, timeout_graceful_shutdown=2)
    uvicorn.Server(config).run(sockets=[sock])


def settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        secret_key="bench-secret",
        database_url=f"sqlite:///{data_dir / 'bench.db'}",
        queue_url="memory://",
        admin_password="bench password",
    )


# ---------------------------------------------------------------- viewers (this process)


@dataclass
class Viewer:
    """What one viewer saw: (monotonic time, processed) in arrival order."""

    seen: list[tuple[float, int]] = field(default_factory=list)
    ready: bool = False


async def http_get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, token: str) -> bytes:
    """One keep-alive GET with a Content-Length response; returns the body."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))[15:])
    body = await reader.readexactly(length)
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"{path}: {head.splitlines()[0].decode()}")
    return body


async def sse_viewer(port: int, token: str, viewer: Viewer, stop: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
    request = f"GET /api/events HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n"
    writer.write(request.encode())
    await reader.readuntil(b"\r\n\r\n")
    try:
        while not stop.is_set():
            size = int((await reader.readline()).strip() or b"0", 16)  # chunked transfer encoding
            chunk = await reader.readexactly(size + 2)
            now = time.monotonic()
            for frame in chunk.decode().split("\n\n"):
                if "event: snapshot" in frame:
                    viewer.ready = True
                elif "event: job" in frame:
                    data = json.loads(frame.partition("data: ")[2])
                    viewer.seen.append((now, data["processed"]))
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def poll_viewer(port: int, token: str, viewer: Viewer, stop: asyncio.Event) -> None:
    await asyncio.sleep(random.uniform(0, POLL_EVERY_S))  # viewers open the page at different times
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while not stop.is_set():
            started = time.monotonic()
            body = json.loads(await http_get(reader, writer, "/api/jobs?status=active", token))
            for job in body["items"]:
                viewer.seen.append((time.monotonic(), job["processed"]))
            viewer.ready = True
            await asyncio.sleep(max(0.0, POLL_EVERY_S - (time.monotonic() - started)))
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


# ---------------------------------------------------------------- one measurement


@dataclass
class Result:
    design: str
    viewers: int
    queries_per_s: float
    p50_ms: float
    p95_ms: float
    samples: int


class Writer:
    """Bumps the job row like a tracker and remembers when each value was committed."""

    def __init__(self, rt: Runtime, job_id: int) -> None:
        self.rt, self.job_id = rt, job_id
        self.committed: dict[int, float] = {}
        with rt.session() as session:
            self.value = queries.get_job(session, job_id).processed

    def write(self) -> None:
        self.value += 1
        with self.rt.session() as session, session.begin():
            session.execute(
                update(Job)
                .where(Job.id == self.job_id)
                .values(processed=self.value, version=Job.version + 1, updated_at=utcnow(), heartbeat_at=utcnow())
            )
        self.committed[self.value] = time.monotonic()


def latencies(viewers: list[Viewer], committed: dict[int, float], since: float, until: float) -> list[float]:
    """Per viewer and written value: from its commit to the first sight of it (or a later value)."""
    out = []
    for viewer in viewers:
        for value, at in committed.items():
            if not since <= at <= until:
                continue
            seen = next((t for t, v in viewer.seen if v >= value and t >= at), None)
            if seen is not None:
                out.append(seen - at)
    return out


async def measure(design: str, count: int, port: int, token: str, writer: Writer, window: float) -> Result:
    stop = asyncio.Event()
    viewers = [Viewer() for _ in range(count)]
    run = sse_viewer if design == PUSH else poll_viewer
    tasks = [asyncio.create_task(run(port, token, v, stop)) for v in viewers]
    deadline = time.monotonic() + 30
    while not all(v.ready for v in viewers) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    queries_before = await asyncio.to_thread(read_queries, port, token, design)
    start = time.monotonic()
    while time.monotonic() - start < window:
        await asyncio.to_thread(writer.write)
        await asyncio.sleep(WRITE_EVERY_S)
    end = time.monotonic()
    queries = await asyncio.to_thread(read_queries, port, token, design) - queries_before
    # Let every viewer see the last writes: a poller may be up to one interval away from its next call.
    await asyncio.sleep(POLL_EVERY_S + 0.5 if design != PUSH else 1.0)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    lat = latencies(viewers, writer.committed, start, end) or [float("nan")]
    cuts = statistics.quantiles(lat, n=100) if len(lat) > 1 else lat * 99
    return Result(design, count, queries / (end - start), statistics.median(lat) * 1000, cuts[94] * 1000, len(lat))


def wait_until_serving(port: int, child: subprocess.Popen[str]) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and child.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("the web process did not start")


def read_queries(port: int, token: str, design: str) -> int:
    """Job-table statements so far: the poller's and the requests' for push, the requests' for polling.

    (The poller idles out 10 s after the last stream closes; its queries during the
    polling runs are not the seed design's, so they are left out there.)
    """
    import httpx

    with httpx.Client() as client:
        r = client.get(f"http://127.0.0.1:{port}/bench/queries", headers={"Authorization": f"Bearer {token}"})
        counts = r.json()
    return int(counts["requests"]) + (int(counts["poller"]) if design == PUSH else 0)


# ---------------------------------------------------------------- set-up and report


def prepare(data_dir: Path) -> tuple[Runtime, int, str]:
    rt = Runtime(settings(data_dir))
    rt.migrate()
    accounts.ensure_admin(rt.engine, rt.settings)
    with rt.session() as session, session.begin():
        user = accounts.find_user(session, "admin")
        assert user is not None
        _, token = accounts.create_token(session, user, "bench")
        shop = shops.add_shop(session, rt.vault, name="Demo PL", url="http://127.0.0.1:9", key="K" * 32)
        job_id = ledger.create_job(session, type=JobType.IMPORT, shop=shop, params={}, total=1_000_000)
        ledger.transition(session, job_id, JobStatus.RUNNING, started_at=utcnow())
    return rt, job_id, token


def report(results: list[Result]) -> None:
    print(f"\n{'design':<16} {'viewers':>7} {'jobs q/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'samples':>8}")
    for r in results:
        print(f"{r.design:<16} {r.viewers:>7} {r.queries_per_s:>9.1f} {r.p50_ms:>8.0f} {r.p95_ms:>8.0f} {r.samples:>8}")
    push = {r.viewers: r for r in results if r.design == PUSH}
    poll = {r.viewers: r for r in results if r.design != PUSH}
    print()
    for n in sorted(push.keys() & poll.keys()):
        q = poll[n].queries_per_s / push[n].queries_per_s if push[n].queries_per_s else float("inf")
        lat = poll[n].p95_ms / push[n].p95_ms if push[n].p95_ms else float("inf")
        print(f"{n:>4} viewers: polling makes {q:5.1f}x the job queries of push; its p95 latency is {lat:4.1f}x")
    most = max(push)
    flat = max(r.queries_per_s for r in push.values()) - min(r.queries_per_s for r in push.values())
    print(
        f"\npush: job queries/s spread across viewer counts {flat:.1f} (goal: flat, <= 5 q/s per process): "
        f"{'met' if max(r.queries_per_s for r in push.values()) <= 5 else 'MISSED'}"
    )
    print(
        f"push: p95 at {most} viewers {push[most].p95_ms:.0f} ms (goal <= 500 ms): "
        f"{'met' if push[most].p95_ms <= 500 else 'MISSED'}"
    )


async def run_all(port: int, token: str, writer: Writer, counts: list[int], window: float) -> list[Result]:
    results = []
    for design in (PUSH, POLL):
        for count in counts:
            result = await measure(design, count, port, token, writer, window)
            print(
                f"  {design:<16} {count:>4} viewers: {result.queries_per_s:6.1f} q/s, p95 {result.p95_ms:6.0f} ms",
                flush=True,
            )
            results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", default="1,100,500", help="comma-separated viewer counts")
    parser.add_argument("--window", type=float, default=6.0, help="seconds measured per configuration")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    raise_fd_limit()
    with tempfile.TemporaryDirectory(prefix="bench-viewers-") as tmp:
        data_dir = Path(tmp)
        rt, job_id, token = prepare(data_dir)
        # The repository on the child's path: the web app needs the package itself, not a stale install.
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(data_dir)], stdout=subprocess.PIPE, text=True, env=env
        )
        try:
            assert child.stdout is not None
            port = int(child.stdout.readline())
            wait_until_serving(port, child)
            counts = [int(n) for n in args.viewers.split(",")]
            started = time.monotonic()
            print(
                f"web process on 127.0.0.1:{port}; {args.window:.0f} s per configuration; writes every "
                f"{WRITE_EVERY_S * 1000:.0f} ms"
            )
            results = asyncio.run(run_all(port, token, Writer(rt, job_id), counts, args.window))
            report(results)
            print(f"\n(total {time.monotonic() - started:.0f} s)")
        finally:
            child.terminate()
            child.wait(timeout=20)
            rt.dispose()


if __name__ == "__main__":
    main()
