"""An export or sync job from plan to end: items, stages, the guard, the watermark.

    plan ──► read ──► (guard) ──► write ──► completed
                 │          └──► held ──(confirm)──► write
                 └── a preview (dry run) ends here, completed, having written nothing

`plan()` writes one `queued` item per product in scope (an apply copies a preview's items as
`planned`, so its read stage is empty and it goes straight to the guard) and starts `lanes`
lane tasks. In the **read** stage
lanes read and compare: an unchanged product is done at once; a changed one is `planned` with
its changes. When nothing is left to read, `advance()` weighs the plan (`guard.py`) and either
holds the job or moves it to the **write** stage, where lanes write the planned changes. The
stage is the job's checkpoint: a job resumed after a crash carries on where it stood.

Every step of `advance()` runs under the job's row lock, so however many lanes find the stage
finished at once, one moves it on.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from prestasync import ledger, queries
from prestasync.context import JobContext
from prestasync.errors import InvalidTransition, JobError
from prestasync.export import guard
from prestasync.models import Binding, Job, JobItem, Product, Shop, utcnow
from prestasync.progress import ItemState, JobStatus, JobType
from prestasync.queue import JobQueue
from prestasync.runtime import Runtime
from prestasync.tracker import worker_name

log = logging.getLogger(__name__)

READ, WRITE = "read", "write"


def plan(ctx: JobContext) -> None:
    """Write the job's items (first run only) and start its lanes (again, on resume)."""
    job, shop = ctx.job, ctx.require_shop()
    with Session(ctx.rt.engine) as session, session.begin():
        ledger.lock(session, job.id)
        if not ledger.count_items(session, job.id, ItemState):
            total = _copy_preview(session, job) if job.params.get("apply_of") else _plan_scope(session, job, shop)
            # An apply's items are planned already: its read stage has nothing to read, and
            # `advance()` weighs its plan like any other (held unless it was confirmed).
            _set(session, job.id, checkpoint=READ, total=total, params=_watermark_params(job))
    enqueue_lanes(ctx.rt, ctx.queue, job.id)


def enqueue_lanes(rt: Runtime, queue: JobQueue, job_id: int) -> None:
    """Start one lane per request slot of the shop: together they keep the shop at its limit."""
    for _ in range(rt.settings.shop_concurrency):
        queue.enqueue_lane(job_id)


def scope(session: Session, job: Job, shop: Shop) -> list[str]:
    """The SKUs the job covers, in SKU order: the chosen ones, the changed ones (sync), or all."""
    query = select(Product.sku)
    skus = job.params.get("skus")
    if skus:
        query = query.where(Product.sku.in_(skus))
    elif job.type == JobType.SYNC and shop.synced_until is not None:
        failed = select(Binding.product_id).where(Binding.shop_id == shop.id, Binding.last_status == "failed")
        query = query.where(or_(Product.updated_at > shop.synced_until, Product.id.in_(failed)))
    return list(session.execute(query.order_by(Product.sku)).scalars())


def _plan_scope(session: Session, job: Job, shop: Shop) -> int:
    keys = scope(session, job, shop)
    missing = sorted(set(job.params.get("skus") or ()) - set(keys))
    return ledger.plan(session, job.id, keys + missing)


def _copy_preview(session: Session, job: Job) -> int:
    """An apply's items: exactly the preview's planned changes, with what it saw (`digest`)."""
    preview = queries.get_job(session, int(job.params["apply_of"]))
    rows = session.execute(
        select(JobItem.sku, JobItem.outcome, JobItem.changes, JobItem.digest).where(
            JobItem.job_id == preview.id, JobItem.state == ItemState.DONE.value, JobItem.changes.is_not(None)
        )
    ).all()
    now = utcnow()
    values = [
        {
            "job_id": job.id,
            "sku": sku,
            "state": ItemState.PLANNED.value,
            "outcome": outcome,
            "changes": changes,
            "digest": digest,
            "attempt": 1,
            "created_at": now,
            "updated_at": now,
        }
        for sku, outcome, changes, digest in rows
    ]
    for start in range(0, len(values), ledger.BATCH):
        session.execute(insert(JobItem), values[start : start + ledger.BATCH])
    return len(values)


def _watermark_params(job: Job) -> dict[str, Any]:
    # The mark is taken before the catalogue is read: a product changed while the job runs is
    # pushed again next time rather than missed. Only a whole-catalogue write moves it.
    if job.params.get("skus") or job.params.get("dry_run") or job.params.get("apply_of"):
        return job.params
    return {**job.params, "sync_started_at": job.params.get("sync_started_at") or utcnow().isoformat()}


def _set(session: Session, job_id: int, **values: Any) -> None:
    stmt = update(Job).where(Job.id == job_id).values(version=Job.version + 1, updated_at=utcnow(), **values)
    session.execute(stmt.execution_options(synchronize_session=False))


def advance(rt: Runtime, queue: JobQueue, job_id: int) -> None:
    """Move the job on when its current stage has nothing left: hold it, write, or end it."""
    start_writing = False
    with Session(rt.engine, expire_on_commit=False) as session, session.begin():
        status = ledger.lock(session, job_id)
        if status == JobStatus.CANCELLING:
            _end(session, job_id, JobStatus.CANCELLED)
            return
        if status != JobStatus.RUNNING:
            return
        job = queries.get_job(session, job_id)
        stage = job.checkpoint or READ
        open_now = [ItemState.QUEUED, ItemState.RUNNING] + ([ItemState.PLANNED] if stage == WRITE else [])
        if ledger.count_items(session, job_id, open_now):
            return
        if stage == WRITE or not ledger.count_items(session, job_id, [ItemState.PLANNED]):
            _complete(session, job)
            return
        shop = session.get(Shop, job.shop_id) if job.shop_id is not None else None
        if shop is None:
            raise JobError(f"shop {job.shop_name!r} was deleted")
        held = None if job.params.get("confirmed") else guard.verdict(session, job_id, shop)
        if held:
            ledger.transition(session, job_id, JobStatus.HELD, error_message=held)
            log.info("job %s held: %s", job_id, held)
            return
        _set(session, job_id, checkpoint=WRITE)
        start_writing = True
    if start_writing:
        enqueue_lanes(rt, queue, job_id)


def _complete(session: Session, job: Job) -> None:
    try:
        ledger.finish(session, job.id, JobStatus.COMPLETED)
    except InvalidTransition:
        return
    log.info("job %s completed (finisher %s)", job.id, worker_name())
    mark = job.params.get("sync_started_at")
    if mark and job.shop_id is not None and not job.params.get("dry_run"):
        when = datetime.fromisoformat(mark)
        session.execute(
            update(Shop)
            .where(Shop.id == job.shop_id, or_(Shop.synced_until.is_(None), Shop.synced_until < when))
            .values(synced_until=when)
            .execution_options(synchronize_session=False)
        )


def _end(session: Session, job_id: int, status: JobStatus, error: str | None = None) -> None:
    try:
        ledger.finish(session, job_id, status, error)
    except InvalidTransition:
        pass


def fail(rt: Runtime, job_id: int, message: str) -> None:
    """End the job as failed (the shop is down, refused the key, or a bug): its open items skip."""
    with Session(rt.engine) as session, session.begin():
        _end(session, job_id, JobStatus.FAILED, message)
