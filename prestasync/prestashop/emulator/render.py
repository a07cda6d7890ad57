"""Rendering webservice bodies: records, lists and errors in PrestaShop 8's XML and JSON.

The XML is written by hand, byte for byte like `WebserviceOutputXML`: every value in CDATA (empty
ones too), one TAB before each field, `\\n` after every tag, values never escaped
(`03_product_1.http`). A multilanguage value that was loaded or set as an array carries
`xlink:href` on each `<language>`; one left unset (a POST/PUT echo of a field not sent) does not
(`14_post_product_no_link_rewrite_response.http`). Schemas and the API root are in `render_meta.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prestasync.prestashop.emulator.query import Display
from prestasync.prestashop.emulator.resources import PS_RESOURCE_NAMES
from prestasync.prestashop.emulator.schema import Assoc, Field, Resource

if TYPE_CHECKING:
    from prestasync.prestashop.emulator.store import EmulatedShop, Row

HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
FOOTER = "</prestashop>\n"
Built = dict[str, Any]  # an object as a write built it: str / None values, i18n as dict or None


def xml_document(content: str) -> str:
    return HEADER + content + FOOTER


def cdata(value: str) -> str:
    return f"<![CDATA[{value}]]>"


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
        f"<error>\n<code>{cdata(str(code))}</code>\n<message>{cdata(msg)}</message>\n</error>\n"
        for _, code, msg in errors
    )
    return xml_document(f"<errors>\n{items}</errors>\n")


@dataclass
class Renderer:
    """Renders one shop's records for one request: absolute hrefs, chosen languages, XML or JSON."""

    shop: EmulatedShop
    base: str  # absolute ".../api/"
    languages: list[int]
    as_json: bool
    prices: dict[str, str] = field(default_factory=dict)  # `price[NAME][…]`: computed fields, full display only

    # --- whole bodies ---------------------------------------------------------------------------

    def minimum_list(self, res: Resource, rows: list[Row]) -> str:
        if self.as_json:
            return php_json({res.name: [{"id": int(r["id"])} for r in rows]} if rows else [])
        items = "".join(f'<{res.node} id="{r["id"]}" xlink:href="{self.base}{res.name}/{r["id"]}"/>\n' for r in rows)
        return xml_document(f"<{res.name}>\n{items}</{res.name}>\n")

    def records(
        self,
        res: Resource,
        rows: list[Row],
        display: Display,
        wrapped: bool,
        json_plural: bool,
        built: list[Built] | None = None,
    ) -> str:
        """Records with fields: a listing (`wrapped`, plural node) or single/written records.

        `built` gives, per row, the object a POST/PUT built (its unsent fields render empty).
        JSON keys a single record by the plural name when `display` is in the query string.
        """
        objs: list[Built | None] = list(built) if built is not None else [None] * len(rows)
        if self.as_json:
            return self._json_records(res, rows, display, wrapped or json_plural)
        body = "".join(self._xml_record(res, row, display, obj) for row, obj in zip(rows, objs, strict=True))
        return xml_document(f"<{res.name}>\n{body}</{res.name}>\n" if wrapped else body)

    def _json_records(self, res: Resource, rows: list[Row], display: Display, plural: bool) -> str:
        records = [self._json_record(res, row, display) for row in rows]
        if plural or len(records) != 1:
            return php_json({res.name: records} if records else [])
        # 8.0 `array_filter` on a single record drops every falsy top-level value.
        return php_json({res.node: {k: v for k, v in records[0].items() if v not in ("0", "", None, [], {})}})

    # --- XML records ----------------------------------------------------------------------------

    def _xml_record(self, res: Resource, row: Row, display: Display, built: Built | None) -> str:
        out = f"<{res.node}>\n"
        for f in res.fields:
            if display != "full" and f.name not in display:
                continue
            out += self._xml_field(res, row, f, built)
        if display == "full":
            out += "".join(f"\t<{name}>{cdata(value)}</{name}>\n" for name, value in self.prices.items())
        assocs = self._assocs_shown(res, display)
        if assocs:
            out += "<associations>\n" + "".join(self._xml_assoc(res, row, a, sub) for a, sub in assocs)
            out += "</associations>\n"
        return out + f"</{res.node}>\n"

    def _xml_field(self, res: Resource, row: Row, f: Field, built: Built | None) -> str:
        if f.i18n:
            values = self.shop.i18n(res, row, f)
            linked = built is None or isinstance(built.get(f.name), dict)
            if built is not None and isinstance(built.get(f.name), dict):
                values = {lang: str(built[f.name].get(lang) or "") for lang in self.shop.lang_ids}
            elif built is not None:
                values = dict.fromkeys(self.shop.lang_ids, "")
            langs = "".join(self._language(i, values.get(i, ""), linked) for i in self.languages)
            return f"\t<{f.name}>{langs}</{f.name}>\n"
        value = self.shop.value(res, row, f)
        if built is not None and not f.getter and f.kind not in ("id", "virtual"):
            raw = built.get(f.name)
            value = "" if raw is None else str(raw)
        elif built is not None and f.name == "quantity":
            value = ""  # the getter is not run on an object built for a POST/PUT
        return f"\t<{f.name}{self._field_attrs(f, row, value)}>{cdata(value)}</{f.name}>\n"

    def _language(self, lang: int, value: str, linked: bool) -> str:
        href = f' xlink:href="{self.base}languages/{lang}"' if linked else ""
        return f'<language id="{lang}"{href}>{cdata(value)}</language>'

    def _field_attrs(self, f: Field, row: Row, value: str) -> str:
        attrs = ""
        if f.href and value not in ("", "0"):
            path = f"images/products/{row['id']}/{value}" if f.href == "images" else f"{f.href}/{value}"
            attrs += f' xlink:href="{self.base}{path}"'
        return attrs + (' notFilterable="true"' if f.getter else "")

    def _assocs_shown(self, res: Resource, display: Display) -> list[tuple[Assoc, tuple[str, ...]]]:
        if display == "full":
            return [(a, a.field_names) for a in res.assocs]
        if isinstance(display, dict):
            return [(a, tuple(display[a.name] or ())) for a in res.assocs if display.get(a.name)]
        return []

    def _xml_assoc(self, res: Resource, row: Row, a: Assoc, sub: tuple[str, ...]) -> str:
        items = self.shop.assoc_items(res, row, a.name)
        head = f'<{a.name} nodeType="{a.node}" api="{a.api}"'
        if not items:
            return head + "/>\n"
        out = head + ">\n"
        owner = self._owner(res, row)
        for item in items:
            link = ""
            if a.item_href and a.name in PS_RESOURCE_NAMES:
                link = f' xlink:href="{self.base}{a.item_href.format(id=item["id"], owner=owner)}"'
            out += f"\t<{a.node}{link}>\n"
            for x in a.fields:
                if x.name in sub:
                    value = item.get(x.name, "")
                    href = f' xlink:href="{self.base}{x.href}/{value}"' if x.href and value not in ("", "0") else ""
                    out += f"\t<{x.name}{href}>{cdata(value)}</{x.name}>\n"
            out += f"\t</{a.node}>\n"
        return out + f"</{a.name}>\n"

    def _owner(self, res: Resource, row: Row) -> str:
        """The product an image association belongs to (the record itself, or a combination's product)."""
        if res.name == "combinations":
            return str(self.shop.raw("combinations", row, "id_product") or "0")
        return str(row["id"])

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
                # One language: the renderer prints the plain string.
                out[f.name] = chosen[0]["value"] if len(chosen) == 1 else chosen
            else:
                out[f.name] = self.shop.value(res, row, f)
        assocs = {}
        for a, sub in self._assocs_shown(res, display):
            items = self.shop.assoc_items(res, row, a.name)
            if items:
                assocs[a.name] = [{x: item.get(x, "") for x in a.field_names if x in sub} for item in items]
        if assocs:
            out["associations"] = assocs
        return out
