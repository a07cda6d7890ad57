"""The named lists products point at: attribute groups and values, features and their values,
manufacturers. A shop's lists are folded into the catalogue's by key (`naming.key_of`: the
English name, else the first language's, trimmed and case-folded), so that every shop's "Size"
is one catalogue group whatever its id there, and linked to the shop (`RemoteLink`).

Names are kept per language, byte exact; a shop's languages replace those languages only. A
record without a usable name (empty, or a key longer than `NAME_MAX`), or a value whose group or
feature is missing, is left out and the reason kept, so a product that uses it can say why.
Shops accept duplicate names (README fact 19): duplicates are one catalogue record, and the link
goes to the lowest shop id. Custom feature values (one per product in PrestaShop) are matched by
key like the others but never linked: many shop values share one catalogue value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from prestasync.catalogue.links import one_to_one, sync_links
from prestasync.catalogue.rows import added, assign, rows_where
from prestasync.models import (
    NAME_MAX,
    AttributeGroup,
    AttributeValue,
    Feature,
    FeatureValue,
    Manufacturer,
    ProductFeature,
)
from prestasync.naming import key_of


@dataclass(frozen=True)
class ShopGroup:
    """A shop's attribute group (`product_options`), texts keyed by ISO code."""

    remote_id: int
    name: dict[str, str]
    public_name: dict[str, str]
    group_type: str


@dataclass(frozen=True)
class ShopValue:
    """A shop's attribute value (`product_option_values`)."""

    remote_id: int
    group_id: int  # the shop's group id
    name: dict[str, str]
    color: str


@dataclass(frozen=True)
class ShopFeature:
    """A shop's feature (`product_features`)."""

    remote_id: int
    name: dict[str, str]


@dataclass(frozen=True)
class ShopFeatureValue:
    """A shop's feature value (`product_feature_values`); `custom` ones belong to one product."""

    remote_id: int
    feature_id: int  # the shop's feature id
    value: dict[str, str]
    custom: bool


@dataclass
class Matched:
    """Catalogue ids by shop ids, and why the shop records not matched were left out."""

    ids: dict[int, int] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)


@dataclass
class FeaturesMatched:
    """Catalogue (feature id, value id) by shop feature value id, and why some were left out."""

    values: dict[int, tuple[int, int]] = field(default_factory=dict)
    features: dict[int, int] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)


def sync_attributes(
    session: Session, shop_id: int, groups: Sequence[ShopGroup], values: Sequence[ShopValue]
) -> Matched:
    """Upsert a shop's attribute groups and values; returns catalogue value ids by shop value id."""
    existing = {g.key: g for g in session.execute(select(AttributeGroup)).scalars()}
    owners: dict[int, AttributeGroup] = {}
    for group in sorted(groups, key=lambda g: g.remote_id):
        if key := _key(group.name):
            row = existing.get(key) or added(session, existing, key, AttributeGroup(key=key, name={}, public_name={}))
            assign(row, name={**row.name, **group.name}, public_name={**row.public_name, **group.public_name})
            assign(row, group_type=group.group_type or row.group_type or "select")
            owners[group.remote_id] = row
    session.flush()
    known: dict[tuple[int, str], AttributeValue] = {
        (v.group_id, v.key): v
        for v in rows_where(session, AttributeValue, AttributeValue.group_id, [g.id for g in owners.values()])
    }
    rows: dict[int, AttributeValue] = {}
    result = Matched()
    for value in sorted(values, key=lambda v: v.remote_id):
        key, owner = _key(value.name), owners.get(value.group_id)
        if owner is None or not key:
            result.skipped[value.remote_id] = _why(f"option value #{value.remote_id}", key, "group", value.group_id)
            continue
        new = AttributeValue(group_id=owner.id, key=key, name={}, color="")
        row = known.get((owner.id, key)) or added(session, known, (owner.id, key), new)
        assign(row, name={**row.name, **value.name}, color=value.color)
        rows[value.remote_id] = row
    session.flush()
    result.ids = {remote: row.id for remote, row in rows.items()}
    sync_links(session, shop_id, "attribute_group", one_to_one((r, g.id) for r, g in owners.items()))
    sync_links(session, shop_id, "attribute_value", one_to_one(result.ids.items()))
    return result


