"""The change guard: an export about to make sweeping changes waits for a person first.

After an export has read and compared every product, and before it writes anything, its
plan is weighed: if it would set the stock of more than `guard_share_pct` % of the products
that have stock to 0, or move the price of more than that share of the products by more than
`guard_price_pct` %, the job stops in `held` with the reason, until someone confirms it (or
cancels). Small jobs are not held for a product or two: a rule needs `MIN_ITEMS` products to
trip. The incident that zeroed all 19 stock levels of a real shop would have been held.

"Had stock" is read from the plan: a product whose stock the plan changes had the plan's
"before"; any other product has in the shop the stock the catalogue holds (it is unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from prestasync.models import JobItem, Product, Shop
from prestasync.progress import ItemState

MIN_ITEMS = 3


@dataclass(frozen=True)
class Weights:
    """What a plan does to stock and prices, counted over a job's products."""

    products: int = 0
    had_stock: int = 0
    zeroed: int = 0
    priced: int = 0
    price_moved: int = 0


def weigh(session: Session, job_id: int, price_pct: int) -> Weights:
    """Count, over the job's products, those with stock, those the plan zeroes, and prices moved."""
    rows = session.execute(
        select(JobItem.state, JobItem.changes, Product.quantity, Product.kind, Product.price)
        .join(Product, Product.sku == JobItem.sku, isouter=True)
        .where(JobItem.job_id == job_id)
    ).all()
    products = had = zeroed = priced = moved = 0
    for state, changes, quantity, kind, price in rows:
        products += 1
        stock = (changes or {}).get("stock") if state == ItemState.PLANNED else None
        if stock is not None:
            before, after = stock
            had += 1 if (before or 0) > 0 else 0
            zeroed += 1 if (before or 0) > 0 and after == 0 else 0
        elif quantity and kind != "combinations":
            had += 1
        change = (changes or {}).get("price") if state == ItemState.PLANNED else None
        if change is not None and change[0] is not None:
            priced += 1
            moved += 1 if _moved(change[0], change[1], price_pct) else 0
        elif price:
            priced += 1
    return Weights(products, had, zeroed, priced, moved)


def verdict(session: Session, job_id: int, shop: Shop) -> str | None:
    """Why the job must wait for a person, or None when its plan is within the shop's limits."""
    if not shop.guard_enabled:
        return None
    w = weigh(session, job_id, shop.guard_price_pct)
    share = shop.guard_share_pct
    reasons = []
    if w.zeroed >= MIN_ITEMS and w.zeroed * 100 > share * w.had_stock:
        reasons.append(
            f"it would set the stock of {w.zeroed} of {w.had_stock} products that have stock to 0 "
            f"({_pct(w.zeroed, w.had_stock)}, limit {share} %)"
        )
    if w.price_moved >= MIN_ITEMS and w.price_moved * 100 > share * w.priced:
        reasons.append(
            f"it would move the price of {w.price_moved} of {w.priced} products by more than "
            f"{shop.guard_price_pct} % ({_pct(w.price_moved, w.priced)}, limit {share} %)"
        )
    if not reasons:
        return None
    return "held by the change guard: " + "; ".join(reasons) + ". Confirm to write it, or cancel."


def _moved(before: str, after: str, pct: int) -> bool:
    try:
        b, a = Decimal(before), Decimal(after)
    except (InvalidOperation, TypeError):
        return False
    if b == 0:
        return a != 0
    return abs(a - b) * 100 > pct * abs(b)


def _pct(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %" if whole else "all"
