"""Resource-specific behaviour around a write: defaults, refusals, and what a save changes elsewhere.

* Products: POST generates `link_rewrite` only for languages whose name was sent and turns a bad
  slug into a good one (13, 14, 36); POST creates the stock row (quantity 0); a PUT/PATCH that
  carries `<product_bundle>` on a product that is not a pack fails 500 code 85, nothing saved (45).
* Combinations: POST creates the combination's stock row (quantity 0) and leaves row 0 alone; the
  product becomes `product_type` `combinations` and gets a default combination (55, 55b, 59d-e).
* Stock rows: writing a combination's row recomputes the product's row 0 as the sum of the
  combination rows; writing row 0 directly sticks until the next recompute (fact 18, 57*).
* Categories: a missing parent is a 500 with an empty body; no `link_rewrite` is a 500 with PHP
  warnings; the depth and position are computed (68*).
* Specific prices: an exact duplicate is a 500 with an empty body, its id burnt (75e).
Captures are `tests/wire/prestashop-8.1.2/<number>*.http`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree

from prestasync.prestashop.emulator import tree
from prestasync.prestashop.emulator.parse import PHP_ROOT, child
from prestasync.prestashop.emulator.query import php_int
from prestasync.prestashop.emulator.resources import RESOURCES
from prestasync.prestashop.emulator.schema import RawAnswer, Resource, WsError
from prestasync.prestashop.emulator.validate import VALIDATORS, link_rewrite
from prestasync.prestashop.emulator.values import product_combinations

if TYPE_CHECKING:
    from prestasync.prestashop.emulator.store import EmulatedShop, Row

Obj = dict[str, Any]
# Required in the definition but not checked for presence by the webservice (shop-level fields).
LENIENT_REQUIRED = {"combinations": ("minimal_quantity",)}  # 55_post_combination_wool.http
_SPECIFIC_PRICE_KEY = (
    "id_product id_product_attribute id_shop id_shop_group id_cart id_currency id_country id_group id_customer "
    "from_quantity from to"
).split()


def call_setter(shop: EmulatedShop, obj: Obj, name: str, value: str, errors: list[tuple[int, int, str]]) -> None:
    """A getter field sent in a write: the few that have a setter act, the others are ignored."""
    if name == "type" and value in ("simple", "pack", "virtual"):
        obj["cache_is_pack"] = "1" if value == "pack" else "0"
        obj["is_virtual"] = "1" if value == "virtual" else "0"
    elif name == "id_default_image" and "id" in obj:
        shop.images.set_cover(php_int(str(obj["id"])), php_int(value))  # 63_patch_product_id_default_image.http
    elif name == "position_in_category":
        size = shop.category_size(php_int(str(obj.get("id_category_default") or "0")))
        number = php_int(value)
        if number <= 0:
            errors.append((500, 134, "You cannot set 0 or a negative position, the minimum is 1."))
        elif number > size:
            msg = "You cannot set a position greater than the total number of products in the category, starting at 1."
            errors.append((500, 135, msg))
        else:
            obj["_position"] = number


def before_validation(shop: EmulatedShop, res: Resource, method: str, obj: Obj, entity: etree._Element) -> None:
    if res.name == "products" and method == "POST":
        _product_slugs(obj)
    elif res.name == "categories" and method == "POST":
        slugs = obj.get("link_rewrite")
        empty = [lang for lang in shop.lang_ids if not (isinstance(slugs, dict) and slugs.get(lang))]
        if empty:
            # `Category::add` indexes an empty string as an array (68f_post_category_no_link_rewrite.http).
            warning = (
                "[PHP Warning #2] Only the first byte will be assigned to the string offset "
                f"({PHP_ROOT}/classes/Category.php, line 2067)"
            )
            raise WsError(*[(500, 3, warning) for _ in empty])
    elif res.name == "combinations" and obj.get("minimal_quantity") in (None, ""):
        obj["minimal_quantity"] = "1"


def _product_slugs(obj: Obj) -> None:
    """`link_rewrite` of a new product: from the name where empty, sanitised where invalid."""
    names = obj.get("name")
    if not isinstance(names, dict):
        return
    slugs = obj.get("link_rewrite")
    slugs = dict(slugs) if isinstance(slugs, dict) else {}
    for lang, name in names.items():
        current = slugs.get(lang, "")
        if not current:
            slugs[lang] = link_rewrite(name)
        elif not VALIDATORS["isLinkRewrite"](current):
            slugs[lang] = link_rewrite(current)
    obj["link_rewrite"] = slugs


def refuse(shop: EmulatedShop, res: Resource, obj: Obj, entity: etree._Element) -> None:
    """Refusals decided before anything is saved (configured faults and the product bundle)."""
    cfg = shop.config
    if res.name == "products":
        if obj.get("reference") in cfg.fail_skus:
            raise WsError((400, 85, 'Validation error: "Property Product->price is not valid"'))
        assocs = child(entity, "associations")
        if assocs is not None and child(assocs, "product_bundle") is not None and obj.get("is_virtual") == "1":
            raise WsError((500, 85, "Error occurred while setting the product_bundle value"))
    elif res.name == "combinations" and obj.get("reference") in cfg.refuse_combination_references:
        raise WsError((400, 85, 'Validation error: "Property Combination->reference is not valid"'))


def before_save(shop: EmulatedShop, res: Resource, method: str, row: Row, old: Row | None) -> None:
    """Defaults and refusals that need the normalized row."""
    if res.name == "products":
        if row.get("id_shop_default") == "0":
            row["id_shop_default"] = "1"  # the context shop
        if method == "POST" and row.get("is_virtual") == "1":
            row["product_type"] = "virtual"
    elif res.name == "stock_availables" and row.get("depends_on_stock") == "1":
        msg = "You cannot update the available stock when it depends on stock."
        raise WsError((500, 133, msg), (500, 46, "Unable to save resource"))
    elif res.name == "categories" and method == "POST":
        parent = php_int(row.get("id_parent") or "0")
        if parent not in shop.tables["categories"].rows:
            raise RawAnswer(500)  # a PHP fatal error: empty body (68g_post_category_bad_parent.http)
        row["level_depth"] = str(tree.depth_under(shop, parent))
        row["position"] = str(tree.next_position(shop, parent))
        row["id_shop_default"] = "1"
    elif method == "POST" and res.name in _POSITIONED:
        row["position"] = str(_next_position(shop, res.name, row))
    elif res.name == "specific_prices" and method == "POST" and _duplicate_price(shop, row):
        raise RawAnswer(500)  # the unique key refuses it; the id is already burnt (75e_*.http)


_POSITIONED = {"product_options", "product_option_values", "product_features"}


def _next_position(shop: EmulatedShop, resource: str, row: Row) -> int:
    rows = list(shop.tables[resource].rows.values())
    if resource == "product_option_values":
        group = row.get("id_attribute_group")
        rows = [r for r in rows if r.get("id_attribute_group") == group]
    positions = [php_int(str(r.get("position") or "0")) for r in rows]
    return max(positions) + 1 if positions else 0


def _duplicate_price(shop: EmulatedShop, row: Row) -> bool:
    key = [row.get(k) for k in _SPECIFIC_PRICE_KEY]
    return any([r.get(k) for k in _SPECIFIC_PRICE_KEY] == key for r in shop.tables["specific_prices"].rows.values())


def after_save(shop: EmulatedShop, res: Resource, method: str, row: Row, old: Row | None) -> None:
    """Side effects on other tables once the row is stored."""
    if res.name == "products" and method == "POST":
        add_stock_row(shop, int(row["id"]), 0, virtual=row.get("is_virtual") == "1")
    elif res.name == "combinations" and method == "POST":
        _combination_added(shop, row)
    elif res.name == "stock_availables":
        attribute = php_int(str(shop.raw("stock_availables", row, "id_product_attribute") or "0"))
        if attribute:
            recompute_stock(shop, php_int(str(shop.raw("stock_availables", row, "id_product") or "0")))


def add_stock_row(shop: EmulatedShop, product: int, combination: int, virtual: bool = False) -> None:
    """A new stock row: quantity 0, out_of_stock 2 (the shop default; 1 for a virtual product)."""
    table = shop.tables["stock_availables"]
    stock_id = table.take_id()
    row = {"id": str(stock_id), "id_product": str(product), "id_product_attribute": str(combination), "id_shop": "1"}
    row |= {"id_shop_group": "0", "quantity": "0", "depends_on_stock": "0", "location": ""}
    row["out_of_stock"] = "1" if virtual else "2"
    shop.store(RESOURCES["stock_availables"], row)


def _combination_added(shop: EmulatedShop, row: Row) -> None:
    pid = php_int(row.get("id_product") or "0")
    add_stock_row(shop, pid, int(row["id"]))
    product = shop.tables["products"].rows.get(pid)
    if product is None:
        return
    current = php_int(str(shop.raw("products", product, "cache_default_attribute") or "0"))
    updated = dict(product)
    updated["product_type"] = "combinations"
    if current not in shop.tables["combinations"].rows or current == int(row["id"]) or row.get("default_on") == "1":
        updated["cache_default_attribute"] = row["id"]
    shop.store(RESOURCES["products"], updated)


def recompute_stock(shop: EmulatedShop, product: int) -> None:
    """Row 0 of a product with combinations becomes the sum of its combination rows."""
    base = shop.stock_row(product)
    combos = product_combinations(shop, product)
    if base is None or not combos:
        return
    total = 0
    for cid in combos:
        row = shop.stock_row(product, cid)
        total += php_int(str(shop.raw("stock_availables", row, "quantity") or "0")) if row else 0
    shop.store(RESOURCES["stock_availables"], dict(base) | {"quantity": str(total)})