def sync_features(
    session: Session, shop_id: int, features: Sequence[ShopFeature], values: Sequence[ShopFeatureValue]
) -> FeaturesMatched:
    """Upsert a shop's features and their values (custom ones included)."""
    existing = {f.key: f for f in session.execute(select(Feature)).scalars()}
    owners: dict[int, Feature] = {}
    for feature in sorted(features, key=lambda f: f.remote_id):
        if key := _key(feature.name):
            row = existing.get(key) or added(session, existing, key, Feature(key=key, name={}))
            assign(row, name={**row.name, **feature.name})
            owners[feature.remote_id] = row
    session.flush()
    known: dict[tuple[int, str, bool], FeatureValue] = {
        (v.feature_id, v.key, v.custom): v
        for v in rows_where(session, FeatureValue, FeatureValue.feature_id, [f.id for f in owners.values()])
    }
    rows: dict[int, FeatureValue] = {}
    result = FeaturesMatched(features={remote: row.id for remote, row in owners.items()})
    for value in sorted(values, key=lambda v: v.remote_id):
        key, owner = _key(value.value), owners.get(value.feature_id)
        if owner is None or not key:
            what = f"feature value #{value.remote_id}"
            result.skipped[value.remote_id] = _why(what, key, "feature", value.feature_id)
            continue
        new = FeatureValue(feature_id=owner.id, key=key, value={}, custom=value.custom)
        row = known.get((owner.id, key, value.custom)) or added(session, known, (owner.id, key, value.custom), new)
        assign(row, value={**row.value, **value.value})
        rows[value.remote_id] = row
    session.flush()
    result.values = {remote: (row.feature_id, row.id) for remote, row in rows.items()}
    sync_links(session, shop_id, "feature", one_to_one(result.features.items()))
    plain = [(remote, row.id) for remote, row in rows.items() if not row.custom]
    sync_links(session, shop_id, "feature_value", one_to_one(plain))
    return result


def sync_manufacturers(session: Session, shop_id: int, names: Mapping[int, str]) -> Matched:
    """Upsert a shop's manufacturers, matched by name (trimmed, case-folded)."""
    existing = {_brand_key(m.name): m for m in session.execute(select(Manufacturer)).scalars()}
    rows: dict[int, Manufacturer] = {}
    result = Matched()
    for remote, name in sorted(names.items()):
        key = _brand_key(name)
        if not key or len(name) > NAME_MAX:
            result.skipped[remote] = f"manufacturer #{remote} has {'a name too long' if key else 'no name'}"
            continue
        rows[remote] = existing.get(key) or added(session, existing, key, Manufacturer(name=name))
    session.flush()
    result.ids = {remote: row.id for remote, row in rows.items()}
    sync_links(session, shop_id, "manufacturer", one_to_one(result.ids.items()))
    return result


def sync_product_features(session: Session, wanted: Mapping[int, Sequence[tuple[int, int]]]) -> set[int]:
    """Make each product's features exactly `wanted[product id]` ((feature id, value id) pairs,
    one value per feature); returns the products whose features changed."""
    have: dict[int, dict[int, int]] = {pid: {} for pid in wanted}
    for row in rows_where(session, ProductFeature, ProductFeature.product_id, list(wanted)):
        have[row.product_id][row.feature_id] = row.value_id
    fresh: list[dict[str, int]] = []
    moved: list[dict[str, int]] = []
    gone: list[dict[str, int]] = []
    changed: set[int] = set()
    for pid, pairs in wanted.items():
        want, old = dict(pairs), have[pid]
        fresh += [{"product_id": pid, "feature_id": f, "value_id": v} for f, v in want.items() if f not in old]
        moved += [{"p": pid, "f": f, "v": v} for f, v in want.items() if f in old and old[f] != v]
        gone += [{"p": pid, "f": f} for f in old if f not in want]
        if want != old:
            changed.add(pid)
    match = (ProductFeature.product_id == bindparam("p"), ProductFeature.feature_id == bindparam("f"))
    if gone:
        session.connection().execute(delete(ProductFeature).where(*match), gone)
    if moved:
        session.connection().execute(update(ProductFeature).where(*match).values(value_id=bindparam("v")), moved)
    if fresh:
        session.execute(insert(ProductFeature), fresh)
    return changed


def _key(names: Mapping[str, str]) -> str:
    key = key_of(names)
    return key if len(key) <= NAME_MAX else ""


def _brand_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _why(what: str, key: str, parent: str, parent_id: int) -> str:
    if not key:
        return f"{what} has no name (or one over {NAME_MAX} characters)"
    return f"{what} belongs to {parent} #{parent_id}, which the shop does not list"
