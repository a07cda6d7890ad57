"""Reading a record as the webservice renders it: computed fields and association blocks.

The computed values follow the captures: a product's `quantity` is always `0` (fact 1,
`03_product_1.http`, `31_product_1_display_full_list.http`); `id_default_combination` is the
product's default combination (`55b_get_product_after_first_combination.http`); a category's
`nb_products_recursive` is `-1` when it holds no product (`68c_get_category_parent.http`).
Associations are read from the private keys of a row or derived from other tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prestasync.prestashop.emulator import tree
from prestasync.prestashop.emulator.query import php_int
from prestasync.prestashop.emulator.schema import Field, Resource
from prestasync.prestashop.emulator.validate import link_rewrite

if TYPE_CHECKING:
    from prestasync.prestashop.emulator.state import ShopState
    from prestasync.prestashop.emulator.table import Row

Items = list[dict[str, str]]


def field_value(shop: ShopState, res: Resource, row: Row, f: Field) -> str:
    """The value of a non-i18n field (getters computed, unset values as MySQL's zero)."""
    if f.getter:
        compute = _GETTERS.get((res.name, f.name))
        return compute(shop, row) if compute else ""
    if f.kind == "virtual":
        return ""  # Product::$new is never filled on a webservice GET
    value = shop.raw(res.name, row, f.name)
    return f.zero if value is None else str(value)


def _int(shop: ShopState, res: str, row: Row, name: str) -> int:
    return php_int(str(shop.raw(res, row, name) or "0"))


def _product_type(shop: ShopState, row: Row) -> str:
    if shop.raw("products", row, "cache_is_pack") == "1":
        return "pack"
    return "virtual" if shop.raw("products", row, "is_virtual") == "1" else "simple"


def _position_in_category(shop: ShopState, row: Row) -> str:
    cats = shop.raw("products", row, "_categories") or ()
    default = _int(shop, "products", row, "id_category_default")
    position = shop.raw("products", row, "_position")
    return str(position) if default in cats and position is not None else ""


def _default_image(shop: ShopState, row: Row) -> str:
    cover = shop.images.cover_of(int(row["id"]))
    return "" if cover is None else str(cover)


def _default_combination(shop: ShopState, row: Row) -> str:
    value = _int(shop, "products", row, "cache_default_attribute")
    return str(value) if value in shop.tables["combinations"].rows else "0"


def _manufacturer_name(shop: ShopState, row: Row) -> str:
    brand = shop.tables["manufacturers"].rows.get(_int(shop, "products", row, "id_manufacturer"))
    return "" if brand is None else str(shop.raw("manufacturers", brand, "name") or "")


def _nb_products_recursive(shop: ShopState, row: Row) -> str:
    count = tree.products_in_subtree(shop, int(row["id"]))
    return str(count) if count else "-1"


def _brand_slug(shop: ShopState, row: Row) -> str:
    return link_rewrite(str(shop.raw("manufacturers", row, "name") or ""))


_GETTERS: dict[tuple[str, str], Callable[[ShopState, Row], str]] = {
    ("products", "quantity"): lambda shop, row: "0",
    ("products", "type"): _product_type,
    ("products", "position_in_category"): _position_in_category,
    ("products", "id_default_image"): _default_image,
    ("products", "id_default_combination"): _default_combination,
    ("products", "manufacturer_name"): _manufacturer_name,
    ("categories", "nb_products_recursive"): _nb_products_recursive,
    ("manufacturers", "link_rewrite"): _brand_slug,
}


# --- associations ---------------------------------------------------------------------------------


def assoc_items(shop: ShopState, res: Resource, row: Row, assoc: str) -> Items:
    """The items of one association block of a record, in the order the shop lists them."""
    provider = _ASSOCS.get((res.name, assoc))
    if provider is not None:
        return provider(shop, row)
    stored = shop.raw(res.name, row, "_" + assoc) or ()
    return [dict(item) if isinstance(item, dict) else {"id": str(item)} for item in stored]


def product_combinations(shop: ShopState, product_id: int) -> list[int]:
    """Ids of a product's combinations, ascending."""
    index = shop.tables["combinations"].index["id_product"]
    return list(index.get(repr(float(product_id)), ()))


def _product_categories(shop: ShopState, row: Row) -> Items:
    return [{"id": str(c)} for c in shop.raw("products", row, "_categories") or ()]


def _product_images(shop: ShopState, row: Row) -> Items:
    return [{"id": str(i)} for i in shop.images.ids_of(int(row["id"]))]


def _product_combinations(shop: ShopState, row: Row) -> Items:
    return [{"id": str(c)} for c in product_combinations(shop, int(row["id"]))]


def _product_option_values(shop: ShopState, row: Row) -> Items:
    """Distinct values over the combinations, unknown ones included, '' for a combination
    without any (a LEFT JOIN: `62c_product_full_after_second.http`)."""
    seen: dict[str, None] = {}
    combos = shop.tables["combinations"].rows
    for cid in product_combinations(shop, int(row["id"])):
        values = shop.raw("combinations", combos[cid], "_values") or ()
        for value in values or ("",):
            seen.setdefault(str(value))
    return [{"id": v} for v in seen]


def _product_features(shop: ShopState, row: Row) -> Items:
    return [{"id": str(f), "id_feature_value": str(v)} for f, v in shop.raw("products", row, "_features") or ()]


def _product_stock(shop: ShopState, row: Row) -> Items:
    pid = int(row["id"])
    pairs = [(0, shop.stock_index.get((pid, 0)))]
    pairs += [(c, shop.stock_index.get((pid, c))) for c in product_combinations(shop, pid)]
    return [{"id": str(s), "id_product_attribute": str(c)} for c, s in pairs if s is not None]


def _combination_values(shop: ShopState, row: Row) -> Items:
    known = shop.tables["product_option_values"].rows
    return [{"id": str(v)} for v in shop.raw("combinations", row, "_values") or () if v in known]


def _combination_images(shop: ShopState, row: Row) -> Items:
    return [{"id": str(i)} for i in shop.raw("combinations", row, "_images") or () if shop.images.exists(i)]


def _category_children(shop: ShopState, row: Row) -> Items:
    return [{"id": str(c)} for c in tree.children(shop, int(row["id"]))]


def _category_products(shop: ShopState, row: Row) -> Items:
    return [{"id": str(p)} for p in tree.products_of(shop, int(row["id"]))]


def _group_values(shop: ShopState, row: Row) -> Items:
    group = int(row["id"])
    table = shop.tables["product_option_values"]
    found = [(int(shop.raw("product_option_values", r, "position") or 0), vid) for vid, r in table.rows.items()]
    mine = [
        (pos, vid)
        for pos, vid in found
        if _int(shop, "product_option_values", table.rows[vid], "id_attribute_group") == group
    ]
    return [{"id": str(vid)} for _, vid in sorted(mine)]


_ASSOCS: dict[tuple[str, str], Callable[[ShopState, Row], Items]] = {
    ("products", "categories"): _product_categories,
    ("products", "images"): _product_images,
    ("products", "combinations"): _product_combinations,
    ("products", "product_option_values"): _product_option_values,
    ("products", "product_features"): _product_features,
    ("products", "stock_availables"): _product_stock,
    ("combinations", "product_option_values"): _combination_values,
    ("combinations", "images"): _combination_images,
    ("categories", "categories"): _category_children,
    ("categories", "products"): _category_products,
    ("product_options", "product_option_values"): _group_values,
}
