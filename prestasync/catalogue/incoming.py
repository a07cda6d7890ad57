"""What an import hands the catalogue: a product in catalogue terms, and what went wrong.

`Incoming` is one product as a shop (or a file) has it. Its first fields are the simple ones
every import knows; `details`, when given, is the rest of the whole product (texts, identifiers,
measures, tax group, brand, categories, features, combinations, images, specific prices) already
translated to catalogue ids. An `Incoming` without details changes only the simple fields and
leaves everything else of the catalogue product alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Outcome = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class ItemFailure:
    """A record that could not be imported, with a message a person can act on."""

    sku: str
    message: str
    code: str
    remote_id: int | None = None


@dataclass(frozen=True)
class IncomingImage:
    """One shop image whose bytes are in the image store under `checksum` (SHA-256).

    `legend` holds the languages the shop showed (none on 8.1.2: its image GET serves bytes only).
    """

    remote_id: int
    checksum: str
    size: int
    content_type: str
    position: int
    cover: bool
    legend: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IncomingCombination:
    """One combination: `values` are catalogue attribute value ids (sorted), `images` the shop's
    image ids it uses (turned into catalogue image ids when the images are written)."""

    remote_id: int
    reference: str
    ean13: str
    isbn: str
    upc: str
    mpn: str
    price_impact: Decimal
    weight_impact: Decimal
    minimal_quantity: int
    is_default: bool
    quantity: int
    position: int
    values: tuple[int, ...]
    images: tuple[int, ...] = ()


@dataclass(frozen=True)
class IncomingPrice:
    """One specific price; `combination` is the shop's combination id (None: the whole product)."""

    remote_id: int
    combination: int | None
    price: Decimal | None
    reduction: Decimal
    reduction_type: str
    reduction_tax: bool
    from_quantity: int
    date_from: str
    date_to: str


@dataclass(frozen=True)
class Details:
    """The whole product beyond the simple fields, in catalogue ids (see the module notes).

    Texts map ISO codes to text; optional values are None when the shop gave none.
    """

    kind: str = "simple"
    description_short: dict[str, str] = field(default_factory=dict)
    slug: dict[str, str] = field(default_factory=dict)
    wholesale_price: Decimal | None = None
    tax_group: str | None = None
    manufacturer_id: int | None = None
    category_id: int | None = None
    categories: tuple[int, ...] = ()
    weight: Decimal | None = None
    width: Decimal | None = None
    height: Decimal | None = None
    depth: Decimal | None = None
    ean13: str | None = None
    isbn: str | None = None
    upc: str | None = None
    mpn: str | None = None
    minimal_quantity: int | None = None
    features: tuple[tuple[int, int], ...] = ()  # (feature id, feature value id)
    combinations: tuple[IncomingCombination, ...] = ()
    images: tuple[IncomingImage, ...] = ()
    prices: tuple[IncomingPrice, ...] = ()


@dataclass(frozen=True)
class Incoming:
    """A product that passed the checks, in catalogue terms."""

    remote_id: int
    sku: str
    name: dict[str, str]
    description: dict[str, str]
    price: Decimal
    quantity: int
    active: bool
    details: Details | None = None


@dataclass
class PageResult:
    """What writing a page did: per-record failures, and each written record's outcome by
    remote id (`created`, `updated` when anything of it changed, `unchanged`)."""

    failures: list[ItemFailure] = field(default_factory=list)
    outcomes: dict[int, Outcome] = field(default_factory=dict)
