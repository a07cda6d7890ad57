"""Export and sync jobs: catalogue -> shop, fanned out over every worker, item by item.

`plan()` writes one `queued` ledger row per product in scope and enqueues chunks of
row ids. Each chunk task leases one of the shop's request slots (`slots.py`; no free slot:
the chunk is rescheduled), claims its rows with a lease (a duplicate delivery claims
nothing), pushes each product (update through the binding, else by reference, else
create, so a re-run or retry never makes a duplicate), sets stock, records the binding,
and reports through a tracker whose write also closes the item rows. The chunk that
leaves nothing queued or running completes the job with a conditional UPDATE: exactly
one finisher wins, however many race.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from prestasync import ledger, queries, slots
from prestasync.context import JobContext
from prestasync.errors import InvalidTransition, JobCancelled, JobNotFound
from prestasync.ledger import Close
from prestasync.models import Binding, Job, JobItem, Product, Shop, utcnow
from prestasync.prestashop import (
    NotFound,
    PrestaShopClient,
    PrestaShopError,
    ProductDraft,
    ShopUnavailable,
    Unauthorized,
    ValidationFailed,
)
from prestasync.progress import ItemState, JobStatus, JobType, Outcome
from prestasync.queue import JobQueue
from prestasync.runtime import Runtime
from prestasync.tracker import Tracker, worker_name

log = logging.getLogger(__name__)

LANGUAGE_TTL_S = 300.0
_languages: dict[int, tuple[float, dict[str, int]]] = {}
_guard = threading.Lock()


def scope(session: Session, job: Job, shop: Shop) -> list[tuple[str, int]]:
    """(sku, product id) pairs the job covers, in SKU order."""
    query = select(Product.sku, Product.id)
    skus = job.params.get("skus")
    if skus:
        query = query.where(Product.sku.in_(skus))
    elif job.type == JobType.SYNC:
        since: datetime | None = shop.synced_until
        failed = select(Binding.product_id).where(Binding.shop_id == shop.id, Binding.last_status == "failed")
        if since is not None:
            query = query.where(or_(Product.updated_at > since, Product.id.in_(failed)))
    return [(sku, pid) for sku, pid in session.execute(query.order_by(Product.sku))]


def plan(ctx: JobContext) -> None:
    """Write the job's item rows (first run only) and enqueue its chunks (again, on resume)."""
    job, shop = ctx.job, ctx.require_shop()
    with Session(ctx.rt.engine) as session, session.begin():
        if not ledger.count_items(session, job.id, ItemState):
            if job.type == JobType.SYNC and "sync_started_at" not in job.params:
                _note_sync_start(session, job)
            pairs = scope(session, job, shop)
            missing = set(job.params.get("skus") or ()) - {sku for sku, _ in pairs}
            keys = [sku for sku, _ in pairs] + sorted(missing)
            ctx.tracker.set_total(ledger.plan(session, job.id, keys))
    ctx.tracker.flush()
    if not enqueue_open_chunks(ctx.rt, ctx.queue, job.id):
        try_finish(ctx.rt, job.id)


def enqueue_open_chunks(rt: Runtime, queue: JobQueue, job_id: int) -> int:
    """Enqueue the job's `queued` items in chunks; returns how many items."""
    with Session(rt.engine) as session:
        query = select(JobItem.id).where(JobItem.job_id == job_id, JobItem.state == "queued").order_by(JobItem.id)
        queued = list(session.execute(query).scalars())
    size = rt.settings.chunk_size
    for start in range(0, len(queued), size):
        queue.enqueue_chunk(job_id, queued[start : start + size])
    return len(queued)


def _note_sync_start(session: Session, job: Job) -> None:
    # The watermark is taken before reading the catalogue: a product changed while the
    # sync runs is pushed again next time rather than missed.
    params = {**job.params, "sync_started_at": utcnow().isoformat()}
    session.execute(
        update(Job).where(Job.id == job.id).values(params=params).execution_options(synchronize_session=False)
    )
    job.params = params


