"""DELETE of records and what goes with them.

All ids are checked first: one missing id is 404 code 87 and nothing is deleted
(`19b_delete_product_19_again.http`, `60d_delete_combination_again.http`). Deleting a product
deletes its stock rows, combinations and images; a combination its stock row (row 0 is then
recomputed, `60c_stock_after_delete_combination.http`); a category its whole subtree, products
keeping the deleted id as default category (fact 21, `70*.http`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from prestasync.prestashop.emulator import links, rules, tree
from prestasync.prestashop.emulator.query import php_int
from prestasync.prestashop.emulator.resources import RESOURCES
from prestasync.prestashop.emulator.schema import Resource, WsError
from prestasync.prestashop.emulator.values import product_combinations

if TYPE_CHECKING:
    from prestasync.prestashop.emulator.store import EmulatedShop


def requested_ids(url_id: str | None, param: object) -> list[str]:
    """The ids a DELETE names: `?id=[1,2]` when given (it wins), else the URL id cast to int."""
    if param is not None:
        m = re.match(r"^\[(.*)\]$", str(param))
        return m.group(1).split(",") if m else []
    return [str(php_int(url_id or ""))]


def delete_ids(shop: EmulatedShop, res: Resource, raw: list[str]) -> None:
    """Delete the ids, all checked first (87: nothing deleted)."""
    table = shop.tables[res.name]
    missing = [r for r in raw if php_int(r) not in table.rows]
    if missing or not raw:
        raise WsError((404, 87, "Id(s) not exists: " + ", ".join(missing)))
    for row_id in dict.fromkeys(php_int(r) for r in raw):
        if row_id in table.rows:
            cascade = _CASCADES.get(res.name)
            if cascade is None:
                shop.delete(res, row_id)
            else:
                cascade(shop, row_id)


def _delete_product(shop: EmulatedShop, pid: int) -> None:
    for cid in product_combinations(shop, pid):
        shop.delete(RESOURCES["combinations"], cid)
    stock = shop.tables["stock_availables"]
    for stock_id in list(stock.index["id_product"].get(repr(float(pid)), ())):
        shop.delete(RESOURCES["stock_availables"], stock_id)
    shop.images.delete_product(pid)
    shop.delete(RESOURCES["products"], pid)


def _delete_combination(shop: EmulatedShop, cid: int) -> None:
    row = shop.tables["combinations"].rows[cid]
    pid = php_int(str(row.get("id_product") or "0"))
    stock = shop.stock_row(pid, cid)
    shop.delete(RESOURCES["combinations"], cid)
    if stock is not None:
        shop.delete(RESOURCES["stock_availables"], int(stock["id"]))
    rules.recompute_stock(shop, pid)
    product = shop.tables["products"].rows.get(pid)
    if product is not None and php_int(str(shop.raw("products", product, "cache_default_attribute") or "0")) == cid:
        remaining = product_combinations(shop, pid)
        updated = dict(product) | {"cache_default_attribute": str(remaining[0]) if remaining else "0"}
        shop.store(RESOURCES["products"], updated)


def _delete_category(shop: EmulatedShop, category: int) -> None:
    gone = set(tree.subtree(shop, category))
    products = shop.tables["products"]
    for pid in list(products.ids):
        row = products.rows[pid]
        cats = shop.raw("products", row, "_categories") or ()
        if gone.intersection(cats):
            updated = dict(row)
            shop.store(RESOURCES["products"], updated)
            links.set_categories(shop, updated, tuple(c for c in cats if c not in gone))
    for cid in gone:
        shop.delete(RESOURCES["categories"], cid)


_CASCADES: dict[str, Callable[[EmulatedShop, int], None]] = {
    "products": _delete_product,
    "combinations": _delete_combination,
    "categories": _delete_category,
}
