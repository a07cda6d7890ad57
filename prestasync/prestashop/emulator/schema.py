"""Resource definitions of the emulated webservice: fields, their order, validation and associations.

Everything here mirrors PrestaShop 8.1 `$definition` / `$webserviceParameters` (spec §4.1, §5.7) and
`Validate::*` (spec §5.2). Field order is the webservice order (`id`, the webservice-parameter fields,
then the rest of the definition); validation runs in definition order, like `ObjectModel`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# Stored ("DB") representation of an unset value, by kind. `getter`/`virtual` fields are computed.
ZERO = {
    "int": "0",
    "bool": "0",
    "dec6": "0.000000",
    "dec2": "0.00",
    "str": "",
    "date": "0000-00-00",
    "datetime": "0000-00-00 00:00:00",
    "getter": "",
    "virtual": "",
}
NUMERIC_KINDS = frozenset({"id", "int", "bool", "dec6", "dec2"})
_NUM_PREFIX = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def mysql_number(text: str) -> float:
    """How MySQL reads a string in a numeric comparison: its numeric prefix, else 0."""
    m = _NUM_PREFIX.match(text)
    return float(m.group(0)) if m else 0.0


def index_key(f: Field, text: str) -> str:
    """The key under which `=` finds a value: numbers by value, text case-insensitively (PAD SPACE)."""
    return repr(mysql_number(text)) if f.kind in NUMERIC_KINDS else text.rstrip(" ").casefold()


@dataclass(frozen=True)
class Field:
    """One field of a resource, with what the webservice and `ObjectModel` know about it."""

    name: str
    kind: str
    validate: str | None = None
    size: int | None = None
    required: bool = False
    i18n: bool = False
    href: str | None = None  # xlink resource; dropped when the value is 0/empty (OB renderField)
    getter: bool = False  # computed: rendered notFilterable, filtering it is error 34
    writable: bool = True  # `setter => false`: sending it is error 93
    values: tuple[str, ...] | None = None
    default: str | None = None  # ObjectModel `default`, applied when the value is falsy
    nullable: bool = False  # `allow_null`: an unset value is stored NULL, rendered ''

    @property
    def zero(self) -> str:
        return "" if self.nullable else ZERO.get(self.kind, "")


@dataclass(frozen=True)
class Assoc:
    """An association block (`<categories nodeType="category" api="categories">`, spec §3.6)."""

    name: str
    node: str
    api: str
    fields: tuple[str, ...] = ("id",)
    optional: tuple[str, ...] = ()  # item fields not flagged required in the synopsis


@dataclass(frozen=True)
class Resource:
    """A webservice resource as the emulator serves it."""

    name: str
    node: str
    cls: str
    description: str
    fields: tuple[Field, ...]
    assocs: tuple[Assoc, ...] = ()
    key_methods: frozenset[str] = frozenset({"GET", "HEAD"})  # what the emulated key is granted
    forbidden: frozenset[str] = frozenset()  # methods the resource refuses: error 101
    validate_order: tuple[str, ...] = ()
    by_name: dict[str, Field] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_name.update((f.name, f) for f in self.fields)

    def field(self, name: str) -> Field | None:
        return self.by_name.get(name)

    def assoc(self, name: str) -> Assoc | None:
        return next((a for a in self.assocs if a.name == name), None)

    def validation_fields(self) -> list[Field]:
        """Fields in `ObjectModel` definition order: i18n first (error 84), then the rest (85)."""
        order = self.validate_order or tuple(f.name for f in self.fields)
        plain = [self.by_name[n] for n in order]
        plain = [f for f in plain if not f.i18n and f.kind not in ("id", "getter", "virtual")]
        return [f for f in self.fields if f.i18n] + plain


class WsError(Exception):
    """Errors the webservice answers with: `(http status, code, message)`; the last status wins."""

    def __init__(self, *errors: tuple[int, int, str]) -> None:
        super().__init__(errors[-1][2])
        self.errors = list(errors)

    @property
    def status(self) -> int:
        return self.errors[-1][0]


def _lang(name: str, validate: str, size: int | None = None) -> Field:
    return Field(name, "str", validate, size=size, i18n=True)


def _getter(name: str, href: str | None = None, writable: bool = True) -> Field:
    return Field(name, "getter", href=href, getter=True, writable=writable)


PRODUCT_FIELDS = (
    Field("id", "id"),
    Field("id_manufacturer", "int", "isUnsignedId", href="manufacturers"),
    Field("id_supplier", "int", "isUnsignedId", href="suppliers"),
    Field("id_category_default", "int", "isUnsignedId", href="categories"),
    Field("new", "virtual"),
    Field("cache_default_attribute", "int"),
    _getter("id_default_image", href="images"),
    _getter("id_default_combination", href="combinations"),
    Field("id_tax_rules_group", "int", "isUnsignedId", href="tax_rule_groups"),
    _getter("position_in_category"),
    _getter("manufacturer_name", writable=False),
    _getter("quantity", writable=False),
    _getter("type"),
    Field("id_shop_default", "int", "isUnsignedId"),
    Field("reference", "str", "isReference", size=64),
    Field("supplier_reference", "str", "isReference", size=64),
    Field("location", "str", "isString", size=255),
    *(Field(n, "dec6", "isUnsignedFloat") for n in ("width", "height", "depth", "weight")),
    Field("quantity_discount", "bool", "isBool"),
    Field("ean13", "str", "isEan13", size=13),
    Field("isbn", "str", "isIsbn", size=32),
    Field("upc", "str", "isUpc", size=12),
    Field("mpn", "str", "isMpn", size=40),
    *(Field(n, "bool", "isBool") for n in ("cache_is_pack", "cache_has_attachments", "is_virtual")),
    Field("state", "int", "isUnsignedId"),
    Field("additional_delivery_times", "int", "isUnsignedId"),
    _lang("delivery_in_stock", "isGenericName", 255),
    _lang("delivery_out_stock", "isGenericName", 255),
    Field("product_type", "str", "isGenericName", values=("standard", "pack", "virtual", "combinations", "")),
    Field("on_sale", "bool", "isBool"),
    Field("online_only", "bool", "isBool"),
    Field("ecotax", "dec6", "isPrice"),
    Field("minimal_quantity", "int", "isUnsignedInt"),
    Field("low_stock_threshold", "int", "isInt", nullable=True),
    Field("low_stock_alert", "bool", "isBool"),
    Field("price", "dec6", "isPrice", required=True),
    Field("wholesale_price", "dec6", "isPrice"),
    Field("unity", "str", "isString", size=255),
    Field("unit_price", "dec6", "isPrice"),
    Field("unit_price_ratio", "dec6"),
    Field("additional_shipping_cost", "dec2", "isPrice"),
    *(Field(n, "int", "isUnsignedInt") for n in ("customizable", "text_fields", "uploadable_files")),
    Field("active", "bool", "isBool"),
    Field("redirect_type", "str", "isString"),
    Field("id_type_redirected", "int", "isUnsignedId"),
    Field("available_for_order", "bool", "isBool"),
    Field("available_date", "date", "isDateFormat"),
    Field("show_condition", "bool", "isBool"),
    Field("condition", "str", "isGenericName", values=("new", "used", "refurbished"), default="new"),
    Field("show_price", "bool", "isBool"),
    Field("indexed", "bool", "isBool"),
    Field("visibility", "str", "isProductVisibility", values=("both", "catalog", "search", "none"), default="both"),
    Field("advanced_stock_management", "bool", "isBool"),
    Field("date_add", "datetime", "isDate"),
    Field("date_upd", "datetime", "isDate"),
    Field("pack_stock_type", "int", "isUnsignedInt"),
    _lang("meta_description", "isGenericName", 512),
    _lang("meta_keywords", "isGenericName", 255),
    _lang("meta_title", "isGenericName", 255),
    _lang("link_rewrite", "isLinkRewrite", 128),
    _lang("name", "isCatalogName", 128),
    _lang("description", "isCleanHtml"),
    _lang("description_short", "isCleanHtml"),
    _lang("available_now", "isGenericName", 255),
    _lang("available_later", "isGenericName", 255),
)

# `Product::$definition` order of the plain fields (the webservice order moves a few to the front).
_PRODUCT_VALIDATE_ORDER = tuple(
    (
        "id_shop_default id_manufacturer id_supplier reference supplier_reference location width height depth "
        "weight quantity_discount ean13 isbn upc mpn cache_is_pack cache_has_attachments is_virtual state "
        "additional_delivery_times delivery_in_stock delivery_out_stock product_type id_category_default "
        "id_tax_rules_group on_sale online_only ecotax minimal_quantity low_stock_threshold low_stock_alert "
        "price wholesale_price unity unit_price unit_price_ratio additional_shipping_cost customizable "
        "text_fields uploadable_files active redirect_type id_type_redirected available_for_order "
        "available_date show_condition condition show_price indexed visibility cache_default_attribute "
        "advanced_stock_management date_add date_upd pack_stock_type"
    ).split()
)

PRODUCT_ASSOCS = (
    Assoc("categories", "category", "categories"),
    Assoc("images", "image", "images", optional=("id",)),
    Assoc("combinations", "combination", "combinations"),
    Assoc("product_option_values", "product_option_value", "product_option_values"),
    Assoc("product_features", "product_feature", "product_features", ("id", "id_feature_value")),
    Assoc("tags", "tag", "tags"),
    Assoc("stock_availables", "stock_available", "stock_availables", ("id", "id_product_attribute")),
    Assoc("attachments", "attachment", "attachments"),
    Assoc("accessories", "product", "products"),
    Assoc(
        "product_bundle",
        "product",
        "products",
        ("id", "id_product_attribute", "quantity"),
        ("id_product_attribute", "quantity"),
    ),
)

STOCK_FIELDS = (
    Field("id", "id"),
    Field("id_product", "int", "isUnsignedId", required=True, href="products"),
    Field("id_product_attribute", "int", "isUnsignedId", required=True, href="combinations"),
    Field("id_shop", "int", "isUnsignedId", href="shops"),
    Field("id_shop_group", "int", "isUnsignedId", href="shop_groups"),
    Field("quantity", "int", "isInt", required=True),
    Field("depends_on_stock", "bool", "isBool", required=True),
    Field("out_of_stock", "int", "isInt", required=True),
    Field("location", "str", "isString", size=255),
)

LANGUAGE_FIELDS = (
    Field("id", "id"),
    Field("name", "str", "isGenericName", required=True, size=32),
    Field("iso_code", "str", "isLanguageIsoCode", required=True, size=2),
    Field("locale", "str", "isLocale", size=5),
    Field("language_code", "str", "isLanguageCode", size=5),
    Field("active", "bool", "isBool"),
    Field("is_rtl", "bool", "isBool"),
    Field("date_format_lite", "str", "isPhpDateFormat", required=True, size=32),
    Field("date_format_full", "str", "isPhpDateFormat", required=True, size=32),
)

SHOP_FIELDS = (
    Field("id", "id"),
    Field("id_shop_group", "int", "isUnsignedId", href="shop_groups"),
    Field("id_category", "int", "isUnsignedId", href="categories"),
    Field("active", "bool", "isBool"),
    Field("deleted", "bool", "isBool"),
    Field("name", "str", "isGenericName", required=True, size=64),
    Field("color", "str", "isColor", size=50),
    Field("theme_name", "str", "isThemeName", size=255),
)

_ALL = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"})
RESOURCES = {
    r.name: r
    for r in (
        Resource("languages", "language", "Language", "Shop languages", LANGUAGE_FIELDS),
        Resource(
            "products",
            "product",
            "Product",
            "The products",
            PRODUCT_FIELDS,
            PRODUCT_ASSOCS,
            key_methods=_ALL,
            validate_order=_PRODUCT_VALIDATE_ORDER,
        ),
        Resource("shops", "shop", "Shop", "Shops from multi-shop feature", SHOP_FIELDS),
        Resource(
            "stock_availables",
            "stock_available",
            "StockAvailable",
            "Available quantities",
            STOCK_FIELDS,
            key_methods=frozenset({"GET", "HEAD", "PUT", "PATCH"}),
            forbidden=frozenset({"POST", "DELETE"}),
        ),
    )
}

# Every resource name of a PrestaShop 8.1 webservice (WR getResources, sorted): names outside
# RESOURCES exist but are not granted to the emulated key (error 26), anything else is error 27.
PS_RESOURCE_NAMES = (
    "addresses attachments carriers cart_rules carts categories combinations configurations contacts "
    "content_management_system countries currencies customer_messages customer_threads customers "
    "customizations deliveries employees groups guests image_types images languages manufacturers messages "
    "order_carriers order_cart_rules order_details order_histories order_invoices order_payments order_slip "
    "order_states orders price_ranges product_customization_fields product_feature_values product_features "
    "product_option_values product_options product_suppliers products search shop_groups shop_urls shops "
    "specific_price_rules specific_prices states stock_availables stock_movement_reasons stock_movements "
    "stocks stores suppliers supply_order_details supply_order_histories supply_order_receipt_histories "
    "supply_order_states supply_orders tags tax_rule_groups tax_rules taxes translated_configurations "
    "warehouse_product_locations warehouses weight_ranges zones"
).split()


def _match(pattern: str) -> Callable[[str], bool]:
    rx = re.compile(pattern)
    return lambda v: rx.search(v) is not None


_NUMERIC = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def _is_float(v: str, unsigned: bool) -> bool:
    return _NUMERIC.match(v) is not None and (not unsigned or float(v) >= 0)


def _is_int(v: str, unsigned: bool) -> bool:
    # PHP `(string)(int)$v === (string)$v`: no sign on 0, no leading zeros, no blanks.
    ok = re.fullmatch(r"0|-?[1-9]\d*", v) is not None and abs(int(v)) < 2**63
    return ok and (not unsigned or 0 <= int(v) < 2**32)


_CLEAN_HTML_BAD = re.compile(
    r"<\s*script|\bon[a-z]+\s*=|script:|<\s*(i?frame|form|input|embed|object)", re.IGNORECASE | re.DOTALL
)
_DATE = r"^(\d{4})-(0?[0-9]|1[0-2])-(0?[0-9]|[12][0-9]|3[01])"

VALIDATORS: dict[str, Callable[[str], bool]] = {
    "isBool": _match(r"^(0|1)$"),
    "isUnsignedId": lambda v: _is_int(v, True),
    "isUnsignedInt": lambda v: _is_int(v, True),
    "isInt": lambda v: _is_int(v, False),
    "isPrice": _match(r"^[0-9]{1,10}(\.[0-9]{1,9})?$"),
    "isUnsignedFloat": lambda v: _is_float(v, True),
    "isFloat": lambda v: _is_float(v, False),
    "isReference": _match(r"^[^<>;={}]*$"),
    "isCatalogName": _match(r"^[^<>;=#{}]*$"),
    "isGenericName": _match(r"^[^<>={}]*$"),
    "isLinkRewrite": _match(r"^[_a-zA-Z0-9\-]+$"),
    "isCleanHtml": lambda v: _CLEAN_HTML_BAD.search(v) is None,
    "isEan13": _match(r"^[0-9]{0,13}$"),
    "isUpc": _match(r"^[0-9]{0,12}$"),
    "isIsbn": _match(r"^[0-9-]{0,32}$"),
    "isMpn": lambda v: len(v) <= 40,
    "isString": lambda v: True,
    "isDateFormat": _match(_DATE + r"( [0-9]{2}:[0-9]{2}:[0-9]{2})?$"),
    "isDate": _match(_DATE + r"( [0-9]{2}:[0-9]{2}:[0-9]{2})?$"),
    "isProductVisibility": lambda v: v in ("both", "catalog", "search", "none"),
}


def validation_error(cls: str, f: Field, value: str | None) -> tuple[str | None, str | None]:
    """Return (error, value after `default`) for one value, like `ObjectModel::validateField`."""
    prop = f"{cls}->{f.name}"
    if f.required and value in (None, ""):  # PHP `empty($value) && $value !== '0'`
        return f"Property {prop} is empty.", value
    if value in (None, "", "0") and f.default:  # PHP `!$value`
        value = f.default
    if f.values is not None and (value or "") not in f.values:
        return f"Property {prop} has a bad value (allowed values are: {', '.join(f.values)}).", value
    if f.size is not None and len(value or "") > f.size:
        length = len(value or "")
        return (
            f"The length of property {prop} is currently {length} chars. It must be between 0 and {f.size} chars.",
            value,
        )
    check = VALIDATORS.get(f.validate or "")
    # `if (!empty($value))`: the validator is skipped for '', null and '0'.
    if check is not None and value not in (None, "", "0") and not check(value):
        return f"Property {prop} is not valid", value
    return None, value
