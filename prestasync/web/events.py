"""Live job updates: one change poller per web process, fanned out to every open page over SSE.

The poller asks the database "which job rows changed?" every tick (`queries.changed_since`,
on a read-only engine), whatever the number of viewers: the load on the database is one
small query per tick per process, and none while nobody watches. Each change becomes one
event with a per-process sequence number, kept in a ring buffer, and is offered to every
connected client's queue.

Client queues hold at most one event per job: a newer state replaces an older one that
was not sent yet, so a slow client gets the latest state instead of a backlog. A queue
holding too many different jobs is dropped and the client gets a snapshot instead.

Event ids are `<epoch>-<seq>`, the epoch being random per process. A client that
reconnects with `Last-Event-ID` gets the events it missed from the ring buffer; when
they are gone, or the id comes from another process (another epoch), it gets a
`snapshot` event with the active and recently finished jobs instead.

Rows are found by `updated_at`, stamped by the writers' clocks: processes writing job
progress must keep their clocks within the look-back window of each other (NTP does).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import signal
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from prestasync import queries
from prestasync.contract import Problem, job_out
from prestasync.models import Job, utcnow
from prestasync.progress import JobStatus

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api")
Row = tuple[int, int, datetime, dict[str, Any]]  # id, version, updated_at, job JSON
ACTIVE = {s.value for s in JobStatus if s.is_active}


@dataclass(frozen=True)
class Event:
    seq: int
    job_id: int
    frame: bytes


@dataclass(eq=False)  # identity equality: subscribers live in a set
class Subscriber:
    """One client's pending events, at most one per job (the newest)."""

    limit: int
    pending: dict[int, Event] = field(default_factory=dict)
    overflow: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, event: Event) -> None:
        if event.job_id not in self.pending and len(self.pending) >= self.limit:
            self.pending.clear()
            self.overflow = True  # the stream sends a snapshot instead of the lost states
        else:
            self.pending[event.job_id] = event
        self.wake.set()

    def take(self) -> list[Event]:
        events = sorted(self.pending.values(), key=lambda e: e.seq)
        self.pending.clear()
        self.wake.clear()
        return events


@dataclass
class LiveSettings:
    """Tuning for the broadcaster; the defaults suit production, tests shorten them."""

    interval_s: float = 0.25  # one poll per tick
    lookback_s: float = 2.0  # re-read this far back: commit order is not timestamp order
    batch: int = 500  # rows per poll
    ring: int = 2000  # events kept for Last-Event-ID replay
    queue_limit: int = 500  # distinct jobs a client may have pending
    min_gap_s: float = 0.25  # per job, progress events at most this often (state changes always go)
    recent: int = 20  # finished jobs a snapshot carries
    keepalive_s: float = 15.0
    idle_after_s: float = 10.0  # stop polling this long after the last client left


