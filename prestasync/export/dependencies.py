"""Records a product depends on, found in the shop or created there before the product:
categories, attribute groups and values, features and values, manufacturers.

A catalogue record is looked up by its `RemoteLink` for this shop (checked against what the
shop has: one deleted in the shop is found again or re-created), else by its key or path
(`naming.py`), else created, parents first. PrestaShop checks no duplicates (wire README,
fact 19), so two lanes creating the same missing record would make twins: creation runs under
the shop's row lock in the database (every process, every machine) and looks at the links
again once it holds it. Reading (the read stage, a preview) never creates: a record the shop
lacks is left out of the mapping, and the caller reports it as a planned creation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from prestasync import shops
from prestasync.errors import JobError
from prestasync.export.shopview import ShopView
from prestasync.export.text import for_languages
from prestasync.models import AttributeGroup, AttributeValue, Category, Feature, FeatureValue, RemoteLink
from prestasync.naming import key_of, slug_of

_local = threading.Lock()  # lanes of one process queue here before taking the database lock


@dataclass
class Resolver:
    """Shop ids for catalogue records, for one shop and one lane; `create` in the write stage."""

    engine: Engine
    shop_id: int
    view: ShopView
    create: bool
    reader: Engine | None = None  # for reading links without the write lock (`Runtime.reader`)
    # kind -> catalogue id -> shop id: every link of a kind read once per batch (one query, not
    # one per product and value), kept current with what this resolver links and creates.
    _cache: dict[str, dict[int, int]] = field(default_factory=dict)

    # -- categories -------------------------------------------------------------------------

    def categories(self, known: dict[int, Category], wanted: Iterable[int]) -> dict[int, int]:
        """Catalogue category id -> shop category id (those the shop lacks: only when creating)."""
        wanted = list(dict.fromkeys(wanted))
        linked = self._links("category", known)
        tree = self.view.tree
        resolved: dict[int, int] = {}

        def resolve(category_id: int) -> int | None:
            if category_id in resolved:
                return resolved[category_id]
            category = known[category_id]
            remote = linked.get(category_id)
            if remote is None or remote not in tree.paths:  # never linked, or deleted in the shop since
                remote = tree.by_path.get(category.path)
                if remote is not None:
                    self._link("category", category_id, remote)
                elif self.create:
                    parent = resolve(category.parent_id) if category.parent_id is not None else tree.home
                    if parent is None:
                        raise JobError("the shop has no home category to put new categories under")
                    remote = self._create_category(category, parent)
            if remote is not None:
                resolved[category_id] = remote
            return remote

        return {c: r for c in wanted if (r := resolve(c)) is not None}

    def _create_category(self, category: Category, parent: int) -> int:
        names = for_languages(category.name, self.view)
        slugs = {lang: category.slug.get(self.view.iso_of[lang]) or slug_of(text) for lang, text in names.items()}
        fields = {"id_parent": str(parent), "active": "1" if category.active else "0"}

        def make() -> int:
            return self.view.client.create("categories", fields, {"name": names, "link_rewrite": slugs}).id

        remote = self._once("category", category.id, make)
        self.view.tree.add(remote, category.path)
        return remote

    # -- attribute groups and values ------------------------------------------------------------

    def option_values(
        self, groups: dict[int, AttributeGroup], values: dict[int, AttributeValue], wanted: Iterable[int]
    ) -> dict[int, int]:
        """Catalogue attribute value id -> shop `product_option_values` id."""
        shop = self.view.options
        group_ids: dict[int, int | None] = {}
        out: dict[int, int] = {}
        for value_id in dict.fromkeys(wanted):
            value = values[value_id]
            group = groups[value.group_id]
            if group.id not in group_ids:
                make_group = partial(self._new_group, group)
                found_group = shop.groups.get(group.key)
                group_ids[group.id] = self._resolve(
                    "attribute_group", group.id, found_group, set(shop.groups.values()), make_group
                )
            remote_group = group_ids[group.id]
            if remote_group is None:
                continue
            found = shop.values.get((remote_group, value.key))
            remote = self._resolve(
                "attribute_value", value.id, found, shop.value_ids, partial(self._new_value, value, remote_group)
            )
            if remote is not None:
                out[value_id] = remote
        return out

    def _new_group(self, group: AttributeGroup) -> int:
        names = for_languages(group.name, self.view)
        public = for_languages(group.public_name or group.name, self.view)
        fields = {"group_type": group.group_type, "is_color_group": "1" if group.group_type == "color" else "0"}
        remote = self.view.client.create("product_options", fields, {"name": names, "public_name": public}).id
        self.view.options.groups[group.key] = remote
        return remote

    def _new_value(self, value: AttributeValue, remote_group: int) -> int:
        fields = {"id_attribute_group": str(remote_group), "color": value.color}
        remote = self.view.client.create(
            "product_option_values", fields, {"name": for_languages(value.name, self.view)}
        ).id
        self.view.options.values[(remote_group, value.key)] = remote
        self.view.options.value_ids.add(remote)
        return remote

    # -- features -------------------------------------------------------------------------------

    def feature_values(
        self, features: dict[int, Feature], values: dict[int, FeatureValue], wanted: Iterable[tuple[int, int]]
    ) -> dict[tuple[int, int], tuple[int, int]]:
        """(catalogue feature, value) -> (shop feature, shop value) for the product's features."""
        shop = self.view.features
        out: dict[tuple[int, int], tuple[int, int]] = {}
        for feature_id, value_id in dict.fromkeys(wanted):
            feature, value = features[feature_id], values[value_id]
            found_feature = shop.features.get(feature.key)
            make_feature = partial(self._new_feature, feature)
            remote_feature = self._resolve(
                "feature", feature.id, found_feature, set(shop.features.values()), make_feature
            )
            if remote_feature is None:
                continue
            found = None if value.custom else shop.values.get((remote_feature, value.key))
            make_value = partial(self._new_feature_value, value, remote_feature)
            remote = self._resolve("feature_value", value.id, found, shop.value_ids, make_value)
            if remote is not None:
                out[(feature_id, value_id)] = (remote_feature, remote)
        return out

    def _new_feature(self, feature: Feature) -> int:
        remote = self.view.client.create("product_features", {}, {"name": for_languages(feature.name, self.view)}).id
        self.view.features.features[feature.key] = remote
        return remote

    def _new_feature_value(self, value: FeatureValue, remote_feature: int) -> int:
        fields = {"id_feature": str(remote_feature), "custom": "1" if value.custom else "0"}
        remote = self.view.client.create(
            "product_feature_values", fields, {"value": for_languages(value.value, self.view)}
        ).id
        if not value.custom:
            self.view.features.values[(remote_feature, value.key)] = remote
        self.view.features.value_ids.add(remote)
        return remote

    # -- manufacturers ----------------------------------------------------------------------------

    def manufacturer(self, local_id: int, name: str) -> int | None:
        shop = self.view.manufacturers
        key = key_of({"en": name})
        make = partial(self._new_manufacturer, name, key)
        return self._resolve("manufacturer", local_id, shop.get(key), set(shop.values()), make)

    def _new_manufacturer(self, name: str, key: str) -> int:
        remote = self.view.client.create("manufacturers", {"name": name, "active": "1"}).id
        self.view.manufacturers[key] = remote
        return remote

    # -- the shared path: link, match, create once ------------------------------------------------

    def _resolve(
        self, kind: str, local_id: int, match: int | None, existing: set[int], make: Callable[[], int]
    ) -> int | None:
        linked = self._links(kind, [local_id]).get(local_id)
        if linked is not None and linked in existing:
            return linked
        if match is not None:
            self._link(kind, local_id, match)
            return match
        return self._once(kind, local_id, make) if self.create else None

    def _once(self, kind: str, local_id: int, make: Callable[[], int]) -> int:
        """Create a shop record for `local_id` unless another lane did while we waited for the lock."""
        with _local, shop_lock(self.engine, self.shop_id) as session:
            again = session.execute(
                select(RemoteLink.remote_id).where(
                    RemoteLink.shop_id == self.shop_id, RemoteLink.kind == kind, RemoteLink.local_id == local_id
                )
            ).scalar()
            if again is not None:
                self._remember(kind, local_id, int(again))
                return int(again)
            remote = make()
            # Linked before the lock is let go: a lane waiting for it must find the link, not create a twin.
            _relink(session, self.shop_id, kind, local_id, remote, None)
        self._remember(kind, local_id, remote)
        return remote

    def _links(self, kind: str, local_ids: Iterable[int]) -> dict[int, int]:
        if kind not in self._cache:
            with Session(self.reader or self.engine) as session:
                rows = session.execute(
                    select(RemoteLink.local_id, RemoteLink.remote_id).where(
                        RemoteLink.shop_id == self.shop_id, RemoteLink.kind == kind
                    )
                )
                self._cache[kind] = {int(local): int(remote) for local, remote in rows}
        known = self._cache[kind]
        return {i: known[i] for i in local_ids if i in known}

    def _link(self, kind: str, local_id: int, remote_id: int, checksum: str | None = None) -> None:
        link(self.engine, self.shop_id, kind, local_id, remote_id, checksum)
        self._remember(kind, local_id, remote_id)

    def _remember(self, kind: str, local_id: int, remote_id: int) -> None:
        if kind in self._cache:
            self._cache[kind] = {k: v for k, v in self._cache[kind].items() if v != remote_id} | {local_id: remote_id}


