"""One lane task: take a batch of a job's items, handle it against the shop, queue the next.

A job runs as `shop_concurrency` lanes. Each lane invocation leases one of the shop's request
slots (`slots.py`: the per-shop limit across all workers), claims a batch of items of the
job's current stage, reads their shop records in bulk, compares, and (in the write stage)
writes; then it enqueues itself again, behind whatever else is queued. So two jobs for two
shops take turns batch by batch instead of one waiting for the other to finish, and a slow
shop holds only its own lanes. A lane that finds nothing to claim asks `stages.advance()`.

A shop error on one product fails that product. The job fails as a whole only when the shop
is really down: it cannot be reached at all (connection refused, DNS), refuses the key, or
fails `shop_down_after` writes in a row (a setting); the message says which.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from prestasync import ledger, slots
from prestasync.context import JobContext
from prestasync.errors import JobCancelled, JobError
from prestasync.export import stages
from prestasync.export.batch import BatchWork
from prestasync.models import JobItem
from prestasync.prestashop import ShopUnreachable, Unauthorized
from prestasync.progress import WORKING, ItemState, JobStatus

log = logging.getLogger(__name__)
MIN_BATCH = 5


@dataclass
class Claimed:
    """The batch's items, and for items planned earlier what they saw then and the note they got."""

    items: list[tuple[int, str]] = field(default_factory=list)
    earlier: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)


def run_lane(ctx: JobContext) -> None:
    """Handle one batch of the job's items, then queue the next one (see the module notes)."""
    rt, job = ctx.rt, ctx.job
    if job.status not in WORKING or job.cancel_requested or ctx.shop is None:
        _advance(ctx)
        return
    shop = ctx.shop
    holder, ttl = uuid.uuid4().hex, rt.settings.heartbeat_timeout_s
    slot = slots.acquire(rt.engine, shop.id, rt.settings.shop_concurrency, holder, ttl)
    if slot is None:  # the shop already has its fill of requests: try again shortly, no thread held
        ctx.queue.enqueue_lane(job.id, delay_s=0.5)
        return
    began = time.monotonic()
    try:
        again = _batch(ctx)
    finally:
        slots.release(rt.engine, shop.id, slot, holder)
        log.debug("job %s: lane on slot %s ran %.3f s", job.id, slot, time.monotonic() - began)
    if again:
        ctx.queue.enqueue_lane(job.id)
    else:
        _advance(ctx)


def _batch(ctx: JobContext) -> bool:
    """Claim and handle one batch; False when there was nothing to claim or the job stopped."""
    stage = ctx.job.checkpoint or stages.READ
    claimed = Claimed()
    work = BatchWork(ctx, stage)
    try:
        claimed = _claim(ctx, stage)
        if not claimed.items:
            return False
        work.earlier = claimed.earlier
        ctx.tracker.start_flushing()
        with ctx.connect() as client:
            work.run(client, claimed.items)
        return True
    except JobCancelled:
        return False
    except (ShopUnreachable, Unauthorized, JobError) as exc:  # the shop itself, not one product
        ctx.tracker.close()
        stages.fail(ctx.rt, ctx.job.id, str(exc))
        return False
    except Exception as exc:  # a bug or a database outage: fail loudly rather than loop
        log.exception("job %s: lane crashed", ctx.job.id)
        ctx.tracker.close()
        stages.fail(ctx.rt, ctx.job.id, f"internal error: {type(exc).__name__}: {exc}")
        return False
    finally:
        ctx.tracker.close()
        _hand_back(ctx, [item_id for item_id, _ in claimed.items if item_id not in work.closed])


def _claim(ctx: JobContext, stage: str) -> Claimed:
    sources = [ItemState.PLANNED, ItemState.QUEUED] if stage == stages.WRITE else [ItemState.QUEUED]
    with Session(ctx.rt.engine) as session, session.begin():
        if ledger.lock(session, ctx.job.id) != JobStatus.RUNNING:
            return Claimed()
        settings = ctx.rt.settings
        size = settings.chunk_size  # reading: full batches, the fewest requests
        if stage == stages.WRITE:
            size = _size(session, ctx.job.id, sources, settings.shop_concurrency, settings.chunk_size)
        lease = str(uuid.uuid4())
        for source in sources:
            ids = list(
                session.execute(
                    select(JobItem.id)
                    .where(JobItem.job_id == ctx.job.id, JobItem.state == source.value)
                    .order_by(JobItem.id)
                    .limit(size)
                ).scalars()
            )
            if ids:
                items = ledger.claim(session, ctx.job.id, ids, lease, source)
                query = select(JobItem.id, JobItem.digest, JobItem.message).where(JobItem.id.in_(ids))
                earlier = {item_id: (seen, note) for item_id, seen, note in session.execute(query)}
                return Claimed(items, earlier)
    return Claimed()


def _size(session: Session, job_id: int, sources: list[ItemState], lanes: int, most: int) -> int:
    """Writing takes a while per product: near the end smaller batches share what is left among
    the lanes, so none idles while another writes alone."""
    left = ledger.count_items(session, job_id, sources)
    return max(min(MIN_BATCH, most), min(most, -(-left // max(lanes, 1))))


def _hand_back(ctx: JobContext, ids: list[int]) -> None:
    """Items claimed but not reached go back to `queued`; a finishing job skips them."""
    if ids:
        with Session(ctx.rt.engine) as session, session.begin():
            ledger.lock(session, ctx.job.id)
            ledger.release(session, ctx.job.id, ids)


def _advance(ctx: JobContext) -> None:
    try:
        stages.advance(ctx.rt, ctx.queue, ctx.job.id)
    except JobError as exc:
        stages.fail(ctx.rt, ctx.job.id, str(exc))
