"""Reading write bodies: the records of an XML body, an element's own text, a named child.

Malformed XML answers what PHP's SimpleXML does: the parser's warnings as code 3 errors, then
code 127 with the original XML, status 500 (`38_post_product_malformed_xml.http`).
"""

from __future__ import annotations

import re

from lxml import etree

from prestasync.prestashop.emulator.schema import WsError

_WARNING = (
    "[PHP Warning #2] SimpleXMLElement::__construct(): {} ({}/classes/webservice/WebserviceRequest.php, line 1544)"
)
PHP_ROOT = "/var/www/prestashop"


def _parser() -> etree.XMLParser:
    """Hardened: no entities, no DTD, no network, libxml2 size limits kept (DOCTYPEs refused earlier)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_entities(body: bytes) -> list[etree._Element]:
    """The records of a write body: every element child of the root; 500 codes 3 + 127 if bad."""
    if body.startswith(b"xml="):
        body = body[4:]  # legacy form posting; the rest is not URL-decoded
    text = body.decode("utf-8", "replace")
    final = (
        500,
        127,
        f"XML error : String could not be parsed as XML\nXML length : {len(body)}\nOriginal XML : {text}",
    )
    if b"<!DOCTYPE" in body.upper():
        raise WsError(final)
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        message = re.sub(r", line \d+, column \d+$", "", str(exc.msg))
        column = max(int(exc.position[1]) - 1, 0) if exc.position else 0
        # libxml prints the message, the offending line, then a caret under the column.
        lines = [f"Entity: line 1: parser error : {message}", text.splitlines()[0] if text else "", " " * column + "^"]
        warnings = [(500, 3, _WARNING.format(line, PHP_ROOT)) for line in lines]
        raise WsError(*warnings, final) from None
    return [child for child in root if isinstance(child.tag, str)]


def element_text(el: etree._Element) -> str:
    """SimpleXML `(string)$el`: the element's own text nodes joined (children's text excluded)."""
    parts = el.xpath("text()")
    return "".join(str(p) for p in parts) if isinstance(parts, list) else ""


def child(el: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in el if c.tag == name), None)
