"""POST/PUT/PATCH of records, the way `WebserviceRequest` saves them.

Each child of the body root is one record, saved one after the other without a transaction: when
record 3 fails, records 1-2 stay written. POST and PUT build the object from what was sent only
(PUT is a full replacement, fields not sent are reset: `15_put_partial_response.http`); PATCH
starts from the stored record. A multilanguage field sent in some languages blanks its other
languages on products (fact 17, `16_patch_response.http`, `77_*.http`) but not on categories
(`68h_patch_category_name_en_only.http`). Validation errors (84, 85) leave nothing saved
(`32`-`40`). Resource-specific side effects are in `rules.py`, associations in `links.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lxml import etree

from prestasync.prestashop.emulator import links, rules
from prestasync.prestashop.emulator.parse import child, element_text
from prestasync.prestashop.emulator.query import php_int
from prestasync.prestashop.emulator.schema import Field, Resource, WsError, mysql_number
from prestasync.prestashop.emulator.validate import validation_error

if TYPE_CHECKING:
    from prestasync.prestashop.emulator.store import EmulatedShop, Row

Obj = dict[str, Any]  # the object being written: str / None values, i18n as dict or str
Errors = list[tuple[int, int, str]]


@dataclass
class Saved:
    """One saved record: the stored row and, for POST/PUT, the object as built (what is echoed)."""

    row: Row
    built: Obj | None


def save_entities(shop: EmulatedShop, res: Resource, method: str, entities: list[etree._Element]) -> list[Saved]:
    """Save every record of a write body, in body order."""
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


def _save_one(shop: EmulatedShop, res: Resource, method: str, entity: etree._Element, rid: int, now: str) -> Saved:
    table = shop.tables[res.name]
    old = None
    if method != "POST":
        old = table.rows.get(rid)
        if old is None:
            raise WsError((404, 92, "Invalid ID"))
    obj: Obj = materialize(shop, res, old) if old is not None else {}
    if method == "PUT":
        obj = {k: v for k, v in obj.items() if k.startswith("_")} | {"id": obj["id"]}
    errors: Errors = []
    for f in res.fields:
        if f.kind != "id":
            _assign(shop, res, method, obj, f, child(entity, f.name), errors)
    if errors:
        raise WsError(*errors)
    rules.before_validation(shop, res, method, obj, entity)
    _validate(shop, res, obj)
    rules.refuse(shop, res, obj, entity)
    row = _normalize(shop, res, obj)
    _stamp_dates(method, obj, row, now)
    row["id"] = str(table.take_id()) if method == "POST" else str(rid)
    obj["id"] = row["id"]
    rules.before_save(shop, res, method, row, old)
    shop.store(res, row)
    rules.after_save(shop, res, method, row, old)
    assocs = child(entity, "associations")
    if assocs is not None:
        links.set_associations(shop, res, row, assocs)
    return Saved(row, None if method == "PATCH" else obj)


def materialize(shop: EmulatedShop, res: Resource, row: Row) -> Obj:
    """A complete, independent copy of a stored row (what a PATCH starts from)."""
    full: Obj = {"id": row["id"]}
    for f in res.fields:
        if f.i18n:
            full[f.name] = shop.i18n(res, row, f)
        elif f.kind not in ("id", "getter", "virtual"):
            full[f.name] = shop.value(res, row, f)
    for key in links.PRIVATE_KEYS:
        value = shop.raw(res.name, row, key)
        if value is not None:
            full[key] = value
    return full


def _assign(
    shop: EmulatedShop, res: Resource, method: str, obj: Obj, f: Field, el: etree._Element | None, errors: Errors
) -> None:
    """One iteration of the webservice's field loop over the definition."""
    if el is None and method == "PATCH":
        return
    if f.i18n:
        _assign_i18n(res, obj, f, el)
    elif el is not None:
        if not f.writable:
            msg = f'parameter "{f.name}" not writable. Please remove this attribute of this XML'
            raise WsError(*errors, (400, 93, msg))
        if f.getter:
            rules.call_setter(shop, obj, f.name, element_text(el), errors)
        elif f.kind != "virtual":
            obj[f.name] = element_text(el)
    elif f.required and f.name not in rules.LENIENT_REQUIRED.get(res.name, ()):
        raise WsError(*errors, (400, 41, f'parameter "{f.name}" required'))
    elif not f.getter and f.kind != "virtual":
        obj[f.name] = None


def _assign_i18n(res: Resource, obj: Obj, f: Field, el: etree._Element | None) -> None:
    if el is None:
        obj[f.name] = None  # unset: rendered '' without language links, stored ''
        return
    langs = [c for c in el if c.tag == "language"]
    if not langs:
        obj[f.name] = element_text(el)
        return
    kept = obj.get(f.name) if res.patch_keeps_languages else None
    values = dict(kept) if isinstance(kept, dict) else {}
    for lang in langs:
        values[php_int(str(lang.get("id", "")))] = element_text(lang)
    obj[f.name] = values


def _validate(shop: EmulatedShop, res: Resource, obj: Obj) -> None:
    """Multilanguage fields first (84), then the others (85); only the first failure is reported."""
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
        if raw is not None or value is not None:
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
        elif raw is None or (raw == "" and f.nullable):
            row[f.name] = f.zero
        else:
            fmt = _FORMATS.get(f.kind)
            row[f.name] = fmt(str(raw)) if fmt else str(raw) or f.zero
    row |= {k: v for k, v in obj.items() if k in links.PRIVATE_KEYS}
    return row


def _lang_values(raw: object, lang_ids: list[int]) -> dict[int, str]:
    """Per language: a plain string goes to every language; a missing or PHP-empty entry is ''."""
    if not isinstance(raw, dict):
        return dict.fromkeys(lang_ids, str(raw or ""))
    return {lang: "" if raw.get(lang) in (None, "", "0") else str(raw[lang]) for lang in lang_ids}


def _stamp_dates(method: str, obj: Obj, row: Row, now: str) -> None:
    """ObjectModel autodate: `date_upd` always, `date_add` on add or when it was left null."""
    if "date_upd" not in row:
        return
    row["date_upd"] = now
    obj["date_upd"] = now
    if method == "POST" or obj.get("date_add") is None:
        row["date_add"] = now
        obj["date_add"] = now
