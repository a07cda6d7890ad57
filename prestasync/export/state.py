"""A product in shop terms: as the shop has it (`current`) and as the catalogue wants it
(`desired`), and the plan that takes the one to the other, field by field.

Only what differs is written, and only fields the catalogue knows are compared: a field the
catalogue leaves empty (None) keeps the shop's value. Texts are compared byte for byte per
language. A shop language the catalogue has no text for gets the fallback language's text
when the product is created, and later only where the shop's own text is empty: a
translation made in the shop is never overwritten with another language.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from prestasync.prestashop import RemoteProduct

# Product fields an export may write, and how two values of each compare.
DECIMAL_FIELDS = frozenset({"price", "wholesale_price", "weight", "width", "height", "depth"})
INTEGER_FIELDS = frozenset({"id_tax_rules_group", "id_category_default", "id_manufacturer", "minimal_quantity"})
TEXT_FIELDS = ("name", "description", "description_short", "link_rewrite")
SCALAR_FIELDS = (
    "reference", "price", "wholesale_price", "active", "id_tax_rules_group", "id_category_default",
    "id_manufacturer", "weight", "width", "height", "depth", "ean13", "isbn", "upc", "mpn", "minimal_quantity",
)  # fmt: skip
# What a new product gets besides the catalogue's fields: visible and sellable (a POST without
# `state` makes a hidden draft, wire README fact 6).
CREATE_DEFAULTS = {"state": "1", "available_for_order": "1", "show_price": "1", "visibility": "both"}
EXCERPT = 80


Pairs = tuple[tuple[int, int], ...]  # (feature id, feature value id), sorted


@dataclass(frozen=True)
class State:
    """A product's fields in shop terms. `categories`, `features`, `stock`: None when not managed."""

    fields: dict[str, str]
    texts: dict[str, dict[int, str]]
    categories: tuple[int, ...] | None = None
    stock: int | None = None
    features: Pairs | None = None


@dataclass(frozen=True)
class Plan:
    """What to send to take a product from its current state to the desired one."""

    create: bool
    fields: dict[str, str] = field(default_factory=dict)
    texts: dict[str, dict[int, str]] = field(default_factory=dict)
    categories: tuple[int, ...] | None = None
    stock: int | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)  # field -> [before, after], for people
    features: Pairs | None = None

    @property
    def associations(self) -> dict[str, list[Any]] | None:
        """The associations to send (each replaces the shop's whole list: wire README, fact 27)."""
        out: dict[str, list[Any]] = {}
        if self.categories is not None:
            out["categories"] = list(self.categories)
        if self.features is not None:
            out["product_features"] = [{"id": str(f), "id_feature_value": str(v)} for f, v in self.features]
        return out or None

    @property
    def empty(self) -> bool:
        """Nothing to write: every write above comes with its entry in `changes`."""
        return not self.create and not self.changes


def current_of(record: RemoteProduct, stock: int | None) -> State:
    """The shop's product as a `State` (its stock from its own stock row, never `<quantity>`)."""
    texts = {name: dict(record.i18n.get(name, {})) for name in TEXT_FIELDS}
    features = tuple(sorted((f, int(v)) for f, v in record.feature_values if v.isdigit()))
    return State(dict(record.fields), texts, tuple(sorted(record.category_ids)), stock, features)


def plan(desired: State, current: State | None, iso_of: dict[int, str]) -> Plan:
    """The writes that make `current` (None: no product yet) look like `desired`."""
    if current is None:
        return _create(desired, iso_of)
    changes: dict[str, list[Any]] = {}
    fields = {k: v for k, v in desired.fields.items() if not same(k, current.fields.get(k, ""), v)}
    for k, v in fields.items():
        changes[k] = [_show(k, current.fields.get(k, "")), _show(k, v)]
    texts: dict[str, dict[int, str]] = {}
    for name, values in desired.texts.items():
        for lang, text in values.items():
            before = current.texts.get(name, {}).get(lang, "")
            if text != before:
                texts.setdefault(name, {})[lang] = text
                changes[f"{name}.{iso_of.get(lang, lang)}"] = [_excerpt(before), _excerpt(text)]
    categories = None
    if desired.categories is not None and set(desired.categories) != set(current.categories or ()):
        categories = desired.categories
        changes["categories"] = [_ids(current.categories or ()), _ids(desired.categories)]
    stock = None
    if desired.stock is not None and desired.stock != current.stock:
        stock = desired.stock
        changes["stock"] = [current.stock, desired.stock]
    features = None
    if desired.features is not None and set(desired.features) != set(current.features or ()):
        features = desired.features
        changes["features"] = [_pairs(current.features or ()), _pairs(desired.features)]
    return Plan(False, fields, texts, categories, stock, changes, features)


def _create(desired: State, iso_of: dict[int, str]) -> Plan:
    changes: dict[str, list[Any]] = {k: [None, _show(k, v)] for k, v in desired.fields.items()}
    for name, values in desired.texts.items():
        changes.update({f"{name}.{iso_of.get(lang, lang)}": [None, _excerpt(t)] for lang, t in values.items()})
    if desired.categories is not None:
        changes["categories"] = [None, _ids(desired.categories)]
    if desired.stock:
        changes["stock"] = [None, desired.stock]
    if desired.features:
        changes["features"] = [None, _pairs(desired.features)]
    fields = {**CREATE_DEFAULTS, **desired.fields}
    return Plan(True, fields, desired.texts, desired.categories, desired.stock or None, changes, desired.features)


def same(name: str, a: str, b: str) -> bool:
    """Whether two wire values of field `name` mean the same (`23.9` is `23.900000`)."""
    if name in DECIMAL_FIELDS:
        return _decimal(a) == _decimal(b)
    if name in INTEGER_FIELDS:
        return _decimal(a or "0") == _decimal(b or "0")
    return a == b


def digest(current: State) -> str:
    """A fingerprint of everything an export may write: what a preview saw, to tell drift later."""
    body = {
        "f": {k: current.fields.get(k, "") for k in SCALAR_FIELDS},
        "t": {k: sorted(current.texts.get(k, {}).items()) for k in TEXT_FIELDS},
        "c": sorted(current.categories or ()),
        "s": current.stock,
        "p": sorted(current.features or ()),
    }
    return hashlib.sha1(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _decimal(value: str) -> Decimal | str:
    try:
        return Decimal(value.strip() or "0")
    except InvalidOperation:
        return value


def _show(name: str, value: str) -> str:
    if name in DECIMAL_FIELDS and isinstance(found := _decimal(value), Decimal):
        return format(found.normalize(), "f")
    return _excerpt(value)


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _pairs(pairs: Pairs) -> list[str]:
    return [f"{f}:{v}" for f, v in sorted(pairs)]


def _ids(ids: tuple[int, ...]) -> str:
    return ",".join(str(i) for i in sorted(ids))
