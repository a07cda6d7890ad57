"""A product's combinations in one shop: matched, compared, created or changed; their stock.

A catalogue combination is matched to a shop combination of the same product by its link
(`RemoteLink` kind `combination`), else by its reference when that is its own (not empty, not
the product's: the demo shop gives both the same, wire README fact 4) and unique in the product,
else by its set of attribute values. Only what differs is written. Combinations the shop has
and the catalogue does not are left alone unless the job asks to delete them (`prune`).
Stock is per combination: the product's own row is their sum, and is never written (fact 18).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prestasync.export.source import Batch, Source
from prestasync.export.state import same
from prestasync.models import Combination
from prestasync.prestashop import Combination as RemoteCombination
from prestasync.prestashop import PrestaShopClient, StockRow

FIELDS = ("reference", "ean13", "isbn", "upc", "mpn", "price", "weight", "minimal_quantity")


@dataclass(frozen=True)
class VariantChange:
    """One catalogue combination: what to send to the shop, or nothing when it matches."""

    label: str
    local: Combination
    remote_id: int | None  # None: create it
    fields: dict[str, str]
    values: tuple[int, ...] | None  # shop option value ids to set; None: leave them
    stock_row: StockRow | None
    stock: int | None  # the quantity to set; None: already right
    images: tuple[int, ...] | None  # catalogue image ids it should show; None: not managed


@dataclass(frozen=True)
class VariantPlan:
    changes: tuple[VariantChange, ...] = ()
    extra: tuple[RemoteCombination, ...] = ()  # in the shop, not in the catalogue
    prune: bool = False
    missing_values: tuple[str, ...] = ()  # combinations whose attribute values the shop lacks yet
    shown: dict[str, list[Any]] | None = None


def plan(
    source: Source,
    batch: Batch,
    shop: tuple[RemoteCombination, ...],
    stock: Mapping[int, StockRow],
    links: Mapping[int, int],
    values: Mapping[int, int],
    image_links: Mapping[int, int],
    *,
    prune: bool,
) -> VariantPlan:
    """Match and compare the product's combinations. `links` maps catalogue combinations to the
    shop's, `values` attribute values, `image_links` images already uploaded."""
    matched = _match(source, shop, links, values)
    shown: dict[str, list[Any]] = {}
    changes: list[VariantChange] = []
    missing: list[str] = []
    for local in source.combinations:
        label = label_of(local, source, batch)
        remote = matched.get(local.id)
        wanted = _fields(local)
        mapped = tuple(sorted(values[v] for v in local.values if v in values))
        if len(mapped) < len(local.values):
            missing.append(label)
        if remote is None:
            shown[f"combination[{label}]"] = [None, "new"]
            changes.append(
                VariantChange(label, local, None, wanted, mapped, None, local.quantity or None, _imgs(local))
            )
            if local.quantity:
                shown[f"combination[{label}].stock"] = [None, local.quantity]
            continue
        fields = {k: v for k, v in wanted.items() if not same(k, remote.fields.get(k, ""), v)}
        shown.update({f"combination[{label}].{k}": [remote.fields.get(k, ""), v] for k, v in fields.items()})
        new_values = (
            mapped if len(mapped) == len(local.values) and set(mapped) != set(remote.option_value_ids) else None
        )
        if new_values is not None:
            shown[f"combination[{label}].attributes"] = [sorted(remote.option_value_ids), list(new_values)]
        wanted_images = [image_links[i] for i in local.images if i in image_links]
        if len(wanted_images) == len(local.images) and set(wanted_images) != set(remote.image_ids):
            shown[f"combination[{label}].images"] = [sorted(remote.image_ids), sorted(wanted_images)]
        row = stock.get(remote.id)
        stock_now = row.quantity if row else None
        quantity = local.quantity if local.quantity != stock_now else None
        if quantity is not None:
            shown[f"combination[{label}].stock"] = [stock_now, local.quantity]
        changes.append(VariantChange(label, local, remote.id, fields, new_values, row, quantity, _imgs(local)))
    taken = {c.id for c in matched.values()}
    extra = tuple(c for c in shop if c.id not in taken)
    for combination in extra:
        name = combination.reference or f"#{combination.id}"
        shown[f"combination[{name}]"] = ["present", "deleted" if prune else "kept (not in the catalogue)"]
    return VariantPlan(tuple(changes), extra, prune, tuple(missing), shown)


