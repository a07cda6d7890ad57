"""One product of an export: its whole plan (the product, its combinations, images and prices)
and, in the write stage, its writes step by step.

The steps run in the order the shop needs: records the product depends on (categories,
attribute values, features, manufacturer) are resolved first, then the product itself, its
images (combinations point at them), its combinations, its specific prices (some point at
combinations). Stock comes last, for the whole batch at once (`batch.py`): new products and
combinations get their stock rows from the shop, read in one request. A failed step fails the
product with the step named ("image 3/7: …"); the steps done before it stay done, so retrying
the failed items redoes only what is left.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from prestasync.export import pictures, prices, variants
from prestasync.export.dependencies import Link, Resolver, link_many
from prestasync.export.desired import desired
from prestasync.export.push import push
from prestasync.export.reading import Found
from prestasync.export.shopview import ShopView
from prestasync.export.source import Batch, Source
from prestasync.export.state import Pairs, Plan, State, current_of, digest, plan
from prestasync.imagestore import ImageStore
from prestasync.models import RemoteLink
from prestasync.prestashop import PrestaShopClient, PrestaShopError, StockRow


@dataclass(frozen=True)
class ItemPlan:
    """Everything one product needs in one shop; `changes` is what people read."""

    product: Plan
    variants: variants.VariantPlan
    images: pictures.ImagePlan
    prices: prices.PricePlan
    notes: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()  # records the shop lacks yet (created by the write stage)
    seen: str = "new"  # a fingerprint of what the shop had, to tell drift since a preview

    @property
    def changes(self) -> dict[str, list[Any]]:
        merged = dict(self.product.changes)
        for part in (self.variants.shown, self.images.shown, self.prices.shown):
            merged.update(part or {})
        if self.pending:
            merged["new in the shop"] = [None, list(self.pending)]
        return merged

    @property
    def empty(self) -> bool:
        return not self.changes and not self.product.create


@dataclass(frozen=True)
class StockWrite:
    """A stock row to set once the batch's products and combinations exist."""

    product_id: int
    attribute_id: int  # 0: the product's own row
    row: StockRow | None
    quantity: int
    label: str


@dataclass
class Links:
    """The batch's links to shop records that are not shared dependencies."""

    combinations: dict[int, int] = field(default_factory=dict)
    images: dict[int, tuple[int, str | None]] = field(default_factory=dict)
    prices: set[int] = field(default_factory=set)  # shop ids of specific prices an export created


def load_links(engine: Engine, shop_id: int, batch: Batch) -> Links:
    combos = [c.id for s in batch.sources.values() for c in s.combinations]
    images = [i.id for s in batch.sources.values() for i in s.images]
    links = Links()
    with Session(engine) as session:
        for kind, local, remote, checksum in session.execute(
            select(RemoteLink.kind, RemoteLink.local_id, RemoteLink.remote_id, RemoteLink.checksum).where(
                RemoteLink.shop_id == shop_id,
                ((RemoteLink.kind == "combination") & RemoteLink.local_id.in_(combos))
                | ((RemoteLink.kind == "image") & RemoteLink.local_id.in_(images))
                | (RemoteLink.kind == "specific_price"),
            )
        ):
            if kind == "combination":
                links.combinations[local] = remote
            elif kind == "image":
                links.images[local] = (remote, checksum)
            else:
                links.prices.add(remote)
    return links


def plan_item(source: Source, found: Found, view: ShopView, resolver: Resolver, batch: Batch, links: Links,
              *, prune: bool) -> ItemPlan:  # fmt: skip
    """Compare the catalogue's product with what the shop has, part by part."""
    p = source.product
    pending: list[str] = []
    categories = resolver.categories(batch.categories, source.categories)
    pending += [f"category {batch.categories[c].path}" for c in source.categories if c not in categories]
    brand = (
        resolver.manufacturer(p.manufacturer_id, source.manufacturer)
        if source.manufacturer and p.manufacturer_id
        else None
    )
    if source.manufacturer and brand is None:
        pending.append(f"manufacturer {source.manufacturer}")
    features = _features(source, batch, resolver, pending)
    record = found.record
    current = current_of(record, found.stock.quantity if found.stock else None) if record else None
    wanted = desired(source, view, current, categories, has_combinations=found.has_combinations,
                     manufacturer=brand, features=features)  # fmt: skip
    values = resolver.option_values(batch.groups, batch.values, {v for c in source.combinations for v in c.values})
    image_links = {local: remote for local, (remote, _) in links.images.items()}
    variant_plan = variants.plan(source, batch, found.combinations, found.variant_stock, links.combinations, values,
                                 image_links, prune=prune)  # fmt: skip
    pending += [f"attribute values of {label}" for label in variant_plan.missing_values]
    return ItemPlan(
        plan(wanted.state, current, view.iso_of),
        variant_plan,
        pictures.plan(source.images, record, links.images),
        prices.plan(source.prices, found.prices, links.combinations, links.prices),
        wanted.notes,
        tuple(pending),
        _seen(current, found) if current else "new",
    )


