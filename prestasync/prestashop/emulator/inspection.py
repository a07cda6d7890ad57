"""What tests read of a shop's state, as plain Python values (no HTTP involved).

`quantity` here is the true stock (the product's own stock row), NOT what the webservice renders in
a product record (always `0`, fact 1): tests compare it with what a client learnt from
`stock_availables`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from prestasync.prestashop.emulator.resources import RESOURCES
from prestasync.prestashop.emulator.schema import Field

if TYPE_CHECKING:
    from prestasync.prestashop.emulator.state import ShopState
    from prestasync.prestashop.emulator.table import Row

_SEED_VARYING = ("id", "reference", "date_add", "date_upd", "name", "link_rewrite")


def products(shop: ShopState, fields: Iterable[str] | None) -> list[dict[str, Any]]:
    """Product records in id order: ints for ids, integers and booleans (a broken value that is not
    a number stays a string), stored strings for decimals and dates (`price` `"16.510000"`),
    `{lang_id: str}` for i18n fields, plus `quantity` (int, true stock) and `categories` (ids).

    Every field is included unless `fields` names the wanted ones: a full copy of a
    100,000-product shop takes seconds and hundreds of MB, `fields=("id", "price")` does not.
    """
    table = shop.tables["products"]
    if fields is None:
        return [_plain(shop, table.rows[pid]) for pid in table.ids]
    wanted = set(fields)
    res = RESOURCES["products"]
    chosen = [f for f in res.fields if f.name in wanted and f.name != "quantity"]
    out = [_plain_fields(shop, table.rows[pid], chosen) for pid in table.ids]
    for pid, item in zip(table.ids, out, strict=True):
        if "categories" in wanted:
            item["categories"] = list(shop.raw("products", table.rows[pid], "_categories") or ())
        if "quantity" in wanted:
            item["quantity"] = stock_of(shop, pid)
    return out


def product_by_reference(shop: ShopState, ref: str) -> list[dict[str, Any]]:
    table = shop.tables["products"]
    rows = (table.rows[pid] for pid in table.ids)
    return [_plain(shop, r) for r in rows if shop.raw("products", r, "reference") == ref]


def records(shop: ShopState, resource: str) -> list[dict[str, Any]]:
    res = RESOURCES[resource]
    table = shop.tables[resource]
    out = []
    for row_id in table.ids:
        row = table.rows[row_id]
        item: dict[str, Any] = {}
        for f in res.fields:
            item[f.name] = shop.i18n(res, row, f) if f.i18n else shop.value(res, row, f)
        out.append(item)
    return out


def stock_of(shop: ShopState, product_id: int) -> int:
    row = shop.stock_row(product_id)
    text = "0" if row is None else str(shop.raw("stock_availables", row, "quantity") or "0")
    return int(text) if text.lstrip("-").isdigit() else 0


def _plain(shop: ShopState, row: Row) -> dict[str, Any]:
    res = RESOURCES["products"]
    fields = [f for f in res.fields if f.name != "quantity"]
    if "_seed" in row:
        # Seeded rows differ only in a few fields: copy a template, then fill those in.
        if shop.plain_template is None:
            shop.plain_template = _plain_fields(shop, {"id": "0", "_seed": True}, fields)
        out = {k: dict(v) if isinstance(v, dict) else v for k, v in shop.plain_template.items()}
        varying = [res.by_name[n] for n in _SEED_VARYING] + [res.by_name[k] for k in row if k in res.by_name]
        varying += [res.by_name[n] for n in ("id_category_default", "id_manufacturer", "cache_default_attribute")]
        out |= _plain_fields(shop, row, varying)
    else:
        out = _plain_fields(shop, row, fields)
    out["quantity"] = stock_of(shop, int(row["id"]))
    out["categories"] = list(shop.raw("products", row, "_categories") or ())
    return out


def _plain_fields(shop: ShopState, row: Row, fields: Iterable[Field]) -> dict[str, Any]:
    res = RESOURCES["products"]
    out: dict[str, Any] = {}
    for f in fields:
        if f.i18n:
            out[f.name] = shop.i18n(res, row, f)
        elif f.kind in ("id", "int", "bool"):
            text = shop.value(res, row, f)
            out[f.name] = int(text) if text.lstrip("-").isdigit() else text
        elif not f.getter and f.kind != "virtual":
            out[f.name] = shop.value(res, row, f)
    return out
