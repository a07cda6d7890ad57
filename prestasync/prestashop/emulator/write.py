"""POST/PUT/PATCH/DELETE of products and stock rows, the way `WebserviceRequest` saves (spec §5).

Each child of the body root is one record and records are saved one after the other without a
transaction: when record 3 fails, records 1-2 stay written. PUT and POST reset every absent
non-required field (that is how a partial PUT deactivates a product); PATCH touches only what is sent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime

from lxml import etree

from prestasync.prestashop.emulator.query import php_int
from prestasync.prestashop.emulator.schema import (
    RESOURCES,
    VALIDATORS,
    Field,
    Resource,
    WsError,
    mysql_number,
    validation_error,
)
from prestasync.prestashop.emulator.store import EmulatedShop, Row
from prestasync.prestashop.emulator.xml import child, element_text

Obj = dict[str, object]  # the object being written: str / None values, i18n as dict or str


def save_entities(shop: EmulatedShop, res: Resource, method: str, entities: list[etree._Element]) -> list[Row]:
    """Save every record of a write body; returns the stored rows (to render) in body order."""
    ids = [element_text(e_id) if (e_id := child(e, "id")) is not None else "" for e in entities]
    if method == "POST" and any(ids):
        raise WsError((400, 91, "id is forbidden when adding a new resource"))
    if method != "POST":
        given = [php_int(i) for i in ids if i]
        if len(set(given)) != len(given):
            raise WsError((400, 89, "id is duplicate in request"))
        if len(given) != len(ids):
            raise WsError((400, 90, "id is required when modifying a resource"))
    now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    return [_save_one(shop, res, method, entity, php_int(i), now) for entity, i in zip(entities, ids, strict=True)]


def _save_one(shop: EmulatedShop, res: Resource, method: str, entity: etree._Element, rid: int, now: str) -> Row:
    table = shop.tables[res.name]
    if method == "POST":
        obj: Obj = {}
    else:
        if rid not in table.rows:
            raise WsError((404, 92, "Invalid ID"))
        obj = dict(shop.materialize(res, table.rows[rid]))
    errors: list[tuple[int, int, str]] = []
    for f in res.fields:
        if f.kind != "id":
            _assign(shop, res, method, obj, f, child(entity, f.name), errors)
    if errors:
        raise WsError(*errors)
    if method == "POST" and res.name == "products":
        _link_rewrite_modifier(obj)
    _validate(shop, res, obj)
    if res.name == "products" and obj.get("reference") in shop.config.fail_skus:
        raise WsError((400, 85, 'Validation error: "Property Product->price is not valid"'))
    row = _normalize(shop, res, obj)
    _stamp_dates(method, obj, row, now)
    if res.name == "stock_availables" and row["depends_on_stock"] == "1":
        msg = "You cannot update the available stock when it depends on stock."
        raise WsError((500, 133, msg), (500, 46, "Unable to save resource"))
    adding_product = method == "POST" and res.name == "products"
    if method == "POST":
        row["id"] = str(table.next_id)
    if adding_product and row["is_virtual"] == "1":
        row["product_type"] = "virtual"  # Product::add
    row_id = shop.store(res, row)
    if adding_product:
        _create_stock_row(shop, row_id, virtual=row["is_virtual"] == "1")
    # Associations are set after the record is saved, so a bad one leaves the record written.
    assocs = child(entity, "associations")
    return row if assocs is None else _set_associations(shop, res, row, assocs)


def _assign(
    shop: EmulatedShop,
    res: Resource,
    method: str,
    obj: Obj,
    f: Field,
    el: etree._Element | None,
    errors: list[tuple[int, int, str]],
) -> None:
    """One iteration of WR `saveEntityFromXml`'s field loop (spec §5.2 steps 1-4)."""
    if el is None and method == "PATCH":
        return
    if f.i18n:
        if el is None:
            obj[f.name] = ""
            return
        langs = [c for c in el if c.tag == "language"]
        if not langs:
            obj[f.name] = element_text(el)
            return
        # A non-required i18n field is first set to null, so languages not sent end up empty.
        kept = obj.get(f.name) if f.required else None
        values = dict(kept) if isinstance(kept, dict) else {}
        for lang in langs:
            values[php_int(str(lang.get("id", "")))] = element_text(lang)
        obj[f.name] = values
    elif el is not None:
        if not f.writable:
            msg = f'parameter "{f.name}" not writable. Please remove this attribute of this XML'
            raise WsError(*errors, (400, 93, msg))
        if f.getter:
            _call_setter(shop, obj, f.name, element_text(el), errors)
        elif f.kind != "virtual":
            obj[f.name] = element_text(el)
    elif f.required:
        raise WsError(*errors, (400, 41, f'parameter "{f.name}" required'))
    elif not f.getter and f.kind != "virtual":
        obj[f.name] = None


def _call_setter(shop: EmulatedShop, obj: Obj, name: str, value: str, errors: list[tuple[int, int, str]]) -> None:
    if name == "type" and value in ("simple", "pack", "virtual"):
        obj["cache_is_pack"] = "1" if value == "pack" else "0"
        obj["is_virtual"] = "1" if value == "virtual" else "0"
    elif name == "position_in_category":
        size = shop.category_size(php_int(str(obj.get("id_category_default") or "0")))
        if _php_le(value, 0):
            errors.append((500, 134, "You cannot set 0 or a negative position, the minimum is 1."))
        elif not _php_le(value, size):
            msg = "You cannot set a position greater than the total number of products in the category, starting at 1."
            errors.append((500, 135, msg))
        else:
            obj["_position"] = php_int(value)
    # id_default_image / id_default_combination: images and combinations are not modelled.


def _php_le(value: str, number: int) -> bool:
    """PHP 8 `$value <= $number`: numeric when the string is numeric, else a string comparison."""
    if re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", value):
        return float(value) <= number
    return value <= str(number)


