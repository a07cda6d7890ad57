"""Shop-level resources: languages, shops and shop groups, plus the resources the real test key lists
but the emulator does not model (they answer with empty lists).

Shapes: `06_languages_full.http`, `76_shops_full.http`, `76a_shop_groups_full.http`; the list of
resources and their descriptions is that of `01_root.http` (all in `tests/wire/prestashop-8.1.2/`).
"""

from __future__ import annotations

from prestasync.prestashop.emulator.schema import Field, Resource

LANGUAGES = Resource(
    "languages",
    "language",
    "Language",
    "Shop languages",
    (
        Field("id", "id"),
        Field("name", "str", "isGenericName", required=True, size=32),
        Field("iso_code", "str", "isLanguageIsoCode", required=True, size=2),
        Field("locale", "str", "isLocale", size=5),
        Field("language_code", "str", "isLanguageCode", size=5),
        Field("active", "bool", "isBool"),
        Field("is_rtl", "bool", "isBool"),
        Field("date_format_lite", "str", "isPhpDateFormat", required=True, size=32),
        Field("date_format_full", "str", "isPhpDateFormat", required=True, size=32),
    ),
)

SHOPS = Resource(
    "shops",
    "shop",
    "Shop",
    "Shops from multi-shop feature",
    (
        Field("id", "id"),
        Field("id_shop_group", "int", "isUnsignedId", href="shop_groups"),
        Field("id_category", "int", "isUnsignedId"),
        Field("active", "bool", "isBool"),
        Field("deleted", "bool", "isBool"),
        Field("name", "str", "isGenericName", required=True, size=64),
        Field("color", "str", "isColor", size=50),
        Field("theme_name", "str", "isThemeName", size=255),
    ),
)

SHOP_GROUPS = Resource(
    "shop_groups",
    "shop_group",
    "ShopGroup",
    "Shop groups from multi-shop feature",
    (
        Field("id", "id"),
        Field("name", "str", "isGenericName", required=True, size=64),
        Field("color", "str", "isColor", size=50),
        Field("share_customer", "bool", "isBool"),
        Field("share_order", "bool", "isBool"),
        Field("share_stock", "bool", "isBool"),
        Field("active", "bool", "isBool"),
        Field("deleted", "bool", "isBool"),
    ),
)


def _unmodelled(name: str, node: str, cls: str, description: str, *fields: str) -> Resource:
    """A resource the key may use whose records the emulator does not model (empty table)."""
    return Resource(name, node, cls, description, (Field("id", "id"), *(Field(f, "str") for f in fields)))


UNMODELLED = (
    _unmodelled("configurations", "configuration", "Configuration", "Shop configuration", "value", "name"),
    _unmodelled("currencies", "currency", "Currency", "The currencies", "name", "iso_code"),
    _unmodelled("stock_movements", "stock_movement", "StockMvt", "Stock movements", "id_product"),
    _unmodelled("suppliers", "supplier", "Supplier", "The product suppliers", "name"),
    _unmodelled("tags", "tag", "Tag", "The Products tags", "name"),
)
