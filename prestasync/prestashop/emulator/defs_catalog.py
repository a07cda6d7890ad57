"""The catalogue around products: categories, attribute groups and values, features, manufacturers,
specific prices and tax rule groups, as PrestaShop 8.1 renders them.

Field order and flags follow the captures: categories `26_categories_full.http`, `67*`; attribute
groups and values `24_product_options_full.http`, `25_product_option_values_full.http`, `50*`;
features `29*`, `71*`; manufacturers `73*`; tax rule groups `30_tax_rule_groups_full.http`, `74a*`;
specific prices `28_specific_prices_full.http`, `75*` (all in `tests/wire/prestashop-8.1.2/`).
"""

from __future__ import annotations

from prestasync.prestashop.emulator.schema import Assoc, AssocField, Field, Resource, getter, lang

_OPTIONAL_ID = (AssocField("id", required=False),)

CATEGORIES = Resource(
    "categories",
    "category",
    "Category",
    "The product categories",
    (
        Field("id", "id"),
        Field("id_parent", "int", "isUnsignedInt", href="categories"),
        Field("level_depth", "int", "isUnsignedInt", writable=False, in_blank=False),
        Field("nb_products_recursive", "getter", getter=True, writable=False, in_blank=False),
        Field("active", "bool", "isBool", required=True),
        Field("id_shop_default", "int", "isUnsignedId"),
        Field("is_root_category", "bool", "isBool"),
        Field("position", "int"),
        Field("date_add", "datetime", "isDate"),
        Field("date_upd", "datetime", "isDate"),
        lang("name", "isCatalogName", 128, required=True),
        lang("link_rewrite", "isLinkRewrite", 128, required=True),
        lang("description", "isCleanHtml"),
        lang("additional_description", "isCleanHtml"),
        lang("meta_title", "isGenericName", 255),
        lang("meta_description", "isGenericName", 512),
        lang("meta_keywords", "isGenericName", 255),
    ),
    (
        Assoc("categories", "category", "categories", _OPTIONAL_ID, "categories/{id}"),
        Assoc("products", "product", "products", _OPTIONAL_ID, "products/{id}"),
    ),
    patch_keeps_languages=True,  # 68h_patch_category_name_en_only.http, 77c_*.http
)

PRODUCT_OPTIONS = Resource(
    "product_options",
    "product_option",
    "AttributeGroup",
    "The product options",
    (
        Field("id", "id"),
        Field("is_color_group", "bool", "isBool"),
        Field("group_type", "str", required=True),
        Field("position", "int", "isInt"),
        lang("name", "isGenericName", 128, required=True),
        lang("public_name", "isGenericName", 64, required=True),
    ),
    (
        Assoc(
            "product_option_values",
            "product_option_value",
            "product_option_values",
            _OPTIONAL_ID,
            "product_option_values/{id}",
        ),
    ),
)

PRODUCT_OPTION_VALUES = Resource(
    "product_option_values",
    "product_option_value",
    "Attribute",
    "The product options value",
    (
        Field("id", "id"),
        Field("id_attribute_group", "int", "isUnsignedId", required=True, href="product_options"),
        Field("color", "str", "isColor"),
        Field("position", "int", "isInt"),
        lang("name", "isGenericName", 128, required=True),
    ),
)

PRODUCT_FEATURES = Resource(
    "product_features",
    "product_feature",
    "Feature",
    "The product features",
    (
        Field("id", "id"),
        Field("position", "int", "isInt"),
        lang("name", "isGenericName", 128, required=True),
    ),
)

PRODUCT_FEATURE_VALUES = Resource(
    "product_feature_values",
    "product_feature_value",
    "FeatureValue",
    "The product feature values",
    (
        Field("id", "id"),
        Field("id_feature", "int", "isUnsignedId", required=True, href="product_features"),
        Field("custom", "bool", "isBool"),
        lang("value", "isGenericName", 255, required=True),
    ),
)

MANUFACTURERS = Resource(
    "manufacturers",
    "manufacturer",
    "Manufacturer",
    "The product manufacturers",
    (
        Field("id", "id"),
        Field("active", "bool"),
        getter("link_rewrite", writable=False),
        Field("name", "str", "isCatalogName", size=64, required=True),
        Field("date_add", "datetime"),
        Field("date_upd", "datetime"),
        lang("description", "isCleanHtml"),
        lang("short_description", "isCleanHtml"),
        lang("meta_title", "isGenericName", 255),
        lang("meta_description", "isGenericName", 512),
        lang("meta_keywords", "isGenericName"),
    ),
    (
        Assoc(
            "addresses", "address", "addresses", (AssocField("id", required=False, schema_href=True),), "addresses/{id}"
        ),
    ),
)

TAX_RULE_GROUPS = Resource(
    "tax_rule_groups",
    "tax_rule_group",
    "TaxRulesGroup",
    "Tax rule groups",
    (
        Field("id", "id"),
        Field("name", "str", "isGenericName", size=64, required=True),
        Field("active", "bool", "isBool"),
        Field("deleted", "bool", "isBool"),
        Field("date_add", "datetime", "isDate"),
        Field("date_upd", "datetime", "isDate"),
    ),
)

SPECIFIC_PRICES = Resource(
    "specific_prices",
    "specific_price",
    "SpecificPrice",
    "Specific price management",
    (
        Field("id", "id"),
        Field("id_shop_group", "int", "isUnsignedId"),
        Field("id_shop", "int", "isUnsignedId", required=True),
        Field("id_cart", "int", "isUnsignedId", required=True),
        Field("id_product", "int", "isUnsignedId", required=True, href="products"),
        Field("id_product_attribute", "int", "isUnsignedId"),
        Field("id_currency", "int", "isUnsignedId", required=True),
        Field("id_country", "int", "isUnsignedId", required=True),
        Field("id_group", "int", "isUnsignedId", required=True),
        Field("id_customer", "int", "isUnsignedId", required=True),
        Field("id_specific_price_rule", "int", "isUnsignedId"),
        Field("price", "dec6", "isNegativePrice", required=True),
        Field("from_quantity", "int", "isUnsignedInt", required=True),
        Field("reduction", "dec6", "isPrice", required=True),
        Field("reduction_tax", "bool", "isBool", required=True),
        Field("reduction_type", "str", "isReductionType", required=True),
        Field("from", "datetime", "isDateFormat", required=True),
        Field("to", "datetime", "isDateFormat", required=True),
    ),
)
