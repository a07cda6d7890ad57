"""Setting associations from a write body: they REPLACE the stored list, on PATCH and PUT alike.

Facts: product categories and features are replaced (fact 27, `69b_patch_product_categories.http`,
`72c_patch_product_features_other.http`); a combination PATCH with `<images>` replaces its images
and `<images/>` clears them, while a PUT without `<associations>` keeps option values and images
(fact 26, `58d_*.http`, `66*.http`). Nothing is checked: unknown values, another feature's value,
another product's image are all stored (fact 19). Associations are set after the record is saved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from prestasync.prestashop.emulator.parse import child, element_text
from prestasync.prestashop.emulator.query import php_int
from prestasync.prestashop.emulator.schema import Resource, WsError

if TYPE_CHECKING:
    from prestasync.prestashop.emulator.store import EmulatedShop, Row

PRIVATE_KEYS = (
    "_categories",
    "_position",
    "_features",
    "_values",
    "_images",
    "_accessories",
    "_tags",
    "_attachments",
    "_product_bundle",
)
# Blocks a write may carry but that have no setter: they are ignored (a product's images,
# combinations, option values and stock rows are managed through their own resources).
_IGNORED = {"images", "combinations", "product_option_values", "stock_availables"}


def set_associations(shop: EmulatedShop, res: Resource, row: Row, assocs: etree._Element) -> None:
    """Apply every association block of a written record, then store the row again."""
    for block in assocs:
        if not isinstance(block.tag, str) or block.tag == "i18n":
            continue
        assoc = res.assoc(block.tag)
        if assoc is None:
            raise WsError((400, 86, f'The association "{block.tag}" does not exists'))
        items = [{f.name: _text(item, f.name) for f in assoc.fields} for item in block if isinstance(item.tag, str)]
        _apply(shop, res, row, block.tag, items)
    shop.store(res, row)


def _text(item: etree._Element, name: str) -> str:
    el = child(item, name)
    return "" if el is None else element_text(el)


def _apply(shop: EmulatedShop, res: Resource, row: Row, name: str, items: list[dict[str, str]]) -> None:
    ids = [php_int(i.get("id", "")) for i in items]
    if res.name == "combinations":
        key = {"product_option_values": "_values", "images": "_images"}.get(name)
        if key:
            row[key] = tuple(dict.fromkeys(ids))
        return
    if res.name != "products" or name in _IGNORED:
        return
    if name == "categories":
        set_categories(shop, row, tuple(dict.fromkeys(ids)))
    elif name == "product_features":
        pairs = [(php_int(i.get("id", "")), php_int(i.get("id_feature_value", ""))) for i in items]
        row["_features"] = tuple(dict(pairs).items())  # one value per feature, the last one wins
    elif name == "product_bundle":
        row["_product_bundle"] = tuple(items)
    else:
        row["_" + name] = tuple(ids)


def set_categories(shop: EmulatedShop, row: Row, categories: tuple[int, ...]) -> None:
    """Replace a product's categories; it goes last in its default category if newly there."""
    res_products = shop.tables["products"]
    shop.count_categories(row, -1)
    row["_categories"] = categories
    shop.count_categories(row, +1)
    default = php_int(str(shop.raw("products", row, "id_category_default") or "0"))
    if default in categories:
        row["_position"] = shop.category_size(default)
    else:
        row.pop("_position", None)
    res_products.rows[int(row["id"])] = row
