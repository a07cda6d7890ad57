"""Products, their stock rows and their combinations: fields and associations as PrestaShop 8.1 renders them.

Field order and flags are those of `tests/wire/prestashop-8.1.2/03_product_1.http`,
`04_products_schema_blank.http`, `04b_products_schema_synopsis.http` (products),
`22_stock_availables_full_all.http` (stock rows), `20_combinations_full.http`,
`53_combinations_schema_blank.http` and `53b_combinations_schema_synopsis.http` (combinations).
"""

from __future__ import annotations

from prestasync.prestashop.emulator.schema import Assoc, AssocField, Field, Resource, getter, lang

PRODUCT_FIELDS = (
    Field("id", "id"),
    Field("id_manufacturer", "int", "isUnsignedId", href="manufacturers"),
    Field("id_supplier", "int", "isUnsignedId", href="suppliers"),
    Field("id_category_default", "int", "isUnsignedId", href="categories"),
    Field("new", "virtual"),
    Field("cache_default_attribute", "int"),
    getter("id_default_image", href="images"),
    getter("id_default_combination", href="combinations"),
    Field("id_tax_rules_group", "int", "isUnsignedId", href="tax_rule_groups"),
    getter("position_in_category"),
    getter("manufacturer_name", writable=False),
    getter("quantity", writable=False),
    getter("type"),
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
    lang("delivery_in_stock", "isGenericName", 255),
    lang("delivery_out_stock", "isGenericName", 255),
    Field("product_type", "str", "isGenericName", values=("standard", "pack", "virtual", "combinations", "")),
    Field("on_sale", "bool", "isBool"),
    Field("online_only", "bool", "isBool"),
    Field("ecotax", "dec6", "isPrice"),
    Field("minimal_quantity", "int", "isUnsignedInt"),
    Field("low_stock_threshold", "int", "isInt", nullable=True),
    Field("low_stock_alert", "bool", "isBool"),
    Field("price", "dec6", "isPrice", required=True),
    Field("wholesale_price", "dec6", "isPrice"),
    Field("unity", "str", "isString"),
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
    lang("meta_description", "isGenericName", 512),
    lang("meta_keywords", "isGenericName", 255),
    lang("meta_title", "isGenericName", 255),
    lang("link_rewrite", "isLinkRewrite", 128),
    lang("name", "isCatalogName", 128),
    lang("description", "isCleanHtml"),
    lang("description_short", "isCleanHtml"),
    lang("available_now", "isGenericName", 255),
    lang("available_later", "isGenericName", 255),
)

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

_ID = AssocField("id")
PRODUCT_ASSOCS = (
    Assoc("categories", "category", "categories", item_href="categories/{id}"),
    Assoc("images", "image", "images", (AssocField("id", required=False),), "images/products/{owner}/{id}"),
    Assoc("combinations", "combination", "combinations", item_href="combinations/{id}"),
    Assoc(
        "product_option_values", "product_option_value", "product_option_values", item_href="product_option_values/{id}"
    ),
    Assoc(
        "product_features",
        "product_feature",
        "product_features",
        (_ID, AssocField("id_feature_value", href="product_feature_values", schema_href=True)),
        "product_features/{id}",
    ),
    Assoc("tags", "tag", "tags", item_href="tags/{id}"),
    Assoc(
        "stock_availables",
        "stock_available",
        "stock_availables",
        (_ID, AssocField("id_product_attribute")),
        "stock_availables/{id}",
    ),
    Assoc("attachments", "attachment", "attachments", item_href="attachments/{id}"),
    Assoc("accessories", "product", "products", (AssocField("id", schema_href=True, href=None),), "products/{id}"),
    Assoc(
        "product_bundle",
        "product",
        "products",
        (_ID, AssocField("id_product_attribute", required=False), AssocField("quantity", required=False)),
        "products/{id}",
    ),
)

PRODUCTS = Resource(
    "products",
    "product",
    "Product",
    "The products",
    PRODUCT_FIELDS,
    PRODUCT_ASSOCS,
    validate_order=_PRODUCT_VALIDATE_ORDER,
)

STOCK_AVAILABLES = Resource(
    "stock_availables",
    "stock_available",
    "StockAvailable",
    "Available quantities",
    (
        Field("id", "id"),
        Field("id_product", "int", "isUnsignedId", required=True, href="products"),
        Field("id_product_attribute", "int", "isUnsignedId", required=True, href="combinations"),
        Field("id_shop", "int", "isUnsignedId", href="shops"),
        Field("id_shop_group", "int", "isUnsignedId", href="shop_groups"),
        Field("quantity", "int", "isInt", required=True),
        Field("depends_on_stock", "bool", "isBool", required=True),
        Field("out_of_stock", "int", "isInt", required=True),
        Field("location", "str", "isString", size=255),
    ),
    forbidden=frozenset({"POST", "DELETE"}),  # rows come and go with products and combinations
)

COMBINATIONS = Resource(
    "combinations",
    "combination",
    "Combination",
    "The product combinations",
    (
        Field("id", "id"),
        Field("id_product", "int", "isUnsignedId", required=True, href="products"),
        Field("ean13", "str", "isEan13", size=13),
        Field("isbn", "str", "isIsbn", size=32),
        Field("upc", "str", "isUpc", size=12),
        Field("mpn", "str", "isMpn", size=40),
        Field("reference", "str", None, size=64),
        Field("supplier_reference", "str", None, size=64),
        Field("wholesale_price", "dec6", "isNegativePrice", size=27),
        Field("price", "dec6", "isNegativePrice", size=20),
        Field("ecotax", "dec6", "isPrice", size=20),
        Field("weight", "dec6", "isFloat"),
        Field("unit_price_impact", "dec6", "isNegativePrice", size=20),
        Field("minimal_quantity", "int", "isUnsignedId", required=True, default="1"),
        Field("low_stock_threshold", "int", "isInt", nullable=True),
        Field("low_stock_alert", "bool", "isBool"),
        Field("default_on", "bool", "isBool", nullable=True),
        Field("available_date", "date", "isDateFormat"),
        lang("available_now", "isGenericName", 255),
        lang("available_later", "IsGenericName", 255),
    ),
    (
        Assoc(
            "product_option_values",
            "product_option_value",
            "product_option_values",
            (AssocField("id", required=False),),
            "product_option_values/{id}",
        ),
        Assoc(
            "images", "image", "images/products", (AssocField("id", required=False),), "images/products/{owner}/{id}"
        ),
    ),
)
