"""What the client reads from and writes to a shop, as plain frozen dataclasses.

Values read from a shop stay raw strings (`price="16.510000"`, `active="1"`): the shop is an outside
system, and deciding what a malformed value means is the caller's job, not the transport's. Only
ids are integers, and only because the reader has checked them (a record with an unreadable id, or
an unreadable id in an association, arrives as a `BadRecord`). Multilanguage values are
`{language id: text}` dicts holding every language the shop sent, byte for byte: a description's
raw `\\r\\n` stays `\\r\\n` (README fact 13).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "BadRecord",
    "Category",
    "Combination",
    "ImageUpload",
    "Language",
    "ProductDraft",
    "Record",
    "RemoteProduct",
    "Schema",
    "ShopInfo",
    "StockRow",
]

Associations = dict[str, list[dict[str, str]]]
I18n = dict[str, dict[int, str]]


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


class _Views:
    """Read helpers shared by every record type (they only look at `i18n` and `associations`)."""

    i18n: I18n
    associations: Associations

    def ids(self, association: str) -> list[int]:
        """The ids of an association's items (`categories`, `images`…) in the shop's order.

        The reader has checked every association id, so this never fails; an association the
        answer did not carry reads as `[]`.
        """
        return [int(item["id"]) for item in self.associations.get(association, []) if item.get("id", "") != ""]

    def text(self, name: str, language_id: int) -> str:
        """One language of a multilanguage field, `''` when the shop sent none."""
        return self.i18n.get(name, {}).get(language_id, "")


@dataclass(frozen=True)
class Record(_Views):
    """Any webservice record: `combinations`, `categories`, `specific_prices`, `images`…

    `resource` is the plural API name the record was read from, `fields` every scalar field in
    document order (`id` included), `i18n` every multilanguage field, `associations` maps an
    association name to its items (each a dict of the item's fields, such as `{"id": "26"}` or
    `{"id": "1", "id_feature_value": "4"}`).
    """

    resource: str
    id: int
    fields: dict[str, str]
    i18n: I18n = field(default_factory=dict)
    associations: Associations = field(default_factory=dict)


@dataclass(frozen=True)
class Combination(Record):
    """A record of `combinations`, with its usual fields lifted out (still raw strings).

    A combination has no `quantity` in 8.x (README fact 3): its stock is the `stock_availables` row
    carrying its id as `id_product_attribute`. Its `reference` may equal its product's (fact 4).
    """

    @property
    def product_id(self) -> str:
        return self.fields.get("id_product", "")

    @property
    def reference(self) -> str:
        return self.fields.get("reference", "")

    @property
    def price_impact(self) -> str:
        """`price`: the impact on the product's price, not a price of its own."""
        return self.fields.get("price", "")

    @property
    def default_on(self) -> str:
        """`'1'` for the default combination; combinations made through the webservice may keep it
        empty even when they are the default one (fact 26)."""
        return self.fields.get("default_on", "")

    @property
    def option_value_ids(self) -> list[int]:
        return self.ids("product_option_values")

    @property
    def image_ids(self) -> list[int]:
        return self.ids("images")


@dataclass(frozen=True)
class Category(Record):
    """A record of `categories`, with its tree position and texts lifted out."""

    @property
    def parent_id(self) -> str:
        return self.fields.get("id_parent", "")

    @property
    def level_depth(self) -> str:
        return self.fields.get("level_depth", "")

    @property
    def active(self) -> str:
        return self.fields.get("active", "")

    @property
    def name(self) -> dict[int, str]:
        return self.i18n.get("name", {})

    @property
    def link_rewrite(self) -> dict[int, str]:
        return self.i18n.get("link_rewrite", {})


@dataclass(frozen=True)
class RemoteProduct(_Views):
    """A product as the shop sent it (`display=full` or a single GET).

    `fields` holds every scalar field in document order, `id` included; `i18n` every multilanguage
    field. `reference`, `price`, `active`, `name`, `description` and `date_upd` are the same values,
    lifted out for convenience. `associations` maps an association name (`categories`, `images`,
    `combinations`, `product_option_values`, `product_features`, `stock_availables`…) to its items.

    `fields["quantity"]` is not stock: PrestaShop 8 always sends `0` there (README fact 1). Stock
    lives in `stock_availables` (`PrestaShopClient.stock_rows_for`).
    """

    id: int
    reference: str
    price: str
    active: str
    name: dict[int, str]
    description: dict[int, str]
    date_upd: str
    fields: dict[str, str]
    i18n: I18n
    associations: Associations = field(default_factory=dict)

    @property
    def category_ids(self) -> list[int]:
        return self.ids("categories")

    @property
    def image_ids(self) -> list[int]:
        return self.ids("images")

    @property
    def combination_ids(self) -> list[int]:
        return self.ids("combinations")

    @property
    def option_value_ids(self) -> list[int]:
        return self.ids("product_option_values")

    @property
    def feature_values(self) -> list[tuple[int, str]]:
        """`(feature id, feature value id)` pairs; the value id stays raw (it is not checked)."""
        return [
            (int(item["id"]), item.get("id_feature_value", ""))
            for item in self.associations.get("product_features", [])
        ]

    def as_record(self) -> Record:
        """The same data as a generic `Record` of `products`."""
        return Record("products", self.id, self.fields, self.i18n, self.associations)


@dataclass(frozen=True)
class BadRecord:
    """A record in a list page that could not be read; the rest of the page is still usable."""

    remote_id: int | None
    reference: str
    reason: str
    resource: str = "products"


@dataclass(frozen=True)
class StockRow:
    """One `stock_availables` row.

    `id_product_attribute` is 0 for the product's own row; for a product with combinations that row
    holds the sum of the combinations' rows (README facts 2 and 18), so stock is written per
    combination. `id_shop`/`id_shop_group` tell which shop the row belongs to on a multistore shop.
    """

    id: int
    id_product: int
    id_product_attribute: int
    quantity: int
    id_shop: int = 0
    id_shop_group: int = 0
    depends_on_stock: str = ""
    out_of_stock: str = ""
    location: str = ""


@dataclass(frozen=True)
class Schema:
    """A resource's schema (`?schema=blank` or `?schema=synopsis`).

    `fields` maps each field, in document order, to its attributes in the synopsis (`format`,
    `maxSize`, `required`, `read_only`…; empty in a blank schema); `i18n_fields` names the
    multilanguage ones; `associations` maps each association to its item fields and their
    attributes.
    """

    resource: str
    kind: str
    fields: dict[str, dict[str, str]]
    i18n_fields: frozenset[str]
    associations: dict[str, dict[str, dict[str, str]]]

    @property
    def required(self) -> list[str]:
        return [name for name, attributes in self.fields.items() if attributes.get("required") == "true"]

    @property
    def read_only(self) -> list[str]:
        return [name for name, attributes in self.fields.items() if attributes.get("read_only") == "true"]


@dataclass(frozen=True)
class ImageUpload:
    """What `upload_image` sent and what the shop answered.

    `size` and `sha1` describe the bytes sent: the shop re-encodes what it stores (README fact 24),
    so compare checksums of what you sent, never of what the shop serves back. `record` is the
    shop's `<image>` (id, id_product, position, cover, legend) for a new image; a replacement is
    answered with the image bytes instead (capture 63d), so it is None then.
    """

    product_id: int
    id: int
    size: int
    sha1: str
    record: Record | None


@dataclass(frozen=True)
class ProductDraft:
    """The product fields prestasync writes to a shop.

    Only the languages present in `name` and `description` are given; on an update the client
    completes the other languages from the shop's current text (README fact 17).
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
