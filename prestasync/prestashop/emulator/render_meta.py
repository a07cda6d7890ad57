"""Bodies that describe rather than hold data: the API root and `?schema=blank|synopsis`.

Shapes: `01_root.http` (root), `04_products_schema_blank.http`, `04b_products_schema_synopsis.http`,
`53*`, `67*`, `73a*` (schemas; all in `tests/wire/prestashop-8.1.2/`).
"""

from __future__ import annotations

import html

from prestasync.prestashop.emulator.render import cdata, php_json, xml_document
from prestasync.prestashop.emulator.resources import IMAGES_DESCRIPTION, RESOURCES
from prestasync.prestashop.emulator.schema import Assoc, Field, Resource

_PERMS = 'get="true" put="true" post="true" patch="true" delete="true" head="true"'


def api_root(base: str, shop_name: str, as_json: bool) -> str:
    """The resources the key may use, each with every method allowed and its schema links."""
    entries = sorted([(name, res.description) for name, res in RESOURCES.items()] + [("images", IMAGES_DESCRIPTION)])
    if as_json:
        return php_json([name for name, _ in entries])
    out = f'<api shopName="{html.escape(shop_name)}">\n'
    for name, description in entries:
        href = f"{base}{name}"
        out += f'<{name} xlink:href="{href}" {_PERMS}>\n'
        out += f'<description xlink:href="{href}" {_PERMS}>\n{description}</description>\n'
        if name != "images":
            for kind in ("blank", "synopsis"):
                out += f'<schema xlink:href="{href}?schema={kind}" type="{kind}"/>\n'
        out += f"</{name}>\n"
    return xml_document(out + "</api>\n")


def schema(res: Resource, kind: str, base: str, languages: list[int], as_json: bool) -> str:
    """`?schema=blank` (writable fields, empty) or `?schema=synopsis` (with format attributes)."""
    synopsis = kind == "synopsis"
    fields = [f for f in res.fields if (f.kind != "id" if synopsis else f.writable and f.in_blank)]
    if as_json:
        return php_json({res.node: {}})
    out = f"<{res.node}>\n"
    for f in fields:
        attrs = _synopsis_attrs(f) if synopsis else ""
        if f.i18n:
            # Synopsis languages carry a link and a format, trailing space included.
            extra = f' xlink:href="{base}languages/{{}}" format="isUnsignedId" ' if synopsis else ""
            langs = "".join(f'<language id="{i}"{extra.format(i)}>{cdata("")}</language>' for i in languages)
            out += f"\t<{f.name}{attrs}>{langs}</{f.name}>\n"
        else:
            out += f"\t<{f.name}{attrs}>{cdata('')}</{f.name}>\n"
    if res.assocs:
        out += "<associations>\n" + "".join(_assoc_schema(a, base, synopsis) for a in res.assocs) + "</associations>\n"
    return xml_document(out + f"</{res.node}>\n")


def _assoc_schema(a: Assoc, base: str, synopsis: bool) -> str:
    head = f' nodeType="{a.node}" api="{a.api}"' if synopsis else ""
    inner = ""
    for x in a.fields:
        attrs = ""
        if synopsis and x.schema_href:
            attrs += f' xlink:href="{base}{x.href or a.api}/"'
        if synopsis and x.required:
            attrs += ' required="true"'
        inner += f"\t<{x.name}{attrs}>{cdata('')}</{x.name}>\n"
    return f"<{a.name}{head}>\n\t<{a.node}>\n{inner}\t</{a.node}>\n</{a.name}>\n"


def _synopsis_attrs(f: Field) -> str:
    """Attribute order of the synopsis: notFilterable, read_only, then the details."""
    attrs = ' notFilterable="true"' if f.getter else ""
    attrs += ' read_only="true"' if not f.writable else ""
    attrs += ' required="true"' if f.required else ""
    attrs += f' maxSize="{f.size}"' if f.size else ""
    attrs += f' format="{f.validate}"' if f.validate else ""
    return attrs + (' readOnly="true"' if not f.writable else "")