class Broadcaster:
    """The process-wide poller and the fan-out to stream clients. Lives on the app's event loop."""

    def __init__(self, engine: Engine, settings: LiveSettings | None = None) -> None:
        self.engine = engine
        self.cfg = settings or LiveSettings()
        self.epoch = secrets.token_hex(4)
        self.seq = 0
        self.ring: deque[Event] = deque(maxlen=self.cfg.ring)
        self.subscribers: set[Subscriber] = set()
        self.known: dict[int, dict[str, Any]] = {}  # active and recently finished jobs, for snapshots
        self._versions: dict[int, tuple[int, datetime]] = {}
        self._last_emit: dict[int, float] = {}
        self._deferred: dict[int, dict[str, Any]] = {}
        self._cursor = utcnow()
        self._gap_seq = 0  # events up to here cannot be replayed: polling had paused
        self._clients = 0
        self._demand = asyncio.Event()
        self._ready = asyncio.Event()
        self._closed = asyncio.Event()
        self._snapshot: tuple[int, bytes] | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def last_id(self) -> str:
        return f"{self.epoch}-{self.seq}"

    @property
    def clients(self) -> int:
        """Open event streams (the `prestasync_sse_streams` gauge)."""
        return self._clients

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name="job-change-poller")

    async def stop(self) -> None:
        self.close()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self.engine.dispose()

    def close(self) -> None:
        """End every stream (at shutdown); safe to call more than once. Call on the app's loop."""
        self._closed.set()
        self._demand.set()
        for sub in self.subscribers:
            sub.wake.set()

    def close_threadsafe(self) -> None:
        """`close()` from another thread (a test harness stopping its server)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.close)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        idle_since: float | None = None
        while not self.closed:
            if self._clients == 0:
                idle_since = idle_since or loop.time()
                if loop.time() - idle_since >= self.cfg.idle_after_s:
                    await self._pause()
                    idle_since = None
                    continue
            else:
                idle_since = None
            tick = loop.time()
            await self._tick()
            await asyncio.sleep(max(0.0, tick + self.cfg.interval_s - loop.time()))

    async def _pause(self) -> None:
        self._ready.clear()
        self._demand.clear()
        if self._clients == 0:
            await self._demand.wait()

    async def _tick(self) -> None:
        try:
            if not self._ready.is_set():
                await self._reload()
            else:
                since = self._cursor - timedelta(seconds=self.cfg.lookback_s)
                self._publish(await asyncio.to_thread(self._read_changes, since))
        except Exception:  # a database hiccup must not kill live updates for good
            log.exception("job change poller: read failed; retrying")

    async def _reload(self) -> None:
        """(Re)start from the current state: after start-up, and after an idle pause."""
        started = utcnow()
        rows = await asyncio.to_thread(self._read_current)
        self.known = {}
        for job_id, version, updated, data in rows:
            self._versions[job_id] = (version, updated)
            self.known[job_id] = data
        self._prune_known()
        self._cursor = started
        self._gap_seq = self.seq
        self._snapshot = None
        self._ready.set()

    def _read_current(self) -> list[Row]:
        with Session(self.engine) as session:
            found = queries.list_jobs(session, queries.JobFilter(status="active", limit=self.cfg.batch))
            found += queries.list_jobs(session, queries.JobFilter(status="finished", limit=self.cfg.recent))
            return _rows(found)

    def _read_changes(self, since: datetime) -> list[Row]:
        with Session(self.engine) as session:
            return _rows(queries.changed_since(session, since, limit=self.cfg.batch))

    def _publish(self, rows: list[Row]) -> None:
        now = time.monotonic()
        for job_id, version, updated, data in rows:
            seen = self._versions.get(job_id)
            if seen is not None and seen[0] == version:
                continue
            self._versions[job_id] = (version, updated)
            previous = self.known.get(job_id)
            self.known[job_id] = data
            status_changed = previous is None or previous["status"] != data["status"]
            if status_changed or self._due(job_id, now):
                self._deferred.pop(job_id, None)
                self._emit(job_id, data, now)
            else:
                self._deferred[job_id] = data
        for job_id, data in list(self._deferred.items()):
            if self._due(job_id, now):
                del self._deferred[job_id]
                self._emit(job_id, data, now)
        self._advance(rows)
        self._prune_known()

    def _due(self, job_id: int, now: float) -> bool:
        # Half a tick of slack: ticks jitter, and with the gap equal to the tick a job would
        # otherwise skip every other tick and wait twice as long for its next event.
        gap = self.cfg.min_gap_s - self.cfg.interval_s / 2
        return now - self._last_emit.get(job_id, -gap) >= gap

    def _advance(self, rows: list[Row]) -> None:
        if not rows:
            return
        newest = max(updated for _, _, updated, _ in rows)
        # A full batch: step past it without the look-back, or a burst of more than `batch`
        # rows inside the window would be read again forever.
        full = len(rows) >= self.cfg.batch
        self._cursor = newest + timedelta(seconds=self.cfg.lookback_s) if full else max(self._cursor, newest)
        horizon = self._cursor - timedelta(seconds=3 * self.cfg.lookback_s)
        for job_id in [j for j, (_, at) in self._versions.items() if at < horizon and j not in self.known]:
            del self._versions[job_id]

    def _emit(self, job_id: int, data: dict[str, Any], now: float) -> None:
        self.seq += 1
        payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        event = Event(self.seq, job_id, f"id: {self.epoch}-{self.seq}\nevent: job\ndata: {payload}\n\n".encode())
        self._last_emit[job_id] = now
        self.ring.append(event)
        for sub in self.subscribers:
            sub.offer(event)

    def _prune_known(self) -> None:
        finished = [d for d in self.known.values() if d["status"] not in ACTIVE]
        if len(finished) > self.cfg.recent:
            finished.sort(key=lambda d: (d["finished_at"] or "", d["id"]), reverse=True)
            for old in finished[self.cfg.recent :]:
                del self.known[old["id"]]
                self._last_emit.pop(old["id"], None)

    def snapshot_frame(self) -> bytes:
        """The `snapshot` event: every known job, newest first; cached per sequence number."""
        if self._snapshot is None or self._snapshot[0] != self.seq:
            items = sorted(self.known.values(), key=lambda d: d["id"], reverse=True)
            payload = json.dumps({"jobs": items}, separators=(",", ":"), ensure_ascii=False)
            frame = f"id: {self.last_id}\nevent: snapshot\ndata: {payload}\n\n".encode()
            self._snapshot = (self.seq, frame)
        return self._snapshot[1]

    def replay(self, last_event_id: str | None) -> list[Event] | None:
        """The events after `last_event_id`, newest per job; None when a snapshot is needed."""
        epoch, _, seq_text = (last_event_id or "").partition("-")
        if epoch != self.epoch or not seq_text.isdigit():
            return None
        seq = int(seq_text)
        oldest = self.ring[0].seq if self.ring else self.seq + 1
        if seq <= self._gap_seq or seq > self.seq or seq < oldest - 1:
            return None
        latest: dict[int, Event] = {}
        for event in self.ring:
            if event.seq > seq:
                latest[event.job_id] = event
        return sorted(latest.values(), key=lambda e: e.seq)

    async def stream(self, last_event_id: str | None) -> AsyncIterator[bytes]:
        """One client's event stream, until it disconnects or the process shuts down."""
        self._clients += 1
        self._demand.set()
        sub = Subscriber(self.cfg.queue_limit)
        try:
            yield b"retry: 2000\n\n"
            await self._wait_ready()
            if self.closed:
                return
            replayed = self.replay(last_event_id)
            # No await between reading the replay and subscribing: nothing falls in between.
            first = self.snapshot_frame() if replayed is None else b"".join(e.frame for e in replayed)
            self.subscribers.add(sub)
            if first:
                yield first
            async for chunk in self._follow(sub):
                yield chunk
        finally:
            self.subscribers.discard(sub)
            self._clients -= 1

    async def _wait_ready(self) -> None:
        while not self._ready.is_set() and not self.closed:
            try:
                await asyncio.wait_for(self._ready.wait(), timeout=0.5)
            except TimeoutError:
                continue

    async def _follow(self, sub: Subscriber) -> AsyncIterator[bytes]:
        while not self.closed:
            if sub.overflow:
                sub.overflow = False
                yield self.snapshot_frame()
            events = sub.take()
            if events:
                yield b"".join(e.frame for e in events)
                continue
            try:
                await asyncio.wait_for(sub.wake.wait(), timeout=self.cfg.keepalive_s)
            except TimeoutError:
                yield b": keep-alive\n\n"