def _match(
    source: Source, shop: tuple[RemoteCombination, ...], links: Mapping[int, int], values: Mapping[int, int]
) -> dict[int, RemoteCombination]:
    by_id = {c.id: c for c in shop}
    own_refs: dict[str, list[RemoteCombination]] = {}
    for c in shop:
        if c.reference and c.reference != source.product.sku:
            own_refs.setdefault(c.reference, []).append(c)
    by_values = {tuple(sorted(c.option_value_ids)): c for c in shop}
    matched: dict[int, RemoteCombination] = {}
    taken: set[int] = set()
    for local in source.combinations:
        found = by_id.get(links.get(local.id, 0))
        if found is None and local.reference and local.reference != source.product.sku:
            candidates = own_refs.get(local.reference, [])
            found = candidates[0] if len(candidates) == 1 else None
        if found is None and local.values and all(v in values for v in local.values):
            found = by_values.get(tuple(sorted(values[v] for v in local.values)))
        if found is not None and found.id not in taken:
            matched[local.id] = found
            taken.add(found.id)
    return matched


def label_of(local: Combination, source: Source, batch: Batch) -> str:
    """How people tell a combination apart: its own reference, else its attributes."""
    if local.reference and local.reference != source.product.sku:
        return local.reference
    names = []
    for value_id in local.values:
        value = batch.values.get(value_id)
        group = batch.groups.get(value.group_id) if value else None
        if value is not None and group is not None:
            names.append(f"{_name(group.public_name or group.name)}: {_name(value.name)}")
    return ", ".join(names) or f"#{local.id}"


def _name(texts: Mapping[str, str]) -> str:
    return texts.get("en") or next((t for _, t in sorted(texts.items()) if t), "?")


def _fields(local: Combination) -> dict[str, str]:
    return {
        "reference": local.reference,
        "ean13": local.ean13,
        "isbn": local.isbn,
        "upc": local.upc,
        "mpn": local.mpn,
        "price": format(local.price_impact, "f"),
        "weight": format(local.weight_impact, "f"),
        "minimal_quantity": str(local.minimal_quantity),
    }


def _imgs(local: Combination) -> tuple[int, ...] | None:
    return tuple(local.images) if local.images else None


def apply(
    client: PrestaShopClient,
    product_id: int,
    variants: VariantPlan,
    image_ids: Mapping[int, int],
    shop_images: Mapping[int, tuple[int, ...]],
) -> dict[int, int]:
    """Write the combinations' changes; returns catalogue combination id -> shop id for all.

    `image_ids` maps catalogue images to the shop's (after the images step); `shop_images` is
    what each existing shop combination shows now, so image lists are written only when they differ.
    """
    remote_ids: dict[int, int] = {}
    for change in variants.changes:
        images = [image_ids[i] for i in change.images if i in image_ids] if change.images is not None else None
        associations: dict[str, list[int]] = {}
        if change.remote_id is None:
            associations["product_option_values"] = list(change.values or ())
            if images:
                associations["images"] = images
            fields = {"id_product": str(product_id), **change.fields}
            remote_ids[change.local.id] = client.create("combinations", fields, associations=associations).id
            continue
        remote_ids[change.local.id] = change.remote_id
        if change.values is not None:
            associations["product_option_values"] = list(change.values)
        if images is not None and tuple(sorted(images)) != tuple(sorted(shop_images.get(change.remote_id, ()))):
            associations["images"] = images
        if change.fields or associations:
            client.patch("combinations", change.remote_id, change.fields, associations=associations or None)
    if variants.prune:
        for combination in variants.extra:
            client.delete("combinations", combination.id)
    return remote_ids
