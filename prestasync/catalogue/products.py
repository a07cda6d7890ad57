"""Folding a page of shop products into the catalogue.

A page is checked record by record; a bad record becomes an `ItemFailure` with a message a
person can act on, and the good ones are upserted by SKU in one transaction, with the shop
binding (remote id) recorded alongside, and, for records that carry `details`, the product's
parts (categories, features, images, combinations, specific prices; see `tree`, `options`,
`media`, `variants`, `prices`). Importing the same page twice changes nothing the second time:
`updated_at` moves only when a value of the product or of one of its parts really changed, so a
re-import does not make the next sync push the whole catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prestasync import shops
from prestasync.catalogue.incoming import Details, Incoming, ItemFailure, PageResult
from prestasync.catalogue.media import sync_images
from prestasync.catalogue.options import sync_product_features
from prestasync.catalogue.prices import sync_prices
from prestasync.catalogue.tree import sync_product_categories
from prestasync.catalogue.variants import sync_combinations
from prestasync.models import SKU_MAX, Binding, Product, utcnow
from prestasync.prestashop import BadRecord, RemoteProduct, StockRow

PRICE_MAX = Decimal("100000000000000")
TEXTS = ("name", "description", "description_short", "slug")  # merged per language, never replaced whole
SIMPLE = ("name", "description", "price", "quantity", "active")
DETAILED = (
    "kind", "description_short", "slug", "wholesale_price", "tax_group", "manufacturer_id", "category_id",
    "weight", "width", "height", "depth", "ean13", "isbn", "upc", "mpn", "minimal_quantity",
)  # fmt: skip


def check_record(
    record: RemoteProduct | BadRecord, languages: Mapping[int, str], stock: Mapping[int, StockRow]
) -> Incoming | ItemFailure:
    """Turn one shop record into an `Incoming` product or say precisely what is wrong.

    `stock` holds each product's own stock row (`id_product_attribute` 0): for a product with
    combinations that row is their sum (README fact 2). The record's own `<quantity>` is never
    read: it is always 0 on the wire (fact 1).
    """
    if isinstance(record, BadRecord):
        return ItemFailure(record.reference or ref_of(record.remote_id), record.reason, "unreadable", record.remote_id)
    sku = record.reference.strip()
    if not sku:
        return ItemFailure(
            ref_of(record.id),
            f"product #{record.id} has no reference (SKU); set one in the shop",
            "no_reference",
            record.id,
        )
    if len(sku) > SKU_MAX:
        return ItemFailure(
            sku, f"reference is {len(sku)} characters; at most {SKU_MAX}", "reference_too_long", record.id
        )
    price = decimal_of(record.price)
    if price is None:
        return ItemFailure(sku, f"price {record.price[:40]!r} is not a valid price", "invalid_price", record.id)
    row = stock.get(record.id)
    return Incoming(
        remote_id=record.id,
        sku=sku,
        name=by_iso(record.name, languages),
        description=by_iso(record.description, languages),
        price=price,
        quantity=row.quantity if row else 0,
        active=record.active.strip() == "1",
    )


def ref_of(remote_id: int | None) -> str:
    """The ledger key of a shop record without a usable reference: `#<shop id>`."""
    return f"#{remote_id}" if remote_id is not None else "#?"


def decimal_of(raw: str) -> Decimal | None:
    """A shop decimal (price, measure) with six places, or None when it is not a sane one."""
    try:
        value = Decimal(raw.strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value < 0 or value >= PRICE_MAX:
        return None
    return value.quantize(Decimal("0.000001"))


def by_iso(texts: Mapping[int, str], languages: Mapping[int, str]) -> dict[str, str]:
    """A multilanguage value keyed by ISO code instead of the shop's language ids."""
    return {languages[lang_id]: text for lang_id, text in texts.items() if lang_id in languages}


def upsert(session: Session, shop_id: int, items: Sequence[Incoming]) -> list[ItemFailure]:
    """`write_page` in the caller's transaction, returning only the per-item failures."""
    return write_page(session, shop_id, items).failures


def write_page(session: Session, shop_id: int, items: Sequence[Incoming]) -> PageResult:
    """Insert or update `items` by SKU, bind them to `shop_id` and write their parts.

    Runs in the caller's transaction, with a fixed number of statements per page (bulk
    inserts, id lookups, executemany updates by primary key), whatever the page size. A SKU
    that two records of the same shop share, or that is already bound to another record of
    that shop, is reported, not merged.
    """
    shops.lock(session, shop_id)  # one writer of this shop's bindings and links at a time
    result = PageResult()
    unique: dict[str, Incoming] = {}
    for item in items:
        if item.sku in unique:
            result.failures.append(_duplicate(item, unique[item.sku].remote_id))
        else:
            unique[item.sku] = item
    now = utcnow()
    accepted, ids = _write_rows(session, shop_id, unique, result, now)
    parts = write_parts(session, shop_id, {ids[i.sku]: i.details for i in accepted if i.details is not None})
    touched = [i for i in accepted if ids[i.sku] in parts and result.outcomes[i.remote_id] == "unchanged"]
    if touched:
        session.execute(update(Product), [{"id": ids[i.sku], "updated_at": now} for i in touched])
        result.outcomes.update({i.remote_id: "updated" for i in touched})
    return result


