"""What the client reads from and writes to a shop, as plain frozen dataclasses.

Values read from a shop stay raw strings (`price="16.510000"`, `active="1"`): the shop is an outside
system, and deciding what a malformed value means is the caller's job, not the transport's.
Multilanguage values are `{language id: text}` dicts holding every language the shop sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["BadRecord", "Language", "ProductDraft", "RemoteProduct", "ShopInfo", "StockRow"]


@dataclass(frozen=True)
class ShopInfo:
    """The answer to the connection test (`GET /api/`).

    `version` is the `PSWS-Version` header (`''` when a proxy dropped it), `shop_name` the
    `shopName` attribute, `resources` the resource names the key may use.
    """

    version: str
    shop_name: str
    resources: frozenset[str] = frozenset()

    @property
    def supports_patch(self) -> bool:
        """True when the shop is PrestaShop 8.0 or later (PATCH exists), or its version is unknown."""
        return version_supports_patch(self.version)


@dataclass(frozen=True)
class Language:
    """One shop language: the id used in multilanguage fields, its ISO code and its name."""

    id: int
    iso_code: str
    name: str


@dataclass(frozen=True)
class RemoteProduct:
    """A product as the shop sent it (`display=full` or a single GET).

    `fields` holds every scalar field in document order, `id` included; `i18n` every multilanguage
    field. `reference`, `price`, `active`, `name`, `description` and `date_upd` are the same values,
    lifted out for convenience. `associations` maps an association name (`categories`, …) to its
    items, each item a dict of its fields.
    """

    id: int
    reference: str
    price: str
    active: str
    name: dict[int, str]
    description: dict[int, str]
    date_upd: str
    fields: dict[str, str]
    i18n: dict[str, dict[int, str]]
    associations: dict[str, list[dict[str, str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class BadRecord:
    """A `<product>` in a list page that could not be read; the rest of the page is still usable."""

    remote_id: int | None
    reference: str
    reason: str


@dataclass(frozen=True)
class StockRow:
    """One `stock_availables` row."""

    id: int
    id_product: int
    id_product_attribute: int
    quantity: int


@dataclass(frozen=True)
class ProductDraft:
    """The product fields prestasync writes to a shop.

    Only the languages present in `name` and `description` are written; on an update the other
    languages keep the shop's text.
    """

    reference: str
    price: Decimal
    active: bool
    name: dict[int, str]
    description: dict[int, str] = field(default_factory=dict)


def version_supports_patch(version: str) -> bool:
    """Whether a `PSWS-Version` value denotes a shop with PATCH (8.0+).

    An empty or unreadable version answers True: the caller then tries PATCH and falls back when
    the shop refuses the method.
    """
    head = version.strip().split(".", 1)[0]
    if not head.isdigit():
        return True
    return int(head) >= 8
