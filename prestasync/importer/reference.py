"""The shop's lists a product points at, read once per import job and folded into the catalogue.

Before the first page: tax rule groups (id -> name), manufacturers, the whole category tree,
attribute groups and values, features and values (custom values included). Each list is one or a
few id-keyset pages (1000 records a page), never one request per record; categories are read
with only the fields the tree needs, because `display=full` would carry every category's product
list (Home lists every product of the shop). The catalogue side is written in one transaction,
retried once when a concurrent import of another shop inserted the same record first.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prestasync import shops
from prestasync.catalogue.options import (
    FeaturesMatched,
    Matched,
    ShopFeature,
    ShopFeatureValue,
    ShopGroup,
    ShopValue,
    sync_attributes,
    sync_features,
    sync_manufacturers,
)
from prestasync.catalogue.products import by_iso
from prestasync.catalogue.tree import ShopCategory, TreeResult, sync_categories
from prestasync.prestashop import BadRecord, PrestaShopClient, Record

log = logging.getLogger(__name__)
R = TypeVar("R")
_CATEGORY_FIELDS = ("id_parent", "level_depth", "active", "name", "link_rewrite")


@dataclass
class ShopMaps:
    """How the shop's ids translate to catalogue ids (and names), for one import job."""

    languages: dict[int, str]
    taxes: dict[int, str] = field(default_factory=dict)
    manufacturers: Matched = field(default_factory=Matched)
    categories: TreeResult = field(default_factory=TreeResult)
    roots: set[int] = field(default_factory=set)  # PrestaShop's hidden Root (level 0): never imported
    values: Matched = field(default_factory=Matched)
    features: FeaturesMatched = field(default_factory=FeaturesMatched)


def load_reference(engine: Engine, client: PrestaShopClient, shop_id: int, languages: dict[int, str]) -> ShopMaps:
    """Read the shop's lists and write them to the catalogue; returns the id translations."""
    maps = ShopMaps(languages)
    maps.taxes = {r.id: r.fields.get("name", "") for r in _readable(client.tax_rule_groups(), "tax rule group")}
    brands = {r.id: r.fields.get("name", "") for r in _readable(client.manufacturers(), "manufacturer")}
    categories = [r for page in client.iter_records("categories", display=_CATEGORY_FIELDS) for r in page]
    tree, maps.roots = _tree(_readable(categories, "category"), languages)
    groups = [_group(r, languages) for r in _readable(client.product_options(), "attribute group")]
    values = [_value(r, languages) for r in _readable(client.product_option_values(), "option value")]
    features = [
        ShopFeature(r.id, by_iso(r.i18n.get("name", {}), languages))
        for r in _readable(client.product_features(), "feature")
    ]
    feature_values = [_feature_value(r, languages) for r in _readable(client.product_feature_values(), "value")]
    for attempt in (1, 2):
        try:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                shops.lock(session, shop_id)  # another job of this shop may be writing its links
                maps.manufacturers = sync_manufacturers(session, shop_id, brands)
                maps.categories = sync_categories(session, shop_id, tree)
                maps.values = sync_attributes(session, shop_id, groups, values)
                maps.features = sync_features(session, shop_id, features, feature_values)
            break
        except IntegrityError:
            if attempt == 2:
                raise
    return maps


def _readable(records: Sequence[R | BadRecord], what: str) -> list[R]:
    bad = [r for r in records if isinstance(r, BadRecord)]
    for record in bad:
        log.warning("unreadable %s #%s left out: %s", what, record.remote_id, record.reason)
    return [r for r in records if not isinstance(r, BadRecord)]


def _tree(records: Sequence[Record], languages: dict[int, str]) -> tuple[list[ShopCategory], set[int]]:
    """Shop categories without the hidden Root; the shop's home (level 1) is a top category."""
    roots = {r.id for r in records if r.fields.get("level_depth", "").strip() in ("", "0")}
    out = []
    for r in records:
        if r.id in roots:
            continue
        parent = _int(r.fields.get("id_parent", ""))
        out.append(
            ShopCategory(
                remote_id=r.id,
                parent_id=None if parent in roots or parent == 0 else parent,
                name=by_iso(r.i18n.get("name", {}), languages),
                slug=by_iso(r.i18n.get("link_rewrite", {}), languages),
                active=r.fields.get("active", "").strip() == "1",
            )
        )
    return out, roots


def _group(r: Record, languages: dict[int, str]) -> ShopGroup:
    return ShopGroup(
        r.id,
        by_iso(r.i18n.get("name", {}), languages),
        by_iso(r.i18n.get("public_name", {}), languages),
        r.fields.get("group_type", "").strip()[:20],  # select, radio, color
    )


def _value(r: Record, languages: dict[int, str]) -> ShopValue:
    return ShopValue(
        r.id,
        _int(r.fields.get("id_attribute_group", "")),
        by_iso(r.i18n.get("name", {}), languages),
        r.fields.get("color", "").strip()[:20],
    )


def _feature_value(r: Record, languages: dict[int, str]) -> ShopFeatureValue:
    return ShopFeatureValue(
        r.id,
        _int(r.fields.get("id_feature", "")),
        by_iso(r.i18n.get("value", {}), languages),
        r.fields.get("custom", "").strip() == "1",
    )


def _int(raw: str) -> int:
    return int(raw) if raw.strip().isdigit() else 0
