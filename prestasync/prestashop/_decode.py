"""Turning webservice answers into records: XML elements and JSON objects alike.

A record is first split into its raw parts (scalar fields, multilanguage fields, associations),
whatever format it came in, then checked once: its id must be a positive integer and every
association item id an unsigned one, because those go into later URLs. A record failing that check
becomes a `BadRecord`, so one broken record never hides the rest of a page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from lxml import etree

from prestasync.prestashop._xml import DocumentError, elements, int_or_none, list_items, only_child, parse, text
from prestasync.prestashop._xml import singular as singular_of
from prestasync.prestashop.records import (
    BadRecord,
    Category,
    Combination,
    Language,
    Record,
    RemoteProduct,
    Schema,
    StockRow,
)

Parts = tuple[dict[str, str], dict[str, dict[int, str]], dict[str, list[dict[str, str]]]]
Source = etree._Element | Mapping[str, Any]

_TYPED: dict[str, type[Record]] = {"combinations": Combination, "categories": Category}
T = TypeVar("T", bound=Record)


def read_parts(source: Source) -> Parts:
    """Split a record into scalar fields, multilanguage fields and associations, in document order."""
    if not isinstance(source, etree._Element):
        return _json_parts(source)
    fields: dict[str, str] = {}
    i18n: dict[str, dict[int, str]] = {}
    associations: dict[str, list[dict[str, str]]] = {}
    for child in elements(source):
        name = str(child.tag)
        kids = elements(child)
        if name == "associations":
            # Item tag names are not read: the shop ignores them, and some releases used plural ones.
            associations = {
                str(assoc.tag): [{str(f.tag): text(f) for f in elements(item)} for item in elements(assoc)]
                for assoc in elements(child)
            }
        elif kids and all(kid.tag == "language" for kid in kids):
            i18n[name] = {_language_id(kid.get("id") or "", name): text(kid) for kid in kids}
        elif not kids:
            fields[name] = text(child)
        # Any other nested shape is not something a write could carry back; it is left out.
    return fields, i18n, associations


def _json_parts(data: Mapping[str, Any]) -> Parts:
    """The same split for `output_format=JSON` (capture 09): languages are `[{"id", "value"}]`."""
    fields: dict[str, str] = {}
    i18n: dict[str, dict[int, str]] = {}
    associations: dict[str, list[dict[str, str]]] = {}
    for name, value in data.items():
        if name == "associations" and isinstance(value, Mapping):
            associations = {
                str(assoc): [{str(k): _scalar(v, f"{assoc}.{k}") for k, v in item.items()} for item in _items(items)]
                for assoc, items in value.items()
            }
        elif isinstance(value, list):
            i18n[name] = {
                _language_id(str(lang.get("id", "")), name): _scalar(lang.get("value"), name) for lang in _items(value)
            }
        else:
            fields[name] = _scalar(value, name)
    return fields, i18n, associations


def _items(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise DocumentError("a JSON list of records or languages holds something else")
    return value


def _scalar(value: Any, name: str) -> str:
    # JSON output types some values (`"id": 1`, `"new": null`); XML has them as text.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str | int | float):
        return str(value)
    raise DocumentError(f"field {name!r} has a JSON value that is not a scalar")


def _language_id(raw: str, field: str) -> int:
    if not raw.strip().isdigit():
        raise DocumentError(f"field {field!r} has a language node with id {raw[:20]!r}")
    return int(raw)


def record(source: Source, resource: str) -> Record | BadRecord:
    """Read one record of `resource`; a record that cannot be read becomes a BadRecord."""
    try:
        fields, i18n, associations = read_parts(source)
    except DocumentError as exc:
        return BadRecord(int_or_none(_raw(source, "id")), _raw(source, "reference"), str(exc), resource)
    problem = _problem(fields, associations, resource)
    if problem:
        return BadRecord(_positive_or_none(fields.get("id", "")), fields.get("reference", ""), problem, resource)
    return _TYPED.get(resource, Record)(resource, int(fields["id"]), fields, i18n, associations)


def typed(source: Source, resource: str, cls: type[T]) -> T | BadRecord:
    """`record()` for a resource read as a typed record class (`Combination`, `Category`)."""
    found = record(source, resource)
    if isinstance(found, BadRecord | cls):
        return found
    raise AssertionError(f"records of {resource} are read as {type(found).__name__}, not {cls.__name__}")


def product(source: Source) -> RemoteProduct | BadRecord:
    """Read one `<product>`; a record that cannot be read becomes a BadRecord."""
    found = record(source, "products")
    return found if isinstance(found, BadRecord) else as_product(found)


def as_product(found: Record) -> RemoteProduct:
    """A checked record of `products` with its common fields lifted out."""
    fields, i18n = found.fields, found.i18n
    return RemoteProduct(
        id=found.id,
        reference=fields.get("reference", ""),
        price=fields.get("price", ""),
        active=fields.get("active", ""),
        name=i18n.get("name", {}),
        description=i18n.get("description", {}),
        date_upd=fields.get("date_upd", ""),
        fields=fields,
        i18n=i18n,
        associations=found.associations,
    )


def _problem(fields: Mapping[str, str], associations: Mapping[str, list[dict[str, str]]], resource: str) -> str:
    raw_id = fields.get("id", "")
    if _positive_or_none(raw_id) is None:
        return f"{singular_of(resource)} id is not a positive integer: {raw_id[:30]!r}"
    for name, items in associations.items():
        for item in items:
            item_id = item.get("id", "")
            if item_id != "" and not item_id.isdigit():
                return f"association {name!r} has an item id that is not an unsigned integer: {item_id[:30]!r}"
    return ""


def _raw(source: Source, name: str) -> str:
    if isinstance(source, etree._Element):
        return source.findtext(name) or ""
    value = source.get(name)
    return str(value) if isinstance(value, str | int) else ""


def _positive_or_none(raw: str) -> int | None:
    value = int_or_none(raw)
    return value if value is not None and value > 0 else None


def sources(body: bytes, plural: str) -> list[Source]:
    """The records of a list answer, XML or JSON (the webservice answers `[]` for an empty JSON list)."""
    if body.lstrip()[:1] in (b"{", b"["):
        data = _json(body)
        if data == []:
            return []
        if not isinstance(data, Mapping) or plural not in data:
            raise DocumentError(f"expected a JSON object with {plural!r}")
        return list(_items(data[plural]))
    return list(list_items(body, plural))


def single_source(body: bytes, plural: str) -> Source:
    """The record of a single-record answer (`GET products/1`, a write's echo), XML or JSON."""
    tag = singular_of(plural)
    if body.lstrip()[:1] == b"{":
        data = _json(body)
        found = data.get(tag) if isinstance(data, Mapping) else None
        if not isinstance(found, Mapping):
            raise DocumentError(f"expected a JSON object with {tag!r}")
        return found
    return only_child(parse(body), tag)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise DocumentError(f"answer is not valid JSON ({str(exc)[:120]})") from None


def language(source: Source) -> Language:
    fields, i18n, _ = read_parts(source)
    # `name` is a plain field on languages; read it from i18n too in case a version differs.
    name = fields.get("name") or next(iter(i18n.get("name", {}).values()), "")
    return Language(id=_required_int(fields, "id", "language"), iso_code=fields.get("iso_code", ""), name=name)


def stock_row(source: Source) -> StockRow:
    fields, _, _ = read_parts(source)
    optional = {
        name: _required_int(fields, name, "stock_available") for name in ("id_shop", "id_shop_group") if name in fields
    }
    return StockRow(
        id=_required_int(fields, "id", "stock_available"),
        id_product=_required_int(fields, "id_product", "stock_available"),
        id_product_attribute=_required_int(fields, "id_product_attribute", "stock_available"),
        quantity=_required_int(fields, "quantity", "stock_available"),
        depends_on_stock=fields.get("depends_on_stock", ""),
        out_of_stock=fields.get("out_of_stock", ""),
        location=fields.get("location", ""),
        **optional,
    )


def _required_int(fields: Mapping[str, str], name: str, what: str) -> int:
    value = int_or_none(fields.get(name, ""))
    if value is None:
        raise DocumentError(f"{what} field {name!r} is not an integer: {fields.get(name, '')[:30]!r}")
    return value


def ids(nodes: Sequence[Source]) -> list[int]:
    """The id of each record of an id-only page; an unreadable one is a DocumentError."""
    found = [_positive_or_none(_raw(node, "id")) for node in nodes]
    if any(i is None for i in found):
        raise DocumentError("an id-only list has a record without a readable id")
    return [i for i in found if i is not None]


def highest_id(nodes: Sequence[Source], above: int) -> int:
    """The largest readable id of a page: the keyset cursor for the next page."""
    found = [_positive_or_none(_raw(node, "id")) for node in nodes]
    highest = max((i for i in found if i is not None), default=None)
    if highest is None or highest <= above:
        raise DocumentError(f"a full page has no readable id above {above}; cannot page on")
    return highest


def schema(body: bytes, resource: str, kind: str) -> Schema:
    """A `?schema=blank|synopsis` answer: every field with its attributes (04, 04b, 53b, 67b…)."""
    node = only_child(parse(body), singular_of(resource))
    fields: dict[str, dict[str, str]] = {}
    i18n: set[str] = set()
    associations: dict[str, dict[str, dict[str, str]]] = {}
    for child in elements(node):
        name = str(child.tag)
        if name == "associations":
            for assoc in elements(child):
                item = next(iter(elements(assoc)), None)
                associations[str(assoc.tag)] = (
                    {str(f.tag): _attributes(f) for f in elements(item)} if item is not None else {}
                )
            continue
        fields[name] = _attributes(child)
        if any(kid.tag == "language" for kid in elements(child)):
            i18n.add(name)
    return Schema(resource, kind, fields, frozenset(i18n), associations)


def _attributes(node: etree._Element) -> dict[str, str]:
    # Namespaced attributes (xlink:href) only point back at the shop; the rest describe the field.
    return {str(k): str(v) for k, v in node.attrib.items() if not str(k).startswith("{")}


def attribute_ids(nodes: Sequence[etree._Element], what: str) -> list[int]:
    """The `id` attributes of `<image id=…/>` or `<declination id=…/>` entries (captures 27, 27b)."""
    found = [_positive_or_none(node.get("id") or "") for node in nodes]
    if any(i is None for i in found):
        raise DocumentError(f"an {what} list has an entry without a readable id")
    return [i for i in found if i is not None]
