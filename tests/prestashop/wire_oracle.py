"""An independent reading of PrestaShop 8 webservice XML, by regular expressions on the raw text.

The replay tests compare the client's records with what this reads. It shares no code with the
client and never runs an XML parser, so it sees values exactly as the bytes hold them: a `\\r\\n`
inside CDATA that a parser had normalised to `\\n` shows up as a difference. It only knows the
layout PrestaShop 8 prints (one field a line, tab-indented, every value in CDATA), which is all
the captures hold.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_DOC = re.compile(r"<prestashop[^>]*>\n(.*?)\n?</prestashop>\s*$", re.S)
_TOP = re.compile(r"<(\w+)(?: [^>]*)?>\n(.*)</\1>\n?$", re.S)
_COL0 = re.compile(r"^<(\w+)>$", re.M)
_ASSOCIATIONS = re.compile(r"^<associations>\n(.*?)^</associations>\n?", re.S | re.M)
_ASSOCIATION = re.compile(r'^<(\w+) nodeType="\w+" api="[^"]*"(?:/>|>\n(.*?)^</\1>)$', re.S | re.M)
_ITEM = re.compile(r"^\t<(\w+)(?: [^>]*)?>\n(.*?)^\t</\1>$", re.S | re.M)
_CDATA_FIELD = re.compile(r"<(\w+)(?: [^>]*)?><!\[CDATA\[(.*?)\]\]></\1>", re.S)
_I18N_FIELD = re.compile(r"^\t?<(\w+)(?: [^>]*)?>(<language .*?)</\1>$", re.S | re.M)
_LANGUAGE = re.compile(r'<language id="(\d+)"[^>]*><!\[CDATA\[(.*?)\]\]></language>', re.S)
_SCALAR = re.compile(r"^\t?<(\w+)(?: [^>]*)?><!\[CDATA\[(.*?)\]\]></\1>$", re.S | re.M)
_ERROR = re.compile(r"<code><!\[CDATA\[(\d+)\]\]></code>\n<message><!\[CDATA\[(.*?)\]\]></message>", re.S)


@dataclass
class Raw:
    """One record as the bytes hold it."""

    tag: str
    fields: dict[str, str]
    i18n: dict[str, dict[int, str]] = field(default_factory=dict)
    associations: dict[str, list[dict[str, str]]] = field(default_factory=dict)


def document(body: bytes) -> tuple[str, str]:
    """The top element's tag and content inside `<prestashop>`."""
    doc = _DOC.search(body.decode("utf-8"))
    assert doc, "not a PrestaShop document"
    top = _TOP.match(doc.group(1))
    assert top, "no top element"
    return top.group(1), top.group(2)


def records(body: bytes) -> tuple[str, list[Raw]]:
    """`(top tag, records)`: a list answer's records, or the one record of a single answer."""
    tag, content = document(body)
    items = [t for t in _COL0.findall(content) if t != "associations"]
    if not items:
        return tag, [record(tag, content)]
    item = items[0]
    bodies = re.findall(rf"^<{item}>\n(.*?)^</{item}>$", content, re.S | re.M)
    return tag, [record(item, inner) for inner in bodies]


def record(tag: str, content: str) -> Raw:
    associations: dict[str, list[dict[str, str]]] = {}
    block = _ASSOCIATIONS.search(content)
    if block:
        for name, inner in _ASSOCIATION.findall(block.group(1)):
            associations[name] = [dict(_CDATA_FIELD.findall(item)) for _, item in _ITEM.findall(inner or "")]
        content = content[: block.start()] + content[block.end() :]
    i18n = {name: {int(i): v for i, v in _LANGUAGE.findall(langs)} for name, langs in _I18N_FIELD.findall(content)}
    content = _I18N_FIELD.sub("", content)
    return Raw(tag, dict(_SCALAR.findall(content)), i18n, associations)


def errors(body: bytes) -> list[tuple[int, str]]:
    """Every `(code, message)` of an error answer, messages HTML-unescaped as the shop meant them."""
    return [(int(code), html.unescape(message).strip()) for code, message in _ERROR.findall(body.decode("utf-8"))]


def api_resources(body: bytes) -> set[str]:
    """The resource names of the `GET /api/` listing."""
    return set(re.findall(r'^<(\w+) xlink:href="[^"]*/api/\1" get=', body.decode("utf-8"), re.M))


def attribute_ids(body: bytes, tag: str) -> list[int]:
    return [int(i) for i in re.findall(rf'<{tag} id="(\d+)"', body.decode("utf-8"))]


def schema_fields(body: bytes) -> list[str]:
    """Field names of a schema answer, in order, associations left out."""
    _, content = document(body)
    block = _ASSOCIATIONS.search(content)
    if block:
        content = content[: block.start()] + content[block.end() :]
    return re.findall(r"^\t<(\w+)[ >]", content, re.M)
