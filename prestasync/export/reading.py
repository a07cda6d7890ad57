"""The shop side of an export batch: the current record of every product, in a few requests.

Bound products are read by id (`filter[id]=[1|2|…]`, 100 a request), the others by reference
(`filter[reference]=[a|b|…]`), and the stock rows of all of them in one more request per
100: about two or three requests per 100 products, never one per product.

A binding is checked before it is trusted: the record at the bound id must carry the SKU as
its reference. When it does not (the shop's ids were reused: a restore, a reinstall), the
binding is stale: the product is looked up by reference or created, never written over the
product that now lives at that id, and the item says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prestasync.prestashop import BadRecord, PrestaShopClient, RemoteProduct, StockRow


@dataclass(frozen=True)
class Found:
    """What the shop has for one SKU: its record (None: create it), own stock row, and notes."""

    record: RemoteProduct | None = None
    stock: StockRow | None = None
    has_combinations: bool = False
    note: str | None = None
    unreadable: str | None = None  # the shop has the product but it could not be read: do not create a twin


def read(client: PrestaShopClient, bound: Mapping[str, int | None]) -> dict[str, Found]:
    """The shop's records for these SKUs (`bound`: SKU -> the bound shop id, or None)."""
    by_id = _by_id(client, [rid for rid in bound.values() if rid is not None])
    matched: dict[str, RemoteProduct] = {}
    notes: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    lookup: list[str] = []
    for sku, rid in bound.items():
        record = by_id.get(rid) if rid is not None else None
        if isinstance(record, RemoteProduct) and record.reference == sku:
            matched[sku] = record
            continue
        if isinstance(record, BadRecord):
            unreadable[sku] = f"the shop's product #{rid} could not be read: {record.reason}"
            continue
        if isinstance(record, RemoteProduct):
            notes[sku] = f"the binding to #{rid} was stale (it now holds {record.reference!r}); not written over"
        elif rid is not None:
            notes[sku] = f"product #{rid} was deleted in the shop"
        lookup.append(sku)
    for sku, candidates in (client.products_by_references(lookup) if lookup else {}).items():
        bad = [c for c in candidates if isinstance(c, BadRecord)]
        good = sorted((c for c in candidates if isinstance(c, RemoteProduct)), key=lambda c: c.id)
        if bad and not good:
            unreadable[sku] = f"the shop has a product with this reference that could not be read: {bad[0].reason}"
        elif good:
            matched[sku] = good[0]
            if len(good) > 1:
                others = ", ".join(f"#{c.id}" for c in good[1:])
                notes[sku] = _join(notes.get(sku), f"the shop has this reference on {others} too; used #{good[0].id}")
            elif sku in notes:
                notes[sku] = _join(notes[sku], f"matched #{good[0].id} by reference")
    rows = client.stock_rows_for([r.id for r in matched.values()]) if matched else []
    own = {row.id_product: row for row in rows if row.id_product_attribute == 0}
    variants = {row.id_product for row in rows if row.id_product_attribute != 0}
    out: dict[str, Found] = {}
    for sku in bound:
        record = matched.get(sku)
        if record is None:
            out[sku] = Found(note=notes.get(sku), unreadable=unreadable.get(sku))
            continue
        combos = bool(record.combination_ids) or record.id in variants
        out[sku] = Found(record, own.get(record.id), combos, notes.get(sku))
    return out


def _by_id(client: PrestaShopClient, ids: list[int]) -> dict[int, RemoteProduct | BadRecord]:
    found: dict[int, RemoteProduct | BadRecord] = {}
    for record in client.products_by_ids(ids) if ids else []:
        key = record.id if isinstance(record, RemoteProduct) else record.remote_id
        if key is not None:
            found[key] = record
    return found


def _join(first: str | None, second: str) -> str:
    return f"{first}; {second}" if first else second
