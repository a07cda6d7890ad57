"""Writing one product's plan to the shop: PATCH what changed, or POST a new one; then stock.

An ambiguous answer to a write (a 500 with an empty body, a timeout after sending) may mean
the shop saved it: the real shop answers 1-5 % of concurrent product writes so, after saving
(wire README, fact 14). PATCHes are idempotent and retried by the client. A POST is not: after
such an answer the product is looked up by reference, and only created again when it is not
there, so an ambiguous answer never makes a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass

from prestasync.export.state import Plan
from prestasync.prestashop import PrestaShopClient, RemoteProduct, ShopUnavailable, StockRow


@dataclass(frozen=True)
class Written:
    """The shop id the product now has, and a note worth showing (e.g. a recovered 500)."""

    remote_id: int
    note: str | None = None


def push(client: PrestaShopClient, sku: str, plan: Plan, current: RemoteProduct | None) -> Written:
    """Apply the product part of `plan` (stock is `push_stock`'s)."""
    associations = plan.associations
    if current is not None and not plan.create:
        if plan.fields or plan.texts or associations:
            client.patch("products", current.id, plan.fields, plan.texts, associations, current=current)
        return Written(current.id)
    try:
        return Written(client.create("products", plan.fields, plan.texts, associations).id)
    except ShopUnavailable as exc:
        if not exc.maybe_applied:
            raise
        saved = _by_reference(client, sku)
        if saved is not None:
            return Written(saved.id, "the shop answered the creation with an error but had saved the product")
    return Written(client.create("products", plan.fields, plan.texts, associations).id)


def push_stock(client: PrestaShopClient, row: StockRow | None, product_id: int, quantity: int) -> None:
    """Set the product's own stock row (its id known from the batch read, else looked up)."""
    if row is not None:
        client.set_stock_row(row, quantity)
    else:
        client.set_stock(product_id, quantity)


def _by_reference(client: PrestaShopClient, sku: str) -> RemoteProduct | None:
    found = [r for r in client.products_by_references([sku]).get(sku, []) if isinstance(r, RemoteProduct)]
    return min(found, key=lambda r: r.id) if found else None