@dataclass(frozen=True)
class Link:
    """What a catalogue record (`kind`, `local_id`) is called in a shop, and the checksum sent."""

    kind: str
    local_id: int
    remote_id: int
    checksum: str | None = None


def link(engine: Engine, shop_id: int, kind: str, local_id: int, remote_id: int, checksum: str | None = None) -> None:
    """Remember (or correct) what `local_id` is called in the shop; one link per local and per remote id."""
    link_many(engine, shop_id, [Link(kind, local_id, remote_id, checksum)])


def link_many(engine: Engine, shop_id: int, links: Iterable[Link]) -> None:
    """`link` for several records in one transaction (none: no transaction)."""
    links = list(links)
    if links:
        with shop_lock(engine, shop_id) as session:
            for one in links:
                _relink(session, shop_id, one.kind, one.local_id, one.remote_id, one.checksum)


def _relink(session: Session, shop_id: int, kind: str, local_id: int, remote_id: int, checksum: str | None) -> None:
    for row in session.execute(
        select(RemoteLink).where(
            RemoteLink.shop_id == shop_id,
            RemoteLink.kind == kind,
            (RemoteLink.local_id == local_id) | (RemoteLink.remote_id == remote_id),
        )
    ).scalars():
        session.delete(row)
    session.flush()
    session.add(RemoteLink(shop_id=shop_id, kind=kind, local_id=local_id, remote_id=remote_id, checksum=checksum))


@contextmanager
def shop_lock(engine: Engine, shop_id: int) -> Iterator[Session]:
    """A transaction holding the shop's row lock: one creator of shared records, and one writer
    of links, per shop."""
    with Session(engine) as session, session.begin():
        shops.lock(session, shop_id)
        yield session
