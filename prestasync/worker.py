"""A worker process: a Huey consumer running job tasks, plus (optionally) the scheduler."""

from __future__ import annotations

import logging

from prestasync.config import Settings
from prestasync.queue import make_huey
from prestasync.recovery import Scheduler
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks

log = logging.getLogger(__name__)


def run_worker(settings: Settings, *, concurrency: int, periodic: bool = True) -> None:
    """Consume tasks until SIGINT/SIGTERM. Thread workers: jobs wait on HTTP, not CPU."""
    rt = Runtime(settings)
    if settings.uses_embedded_database:
        rt.migrate()
    huey = make_huey(settings.resolved_queue_url)
    tasks = Tasks(huey, rt)
    scheduler = Scheduler(rt, tasks) if periodic else None
    if scheduler:
        scheduler.start()
    consumer = huey.create_consumer(
        workers=concurrency,
        worker_type="thread",
        periodic=False,  # our Scheduler does periodic work at sub-minute granularity
        initial_delay=0.05,
        backoff=1.2,
        max_delay=0.5,  # pick up new work within half a second on the SQLite queue
        check_worker_health=True,
    )
    log.info("worker started: %d threads, queue %s", concurrency, _safe(settings.resolved_queue_url))
    try:
        consumer.run()
    finally:
        if scheduler:
            scheduler.stop()
        rt.dispose()


def _safe(url: str) -> str:
    """A queue URL fit for a log line: no password."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return url
