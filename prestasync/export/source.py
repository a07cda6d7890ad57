"""The catalogue side of an export batch: products by SKU with what they link to, read in a
fixed number of queries whatever the batch size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from prestasync.models import Binding, Category, Manufacturer, Product, ProductCategory


@dataclass(frozen=True)
class Source:
    """One catalogue product as an export needs it (detached from the session)."""

    product: Product
    remote_id: int | None  # the shop record the product is bound to, if any
    categories: tuple[int, ...] = ()  # catalogue category ids linked, the default among them
    manufacturer: str | None = None


@dataclass
class Batch:
    """The products of one batch by SKU, and every catalogue category they need (ancestors too)."""

    sources: dict[str, Source] = field(default_factory=dict)
    categories: dict[int, Category] = field(default_factory=dict)


def load(session: Session, shop_id: int, skus: Sequence[str]) -> Batch:
    """Read the batch's products, bindings, category links and manufacturers."""
    products = list(session.execute(select(Product).where(Product.sku.in_(list(skus)))).scalars())
    ids = [p.id for p in products]
    rows = session.execute(
        select(Binding.product_id, Binding.remote_id).where(Binding.shop_id == shop_id, Binding.product_id.in_(ids))
    )
    bound = {product_id: remote_id for product_id, remote_id in rows}  # noqa: C416 - a Result has keys()
    links: dict[int, list[int]] = {}
    for product_id, category_id in session.execute(
        select(ProductCategory.product_id, ProductCategory.category_id).where(ProductCategory.product_id.in_(ids))
    ):
        links.setdefault(product_id, []).append(category_id)
    brands = {}
    if any(p.manufacturer_id for p in products):
        brands = {i: name for i, name in session.execute(select(Manufacturer.id, Manufacturer.name))}  # noqa: C416
    batch = Batch()
    for p in products:
        linked = sorted(set(links.get(p.id, [])) | ({p.category_id} if p.category_id else set()))
        brand = brands.get(p.manufacturer_id) if p.manufacturer_id else None
        batch.sources[p.sku] = Source(p, bound.get(p.id), tuple(linked), brand)
    batch.categories = _with_ancestors(session, {c for s in batch.sources.values() for c in s.categories})
    return batch


def _with_ancestors(session: Session, wanted: set[int]) -> dict[int, Category]:
    found: dict[int, Category] = {}
    while wanted:
        rows = list(session.execute(select(Category).where(Category.id.in_(list(wanted)))).scalars())
        found.update({c.id: c for c in rows})
        wanted = {c.parent_id for c in rows if c.parent_id is not None and c.parent_id not in found}
    return found
