"""Computed prices of a product record (`?price[NAME][use_tax]=1&price[NAME][product_attribute]=ID…`).

Each requested NAME renders as an extra field after the product's own fields (`74e`, `75l`, `75o`
in `tests/wire/prestashop-8.1.2/`). The value is base price + combination impact (the default
combination unless `product_attribute` names one), with the tax group's rate when `use_tax` is 1,
less the percentage and amount specific prices of the product when `use_reduction` is 1 (the
default; a misspelt option is ignored, as the real shop does). Floored at 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prestasync.prestashop.emulator.query import php_int
from prestasync.prestashop.emulator.schema import mysql_number

if TYPE_CHECKING:
    from prestasync.prestashop.emulator.store import EmulatedShop, Row

# Rates of the demo's tax rule groups for the shop's country (France).
TAX_RATES = {1: 20.0, 2: 10.0, 3: 5.5, 4: 2.1, 5: 20.0}


def computed_prices(shop: EmulatedShop, product: Row, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {
        str(name): f"{_price(shop, product, opts if isinstance(opts, dict) else {}):.6f}" for name, opts in raw.items()
    }


def _price(shop: EmulatedShop, product: Row, opts: dict[str, Any]) -> float:
    price = mysql_number(str(shop.raw("products", product, "price") or "0"))
    combination = php_int(str(opts.get("product_attribute") or "0")) or php_int(
        str(shop.raw("products", product, "cache_default_attribute") or "0")
    )
    row = shop.tables["combinations"].rows.get(combination)
    if row is not None:
        price += mysql_number(str(row.get("price") or "0"))
    if opts.get("use_tax", "1") != "0":
        group = php_int(str(shop.raw("products", product, "id_tax_rules_group") or "0"))
        price *= 1 + TAX_RATES.get(group, 0.0) / 100
    if opts.get("use_reduction", "1") != "0":
        price = _reduced(shop, product, price, php_int(str(opts.get("quantity") or "1")))
    return max(price, 0.0)


def _reduced(shop: EmulatedShop, product: Row, price: float, quantity: int) -> float:
    pid = product["id"]
    for row in shop.tables["specific_prices"].rows.values():
        if row.get("id_product") != str(pid) or php_int(str(row.get("from_quantity") or "1")) > quantity:
            continue
        reduction = mysql_number(str(row.get("reduction") or "0"))
        price = price * (1 - reduction) if row.get("reduction_type") == "percentage" else price - reduction
    return price
