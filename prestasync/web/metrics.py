"""`/metrics`: this web process's Prometheus registry, written by `prometheus_client`.

Besides what the process counts itself (`telemetry.py`: shop requests made from the
dashboard, event streams), three gauges are read when scraped: jobs by status and the
queue's depth from the database and the queue, and the open event streams from the
broadcaster. Workers serve their own metrics (`worker_metrics_port`). The route stays
behind authentication like every other (a bearer token for Prometheus).
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from prestasync import stats
from prestasync.web.events import Broadcaster


class LiveCollector(Collector):
    """Gauges read at scrape time: jobs by status, queued tasks, open event streams."""

    def __init__(self, reader: Engine, broadcaster: Broadcaster, queue: object) -> None:
        self.reader, self.broadcaster, self.queue = reader, broadcaster, queue

    def collect(self) -> Iterator[GaugeMetricFamily]:
        jobs = GaugeMetricFamily("prestasync_jobs", "Jobs by status.", labels=["status"])
        with Session(self.reader) as session:
            for status, n in sorted(stats.summary(session).items()):
                jobs.add_metric([status], n)
        yield jobs
        yield GaugeMetricFamily("prestasync_sse_streams", "Open event streams.", value=self.broadcaster.clients)
        depth = _queue_depth(self.queue)
        if depth is not None:
            yield GaugeMetricFamily("prestasync_queue_depth", "Tasks waiting in the queue.", value=depth)


def _queue_depth(queue: object) -> int | None:
    huey = getattr(queue, "huey", None)
    try:
        return int(huey.pending_count()) if huey is not None else None
    except Exception:  # a queue that cannot say is left out, not an error
        return None


def web_registry(reader: Engine, broadcaster: Broadcaster, queue: object) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(LiveCollector(reader, broadcaster, queue))
    return registry


def metrics(request: Request) -> Response:
    """The runtime's registry and the scrape-time gauges, in the Prometheus text format."""
    own: CollectorRegistry = request.app.state.runtime.telemetry.registry
    live: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(own) + generate_latest(live), media_type=CONTENT_TYPE_LATEST)
