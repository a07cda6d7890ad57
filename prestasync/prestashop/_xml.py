"""Reading webservice answers and building write bodies, with one hardened lxml parser.

A shop's answer is untrusted input, so the parser never resolves entities, never loads a DTD or
touches the network, keeps libxml2's size limits (`huge_tree=False`), and any document carrying a
DOCTYPE is refused: the webservice never sends one. lxml serialises use of a shared parser with an
internal lock, so one module-level parser is safe across worker threads.

Both value styles PrestaShop has used are read the same: 8.x wraps every value in CDATA
(`<f><![CDATA[]]></f>`), 1.6-1.7.6 only non-empty ones (`<f></f>`, `<f/>`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import cast

from lxml import etree

from prestasync.prestashop.records import BadRecord, Language, ProductDraft, RemoteProduct, StockRow

XLINK = "http://www.w3.org/1999/xlink"

PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)

# XML 1.0 allows only these characters; anything else cannot be sent, not even inside CDATA.
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)

Record = tuple[dict[str, str], dict[str, dict[int, str]], dict[str, list[dict[str, str]]]]


class DocumentError(ValueError):
    """The body is not a usable webservice document (the client turns this into BadResponse)."""


def parse(body: bytes) -> etree._Element:
    """Parse a webservice answer and return its `<prestashop>` root."""
    if not body.strip():
        raise DocumentError("empty answer where an XML document was expected")
    try:
        root = etree.fromstring(body, PARSER)
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"answer is not well-formed XML ({_one_line(str(exc), 200)})") from None
    if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]  # missing from lxml-stubs
        raise DocumentError("answer carries a DOCTYPE, which the PrestaShop webservice never sends")
    if root.tag != "prestashop":
        raise DocumentError(f"expected a <prestashop> document, got <{_one_line(str(root.tag), 60)}>")
    return root


def elements(parent: etree._Element) -> list[etree._Element]:
    """The element children, skipping anything else (entity references and the like)."""
    return [child for child in parent if isinstance(child.tag, str)]


def text(element: etree._Element) -> str:
    """The raw value: CDATA and plain text read alike, nothing stripped (whitespace is data)."""
    return element.text or ""


def wrapper(root: etree._Element, name: str) -> etree._Element:
    """The `<name>` child of the root (`<products>`, `<api>`…), or DocumentError."""
    found = root.find(name)
    if found is None:
        raise DocumentError(f"expected <{name}> in the answer")
    return found


def list_items(body: bytes, plural: str) -> list[etree._Element]:
    """The record elements of a list answer; `[]` (the JSON empty list) also reads as empty."""
    if body.strip() == b"[]":
        return []
    return elements(wrapper(parse(body), plural))


def read_record(element: etree._Element) -> Record:
    """Split a record into scalar fields, multilanguage fields and associations, in document order."""
    fields: dict[str, str] = {}
    i18n: dict[str, dict[int, str]] = {}
    associations: dict[str, list[dict[str, str]]] = {}
    for child in elements(element):
        name = str(child.tag)
        kids = elements(child)
        if name == "associations":
            associations = _read_associations(child)
        elif kids and all(kid.tag == "language" for kid in kids):
            i18n[name] = {_language_id(kid, name): text(kid) for kid in kids}
        elif not kids:
            fields[name] = text(child)
        # Any other nested shape is not something a write could carry back; it is left out.
    return fields, i18n, associations


def _language_id(node: etree._Element, field: str) -> int:
    raw = (node.get("id") or "").strip()
    if not raw.isdigit():
        raise DocumentError(f"field {field!r} has a language node with id {raw[:20]!r}")
    return int(raw)


def _read_associations(node: etree._Element) -> dict[str, list[dict[str, str]]]:
    # Item tag names are not read: the server ignores them, and some releases used plural ones.
    return {
        str(assoc.tag): [{str(f.tag): text(f) for f in elements(item)} for item in elements(assoc)]
        for assoc in elements(node)
    }


def product(element: etree._Element) -> RemoteProduct | BadRecord:
    """Read one `<product>`; a record that cannot be read becomes a BadRecord."""
    try:
        fields, i18n, associations = read_record(element)
    except DocumentError as exc:
        raw_id, reference = element.findtext("id") or "", element.findtext("reference") or ""
        return BadRecord(_int_or_none(raw_id), reference, str(exc))
    raw_id = fields.get("id", "")
    product_id = _int_or_none(raw_id)
    if product_id is None or product_id <= 0:
        return BadRecord(None, fields.get("reference", ""), f"product id is not a positive integer: {raw_id[:30]!r}")
    return RemoteProduct(
        id=product_id,
        reference=fields.get("reference", ""),
        price=fields.get("price", ""),
        active=fields.get("active", ""),
        name=i18n.get("name", {}),
        description=i18n.get("description", {}),
        date_upd=fields.get("date_upd", ""),
        fields=fields,
        i18n=i18n,
        associations=associations,
    )


def language(element: etree._Element) -> Language:
    fields, i18n, _ = read_record(element)
    # `name` is a plain field on languages; read it from i18n too in case a version differs.
    name = fields.get("name") or next(iter(i18n.get("name", {}).values()), "")
    return Language(id=_required_int(fields, "id", "language"), iso_code=fields.get("iso_code", ""), name=name)


def stock_row(element: etree._Element) -> StockRow:
    fields, _, _ = read_record(element)
    return StockRow(
        id=_required_int(fields, "id", "stock_available"),
        id_product=_required_int(fields, "id_product", "stock_available"),
        id_product_attribute=_required_int(fields, "id_product_attribute", "stock_available"),
        quantity=_required_int(fields, "quantity", "stock_available"),
    )


def _int_or_none(raw: str) -> int | None:
    value = raw.strip()
    if value.startswith("-"):
        return -int(value[1:]) if value[1:].isdigit() else None
    return int(value) if value.isdigit() else None


def _required_int(fields: Mapping[str, str], name: str, what: str) -> int:
    value = _int_or_none(fields.get(name, ""))
    if value is None:
        raise DocumentError(f"{what} field {name!r} is not an integer: {fields.get(name, '')[:30]!r}")
    return value


def parse_errors(body: bytes) -> list[tuple[int | None, str]]:
    """Every `(code, message)` of an XML `<errors>` or JSON `{"errors": [...]}` body; never raises."""
    head = body.lstrip()[:1]
    if head == b"{":
        return _json_errors(body)
    if head != b"<":
        return []
    try:
        node = parse(body).find("errors")
    except DocumentError:
        return []
    if node is None:
        return []
    return [
        (_int_or_none(err.findtext("code") or ""), (err.findtext("message") or "").strip()) for err in elements(node)
    ]


def _json_errors(body: bytes) -> list[tuple[int | None, str]]:
    try:
        data = json.loads(body)
    except ValueError:
        return []
    items = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [
        (_int_or_none(str(item.get("code", ""))), str(item.get("message", "")).strip())
        for item in items
        if isinstance(item, dict)
    ]


def looks_like_html(body: bytes, content_type: str = "") -> bool:
    """True for hosting, WAF and proxy pages, which are never webservice answers."""
    start = body.lstrip()[:64].lower()
    if start.startswith((b"<?xml", b"<prestashop")):
        return False
    return "html" in content_type.lower() or start.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def html_title(body: bytes) -> str:
    found = _TITLE.search(body[:8192])
    if not found:
        return ""
    raw = re.sub(r"<[^>]*>", "", found.group(1).decode("utf-8", "replace"))
    return _one_line(raw, 100)


def quote(body: bytes, limit: int = 300) -> str:
    """A short one-line excerpt of a body for an error message."""
    return _one_line(body[: limit * 4].decode("utf-8", "replace"), limit)


def _one_line(value: str, limit: int) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def check_text(value: str, where: str) -> None:
    """Raise ValueError when a value holds a character XML 1.0 cannot carry."""
    bad = _NOT_XML_CHAR.search(value)
    if bad:
        raise ValueError(
            f"{where} contains U+{ord(bad.group()):04X} at position {bad.start()}, "
            "which XML 1.0 cannot carry; remove it before sending"
        )


def build_body(
    tag: str,
    fields: Mapping[str, str],
    i18n: Mapping[str, Mapping[int, str]] | None = None,
    associations: Mapping[str, Sequence[tuple[str, Mapping[str, str]]]] | None = None,
) -> bytes:
    """A write body: `<prestashop><tag>…</tag></prestashop>`, values in CDATA.

    Raises ValueError, before anything is sent, for field names that are not XML names and values
    holding characters XML 1.0 forbids. `associations` maps a name to `(item tag, item fields)`.
    """
    root = etree.Element("prestashop", nsmap={"xlink": XLINK})
    record = etree.SubElement(root, _name(tag))
    for name, value in fields.items():
        _set(etree.SubElement(record, _name(name)), value, name)
    for name, values in (i18n or {}).items():
        node = etree.SubElement(record, _name(name))
        for language_id, value in values.items():
            _set(etree.SubElement(node, "language", id=str(int(language_id))), value, f"{name}[{language_id}]")
    if associations:
        _add_associations(etree.SubElement(record, "associations"), associations)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _add_associations(
    node: etree._Element, associations: Mapping[str, Sequence[tuple[str, Mapping[str, str]]]]
) -> None:
    for name, items in associations.items():
        assoc = etree.SubElement(node, _name(name))
        for item_tag, item_fields in items:
            item = etree.SubElement(assoc, _name(item_tag))
            for field, value in item_fields.items():
                _set(etree.SubElement(item, _name(field)), value, f"{name}.{field}")


def _name(name: str) -> str:
    if not _FIELD_NAME.fullmatch(name):
        raise ValueError(f"{name[:40]!r} is not a valid field name")
    return name


def _set(node: etree._Element, value: str, where: str) -> None:
    check_text(value, where)
    # CDATA keeps `<`, `&` and markup readable on the wire. Two cases go as escaped text instead:
    # `]]>` would end the section, and a carriage return inside CDATA is turned into a newline by
    # every XML parser, while an escaped `&#13;` survives.
    if "]]>" in value or "\r" in value:
        node.text = value
    else:
        node.text = cast(str, _CDATA(value))


_CDATA = etree.CDATA


def ids(nodes: Sequence[etree._Element]) -> list[int]:
    """The `<id>` of each record of an id-only page; an unreadable one is a DocumentError."""
    found = [_int_or_none(node.findtext("id") or "") for node in nodes]
    if any(i is None for i in found):
        raise DocumentError("an id-only list has a record without a readable id")
    return [i for i in found if i is not None]


def highest_id(nodes: Sequence[etree._Element], above: int) -> int:
    """The largest readable `<id>` of a page: the keyset cursor for the next page."""
    ids = [_int_or_none(node.findtext("id") or "") for node in nodes]
    highest = max((i for i in ids if i is not None), default=None)
    if highest is None or highest <= above:
        raise DocumentError(f"a full page has no readable id above {above}; cannot page on")
    return highest


def draft_fields(draft: ProductDraft) -> dict[str, str]:
    """The scalar fields a draft writes, as wire strings."""
    price = draft.price
    if not isinstance(price, Decimal) or not price.is_finite():
        raise ValueError(f"price must be a finite Decimal, got {price!r}")
    return {"reference": draft.reference, "price": format(price, "f"), "active": "1" if draft.active else "0"}


def draft_i18n(draft: ProductDraft) -> dict[str, dict[int, str]]:
    """The multilanguage fields a draft writes; an empty dict writes nothing for that field."""
    languages = {"name": dict(draft.name), "description": dict(draft.description)}
    return {name: values for name, values in languages.items() if values}