def _write_rows(
    session: Session, shop_id: int, unique: dict[str, Incoming], result: PageResult, now: datetime
) -> tuple[list[Incoming], dict[str, int]]:
    """Insert and update the product rows and their bindings; returns the items written and
    their catalogue ids by SKU."""
    existing = _existing(session, list(unique))
    bound = _bindings(session, shop_id, [p.id for p in existing.values()])
    new_rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    accepted: list[Incoming] = []
    for sku, item in unique.items():
        product = existing.get(sku)
        binding = bound.get(product.id) if product else None
        if binding is not None and binding.remote_id not in (None, item.remote_id):
            result.failures.append(_duplicate(item, binding.remote_id))
            continue
        accepted.append(item)
        values = _values(item, product)
        if product is None:
            new_rows.append({"sku": sku, **values, "created_at": now, "updated_at": now})
            result.outcomes[item.remote_id] = "created"
        elif values != {name: getattr(product, name) for name in values}:
            changed.append({"id": product.id, **values, "updated_at": now})
            result.outcomes[item.remote_id] = "updated"
        else:
            result.outcomes[item.remote_id] = "unchanged"
    if new_rows:
        session.execute(insert(Product), new_rows)
    if changed:
        session.execute(update(Product), changed)
    ids = _ids(session, [i.sku for i in accepted])
    _bind_all(session, shop_id, accepted, ids, bound, now)
    return accepted, ids


def write_parts(session: Session, shop_id: int, details: Mapping[int, Details]) -> set[int]:
    """Write products' categories, features, images, combinations and specific prices, in that
    order (combinations name images, prices name combinations); returns the products whose parts
    changed."""
    if not details:
        return set()
    changed = sync_product_categories(session, {pid: d.categories for pid, d in details.items()})
    changed |= sync_product_features(session, {pid: d.features for pid, d in details.items()})
    touched, images = sync_images(session, shop_id, {pid: d.images for pid, d in details.items()})
    changed |= touched
    touched, combinations = sync_combinations(
        session, shop_id, {pid: d.combinations for pid, d in details.items()}, images
    )
    changed |= touched
    changed |= sync_prices(session, shop_id, {pid: d.prices for pid, d in details.items()}, combinations)
    return changed


def _values(item: Incoming, product: Product | None) -> dict[str, Any]:
    """The product columns after taking the shop's values.

    Languages the shop does not have are kept: a Polish shop's import must not erase the
    English names another shop supplied. Without `details` only the simple fields are taken.
    """
    given: dict[str, Any] = {name: getattr(item, name) for name in SIMPLE}
    if item.details is not None:
        given |= {name: getattr(item.details, name) for name in DETAILED}
    for name in TEXTS:
        if name in given:
            given[name] = {**(getattr(product, name) or {} if product else {}), **given[name]}
    return given


def _bind_all(
    session: Session,
    shop_id: int,
    items: Sequence[Incoming],
    ids: dict[str, int],
    bound: dict[int, Binding],
    now: Any,
) -> None:
    fresh, known = [], []
    for item in items:
        product_id = ids[item.sku]
        values = {"remote_id": item.remote_id, "last_synced_at": now, "last_status": "synced", "last_error": None}
        if product_id in bound:
            known.append({"id": bound[product_id].id, **values})
        else:
            fresh.append({"shop_id": shop_id, "product_id": product_id, **values})
    if fresh:
        session.execute(insert(Binding), fresh)
    if known:
        session.execute(update(Binding), known)


def _duplicate(item: Incoming, other: int | None) -> ItemFailure:
    message = f"reference {item.sku!r} is also used by product #{other} of this shop; references must be unique"
    return ItemFailure(item.sku, message, "duplicate_reference", item.remote_id)


def _existing(session: Session, skus: list[str]) -> dict[str, Product]:
    if not skus:
        return {}
    rows = session.execute(select(Product).where(Product.sku.in_(skus))).scalars()
    return {p.sku: p for p in rows}


def _ids(session: Session, skus: list[str]) -> dict[str, int]:
    if not skus:
        return {}
    rows = session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus)))
    return {sku: product_id for sku, product_id in rows.all()}  # noqa: C416 - a Result has keys(), dict() misreads it


def _bindings(session: Session, shop_id: int, product_ids: list[int]) -> dict[int, Binding]:
    if not product_ids:
        return {}
    query = select(Binding).where(Binding.shop_id == shop_id, Binding.product_id.in_(product_ids))
    return {b.product_id: b for b in session.execute(query).scalars()}


def import_page(session: Session, shop_id: int, items: Sequence[Incoming]) -> list[ItemFailure]:
    """`import_products`, returning only the per-item failures."""
    return import_products(session, shop_id, items).failures


def import_products(session: Session, shop_id: int, items: Sequence[Incoming]) -> PageResult:
    """`write_page` in its own transaction, retried once when a concurrent import inserted a SKU
    (or a part) first."""
    for attempt in (1, 2):
        try:
            with session.begin():
                return write_page(session, shop_id, items)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
