"""A worker process: a Huey consumer running job tasks, plus (optionally) the scheduler."""

from __future__ import annotations

import logging

from prometheus_client import start_http_server

from prestasync.config import Settings
from prestasync.loop import Loop
from prestasync.queue import make_huey
from prestasync.recovery import Scheduler
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks

log = logging.getLogger(__name__)


def run_worker(settings: Settings, *, concurrency: int, periodic: bool = True) -> None:
    """Consume tasks until SIGINT/SIGTERM. Thread workers: jobs wait on HTTP, not CPU.

    With `periodic`, also the reaper and cleanup (`recovery.Scheduler`) and the daily loop
    (schedules and notifications, `loop.Loop`). With `worker_metrics_port`, its Prometheus
    metrics are served on that port.
    """
    rt = Runtime(settings)
    if settings.uses_embedded_database:
        rt.migrate()
    huey = make_huey(settings.resolved_queue_url, settings.queue_name)
    tasks = Tasks(huey, rt)
    if settings.worker_metrics_port:
        start_http_server(settings.worker_metrics_port, settings.worker_metrics_host, registry=rt.telemetry.registry)
    scheduler = Scheduler(rt, tasks) if periodic else None
    daily = Loop(rt, tasks) if periodic else None
    if scheduler and daily:
        scheduler.start()
        daily.start()
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
        if scheduler and daily:
            daily.stop()
            scheduler.stop()
        rt.dispose()


def _safe(url: str) -> str:
    """A queue URL fit for a log line: no password."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return url
