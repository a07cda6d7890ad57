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
from dataclasses import dataclass, field

from prestasync.prestashop import BadRecord, Combination, PrestaShopClient, Record, RemoteProduct, StockRow


@dataclass(frozen=True)
class Found:
    """What the shop has for one SKU: its record (None: create it), stock rows, and notes."""

    record: RemoteProduct | None = None
    stock: StockRow | None = None  # the product's own row (`id_product_attribute` 0)
    has_combinations: bool = False
    note: str | None = None
    unreadable: str | None = None  # the shop has the product but it could not be read: do not create a twin
    combinations: tuple[Combination, ...] = ()
    variant_stock: dict[int, StockRow] = field(default_factory=dict)  # combination id -> its row
    prices: tuple[Record, ...] = ()


def read(
    client: PrestaShopClient, bound: Mapping[str, int | None], *, combinations: bool = False, prices: bool = False
) -> dict[str, Found]:
    """The shop's records for these SKUs (`bound`: SKU -> the bound shop id, or None); their
    combinations and specific prices too when asked (one request each per 100 products)."""
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
    ids = [r.id for r in matched.values()]
    rows = client.stock_rows_for(ids) if ids else []
    own = {row.id_product: row for row in rows if row.id_product_attribute == 0}
    variant_rows = {row.id_product_attribute: row for row in rows if row.id_product_attribute != 0}
    with_variants = {row.id_product for row in variant_rows.values()}
    combos = _by_product(client.combinations_of(ids)) if combinations and ids else {}
    price_rows = _prices_by_product(client.specific_prices_of(ids)) if prices and ids else {}
    out: dict[str, Found] = {}
    for sku in bound:
        record = matched.get(sku)
        if record is None:
            out[sku] = Found(note=notes.get(sku), unreadable=unreadable.get(sku))
            continue
        mine = combos.get(record.id, ())
        out[sku] = Found(
            record,
            own.get(record.id),
            bool(record.combination_ids) or record.id in with_variants,
            notes.get(sku),
            combinations=tuple(mine),
            variant_stock={c.id: variant_rows[c.id] for c in mine if c.id in variant_rows},
            prices=tuple(price_rows.get(record.id, ())),
        )
    return out


def _by_product(found: list[Combination | BadRecord]) -> dict[int, list[Combination]]:
    out: dict[int, list[Combination]] = {}
    for combination in found:
        if isinstance(combination, Combination) and combination.product_id.isdigit():
            out.setdefault(int(combination.product_id), []).append(combination)
    return out


def _prices_by_product(found: list[Record | BadRecord]) -> dict[int, list[Record]]:
    out: dict[int, list[Record]] = {}
    for price in found:
        if isinstance(price, Record) and price.fields.get("id_product", "").isdigit():
            out.setdefault(int(price.fields["id_product"]), []).append(price)
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
