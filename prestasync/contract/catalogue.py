"""The catalogue as the outside sees it: products in a list and whole (variants, images,
categories, features), and the import profiles and columns of a catalogue file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import ConfigDict, Field

from prestasync.catalogue.detail import ProductParts
from prestasync.contract.base import Out, money
from prestasync.models import Binding, ImportProfile, Product


class BindingOut(Out):
    shop_id: int
    remote_id: int | None
    status: str
    error: str | None
    synced_at: datetime | None


class ProductOut(Out):
    id: int
    sku: str
    name: dict[str, str]
    price: str
    quantity: int
    active: bool
    updated_at: datetime
    shops: list[BindingOut]


class AttributeOut(Out):
    """One attribute of a combination: its group and value, each named per language."""

    group: dict[str, str]
    value: dict[str, str]
    color: str = Field(description="a colour value's hex code, else empty")


class CombinationOut(Out):
    """A product's variant: its reference, the attribute values that make it, stock and impacts."""

    id: int
    reference: str
    ean13: str
    attributes: list[AttributeOut]
    quantity: int
    price_impact: str = Field(description="added to the product's price (may be negative)")
    weight_impact: str
    is_default: bool
    image_ids: list[int] = Field(description="ids of the product's images this variant shows")


class ImageOut(Out):
    """A product image; `url` serves its stored bytes (`GET /api/images/{id}`)."""

    id: int
    url: str
    content_type: str
    size: int
    position: int
    cover: bool
    legend: dict[str, str]


class CategoryOut(Out):
    id: int
    path: str = Field(description="the category's place in the tree, root first")
    name: dict[str, str]
    main: bool = Field(description="the product's default category")


class FeatureOut(Out):
    name: dict[str, str]
    value: dict[str, str]
    custom: bool


class ProductDetail(ProductOut):
    """One product whole, as `GET /api/products/{id}` gives it: the list's fields and the rest."""

    kind: str = Field(description="simple | combinations | pack | virtual")
    manufacturer: str | None
    combinations: list[CombinationOut]
    images: list[ImageOut]
    categories: list[CategoryOut]
    features: list[FeatureOut]


class ProfileOptions(Out):
    """How a catalogue file is read. Also the request body's `options` (unknown keys refused)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delimiter: str = Field("", max_length=1, description="CSV: one character; empty = guessed from the header")
    encoding: str = Field("utf-8", min_length=1, max_length=40, description="CSV: utf-8 (BOM or not), cp1250…")
    decimal_comma: bool = Field(False, description="numbers are written 12,50")
    sheet: str = Field("", max_length=31, description="XLSX: the sheet to read; empty = the first")


class ProfileOut(Out):
    """A saved import profile: file column -> catalogue column (`""` ignores the column)."""

    name: str
    mapping: dict[str, str]
    options: ProfileOptions
    created_at: datetime
    updated_at: datetime


class FieldOut(Out):
    """A catalogue column a file may have (per-language texts: `name_en`, `name_pl`…)."""

    name: str
    localised: bool
    required_for_new: bool
    help: str


def product_out(product: Product, bindings: Sequence[Binding] = ()) -> ProductOut:
    return ProductOut(
        id=product.id,
        sku=product.sku,
        name=product.name,
        price=money(product.price),
        quantity=product.quantity,
        active=product.active,
        updated_at=product.updated_at,
        shops=[
            BindingOut(
                shop_id=b.shop_id,
                remote_id=b.remote_id,
                status=b.last_status,
                error=b.last_error,
                synced_at=b.last_synced_at,
            )
            for b in bindings
        ],
    )


def product_detail(parts: ProductParts) -> ProductDetail:
    """A product with its variants, images, categories, features and manufacturer."""
    base = product_out(parts.product, parts.bindings)
    return ProductDetail(
        **base.model_dump(),
        kind=parts.product.kind,
        manufacturer=parts.manufacturer.name if parts.manufacturer else None,
        combinations=[
            CombinationOut(
                id=v.row.id,
                reference=v.row.reference,
                ean13=v.row.ean13,
                attributes=[AttributeOut(group=g.name, value=a.name, color=a.color) for g, a in v.options],
                quantity=v.row.quantity,
                price_impact=money(v.row.price_impact),
                weight_impact=format(v.row.weight_impact.normalize(), "f"),
                is_default=v.row.is_default,
                image_ids=list(v.row.images or []),
            )
            for v in parts.variants
        ],
        images=[
            ImageOut(
                id=i.id,
                url=f"/api/images/{i.id}",
                content_type=i.content_type,
                size=i.size,
                position=i.position,
                cover=i.cover,
                legend=i.legend or {},
            )
            for i in parts.images
        ],
        categories=[
            CategoryOut(id=c.id, path=c.path, name=c.name or {}, main=c.id == parts.main_category)
            for c in parts.categories
        ],
        features=[FeatureOut(name=f.name or {}, value=v.value or {}, custom=v.custom) for f, v in parts.features],
    )


def profile_out(profile: ImportProfile) -> ProfileOut:
    return ProfileOut(
        name=profile.name,
        mapping=profile.mapping,
        options=ProfileOptions.model_validate(profile.options),
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )
