"""Product bindings after an export batch: which shop record each product is, and how it went."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from prestasync.models import Binding, utcnow


@dataclass(frozen=True)
class Outcome:
    """One product's result in one shop: its shop id (None when unknown), status and error."""

    product_id: int
    remote_id: int | None
    status: str  # synced | failed
    error: str | None = None


def save(engine: Engine, shop_id: int, outcomes: Sequence[Outcome]) -> None:
    """Record the batch's bindings in one transaction.

    A shop id is bound to one product at a time: when a product takes an id another product's
    binding still names (that binding was stale), the other binding loses it first.
    """
    if not outcomes:
        return
    now = utcnow()
    with Session(engine) as session, session.begin():
        taken = [o.remote_id for o in outcomes if o.remote_id is not None]
        mine = {o.product_id for o in outcomes}
        if taken:
            session.execute(
                update(Binding)
                .where(Binding.shop_id == shop_id, Binding.remote_id.in_(taken), Binding.product_id.notin_(mine))
                .values(remote_id=None)
                .execution_options(synchronize_session=False)
            )
        existing = {
            b.product_id: b
            for b in session.execute(
                select(Binding).where(Binding.shop_id == shop_id, Binding.product_id.in_(list(mine)))
            ).scalars()
        }
        takers = {o.remote_id: o.product_id for o in outcomes if o.remote_id is not None}
        for product_id, binding in existing.items():  # ids swapped within the batch: free them first
            if binding.remote_id in takers and takers[binding.remote_id] != product_id:
                binding.remote_id = None
        session.flush()
        # Written in bulk (one executemany per kind): a batch of 100 products was 100 UPDATEs.
        changed: list[dict[str, object]] = []
        fresh: list[dict[str, object]] = []
        for o in outcomes:
            values: dict[str, object] = {"last_status": o.status, "last_error": o.error}
            if o.remote_id is not None:
                values["remote_id"] = o.remote_id
            if o.status == "synced":
                values["last_synced_at"] = now
            if o.product_id in existing:
                changed.append({"id": existing[o.product_id].id, **values})
            else:
                fresh.append({"shop_id": shop_id, "product_id": o.product_id, "remote_id": None, **values})
        if changed:
            session.execute(update(Binding), changed)
        if fresh:
            session.execute(insert(Binding), fresh)
