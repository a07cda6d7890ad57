"""Prometheus metrics of one process, on its own registry (built with the `Runtime`, never at import).

Every process counts what it does itself: a worker the items its jobs handle, its shop
requests, its tracker writes, the jobs it announced and the deliveries it sent; a web
process its event streams, and (read from the database when scraped) the jobs by status
and the queue's depth. The web process serves its registry at `/metrics`; a worker serves
its own on `worker_metrics_port` (see the README, *Metrics*). Series are per process, so
Prometheus adds them up across workers; no process's figures depend on another's.

Label values are few by construction: shop names, job types, statuses, HTTP codes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from prestasync.ledger import Delta
from prestasync.models import Job
from prestasync.progress import ItemState

log = logging.getLogger(__name__)

# Seconds: a request to a shop, a tracker write, a whole job.
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
FLUSH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
JOB_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 24 * 3600.0)
HANDLED = frozenset({ItemState.DONE, ItemState.FAILED})

FlushObserver = Callable[[Delta, float], None]


class Telemetry:
    """The metrics one process keeps, and the callbacks that feed them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.items_processed = Counter(
            "prestasync_items_processed", "Items handled by jobs (failed ones included).", ["shop", "type"], registry=r
        )
        self.items_failed = Counter("prestasync_items_failed", "Items that failed.", ["shop", "type"], registry=r)
        self.job_duration = Histogram(
            "prestasync_job_duration_seconds",
            "From a job's start to its end, observed once per job when it is announced.",
            ["type", "status"],
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self.shop_latency = Histogram(
            "prestasync_shop_request_seconds",
            "Each try of a request to a shop.",
            ["shop", "method"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self.shop_requests = Counter(
            "prestasync_shop_requests",
            "Tries of requests to shops by HTTP status ('error' with no answer).",
            ["shop", "code"],
            registry=r,
        )
        self.shop_errors = Counter(
            "prestasync_shop_request_errors",
            "Tries that failed: HTTP code of 400 and above, or the transport error's name.",
            ["shop", "code"],
            registry=r,
        )
        self.flush_latency = Histogram(
            "prestasync_tracker_flush_seconds",
            "One progress write of a job tracker.",
            buckets=FLUSH_BUCKETS,
            registry=r,
        )
        self.deliveries = Counter(
            "prestasync_deliveries",
            "Notification delivery tries by channel and result.",
            ["channel", "result"],
            registry=r,
        )
        self.schedule_runs = Counter(
            "prestasync_schedule_runs",
            "Scheduled slots by outcome (started, skipped, refused).",
            ["outcome"],
            registry=r,
        )

    def shop_observer(self, shop: str) -> Callable[[str, str, int | None, str | None, float], None]:
        """The PrestaShop client's `observer` for one shop: latency and outcome of every try."""

        def observe(method: str, resource: str, status: int | None, error: str | None, seconds: float) -> None:
            self.shop_latency.labels(shop, method).observe(seconds)
            code = str(status) if status is not None else "error"
            self.shop_requests.labels(shop, code).inc()
            if status is None or status >= 400:
                self.shop_errors.labels(shop, str(status) if status is not None else error or "error").inc()

        return observe

    def flush_observer(self, engine: Engine, job_id: int) -> FlushObserver:
        """The tracker's callback for one job: counts what each write carried, labelled by the
        job's shop and type (read once, on the first write)."""
        labels: list[str] = []

        def observe(delta: Delta, seconds: float) -> None:
            self.flush_latency.observe(seconds)
            processed, failed = _counts(delta)
            if not (processed or failed):
                return
            if not labels:
                labels.extend(_job_labels(engine, job_id))
            self.items_processed.labels(*labels).inc(processed)
            self.items_failed.labels(*labels).inc(failed)

        return observe

    def job_ended(self, type: str, status: str, seconds: float | None) -> None:
        if seconds is not None:
            self.job_duration.labels(type, status).observe(max(seconds, 0.0))


def _counts(delta: Delta) -> tuple[int, int]:
    processed = sum(delta.done.values())
    failed = 0
    for state in [i.state for i in delta.items] + [c.state for c in delta.closes]:
        processed += state in HANDLED
        failed += state == ItemState.FAILED
    return processed, failed


def _job_labels(engine: Engine, job_id: int) -> list[str]:
    try:
        with Session(engine) as session:
            row = session.execute(select(Job.shop_name, Job.type).where(Job.id == job_id)).first()
    except Exception:  # metrics never break a job
        log.warning("job %s: could not read metric labels", job_id, exc_info=True)
        row = None
    return [row[0], row[1]] if row else ["", ""]


def timed() -> Callable[[], float]:
    """A stopwatch: call the result to get the seconds since `timed()`."""
    start = time.perf_counter()
    return lambda: time.perf_counter() - start
