"""Server-sent job events: fan-out to many clients at a flat DB cost, resume, coalescing, keep-alive."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import event, update

from prestasync import ledger, shops
from prestasync.models import Job, utcnow
from prestasync.progress import JobType
from prestasync.runtime import Runtime
from prestasync.web import events
from tests.web.conftest import FAST_LIVE, LiveServer, wait_for

T = TypeVar("T")


@dataclass
class SseEvent:
    id: str | None = None
    event: str = "message"
    data: str = ""
    comment: bool = False

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class QueryCounter:
    """Counts statements on the `jobs` table run through one engine."""

    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM jobs" in statement:
            with self.lock:
                self.count += 1

    def over(self, seconds: float) -> int:
        start = self.count
        time.sleep(seconds)
        return self.count - start


def parse_sse(lines: Iterator[str]) -> Iterator[SseEvent]:
    current = SseEvent()
    for line in lines:
        if line == "":
            if current.data or current.id:
                yield current
            current = SseEvent()
        elif line.startswith(":"):
            yield SseEvent(comment=True, data=line[1:].strip())
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                current.data += value
            elif name in ("id", "event"):
                setattr(current, name, value)


async def aparse_sse(lines: AsyncIterator[str]) -> AsyncIterator[SseEvent]:
    current = SseEvent()
    async for line in lines:
        if line == "":
            if current.data:
                yield current
            current = SseEvent()
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                current.data += value
            elif name in ("id", "event"):
                setattr(current, name, value)


def seed_job(rt: Runtime) -> int:
    with rt.session() as session, session.begin():
        shop = shops.add_shop(session, rt.vault, name="Demo PL", url="http://127.0.0.1:9", key="K" * 32)
        return ledger.create_job(session, type=JobType.IMPORT, shop=shop, params={}, total=1000)


def touch_job(rt: Runtime, job_id: int, processed: int, **values: Any) -> None:
    """Change a job row the way a tracker does: a new version and `updated_at`."""
    with rt.session() as session, session.begin():
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(processed=processed, version=Job.version + 1, updated_at=utcnow(), **values)
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def run_in_thread(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """`asyncio.run(main())` in a fresh thread: Playwright's sync API may own this thread's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()