def _rows(found: list[Job]) -> list[Row]:
    """The event rows for `found`: the job JSON is the API's (`contract.JobOut`)."""
    now = utcnow()
    return [(j.id, j.version, j.updated_at, job_out(j, now=now).model_dump(mode="json")) for j in found]


def close_on_signals(broadcaster: Broadcaster) -> Callable[[], None]:
    """End the streams when the server is told to stop, so its graceful shutdown is not held
    open by endless responses (uvicorn waits for every response to finish before the
    lifespan shutdown runs). Returns a function that puts the previous handlers back.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        old = signal.getsignal(sig)
        if not callable(old):
            continue

        def handler(signum: int, frame: Any, old: Callable[[int, Any], Any] = old) -> None:
            loop.call_soon_threadsafe(broadcaster.close)
            old(signum, frame)

        previous[sig] = old
        signal.signal(sig, handler)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "`job` and `snapshot` events, never ending"},
        401: {"model": Problem, "description": "no or refused credentials"},
    },
)
async def events(
    request: Request,
    last_event_id: str | None = Header(None, alias="Last-Event-ID"),
    resume: str | None = Query(None, alias="last_event_id", description="Used when no header is sent."),
) -> StreamingResponse:
    """Server-sent events: one `job` event (the job JSON) per change, `snapshot` on (re)connect."""
    broadcaster: Broadcaster = request.app.state.broadcaster
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    body = broadcaster.stream(last_event_id or resume)
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)