def run_chunk(ctx: JobContext, item_ids: Sequence[int]) -> None:
    """Export the claimed items of one chunk, then try to finish the job."""
    rt, job, shop = ctx.rt, ctx.job, ctx.shop
    if job.status not in (JobStatus.RUNNING, JobStatus.PENDING) or job.cancel_requested or shop is None:
        try_finish(rt, job.id)
        return
    holder, ttl = uuid.uuid4().hex, rt.settings.heartbeat_timeout_s
    slot = slots.acquire(rt.engine, shop.id, rt.settings.shop_concurrency, holder, ttl)
    if slot is None:  # the shop already has its fill of requests from other chunks
        ctx.queue.enqueue_chunk(job.id, list(item_ids), delay_s=0.5)
        return
    try:
        lost = _run_claimed(ctx, shop, item_ids, lambda: slots.renew(rt.engine, shop.id, slot, holder, ttl))
    finally:
        slots.release(rt.engine, shop.id, slot, holder)
    if lost:  # the slot's lease ran out under us: the rest of the chunk waits for a slot again
        ctx.queue.enqueue_chunk(job.id, lost, delay_s=0.5)
    try_finish(rt, job.id)  # whatever happened, the last chunk out closes the job


def _run_claimed(ctx: JobContext, shop: Shop, item_ids: Sequence[int], renew: Callable[[], bool]) -> list[int]:
    """Claim the chunk's items and push them one by one, keeping the slot's lease alive.

    Returns the ids handed back to the queue because the lease was lost. Items not reached
    for any other reason (cancel, job failure) go back to `queued` too, and the finisher
    skips them, so no item is left `running`.
    """
    rt, job = ctx.rt, ctx.job
    claimed = _claim(rt.engine, job.id, item_ids)
    tracker = ctx.tracker
    tracker.start_flushing()
    renewed, done = time.monotonic(), 0
    lost: list[int] = []
    try:
        with rt.connect(shop) as client:
            languages = _shop_languages(client, shop)
            for item_id, sku in claimed:
                tracker.check_cancel()
                if time.monotonic() - renewed > rt.settings.heartbeat_timeout_s / 3:
                    if not renew():
                        lost = [i for i, _ in claimed[done:]]
                        break
                    renewed = time.monotonic()
                _export_one(rt.engine, client, shop, item_id, sku, languages, tracker)
                done += 1
    except JobCancelled:
        pass
    except (ShopUnavailable, Unauthorized) as exc:  # the shop, not an item: the whole job stops
        tracker.close()
        _fail_job(rt.engine, job.id, str(exc))
    except Exception as exc:  # a bug or a database outage: fail loudly rather than loop
        log.exception("job %s: chunk crashed", job.id)
        tracker.close()
        _fail_job(rt.engine, job.id, f"internal error: {type(exc).__name__}: {exc}")
    finally:
        tracker.close()
        _release(rt.engine, job.id, [item_id for item_id, _ in claimed[done:]])
    return lost


def _claim(engine: Any, job_id: int, item_ids: Sequence[int]) -> list[tuple[int, str]]:
    with Session(engine) as session, session.begin():
        ledger.lock(session, job_id)
        return ledger.claim(session, job_id, item_ids, str(uuid.uuid4()), ItemState.QUEUED)


def _release(engine: Any, job_id: int, item_ids: list[int]) -> None:
    """Items claimed but not reached go back to `queued` (the finisher skips them if the job ends)."""
    if item_ids:
        with Session(engine) as session, session.begin():
            ledger.lock(session, job_id)
            ledger.release(session, job_id, item_ids)


def _shop_languages(client: PrestaShopClient, shop: Shop) -> dict[str, int]:
    """ISO code -> the shop's language id, cached per process for a few minutes."""
    with _guard:
        cached = _languages.get(shop.id)
    if cached and time.monotonic() - cached[0] < LANGUAGE_TTL_S:
        return cached[1]
    mapping = {lang.iso_code: lang.id for lang in client.languages()}
    with _guard:
        _languages[shop.id] = (time.monotonic(), mapping)
    return mapping


