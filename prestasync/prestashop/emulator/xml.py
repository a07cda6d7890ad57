"""Rendering webservice bodies (8.x XML and JSON, spec §0.7, §2-§4, §6) and parsing request XML.

The XML is written by hand, byte for byte like PrestaShop's `WebserviceOutputXML`: every value in
CDATA (empty ones too), one TAB before each field, `\\n` after every tag, values never escaped.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from prestasync.prestashop.emulator.query import Display
from prestasync.prestashop.emulator.schema import PS_RESOURCE_NAMES, Assoc, Field, Resource, WsError
from prestasync.prestashop.emulator.store import EmulatedShop, Row

HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
FOOTER = "</prestashop>\n"
_METHODS = ("get", "put", "post", "patch", "delete", "head")


def _parser() -> etree.XMLParser:
    """Hardened: no entities, no DTD, no network, libxml2 size limits kept (DOCTYPEs refused earlier)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def xml_document(content: str) -> str:
    return HEADER + content + FOOTER


def php_json(data: Any) -> str:
    """`json_encode(…, JSON_UNESCAPED_UNICODE)`: empty arrays as `[]`, `/` escaped as `\\/`."""

    def conv(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: conv(v) for k, v in value.items()} if value else []
        if isinstance(value, list):
            return [conv(v) for v in value]
        return value

    return json.dumps(conv(data), ensure_ascii=False, separators=(",", ":")).replace("/", "\\/")


def render_errors(errors: list[tuple[int, int, str]], as_json: bool) -> str:
    if as_json:
        return php_json({"errors": [{"code": code, "message": msg} for _, code, msg in errors]})
    items = "".join(
        f"<error>\n<code><![CDATA[{code}]]></code>\n<message><![CDATA[{msg}]]></message>\n</error>\n"
        for _, code, msg in errors
    )
    return xml_document(f"<errors>\n{items}</errors>\n")


def _cdata(value: str) -> str:
    return f"<![CDATA[{value}]]>"


