"""Specific prices: a product's (or one combination's) discounts and fixed prices.

A shop's specific price is matched to the product's catalogue ones by this shop's link
(`RemoteLink(kind="specific_price")`), else by being equal in every field; what matches nothing
is new, and catalogue prices the shop no longer has are deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from prestasync.catalogue.incoming import IncomingPrice
from prestasync.catalogue.links import drop_links, links_of, one_to_one, sync_links
from prestasync.catalogue.rows import assign, rows_where
from prestasync.models import SpecificPrice


def sync_prices(
    session: Session, shop_id: int, wanted: Mapping[int, Sequence[IncomingPrice]], combinations: Mapping[int, int]
) -> set[int]:
    """Make each product's specific prices exactly `wanted[product id]`; `combinations` maps shop
    combination ids to catalogue ones (a price of an unknown combination is left out). Returns the
    products whose prices changed."""
    rows: dict[int, list[SpecificPrice]] = {pid: [] for pid in wanted}
    for row in rows_where(session, SpecificPrice, SpecificPrice.product_id, list(wanted)):
        rows[row.product_id].append(row)
    remote_ids = {p.remote_id for prices in wanted.values() for p in prices}
    local_ids = {row.id for group in rows.values() for row in group}
    linked = {
        link.remote_id: link.local_id
        for link in links_of(session, shop_id, "specific_price", local_ids=local_ids, remote_ids=remote_ids)
    }
    changed: set[int] = set()
    chosen: dict[int, SpecificPrice] = {}
    for pid, prices in wanted.items():
        free = {row.id: row for row in sorted(rows[pid], key=lambda r: r.id)}
        for price in prices:
            if price.combination is not None and price.combination not in combinations:
                continue
            values = _values(price, combinations)
            row = _match(free, linked.get(price.remote_id), values)
            if row is None:
                row = SpecificPrice(product_id=pid)
                session.add(row)
                changed.add(pid)
            if assign(row, **values):
                changed.add(pid)
            chosen[price.remote_id] = row
        if free:
            changed.add(pid)
            drop_links(session, "specific_price", free)
            for row in free.values():
                session.delete(row)
    session.flush()
    ids = one_to_one((remote, row.id) for remote, row in chosen.items())
    sync_links(session, shop_id, "specific_price", ids, local_scope=local_ids, remote_scope=remote_ids)
    return changed


def _values(price: IncomingPrice, combinations: Mapping[int, int]) -> dict[str, Any]:
    return {
        "combination_id": combinations[price.combination] if price.combination is not None else None,
        "price": price.price,
        "reduction": price.reduction,
        "reduction_type": price.reduction_type,
        "reduction_tax": price.reduction_tax,
        "from_quantity": price.from_quantity,
        "date_from": price.date_from,
        "date_to": price.date_to,
    }


def _match(free: dict[int, SpecificPrice], linked: int | None, values: dict[str, Any]) -> SpecificPrice | None:
    if linked is not None and linked in free:
        return free.pop(linked)
    for row_id, row in free.items():
        if all(getattr(row, name) == value for name, value in values.items()):
            return free.pop(row_id)
    return None
