"""Reading the catalogue: product search and count, and products' shop bindings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, Text, cast, func, or_, select
from sqlalchemy.orm import Session

from prestasync.models import Binding, Product


def search(
    session: Session, *, text: str = "", shop_id: int | None = None, limit: int = 50, offset: int = 0
) -> list[Product]:
    """Products whose SKU or name contains `text` (case-insensitive), optionally bound to a shop."""
    query = _matching(select(Product), text, shop_id).order_by(Product.sku).limit(limit).offset(offset)
    return list(session.execute(query).scalars())


def count(session: Session, *, text: str = "", shop_id: int | None = None) -> int:
    """How many products `search` would list without a limit."""
    return int(session.execute(_matching(select(func.count(Product.id)), text, shop_id)).scalar() or 0)


def bindings_for(session: Session, product_ids: Sequence[int]) -> dict[int, list[Binding]]:
    """Each product's bindings to shop records, by product id."""
    if not product_ids:
        return {}
    rows = session.execute(select(Binding).where(Binding.product_id.in_(product_ids))).scalars()
    out: dict[int, list[Binding]] = {}
    for b in rows:
        out.setdefault(b.product_id, []).append(b)
    return out


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


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