def test_the_stream_has_the_sse_headers_a_snapshot_and_keep_alives(live: LiveServer, token: str) -> None:
    job_id = seed_job(live.rt)
    wait_for(lambda: job_id in live.broadcaster.known, 5, "the poller to see the job")
    with (
        httpx.Client(base_url=live.url, headers=bearer(token), timeout=10) as client,
        client.stream("GET", "/api/events") as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        stream = parse_sse(response.iter_lines())
        first = next(e for e in stream if not e.comment)
        assert first.event == "snapshot"
        assert [j["id"] for j in first.json()["jobs"]] == [job_id]
        assert first.id and first.id.startswith(live.broadcaster.epoch + "-")
        assert next(e for e in stream if e.comment).data == "keep-alive"  # FAST_LIVE: every second


def test_two_hundred_clients_get_the_change_at_the_same_db_cost_as_one(live: LiveServer, token: str) -> None:
    job_id = seed_job(live.rt)
    counter = QueryCounter()
    event.listen(live.broadcaster.engine, "before_cursor_execute", counter)
    window = 1.5

    async def main() -> tuple[int, int, int]:
        limits = httpx.Limits(max_connections=300, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=live.url, headers=bearer(token), timeout=30, limits=limits) as client:
            connected = asyncio.Semaphore(0)

            async def viewer() -> bool:
                async with client.stream("GET", "/api/events") as response:
                    async for ev in aparse_sse(response.aiter_lines()):
                        if ev.event == "snapshot":
                            connected.release()
                        elif ev.event == "job" and ev.json()["id"] == job_id and ev.json()["processed"] == 777:
                            return True
                return False

            tasks = [asyncio.create_task(viewer())]
            await asyncio.wait_for(connected.acquire(), 10)
            one = await asyncio.to_thread(counter.over, window)
            tasks += [asyncio.create_task(viewer()) for _ in range(199)]
            for _ in range(199):
                await asyncio.wait_for(connected.acquire(), 30)
            many = await asyncio.to_thread(counter.over, window)
            await asyncio.to_thread(touch_job, live.rt, job_id, 777)
            done = await asyncio.wait_for(asyncio.gather(*tasks), 30)
            return one, many, sum(done)

    one, many, received = run_in_thread(main)
    assert received == 200
    expected = window / FAST_LIVE.interval_s
    assert one > 0.5 * expected, (one, expected)
    assert abs(many - one) <= max(3, 0.25 * one), f"{one} queries/window with 1 client, {many} with 200"


def test_a_reconnecting_client_gets_the_missed_events_not_a_snapshot(live: LiveServer, token: str) -> None:
    job_id = seed_job(live.rt)
    wait_for(lambda: job_id in live.broadcaster.known, 5, "the poller to see the job")
    with httpx.Client(base_url=live.url, headers=bearer(token), timeout=10) as client:
        with client.stream("GET", "/api/events") as response:
            first = next(e for e in parse_sse(response.iter_lines()) if not e.comment)
        assert first.event == "snapshot" and first.id
        seq = live.broadcaster.seq
        for processed in (10, 20, 30):
            touch_job(live.rt, job_id, processed)
            wait_for(lambda s=seq: live.broadcaster.seq > s, 5, "the change to be published")
            seq = live.broadcaster.seq
        with client.stream("GET", "/api/events", headers={"Last-Event-ID": first.id}) as response:
            resumed = next(e for e in parse_sse(response.iter_lines()) if not e.comment)
        assert resumed.event == "job"
        assert resumed.json()["processed"] == 30  # coalesced: the latest state, once
        assert resumed.id == live.broadcaster.last_id


@pytest.mark.parametrize("last_id", ["deadbeef-3", "garbage", "{epoch}-999999"])
def test_an_unknown_or_foreign_event_id_gets_a_snapshot(live: LiveServer, token: str, last_id: str) -> None:
    seed_job(live.rt)
    wait_for(lambda: live.broadcaster.known, 5, "the poller to load the jobs")
    last_id = last_id.replace("{epoch}", live.broadcaster.epoch)
    headers = {**bearer(token), "Last-Event-ID": last_id}
    with (
        httpx.Client(base_url=live.url, headers=headers, timeout=10) as client,
        client.stream("GET", "/api/events") as response,
    ):
        first = next(e for e in parse_sse(response.iter_lines()) if not e.comment)
    assert first.event == "snapshot"


def test_the_query_parameter_resumes_like_the_header(live: LiveServer, token: str) -> None:
    job_id = seed_job(live.rt)
    wait_for(lambda: live.broadcaster.known, 5, "the poller to load the jobs")
    rendered_at = live.broadcaster.last_id
    touch_job(live.rt, job_id, 5)
    wait_for(lambda: live.broadcaster.last_id != rendered_at, 5, "the change to be published")
    with (
        httpx.Client(base_url=live.url, headers=bearer(token), timeout=10) as client,
        client.stream("GET", "/api/events", params={"last_event_id": rendered_at}) as response,
    ):
        first = next(e for e in parse_sse(response.iter_lines()) if not e.comment)
    assert first.event == "job" and first.json()["processed"] == 5


def _row(job_id: int, version: int, processed: int, status: str = "running") -> events.Row:
    data = {"id": job_id, "status": status, "processed": processed, "finished_at": None, "version": version}
    return (job_id, version, utcnow(), data)


@pytest.fixture
def broadcaster(sqlite_engine: Any) -> events.Broadcaster:
    return events.Broadcaster(sqlite_engine, events.LiveSettings(min_gap_s=0.0, queue_limit=5))


def test_a_slow_client_holds_one_pending_event_per_job(broadcaster: events.Broadcaster) -> None:
    slow = events.Subscriber(limit=5)
    broadcaster.subscribers.add(slow)
    for version in range(1, 1001):
        broadcaster._publish([_row(1, version, version)])
    assert len(slow.pending) == 1
    (latest,) = slow.take()
    assert b'"processed":1000' in latest.frame


def test_a_client_with_too_many_jobs_pending_is_resynced_by_snapshot(broadcaster: events.Broadcaster) -> None:
    slow = events.Subscriber(limit=5)
    broadcaster.subscribers.add(slow)
    broadcaster._publish([_row(job_id, 1, 0) for job_id in range(1, 8)])
    assert slow.overflow
    assert len(slow.pending) <= 5


def test_progress_is_coalesced_per_job_but_state_changes_go_at_once(sqlite_engine: Any) -> None:
    b = events.Broadcaster(sqlite_engine, events.LiveSettings(min_gap_s=60.0))
    sub = events.Subscriber(limit=100)
    b.subscribers.add(sub)
    b._publish([_row(1, 1, 0, "pending")])
    b._publish([_row(1, 2, 10)])  # pending -> running: a state change, sent
    b._publish([_row(1, 3, 20)])  # progress within the gap: held back
    b._publish([_row(1, 4, 30)])
    assert [json.loads(e.frame.split(b"data: ")[1])["processed"] for e in sub.take()] == [10]
    b._publish([_row(1, 5, 40, "completed")])
    assert [json.loads(e.frame.split(b"data: ")[1])["status"] for e in sub.take()] == ["completed"]
    assert b.known[1]["processed"] == 40


def test_a_row_seen_again_in_the_look_back_window_is_not_sent_twice(broadcaster: events.Broadcaster) -> None:
    sub = events.Subscriber(limit=100)
    broadcaster.subscribers.add(sub)
    row = _row(1, 7, 70)
    broadcaster._publish([row])
    broadcaster._publish([row])
    assert len(sub.take()) == 1 and broadcaster.seq == 1
