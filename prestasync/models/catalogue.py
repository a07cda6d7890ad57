"""The catalogue: products, their variants, categories, attributes, features, images and
specific prices, and the saved ways to read a catalogue file (`ImportProfile`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from prestasync.models.base import (
    CODE13_MAX,
    ISBN_MAX,
    KIND_MAX,
    MPN_MAX,
    NAME_MAX,
    PATH_MAX,
    PROFILE_NAME_MAX,
    SKU_MAX,
    UPC_MAX,
    Base,
    BigId,
    Measure,
    Money,
    UTCDateTime,
    utcnow,
)


class Product(Base):
    """A catalogue product. Text fields map ISO language codes to text, byte exact.

    `kind` is simple, combinations, pack or virtual. A product with combinations keeps its
    stock per combination (`Combination.quantity`); its own `quantity` is their sum, shown but
    never written to a shop. Optional fields are None when the catalogue does not know them,
    so an export leaves the shop's value alone instead of writing an empty one.
    """

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku: Mapped[str] = mapped_column(String(SKU_MAX), unique=True)
    kind: Mapped[str] = mapped_column(String(KIND_MAX), default="simple")
    name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    description: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    description_short: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    slug: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    price: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    wholesale_price: Mapped[Decimal | None] = mapped_column(Money)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    tax_group: Mapped[str | None] = mapped_column(String(NAME_MAX))  # the tax rules group's name
    manufacturer_id: Mapped[int | None] = mapped_column(ForeignKey("manufacturers.id", ondelete="SET NULL"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))
    weight: Mapped[Decimal | None] = mapped_column(Measure)
    width: Mapped[Decimal | None] = mapped_column(Measure)
    height: Mapped[Decimal | None] = mapped_column(Measure)
    depth: Mapped[Decimal | None] = mapped_column(Measure)
    ean13: Mapped[str | None] = mapped_column(String(CODE13_MAX))
    isbn: Mapped[str | None] = mapped_column(String(ISBN_MAX))
    upc: Mapped[str | None] = mapped_column(String(UPC_MAX))
    mpn: Mapped[str | None] = mapped_column(String(MPN_MAX))
    minimal_quantity: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Manufacturer(Base):
    """A brand, matched in shops by name."""

    __tablename__ = "manufacturers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)


class Category(Base):
    """A node of the catalogue's category tree; `path` is its place from the top, the names
    in the key language joined by " > " (`catalogue_tree.path_of`), unique."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(PATH_MAX), unique=True)
    name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    slug: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ProductCategory(Base):
    """A product's link to a category (its default category is `Product.category_id`)."""

    __tablename__ = "product_categories"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True)


class AttributeGroup(Base):
    """An attribute group (PrestaShop `product_options`: Size, Color), matched by `key`."""

    __tablename__ = "attribute_groups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    public_name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    group_type: Mapped[str] = mapped_column(String(KIND_MAX), default="select")


class AttributeValue(Base):
    """A value of an attribute group (`product_option_values`: S, M, Red)."""

    __tablename__ = "attribute_values"
    __table_args__ = (UniqueConstraint("group_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("attribute_groups.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(NAME_MAX))
    name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    color: Mapped[str] = mapped_column(String(KIND_MAX), default="")


class Combination(Base):
    """One variant of a product: its own reference, codes, impacts and stock, and the set of
    attribute values that makes it (`values`, sorted value ids, the match key when the
    reference is empty or shared with the product)."""

    __tablename__ = "combinations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(SKU_MAX), default="")
    ean13: Mapped[str] = mapped_column(String(CODE13_MAX), default="")
    isbn: Mapped[str] = mapped_column(String(ISBN_MAX), default="")
    upc: Mapped[str] = mapped_column(String(UPC_MAX), default="")
    mpn: Mapped[str] = mapped_column(String(MPN_MAX), default="")
    price_impact: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    weight_impact: Mapped[Decimal] = mapped_column(Measure, default=Decimal(0))
    minimal_quantity: Mapped[int] = mapped_column(Integer, default=1)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    values: Mapped[list[int]] = mapped_column(JSON, default=list)
    images: Mapped[list[int]] = mapped_column(JSON, default=list)  # catalogue image ids


class Feature(Base):
    """A product feature (Material), matched by `key`."""

    __tablename__ = "features"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class FeatureValue(Base):
    """A value of a feature (Cotton); `custom` values belong to one product in PrestaShop."""

    __tablename__ = "feature_values"
    __table_args__ = (UniqueConstraint("feature_id", "key", "custom"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feature_id: Mapped[int] = mapped_column(ForeignKey("features.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(NAME_MAX))
    value: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    custom: Mapped[bool] = mapped_column(Boolean, default=False)


class ProductFeature(Base):
    __tablename__ = "product_features"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    feature_id: Mapped[int] = mapped_column(ForeignKey("features.id", ondelete="CASCADE"), primary_key=True)
    value_id: Mapped[int] = mapped_column(ForeignKey("feature_values.id", ondelete="CASCADE"))


class Image(Base):
    """A product image: its bytes live in the data dir by content address (`checksum`, SHA-256),
    never in the database; `position`, `cover` and legends per language as the shop shows them."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    checksum: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    content_type: Mapped[str] = mapped_column(String(KIND_MAX), default="image/jpeg")
    position: Mapped[int] = mapped_column(Integer, default=0)
    cover: Mapped[bool] = mapped_column(Boolean, default=False)
    legend: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class SpecificPrice(Base):
    """A price rule of a product (or of one of its combinations): a reduction or a fixed price
    from a quantity, between two dates. `price` is None for "the product's price"."""

    __tablename__ = "specific_prices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    combination_id: Mapped[int | None] = mapped_column(ForeignKey("combinations.id", ondelete="CASCADE"))
    price: Mapped[Decimal | None] = mapped_column(Money)
    reduction: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    reduction_type: Mapped[str] = mapped_column(String(KIND_MAX), default="amount")
    reduction_tax: Mapped[bool] = mapped_column(Boolean, default=True)
    from_quantity: Mapped[int] = mapped_column(Integer, default=1)
    date_from: Mapped[str] = mapped_column(String(19), default="0000-00-00 00:00:00")
    date_to: Mapped[str] = mapped_column(String(19), default="0000-00-00 00:00:00")


class ImportProfile(Base):
    """A saved way to read a catalogue file: which file column feeds which catalogue column
    (`mapping`, file header -> catalogue column, "" to ignore one), and how to read the file
    (`options`: delimiter, encoding, decimal comma, sheet). See `profiles.py`."""

    __tablename__ = "import_profiles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(PROFILE_NAME_MAX), unique=True)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
