"""Structural comparison of a recorded webservice answer with the emulator's.

Compared: the status; `Content-type` (value), `PSWS-Version` (presence and value),
`WWW-Authenticate` (presence, on 401) and `Content-Sha1` (presence); the body's structure:

* XML: element names and order, attribute names, `xlink:href` values by path after the host;
  text is not compared except where it is significant: error codes, the `id` a POST created,
  a product's `quantity` (always `0`). The items of an association block are compared as a set:
  the shop lists them in no guaranteed order (no `ORDER BY` behind them).
* JSON: the key structure.
* anything else (image bytes): presence of a body.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

XLINK = "{http://www.w3.org/1999/xlink}href"
_SIGNIFICANT = {"code"}


def differences(real: Any, mine: Any, created: bool) -> list[str]:
    """Why two answers differ (empty when structurally identical). `real`/`mine` are
    (status, headers dict lowercased, body bytes)."""
    out: list[str] = []
    (rs, rh, rb), (ms, mh, mb) = real, mine
    if rs != ms:
        out.append(f"status {rs} != {ms}")
    for name in ("content-type", "psws-version"):
        if rh.get(name) != mh.get(name):
            out.append(f"{name} {rh.get(name)!r} != {mh.get(name)!r}")
    for name in ("content-sha1",) + (("www-authenticate",) if rs == 401 else ()):
        if (name in rh) != (name in mh):
            out.append(f"{name} presence {name in rh} != {name in mh}")
    out += _bodies(rh.get("content-type", ""), rb, mb, created)
    return out


def _bodies(content_type: str, real: bytes, mine: bytes, created: bool) -> list[str]:
    if not real or not mine:
        return [] if bool(real) == bool(mine) else [f"body length {len(real)} != {len(mine)}"]
    if "xml" in content_type:
        try:
            return _xml(etree.fromstring(real), etree.fromstring(mine), "", created)
        except etree.XMLSyntaxError as exc:
            return [f"XML does not parse: {exc}"]
    if "json" in content_type:
        a, b = _keys(json.loads(real)), _keys(json.loads(mine))
        return [] if a == b else [f"JSON keys {a} != {b}"]
    return []


def _path(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + ("?" + parts.query if parts.query else "")


def _attrs(el: etree._Element) -> dict[str, str]:
    return {str(k): (_path(v) if k == XLINK else "") for k, v in el.attrib.items()}


def _xml(a: etree._Element, b: etree._Element, where: str, created: bool) -> list[str]:
    here = f"{where}/{a.tag}"
    if a.tag != b.tag:
        return [f"{where}: element {a.tag} != {b.tag}"]
    out = []
    if _attrs(a) != _attrs(b):
        out.append(f"{here}: attributes {_attrs(a)} != {_attrs(b)}")
    if _significant(a, created) and (a.text or "") != (b.text or ""):
        out.append(f"{here}: value {a.text!r} != {b.text!r}")
    ka, kb = list(a), list(b)
    if where.endswith("/associations"):
        ka, kb = _sorted(ka), _sorted(kb)
    if [c.tag for c in ka] != [c.tag for c in kb]:
        return [*out, f"{here}: children {[c.tag for c in ka]} != {[c.tag for c in kb]}"]
    for ca, cb in zip(ka, kb, strict=True):
        out += _xml(ca, cb, here, created)
    return out


def _sorted(items: list[etree._Element]) -> list[etree._Element]:
    """The items of one association block, in a canonical order."""
    return sorted(items, key=lambda el: (str(el.tag), el.get(XLINK, ""), el.findtext("id") or ""))


def _significant(el: etree._Element, created: bool) -> bool:
    parent = el.getparent()
    if el.tag in _SIGNIFICANT and parent is not None and parent.tag == "error":
        return True
    if el.tag == "quantity" and parent is not None and parent.tag == "product":
        return True
    grand = parent.getparent() if parent is not None else None
    return created and el.tag == "id" and grand is not None and grand.tag == "prestashop"


def _keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _keys(v) for k, v in value.items()}
    if isinstance(value, list):
        shapes = [_keys(v) for v in value]
        return [shapes[0]] if shapes and all(s == shapes[0] for s in shapes) else shapes
    return None
