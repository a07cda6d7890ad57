"""Per-shop request slots: the politeness limit shared by every worker on every machine.

A shop has `shop_concurrency` slot rows. An export chunk leases one (a conditional
UPDATE that only succeeds on a free or expired row) and talks to the shop through it,
one request at a time, so all workers together keep at most that many requests in
flight per shop. A lease lasts `ttl_s` and is renewed while the holder works; a holder
killed mid-chunk loses its slot when the lease runs out, so a dead worker blocks a slot
for at most one lease. A chunk that finds every slot taken is rescheduled by the queue
instead of waiting in a worker thread.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prestasync.models import ShopSlot, utcnow


def acquire(engine: Engine, shop_id: int, limit: int, holder: str, ttl_s: float) -> int | None:
    """Lease a free slot of the shop for `holder`; None when all `limit` slots are held."""
    _ensure(engine, shop_id, limit)
    now = utcnow()
    with Session(engine) as session, session.begin():
        for slot in range(limit):
            stmt = (
                update(ShopSlot)
                .where(
                    ShopSlot.shop_id == shop_id,
                    ShopSlot.slot == slot,
                    or_(ShopSlot.holder.is_(None), ShopSlot.until < now),
                )
                .values(holder=holder, until=now + timedelta(seconds=ttl_s))
            )
            if session.execute(stmt.execution_options(synchronize_session=False)).rowcount == 1:  # type: ignore[attr-defined]
                return slot
    return None


def renew(engine: Engine, shop_id: int, slot: int, holder: str, ttl_s: float) -> bool:
    """Extend the lease; False when it was lost (it expired and someone else took the slot)."""
    with Session(engine) as session, session.begin():
        stmt = (
            update(ShopSlot)
            .where(ShopSlot.shop_id == shop_id, ShopSlot.slot == slot, ShopSlot.holder == holder)
            .values(until=utcnow() + timedelta(seconds=ttl_s))
        )
        return session.execute(stmt.execution_options(synchronize_session=False)).rowcount == 1  # type: ignore[attr-defined, no-any-return]


def release(engine: Engine, shop_id: int, slot: int, holder: str) -> None:
    with Session(engine) as session, session.begin():
        stmt = (
            update(ShopSlot)
            .where(ShopSlot.shop_id == shop_id, ShopSlot.slot == slot, ShopSlot.holder == holder)
            .values(holder=None, until=None)
        )
        session.execute(stmt.execution_options(synchronize_session=False))


def _ensure(engine: Engine, shop_id: int, limit: int) -> None:
    """Create the shop's missing slot rows (first use, or a raised limit)."""
    with Session(engine) as session:
        have = set(session.execute(select(ShopSlot.slot).where(ShopSlot.shop_id == shop_id)).scalars())
    for slot in range(limit):
        if slot in have:
            continue
        try:
            with Session(engine) as session, session.begin():
                session.add(ShopSlot(shop_id=shop_id, slot=slot))
        except IntegrityError:
            pass  # another worker created it first
