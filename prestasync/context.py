"""What a job body is given: one shape for every kind of job.

`tasks.py` builds a `JobContext` for each task it runs and calls a body with it
(`importer.run_import(ctx)`, `export.plan(ctx)`, `export.run_lane(ctx)`). Bodies
talk to the shop through `ctx.connect()`, report through `ctx.tracker`, and hand follow-up
work to `ctx.queue`, so they never import the task layer that calls them.
"""

from __future__ import annotations

from dataclasses import dataclass

from prestasync.errors import JobError
from prestasync.models import Job, Shop
from prestasync.prestashop import PrestaShopClient
from prestasync.queue import JobQueue
from prestasync.runtime import Runtime
from prestasync.tracker import Tracker


@dataclass
class JobContext:
    """The runtime, the queue, the job row as read at the start, its shop and its tracker."""

    rt: Runtime
    queue: JobQueue
    job: Job
    shop: Shop | None
    tracker: Tracker

    def connect(self) -> PrestaShopClient:
        """A client for the job's shop; a job whose shop was deleted fails with a clear message."""
        return self.rt.connect(self.require_shop())

    def require_shop(self) -> Shop:
        if self.shop is None:
            raise JobError(f"shop {self.job.shop_name!r} was deleted")
        return self.shop