def _link_rewrite_modifier(obj: Obj) -> None:
    """Product `modifierWsLinkRewrite` (POST only): empty slug from the name, bad slug sanitised."""
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


def link_rewrite(text: str) -> str:
    """`Tools::link_rewrite`: ASCII, lower case, runs of separators turned into one dash."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    ascii_text = re.sub(r"[^a-z0-9\s'\:/\[\]\-]", "", ascii_text)
    return re.sub(r"[\s'\:/\[\]\-]+", "-", ascii_text.strip()).strip("-")


def _validate(shop: EmulatedShop, res: Resource, obj: Obj) -> None:
    """`validateFieldsLang` (84) then `validateFields` (85); only the first failure is reported."""
    for f in res.validation_fields():
        raw = obj.get(f.name)
        if f.i18n:
            values = raw if isinstance(raw, dict) else dict.fromkeys(shop.lang_ids, raw)
            for lang_value in values.values():
                error, _ = validation_error(res.cls, f, None if lang_value is None else str(lang_value))
                if error:
                    raise WsError((400, 84, f'Validation error: "{error}"'))
            continue
        error, value = validation_error(res.cls, f, None if raw is None else str(raw))
        if error:
            raise WsError((400, 85, f'Validation error: "{error}"'))
        obj[f.name] = value


_FORMATS: dict[str, Callable[[str], str]] = {
    "int": lambda v: str(php_int(v)),
    "bool": lambda v: "0" if v in ("", "0") else "1",
    "dec6": lambda v: f"{mysql_number(v.replace(',', '.')):.6f}",
    "dec2": lambda v: f"{mysql_number(v.replace(',', '.')):.2f}",
}


def _normalize(shop: EmulatedShop, res: Resource, obj: Obj) -> Row:
    """What MySQL stores for the object (`ObjectModel::formatValue` + column types)."""
    row: Row = {"id": obj.get("id", "0")}
    for f in res.fields:
        if f.kind in ("id", "getter", "virtual"):
            continue
        raw = obj.get(f.name)
        if f.i18n:
            row[f.name] = _lang_values(raw, shop.lang_ids)
        elif raw is None:
            row[f.name] = f.zero
        else:
            fmt = _FORMATS.get(f.kind)
            row[f.name] = fmt(str(raw)) if fmt else str(raw) or f.zero
    for key in ("_categories", "_position"):
        if key in obj:
            row[key] = obj[key]
    if res.name == "products" and row["id_shop_default"] == "0":
        row["id_shop_default"] = "1"  # the context shop
    return row


def _lang_values(raw: object, lang_ids: list[int]) -> dict[int, str]:
    """`formatFields` per language: a plain string goes to every language; from an array, a
    missing or PHP-empty entry (`''`, `'0'`) is saved as ''."""
    if not isinstance(raw, dict):
        return dict.fromkeys(lang_ids, str(raw or ""))
    return {lang: "" if raw.get(lang) in (None, "", "0") else str(raw[lang]) for lang in lang_ids}


def _stamp_dates(method: str, obj: Obj, row: Row, now: str) -> None:
    """ObjectModel autodate: `date_upd` always, `date_add` on add or when it was left null."""
    if "date_upd" not in row:
        return
    row["date_upd"] = now
    if method == "POST" or obj.get("date_add") is None:
        row["date_add"] = now


def _create_stock_row(shop: EmulatedShop, product_id: int, virtual: bool) -> None:
    """Product::add creates the stock row: quantity 0, out_of_stock 2 (shop default; 1 if virtual)."""
    stock_id = shop.tables["stock_availables"].next_id
    row = {"id": str(stock_id), "id_product": str(product_id), "id_product_attribute": "0", "id_shop": "1"}
    row |= {"id_shop_group": "0", "quantity": "0", "depends_on_stock": "0", "location": ""}
    row["out_of_stock"] = "1" if virtual else "2"
    shop.store(RESOURCES["stock_availables"], row)
    shop.stock_of[product_id] = stock_id


def _set_associations(shop: EmulatedShop, res: Resource, row: Row, assocs: etree._Element) -> Row:
    """Association setters, replace semantics (`setWsCategories`); returns the row as stored."""
    for block in assocs:
        if not isinstance(block.tag, str) or block.tag == "i18n":
            continue
        if res.assoc(block.tag) is None:
            raise WsError((400, 86, f'The association "{block.tag}" does not exists'))
        if block.tag == "categories":
            ids = [php_int(element_text(e)) for item in block if (e := child(item, "id")) is not None]
            row = row | {"_categories": tuple(dict.fromkeys(ids))}
            row.pop("_position", None)  # re-placed at the end of its default category if still in it
            shop.store(res, row)
        # Other associations (images, combinations, tags…) are not modelled and are ignored;
        # `stock_availables` has no setter in PrestaShop either.
    return row


def requested_ids(url_id: str | None, param: object) -> list[str]:
    """The ids a DELETE names: `?id=[1,2]` when given (it wins), else the URL id cast to int."""
    if param is not None:
        m = re.match(r"^\[(.*)\]$", str(param))
        return m.group(1).split(",") if m else []
    return [str(php_int(url_id or ""))]


def delete_ids(shop: EmulatedShop, res: Resource, raw: list[str]) -> None:
    """Delete the ids, all checked first (87: nothing deleted), like `executeEntityDelete` (§5.6)."""
    table = shop.tables[res.name]
    missing = [r for r in raw if php_int(r) not in table.rows]
    if missing or not raw:
        raise WsError((404, 87, "Id(s) not exists: " + ", ".join(missing)))
    for row_id in dict.fromkeys(php_int(r) for r in raw):
        shop.delete(res, row_id)
