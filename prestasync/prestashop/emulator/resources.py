"""The registry of resources the emulated key may use, and every resource name PrestaShop 8.1 knows.

The emulated key is granted every method on the resources the real test key had
(`tests/wire/prestashop-8.1.2/01_root.http`); `images` is listed there too but served by
`images.py`, not by the generic record engine.
"""

from __future__ import annotations

from prestasync.prestashop.emulator.defs_catalog import (
    CATEGORIES,
    MANUFACTURERS,
    PRODUCT_FEATURE_VALUES,
    PRODUCT_FEATURES,
    PRODUCT_OPTION_VALUES,
    PRODUCT_OPTIONS,
    SPECIFIC_PRICES,
    TAX_RULE_GROUPS,
)
from prestasync.prestashop.emulator.defs_products import COMBINATIONS, PRODUCTS, STOCK_AVAILABLES
from prestasync.prestashop.emulator.defs_shop import LANGUAGES, SHOP_GROUPS, SHOPS, UNMODELLED
from prestasync.prestashop.emulator.schema import Resource

RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in (
        CATEGORIES,
        COMBINATIONS,
        LANGUAGES,
        MANUFACTURERS,
        PRODUCT_FEATURE_VALUES,
        PRODUCT_FEATURES,
        PRODUCT_OPTION_VALUES,
        PRODUCT_OPTIONS,
        PRODUCTS,
        SHOP_GROUPS,
        SHOPS,
        SPECIFIC_PRICES,
        STOCK_AVAILABLES,
        TAX_RULE_GROUPS,
        *UNMODELLED,
    )
}

IMAGES_DESCRIPTION = "The images"

# Every resource name of a PrestaShop 8.1 webservice (`WebserviceRequest::getResources`, sorted):
# names outside RESOURCES exist but are not granted to the emulated key (error 26), anything else
# is error 27.
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
