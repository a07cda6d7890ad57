"""The catalogue side of an export batch: products by SKU with everything they link to, read in
a fixed number of queries whatever the batch size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from prestasync.models import (
    AttributeGroup,
    AttributeValue,
    Binding,
    Category,
    Combination,
    Feature,
    FeatureValue,
    Image,
    Manufacturer,
    Product,
    ProductCategory,
    ProductFeature,
    SpecificPrice,
)


@dataclass(frozen=True)
class Source:
    """One catalogue product as an export needs it (detached from the session)."""

    product: Product
    remote_id: int | None  # the shop record the product is bound to, if any
    categories: tuple[int, ...] = ()  # catalogue category ids linked, the default among them
    manufacturer: str | None = None
    combinations: tuple[Combination, ...] = ()  # in position order
    images: tuple[Image, ...] = ()  # in position order
    features: tuple[tuple[int, int], ...] = ()  # (feature id, value id)
    prices: tuple[SpecificPrice, ...] = ()


@dataclass
class Batch:
    """The products of one batch by SKU, and the catalogue records they refer to."""

    sources: dict[str, Source] = field(default_factory=dict)
    categories: dict[int, Category] = field(default_factory=dict)
    groups: dict[int, AttributeGroup] = field(default_factory=dict)
    values: dict[int, AttributeValue] = field(default_factory=dict)
    features: dict[int, Feature] = field(default_factory=dict)
    feature_values: dict[int, FeatureValue] = field(default_factory=dict)


def load(session: Session, shop_id: int, skus: Sequence[str]) -> Batch:
    """Read the batch's products and what they link to: one query per kind of record."""
    products = list(session.execute(select(Product).where(Product.sku.in_(list(skus)))).scalars())
    ids = [p.id for p in products]
    rows = session.execute(
        select(Binding.product_id, Binding.remote_id).where(Binding.shop_id == shop_id, Binding.product_id.in_(ids))
    )
    bound = {product_id: remote_id for product_id, remote_id in rows}  # noqa: C416 - a Result has keys()
    links: dict[int, set[int]] = {}
    for product_id, category_id in session.execute(
        select(ProductCategory.product_id, ProductCategory.category_id).where(ProductCategory.product_id.in_(ids))
    ):
        links.setdefault(product_id, set()).add(category_id)
    features: dict[int, list[tuple[int, int]]] = {}
    for product_id, feature_id, value_id in session.execute(
        select(ProductFeature.product_id, ProductFeature.feature_id, ProductFeature.value_id).where(
            ProductFeature.product_id.in_(ids)
        )
    ):
        features.setdefault(product_id, []).append((feature_id, value_id))
    combos = _children(session, Combination, ids)
    images = _children(session, Image, ids)
    prices = _children(session, SpecificPrice, ids)
    brands: dict[int, str] = {}
    if any(p.manufacturer_id for p in products):
        query = select(Manufacturer.id, Manufacturer.name)
        brands = {i: name for i, name in session.execute(query)}  # noqa: C416 - a Result has keys()
    batch = Batch()
    for p in products:
        linked = sorted(links.get(p.id, set()) | ({p.category_id} if p.category_id else set()))
        batch.sources[p.sku] = Source(
            p,
            bound.get(p.id),
            tuple(linked),
            brands.get(p.manufacturer_id) if p.manufacturer_id else None,
            tuple(combos.get(p.id, [])),
            tuple(images.get(p.id, [])),
            tuple(sorted(features.get(p.id, []))),
            tuple(prices.get(p.id, [])),
        )
    batch.categories = _with_ancestors(session, {c for s in batch.sources.values() for c in s.categories})
    _options(session, batch)
    _features(session, batch)
    return batch


Child = TypeVar("Child", Combination, Image, SpecificPrice)


def _children(session: Session, table: type[Child], ids: list[int]) -> dict[int, list[Child]]:
    """Rows of `table` per product, in the order the shop shows them (position, else id)."""
    out: dict[int, list[Child]] = {}
    order = getattr(table, "position", table.id)
    for row in session.execute(select(table).where(table.product_id.in_(ids)).order_by(order, table.id)).scalars():
        out.setdefault(row.product_id, []).append(row)
    return out


def _options(session: Session, batch: Batch) -> None:
    wanted = {v for s in batch.sources.values() for c in s.combinations for v in c.values}
    if not wanted:
        return
    values = list(session.execute(select(AttributeValue).where(AttributeValue.id.in_(list(wanted)))).scalars())
    batch.values = {v.id: v for v in values}
    groups = {v.group_id for v in values}
    query = select(AttributeGroup).where(AttributeGroup.id.in_(list(groups)))
    batch.groups = {g.id: g for g in session.execute(query).scalars()}


def _features(session: Session, batch: Batch) -> None:
    pairs = {pair for s in batch.sources.values() for pair in s.features}
    if not pairs:
        return
    feature_ids, value_ids = {f for f, _ in pairs}, {v for _, v in pairs}
    found = session.execute(select(Feature).where(Feature.id.in_(list(feature_ids)))).scalars()
    batch.features = {f.id: f for f in found}
    query = select(FeatureValue).where(FeatureValue.id.in_(list(value_ids)))
    batch.feature_values = {v.id: v for v in session.execute(query).scalars()}


def _with_ancestors(session: Session, wanted: set[int]) -> dict[int, Category]:
    found: dict[int, Category] = {}
    while wanted:
        rows = list(session.execute(select(Category).where(Category.id.in_(list(wanted)))).scalars())
        found.update({c.id: c for c in rows})
        wanted = {c.parent_id for c in rows if c.parent_id is not None and c.parent_id not in found}
    return found
