"""Reading and writing webservice XML with one hardened lxml parser.

A shop's answer is untrusted input, so the parser never resolves entities, never loads a DTD or
touches the network, keeps libxml2's size limits (`huge_tree=False`), and any document carrying a
DOCTYPE is refused: the webservice never sends one. lxml serialises use of a shared parser with an
internal lock, so one module-level parser is safe across worker threads.

Both value styles PrestaShop has used are read the same: 8.x wraps every value in CDATA
(`<f><![CDATA[]]></f>`), 1.6-1.7.6 only non-empty ones (`<f></f>`, `<f/>`).

Text comes back byte for byte. An XML parser turns every `\\r\\n` into `\\n`, also inside CDATA,
and descriptions do hold raw `\\r\\n` (capture 03, README fact 13): written back, the normalised
text would rewrite the shop's. So before parsing, each carriage return in text is turned into the
character reference `&#13;` (inside CDATA: the section is closed around it), which parsers keep.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import cast

from lxml import etree

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
# CDATA sections first, then markup, then text: the three places a carriage return can be.

AssociationItems = Sequence[Mapping[str, str] | int]


class DocumentError(ValueError):
    """The body is not a usable webservice document (the client turns this into BadResponse)."""


def parse(body: bytes) -> etree._Element:
    """Parse a webservice answer and return its `<prestashop>` root."""
    if not body.strip():
        raise DocumentError("empty answer where an XML document was expected")
    try:
        root = etree.fromstring(keep_carriage_returns(body), PARSER)
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"answer is not well-formed XML ({_one_line(str(exc), 200)})") from None
    if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]  # missing from lxml-stubs
        raise DocumentError("answer carries a DOCTYPE, which the PrestaShop webservice never sends")
    if root.tag != "prestashop":
        raise DocumentError(f"expected a <prestashop> document, got <{_one_line(str(root.tag), 60)}>")
    return root


def keep_carriage_returns(body: bytes) -> bytes:
    """The same document with every carriage return in text written as `&#13;` (see the module notes).

    Only for ASCII-compatible encodings (the webservice always sends UTF-8); markup is left alone,
    where a carriage return is only whitespace. Each carriage return is placed by looking back
    from it (inside a CDATA section, inside a tag, or in text), so a page of products costs a few
    lookups per line break rather than a pass over every token (profiled: 2 s of a 12 s export).
    """
    if b"\r" not in body or body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body
    has_cdata = b"<![CDATA[" in body
    out: list[bytes] = []
    done = 0
    at = body.find(b"\r")
    while at != -1:
        replacement = _carriage_return_in(body, at, has_cdata)
        if replacement is not None:
            out += (body[done:at], replacement)
            done = at + 1
        at = body.find(b"\r", at + 1)
    out.append(body[done:])
    return b"".join(out)


def _carriage_return_in(body: bytes, at: int, has_cdata: bool) -> bytes | None:
    """What the carriage return at `at` becomes: None (markup, left alone) or its escaped form."""
    if has_cdata:
        closed = body.rfind(b"]]>", 0, at)
        if body.rfind(b"<![CDATA[", max(closed, 0), at) != -1:
            return b"]]>&#13;<![CDATA["  # close the section, the character, reopen it
    if body.rfind(b"<", 0, at) > body.rfind(b">", 0, at):
        return None  # inside a tag (or a comment): whitespace
    return b"&#13;"


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


def only_child(root: etree._Element, what: str) -> etree._Element:
    """The one record element under the root of a single-record answer."""
    children = elements(root)
    if len(children) != 1:
        names = ", ".join(f"<{c.tag}>" for c in children[:3]) or "nothing"
        raise DocumentError(f"expected one <{what}> in the answer, got {names}")
    if children[0].tag != what:
        raise DocumentError(f"expected <{what}> in the answer, got <{children[0].tag}>")
    return children[0]


def list_items(body: bytes, plural: str) -> list[etree._Element]:
    """The record elements of a list answer; `[]` (the JSON empty list) also reads as empty."""
    if body.strip() == b"[]":
        return []
    return elements(wrapper(parse(body), plural))


def parse_errors(body: bytes) -> list[tuple[int | None, str]]:
    """Every `(code, message)` of an XML `<errors>` or JSON `{"errors": [...]}` body; never raises.

    The shop HTML-escapes its messages even inside CDATA (`Product-&gt;name`, captures 32-40), so
    they are unescaped here to read as the shop meant them.
    """
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
        (int_or_none(err.findtext("code") or ""), _message(err.findtext("message") or "")) for err in elements(node)
    ]


def _message(raw: str) -> str:
    return html.unescape(raw).strip()


def _json_errors(body: bytes) -> list[tuple[int | None, str]]:
    try:
        data = json.loads(body)
    except ValueError:
        return []
    items = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [
        (int_or_none(str(item.get("code", ""))), _message(str(item.get("message", ""))))
        for item in items
        if isinstance(item, dict)
    ]


def int_or_none(raw: str) -> int | None:
    """An integer written in decimal (optionally negative), or None."""
    value = raw.strip()
    if value.startswith("-"):
        return -int(value[1:]) if value[1:].isdigit() else None
    return int(value) if value.isdigit() else None


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
    associations: Mapping[str, AssociationItems] | None = None,
) -> bytes:
    """A write body: `<prestashop><tag>…</tag></prestashop>`, values in CDATA.

    Raises ValueError, before anything is sent, for field names that are not XML names and values
    holding characters XML 1.0 forbids. `associations` maps a name to its items, each a dict of
    item fields or a bare id; an empty list writes `<name/>`, which clears that association
    (capture 66g). Item tags are the association's singular: the shop ignores them.
    """
    root = etree.Element("prestashop", nsmap={"xlink": XLINK})
    record = etree.SubElement(root, _name(tag))
    for name, value in fields.items():
        _set(etree.SubElement(record, _name(name)), value, name)
    for name, values in (i18n or {}).items():
        node = etree.SubElement(record, _name(name))
        for language_id, value in values.items():
            _set(etree.SubElement(node, "language", id=str(int(language_id))), value, f"{name}[{language_id}]")
    if associations is not None:
        _add_associations(etree.SubElement(record, "associations"), associations)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _add_associations(node: etree._Element, associations: Mapping[str, AssociationItems]) -> None:
    for name, items in associations.items():
        assoc = etree.SubElement(node, _name(name))
        for item in items:
            fields = {"id": str(_item_id(item, name))} if isinstance(item, int) else item
            entry = etree.SubElement(assoc, singular(name))
            for field, value in fields.items():
                _set(etree.SubElement(entry, _name(field)), value, f"{name}.{field}")


def _item_id(item: int, association: str) -> int:
    if isinstance(item, bool) or item < 0:
        raise ValueError(f"association {association!r} has an item id that is not an unsigned integer: {item!r}")
    return item


def singular(plural: str) -> str:
    """A resource's record tag: `categories` → `category`, `stock_availables` → `stock_available`."""
    if plural.endswith("ies"):
        return plural[:-3] + "y"
    if plural.endswith(("sses", "xes")):
        return plural[:-2]  # addresses → address, taxes → tax
    return plural[:-1] if plural.endswith("s") else plural


def _name(name: str) -> str:
    if not _FIELD_NAME.fullmatch(name):
        raise ValueError(f"{name[:40]!r} is not a valid field name")
    return name


def _set(node: etree._Element, value: str, where: str) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a string (values are sent raw), got {type(value).__name__}")
    check_text(value, where)
    # CDATA keeps `<`, `&` and markup readable on the wire. Two cases go as escaped text instead:
    # `]]>` would end the section, and a carriage return inside CDATA is turned into a newline by
    # every XML parser, while an escaped `&#13;` survives.
    if "]]>" in value or "\r" in value:
        node.text = value
    else:
        node.text = cast(str, etree.CDATA(value))