def _seen(current: State, found: Found) -> str:
    """The product's fingerprint (`state.digest`) and its combinations, their stock, prices and images."""
    parts = {
        "product": digest(current),
        "combinations": sorted(
            (c.id, sorted(c.fields.items()), sorted(c.option_value_ids), sorted(c.image_ids))
            for c in found.combinations
        ),  # fmt: skip
        "stock": sorted((k, r.quantity) for k, r in found.variant_stock.items()),
        "prices": sorted(sorted(p.fields.items()) for p in found.prices),
        "images": sorted(found.record.image_ids) if found.record else [],
    }
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _features(source: Source, batch: Batch, resolver: Resolver, pending: list[str]) -> Pairs | None:
    if not source.features:
        return None
    mapped = resolver.feature_values(batch.features, batch.feature_values, source.features)
    if len(mapped) < len(source.features):
        pending.append("features")
    return tuple(sorted(mapped.values()))


@dataclass
class ItemWriter:
    """Writes one product's plan, step by step, naming the step that fails."""

    client: PrestaShopClient
    engine: Engine
    shop_id: int
    store: ImageStore
    progress: Callable[[str, int, int], None]  # (phase, done, total): the card's sub-progress
    step: str = "product"

    def write(self, source: Source, item: ItemPlan, found: Found) -> tuple[int, list[StockWrite], str | None]:
        """Apply the plan; returns the shop id, the stock rows left to set, and a note.

        What was made in the shop is linked in one transaction at the end, also when a later
        step fails (an image uploaded before a failing one is not sent again on retry).
        """
        made: list[Link] = []
        try:
            return self._write(source, item, found, made)
        finally:
            link_many(self.engine, self.shop_id, made)

    def _write(
        self, source: Source, item: ItemPlan, found: Found, made: list[Link]
    ) -> tuple[int, list[StockWrite], str | None]:
        self.step = "product"
        written = push(self.client, source.product.sku, item.product, found.record)
        product_id = written.remote_id
        self.step = "images"

        def remember(image_id: int, remote_id: int, checksum: str) -> None:
            made.append(Link("image", image_id, remote_id, checksum))

        images = pictures.apply(self.client, self.store, product_id, item.images, remember, self._images)
        self.step = "combinations"
        shop_images = {c.id: tuple(c.image_ids) for c in found.combinations}
        combos = variants.apply(self.client, product_id, item.variants, images, shop_images)
        made.extend(Link("combination", local, remote) for local, remote in combos.items())
        self.step = "specific prices"
        for rule_id, remote in prices.apply(self.client, product_id, item.prices, combos):
            made.append(Link("specific_price", rule_id, remote))
        stock = self._stock(item, found, product_id, combos)
        return product_id, stock, written.note

    def _stock(self, item: ItemPlan, found: Found, product_id: int, combos: dict[int, int]) -> list[StockWrite]:
        out = []
        if item.product.stock is not None:
            out.append(
                StockWrite(product_id, 0, found.stock if not item.product.create else None, item.product.stock, "stock")
            )
        for change in item.variants.changes:
            if change.stock is not None:
                out.append(StockWrite(product_id, combos[change.local.id], change.stock_row, change.stock,
                                      f"stock of {change.label}"))  # fmt: skip
        return out

    def _images(self, done: int, total: int) -> None:
        self.step = f"image {done}/{total}"
        self.progress("images", done - 1, total)


def failed_step(writer: ItemWriter, exc: PrestaShopError | Exception) -> str:
    """The failure as a person reads it: the step, then the shop's (or our) message."""
    message = exc.message if isinstance(exc, PrestaShopError) and exc.message else str(exc)
    return message if message.startswith(writer.step) else f"{writer.step}: {message}"
