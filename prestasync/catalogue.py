"""The product catalogue: reading it, and folding a page of shop products into it.

An import page is checked record by record; a bad record becomes an `ItemFailure` with a
message a person can act on, and the good ones are upserted by SKU in one transaction,
with the shop binding (remote id) recorded alongside. Importing the same page twice
changes nothing the second time: `updated_at` moves only when a value really changed,
so a re-import does not make the next sync push the whole catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, Text, cast, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prestasync.models import SKU_MAX, Binding, Product, utcnow
from prestasync.prestashop import BadRecord, RemoteProduct, StockRow

PRICE_MAX = Decimal("100000000000000")


@dataclass(frozen=True)
class ItemFailure:
    sku: str
    message: str
    code: str
    remote_id: int | None = None


@dataclass(frozen=True)
class Incoming:
    """A shop product that passed the checks, in catalogue terms."""

    remote_id: int
    sku: str
    name: dict[str, str]
    description: dict[str, str]
    price: Decimal
    quantity: int
    active: bool


def check_record(
    record: RemoteProduct | BadRecord, languages: Mapping[int, str], stock: Mapping[int, StockRow]
) -> Incoming | ItemFailure:
    """Turn one shop record into an `Incoming` product or say precisely what is wrong."""
    if isinstance(record, BadRecord):
        return ItemFailure(record.reference or _ref(record.remote_id), record.reason, "unreadable", record.remote_id)
    sku = record.reference.strip()
    if not sku:
        return ItemFailure(
            _ref(record.id),
            f"product #{record.id} has no reference (SKU); set one in the shop",
            "no_reference",
            record.id,
        )
    if len(sku) > SKU_MAX:
        return ItemFailure(
            sku, f"reference is {len(sku)} characters; at most {SKU_MAX}", "reference_too_long", record.id
        )
    price = _price(record.price)
    if price is None:
        return ItemFailure(sku, f"price {record.price[:40]!r} is not a valid price", "invalid_price", record.id)
    row = stock.get(record.id)
    return Incoming(
        remote_id=record.id,
        sku=sku,
        name=_by_iso(record.name, languages),
        description=_by_iso(record.description, languages),
        price=price,
        quantity=row.quantity if row else 0,
        active=record.active.strip() == "1",
    )


def _ref(remote_id: int | None) -> str:
    return f"#{remote_id}" if remote_id is not None else "#?"


def _price(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value < 0 or value >= PRICE_MAX:
        return None
    return value.quantize(Decimal("0.000001"))


def _by_iso(texts: Mapping[int, str], languages: Mapping[int, str]) -> dict[str, str]:
    return {languages[lang_id]: text for lang_id, text in texts.items() if lang_id in languages}


def upsert(session: Session, shop_id: int, items: Sequence[Incoming]) -> list[ItemFailure]:
    """Insert or update `items` by SKU and bind them to `shop_id`. Returns per-item conflicts.

    Runs in the caller's transaction, with a fixed number of statements per page (bulk
    insert, one id lookup, executemany updates by primary key), whatever the page size.
    A SKU that two records of the same shop share, or that is already bound to another
    record of that shop, is reported, not merged.
    """
    failures: list[ItemFailure] = []
    unique: dict[str, Incoming] = {}
    for item in items:
        if item.sku in unique:
            failures.append(_duplicate(item, unique[item.sku].remote_id))
        else:
            unique[item.sku] = item
    existing = _existing(session, list(unique))
    bound = _bindings(session, shop_id, [p.id for p in existing.values()])
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    accepted: list[Incoming] = []
    for sku, item in unique.items():
        product = existing.get(sku)
        binding = bound.get(product.id) if product else None
        if binding is not None and binding.remote_id not in (None, item.remote_id):
            failures.append(_duplicate(item, binding.remote_id))
            continue
        accepted.append(item)
        if product is None:
            new_rows.append({"sku": sku, **_values(item, {}, {}), "created_at": now, "updated_at": now})
        elif (values := _values(item, product.name, product.description)) != _current(product):
            changed.append({"id": product.id, **values, "updated_at": now})
    if new_rows:
        session.execute(insert(Product), new_rows)
    if changed:
        session.execute(update(Product), changed)
    ids = _ids(session, [i.sku for i in accepted])
    _bind_all(session, shop_id, accepted, ids, bound, now)
    return failures


def _values(item: Incoming, name: dict[str, str], description: dict[str, str]) -> dict[str, Any]:
    """The product columns after taking the shop's values.

    Languages the shop does not have are kept: a Polish shop's import must not erase the
    English names another shop supplied.
    """
    return {
        "name": {**name, **item.name},
        "description": {**description, **item.description},
        "price": item.price,
        "quantity": item.quantity,
        "active": item.active,
    }


def _current(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "description": product.description,
        "price": product.price,
        "quantity": product.quantity,
        "active": product.active,
    }


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
    """`upsert` in its own transaction, retried once when a concurrent import inserted a SKU first."""
    for attempt in (1, 2):
        try:
            with session.begin():
                return upsert(session, shop_id, items)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _matching(query: Select[Any], text: str, shop_id: int | None) -> Select[Any]:
    if text:
        pattern = f"%{_escape_like(text.lower())}%"
        query = query.where(
            or_(
                func.lower(Product.sku).like(pattern, escape="\\"),
                func.lower(cast(Product.name, Text)).like(pattern, escape="\\"),
            )
        )
    if shop_id is not None:
        query = query.where(Product.id.in_(select(Binding.product_id).where(Binding.shop_id == shop_id)))
    return query


def search(
    session: Session, *, text: str = "", shop_id: int | None = None, limit: int = 50, offset: int = 0
) -> list[Product]:
    """Products whose SKU or name contains `text` (case-insensitive), optionally bound to a shop."""
    query = _matching(select(Product), text, shop_id).order_by(Product.sku).limit(limit).offset(offset)
    return list(session.execute(query).scalars())


def count(session: Session, *, text: str = "", shop_id: int | None = None) -> int:
    """How many products `search` would list without a limit."""
    return int(session.execute(_matching(select(func.count(Product.id)), text, shop_id)).scalar() or 0)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def bindings_for(session: Session, product_ids: Sequence[int]) -> dict[int, list[Binding]]:
    if not product_ids:
        return {}
    rows = session.execute(select(Binding).where(Binding.product_id.in_(product_ids))).scalars()
    out: dict[int, list[Binding]] = {}
    for b in rows:
        out.setdefault(b.product_id, []).append(b)
    return out