@dataclass
class Renderer:
    """Renders one shop's records for one request: absolute hrefs, chosen languages, XML or JSON."""

    shop: EmulatedShop
    base: str  # absolute ".../api/"
    languages: list[int]
    as_json: bool

    # --- whole bodies ---------------------------------------------------------------------------

    def minimum_list(self, res: Resource, rows: list[Row]) -> str:
        if self.as_json:
            return php_json({res.name: [{"id": int(r["id"])} for r in rows]} if rows else [])
        items = "".join(f'<{res.node} id="{r["id"]}" xlink:href="{self.base}{res.name}/{r["id"]}"/>\n' for r in rows)
        return xml_document(f"<{res.name}>\n{items}</{res.name}>\n")

    def records(self, res: Resource, rows: list[Row], display: Display, wrapped: bool, json_plural: bool) -> str:
        """Records with fields: a listing (`wrapped`, plural node) or single/written records.

        JSON keys a single record by the plural name when `display` is in the query string
        (`json_plural`, spec §3.7 quirk 3).
        """
        if self.as_json:
            return self._json_records(res, rows, display, wrapped or json_plural)
        body = "".join(self._xml_record(res, row, display) for row in rows)
        return xml_document(f"<{res.name}>\n{body}</{res.name}>\n" if wrapped else body)

    def _json_records(self, res: Resource, rows: list[Row], display: Display, plural: bool) -> str:
        records = [self._json_record(res, row, display) for row in rows]
        if plural or len(records) != 1:
            return php_json({res.name: records} if records else [])
        # 8.0 `array_filter` on a single record drops every falsy top-level value (spec §3.7 #4).
        return php_json({res.node: {k: v for k, v in records[0].items() if v not in ("0", "", None, [], {})}})

    def api_root(self, shop_name: str, resources: list[Resource]) -> str:
        if self.as_json:
            return php_json([r.name for r in resources])
        out = f'<api shopName="{html.escape(shop_name)}">\n'
        for r in resources:
            href = f"{self.base}{r.name}"
            perms = " ".join(f'{m}="{str(m.upper() in r.key_methods).lower()}"' for m in _METHODS)
            out += f'<{r.name} xlink:href="{href}" {perms}>\n'
            out += f'<description xlink:href="{href}" {perms}>{r.description}</description>\n'
            for kind in ("blank", "synopsis"):
                out += f'<schema xlink:href="{href}?schema={kind}" type="{kind}"/>\n'
            out += f"</{r.name}>\n"
        return xml_document(out + "</api>\n")

    def schema(self, res: Resource, kind: str) -> str:
        """`?schema=blank` (writable fields, empty) or `?schema=synopsis` (with format attributes)."""
        synopsis = kind == "synopsis"
        fields = [f for f in res.fields if (f.kind != "id" if synopsis else f.writable)]
        if self.as_json:
            record = {f.name: "" for f in fields}
            return php_json({res.node: {k: v for k, v in record.items() if v}})
        out = f"<{res.node}>\n"
        for f in fields:
            attrs = _synopsis_attrs(f) if synopsis else ""
            if f.i18n:
                # XMLR renderField: synopsis languages carry a link and a format (trailing space included).
                extra = f' xlink:href="{self.base}languages/{{}}" format="isUnsignedId" ' if synopsis else ""
                langs = "".join(f'<language id="{i}"{extra.format(i)}>{_cdata("")}</language>' for i in self.languages)
                out += f"\t<{f.name}{attrs}>{langs}</{f.name}>\n"
            else:
                out += f"\t<{f.name}{attrs}>{_cdata('')}</{f.name}>\n"
        if res.assocs:
            out += "<associations>\n"
            for a in res.assocs:
                head = f' nodeType="{a.node}" api="{a.api}"' if synopsis else ""
                required = ' required="true"' if synopsis else ""
                inner = "".join(f"\t<{x}{'' if x in a.optional else required}>{_cdata('')}</{x}>\n" for x in a.fields)
                out += f"<{a.name}{head}>\n\t<{a.node}>\n{inner}\t</{a.node}>\n</{a.name}>\n"
            out += "</associations>\n"
        return xml_document(out + f"</{res.node}>\n")

    # --- XML records ----------------------------------------------------------------------------

    def _xml_record(self, res: Resource, row: Row, display: Display) -> str:
        out = f"<{res.node}>\n"
        for f in res.fields:
            if display != "full" and f.name not in display:
                continue
            if f.i18n:
                values = self.shop.i18n(res, row, f)
                langs = "".join(
                    f'<language id="{i}" xlink:href="{self.base}languages/{i}">{_cdata(values[i])}</language>'
                    for i in self.languages
                )
                out += f"\t<{f.name}>{langs}</{f.name}>\n"
            else:
                value = self.shop.value(res, row, f)
                out += f"\t<{f.name}{self._field_attrs(f, row, value)}>{_cdata(value)}</{f.name}>\n"
        assocs = self._assocs_shown(res, display)
        if assocs:
            out += "<associations>\n" + "".join(self._xml_assoc(res, row, a, sub) for a, sub in assocs)
            out += "</associations>\n"
        return out + f"</{res.node}>\n"

    def _field_attrs(self, f: Field, row: Row, value: str) -> str:
        attrs = ""
        if f.href and value not in ("", "0"):
            path = f"images/products/{row['id']}/{value}" if f.href == "images" else f"{f.href}/{value}"
            attrs += f' xlink:href="{self.base}{path}"'
        return attrs + (' notFilterable="true"' if f.getter else "")

    def _assocs_shown(self, res: Resource, display: Display) -> list[tuple[Assoc, tuple[str, ...]]]:
        if display == "full":
            return [(a, a.fields) for a in res.assocs]
        if isinstance(display, dict):
            return [(a, tuple(display[a.name] or ())) for a in res.assocs if display.get(a.name)]
        return []

    def _xml_assoc(self, res: Resource, row: Row, a: Assoc, sub: tuple[str, ...]) -> str:
        items = self.shop.assoc_items(res, row, a.name)
        head = f'<{a.name} nodeType="{a.node}" api="{a.api}"'
        if not items:
            return head + "/>\n"
        out = head + ">\n"
        for item in items:
            # Items link to `<association name>/<id>` only when that name is a resource (OB renderFlatAssociation).
            path = f"images/products/{row['id']}/{item['id']}" if a.name == "images" else f"{a.name}/{item['id']}"
            link = f' xlink:href="{self.base}{path}"' if a.name in PS_RESOURCE_NAMES else ""
            out += f"\t<{a.node}{link}>\n"
            out += "".join(f"\t<{x}>{_cdata(item.get(x, ''))}</{x}>\n" for x in a.fields if x in sub)
            out += f"\t</{a.node}>\n"
        return out + f"</{a.name}>\n"

    # --- JSON records ---------------------------------------------------------------------------

    def _json_record(self, res: Resource, row: Row, display: Display) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in res.fields:
            if display != "full" and f.name not in display:
                continue
            if f.kind == "id":
                out[f.name] = int(row["id"])
            elif f.i18n:
                values = self.shop.i18n(res, row, f)
                chosen = [{"id": str(i), "value": values[i]} for i in self.languages]
                # One language: the renderer prints the plain string (spec §3.7 quirk 1).
                out[f.name] = chosen[0]["value"] if len(chosen) == 1 else chosen
            else:
                out[f.name] = self.shop.value(res, row, f)
        assocs = {}
        for a, sub in self._assocs_shown(res, display):
            items = self.shop.assoc_items(res, row, a.name)
            if items:
                assocs[a.name] = [{x: item.get(x, "") for x in a.fields if x in sub} for item in items]
        if assocs:
            out["associations"] = assocs
        return out


def _synopsis_attrs(f: Field) -> str:
    """XMLR renderField order: notFilterable, read_only, then the synopsis details."""
    attrs = ' notFilterable="true"' if f.getter else ""
    attrs += ' read_only="true"' if not f.writable else ""
    attrs += ' required="true"' if f.required else ""
    attrs += f' maxSize="{f.size}"' if f.size else ""
    attrs += f' format="{f.validate}"' if f.validate else ""
    return attrs + (' readOnly="true"' if not f.writable else "")


# --- request bodies -----------------------------------------------------------------------------


def parse_entities(body: bytes) -> list[etree._Element]:
    """The records of a write body: every element child of the root (spec §5.1); error 127 if bad."""
    if body.startswith(b"xml="):
        body = body[4:]  # legacy form posting; the rest is not URL-decoded (spec §0.3)
    text = body.decode("utf-8", "replace")

    def fail(message: str) -> WsError:
        detail = f"XML error : {message}\nXML length : {len(body)}\nOriginal XML : {text}"
        return WsError((500, 127, detail))

    if b"<!DOCTYPE" in body.upper():
        raise fail("Document type declarations are not accepted\n")
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        # libxml's own message, without lxml's position suffix (PHP prints the bare message).
        raise fail(re.sub(r", line \d+, column \d+$", "", str(exc.msg)) + "\n") from None
    return [child for child in root if isinstance(child.tag, str)]


def element_text(el: etree._Element) -> str:
    """SimpleXML `(string)$el`: the element's own text nodes joined (children's text excluded)."""
    parts = el.xpath("text()")
    return "".join(str(p) for p in parts) if isinstance(parts, list) else ""


def child(el: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in el if c.tag == name), None)
