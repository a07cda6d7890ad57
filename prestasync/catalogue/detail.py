"""Reading one product whole: its combinations with their attribute values, images, categories,
features and manufacturer. A fixed number of queries per product, whatever its size: the
products list never calls this per row, the dashboard asks for it when a row is opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from prestasync.errors import ImageNotFound, ProductNotFound
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
)


@dataclass(frozen=True)
class Variant:
    """A combination and the (group, value) pairs that make it, in the groups' order."""

    row: Combination
    options: list[tuple[AttributeGroup, AttributeValue]]


@dataclass(frozen=True)
class ProductParts:
    """A product with everything hanging off it, each list in the order the shop shows it."""

    product: Product
    bindings: list[Binding]
    variants: list[Variant]
    images: list[Image]
    categories: list[Category]
    features: list[tuple[Feature, FeatureValue]]
    manufacturer: Manufacturer | None
    main_category: int | None = None


def product_parts(session: Session, product_id: int) -> ProductParts:
    """The product `product_id` whole; `ProductNotFound` when there is none."""
    product = session.get(Product, product_id)
    if product is None:
        raise ProductNotFound(product_id)
    combos = list(
        session.execute(
            select(Combination)
            .where(Combination.product_id == product_id)
            .order_by(Combination.position, Combination.id)
        ).scalars()
    )
    images = list(
        session.execute(
            select(Image).where(Image.product_id == product_id).order_by(Image.position, Image.id)
        ).scalars()
    )
    categories = list(
        session.execute(
            select(Category)
            .join(ProductCategory, ProductCategory.category_id == Category.id)
            .where(ProductCategory.product_id == product_id)
            .order_by(Category.path)
        ).scalars()
    )
    features = [
        (f, v)
        for f, v in session.execute(
            select(Feature, FeatureValue)
            .join(ProductFeature, ProductFeature.feature_id == Feature.id)
            .join(FeatureValue, FeatureValue.id == ProductFeature.value_id)
            .where(ProductFeature.product_id == product_id)
            .order_by(Feature.key)
        ).all()
    ]
    bindings = list(session.execute(select(Binding).where(Binding.product_id == product_id)).scalars())
    maker = session.get(Manufacturer, product.manufacturer_id) if product.manufacturer_id is not None else None
    return ProductParts(
        product=product,
        bindings=bindings,
        variants=_variants(session, combos),
        images=images,
        categories=categories,
        features=features,
        manufacturer=maker,
        main_category=product.category_id,
    )


def _variants(session: Session, combos: Sequence[Combination]) -> list[Variant]:
    value_ids = {v for c in combos for v in c.values or []}
    if not value_ids:
        return [Variant(c, []) for c in combos]
    pairs = session.execute(
        select(AttributeValue, AttributeGroup)
        .join(AttributeGroup, AttributeGroup.id == AttributeValue.group_id)
        .where(AttributeValue.id.in_(value_ids))
    ).all()
    by_id = {value.id: (group, value) for value, group in pairs}
    out = []
    for combo in combos:
        options = [by_id[v] for v in combo.values or [] if v in by_id]
        out.append(Variant(combo, sorted(options, key=lambda gv: (gv[0].key, gv[1].key))))
    return out


def image_row(session: Session, image_id: int) -> Image:
    """The image record `image_id`; `ImageNotFound` when there is none."""
    image = session.get(Image, image_id)
    if image is None:
        raise ImageNotFound(image_id)
    return image