def _export_one(
    engine: Any,
    client: PrestaShopClient,
    shop: Shop,
    item_id: int,
    sku: str,
    languages: dict[str, int],
    tracker: Tracker,
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        product = session.execute(select(Product).where(Product.sku == sku)).scalar()
        binding = session.execute(
            select(Binding).where(Binding.shop_id == shop.id, Binding.product_id == (product.id if product else -1))
        ).scalar()
    if product is None:
        message = f"SKU {sku!r} is not in the catalogue"
        tracker.close_item(Close(item_id, ItemState.FAILED, message=message, code="not_in_catalogue"))
        return
    draft = ProductDraft(
        reference=product.sku,
        price=product.price,
        active=product.active,
        name={languages[iso]: text for iso, text in product.name.items() if iso in languages},
        description={languages[iso]: text for iso, text in product.description.items() if iso in languages},
    )
    try:
        remote_id = _push(client, draft, binding.remote_id if binding else None)
        client.set_stock(remote_id, product.quantity)
    except (ShopUnavailable, Unauthorized):
        raise
    except PrestaShopError as exc:  # the shop refused or garbled this one item: record it, go on
        message = exc.message or str(exc)
        tracker.close_item(Close(item_id, ItemState.FAILED, message=message, code=_code(exc)))
        _bind(engine, shop.id, product.id, None, "failed", message)
        return
    _bind(engine, shop.id, product.id, remote_id, "synced", None)
    tracker.close_item(Close(item_id, ItemState.DONE, Outcome.UPDATED))


def _push(client: PrestaShopClient, draft: ProductDraft, remote_id: int | None) -> int:
    """Update the bound record, else the one with this reference, else create one."""
    if remote_id is not None:
        try:
            return client.update_product(remote_id, draft).id
        except NotFound:
            pass  # deleted in the shop since the last sync: find or recreate it
    found = client.find_products_by_reference(draft.reference)
    if found:
        return client.update_product(min(found), draft).id
    return client.create_product(draft).id


def _code(exc: PrestaShopError) -> str:
    if exc.code is not None:
        return f"ps_{exc.code}"
    return "validation" if isinstance(exc, ValidationFailed) else type(exc).__name__


def _bind(engine: Any, shop_id: int, product_id: int, remote_id: int | None, status: str, error: str | None) -> None:
    with Session(engine) as session, session.begin():
        binding = session.execute(
            select(Binding).where(Binding.shop_id == shop_id, Binding.product_id == product_id)
        ).scalar()
        if binding is None:
            binding = Binding(shop_id=shop_id, product_id=product_id)
            session.add(binding)
        if remote_id is not None:
            binding.remote_id = remote_id
        binding.last_status, binding.last_error = status, error
        if status == "synced":
            binding.last_synced_at = utcnow()


def _fail_job(engine: Any, job_id: int, message: str) -> None:
    with Session(engine) as session, session.begin():
        try:
            ledger.finish(session, job_id, JobStatus.FAILED, message)
        except InvalidTransition:
            return


def try_finish(rt: Runtime, job_id: int) -> bool:
    """Complete (or cancel) the job if no item is left to do. True for the one caller that did."""
    with Session(rt.engine) as session, session.begin():
        try:
            status = ledger.lock(session, job_id)
        except JobNotFound:
            return False
        if status == JobStatus.CANCELLING:
            ledger.skip_open(session, job_id, [ItemState.QUEUED])
        if ledger.count_items(session, job_id):
            return False
        job = queries.get_job(session, job_id)
        return _complete(session, job)


def _complete(session: Session, job: Job) -> bool:
    target = JobStatus.CANCELLED if job.status == JobStatus.CANCELLING else JobStatus.COMPLETED
    try:
        ledger.finish(session, job.id, target)
    except InvalidTransition:
        return False  # another finisher won, or the job already ended
    log.info("job %s %s (finisher %s)", job.id, target.value, worker_name())
    if target == JobStatus.COMPLETED and job.type == JobType.SYNC and job.shop_id is not None:
        mark = datetime.fromisoformat(job.params["sync_started_at"])
        session.execute(update(Shop).where(Shop.id == job.shop_id).values(synced_until=mark))
    return True
