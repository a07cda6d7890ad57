"""Seeding a shop from its `ShopConfig`: languages, the shop, tax groups, categories, brands, features,
products with their stock rows, combinations and images. Deterministic from `ShopConfig.seed`.

Products and their own stock rows are lazy (see `seedvalues.py`); combinations, their stock rows and
image rows are small dicts built here; image bytes are generated on demand (`images.py`).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from prestasync.prestashop.emulator.images import SEEDED
from prestasync.prestashop.emulator.resources import RESOURCES
from prestasync.prestashop.emulator.seedvalues import HOME, Seeded

if TYPE_CHECKING:
    from prestasync.prestashop.emulator.state import ShopState
    from prestasync.prestashop.emulator.table import Row

_LOCALES = {"en": "en-US", "pl": "pl-PL", "fr": "fr-FR"}
TAX_GROUPS = (
    "FR Taux standard (20%)",
    "FR Taux réduit (10%)",
    "FR Taux réduit (5.5%)",
    "FR Taux super réduit (2.1%)",
    "EU VAT For Virtual Products",
)
_STAMP = "2026-01-01 00:00:00"


def seed_shop(shop: ShopState) -> None:
    """Fill a new shop's tables from its configuration."""
    cfg = shop.config
    seeded = Seeded([(i, iso) for i, iso, _ in cfg.languages], manufacturers=cfg.manufacturers)
    seeded.combinations = cfg.combinations_per_product
    shop.seeded = seeded
    _static(shop)
    seeded.leaves = _categories(shop, cfg.category_depth)
    _manufacturers(shop, cfg.manufacturers)
    seeded.feature_values = _features(shop, cfg.features)
    _products(shop)
    _combinations(shop, cfg.combinations_per_product)
    _images(shop, cfg.images_per_product)
    _broken(shop)


def add_row(shop: ShopState, resource: str, row: Row) -> None:
    """Store a row of a seed (indexes kept right)."""
    shop.store(RESOURCES[resource], row)


def i18n(shop: ShopState, text: str) -> dict[int, str]:
    return dict.fromkeys(shop.lang_ids, text)


def _static(shop: ShopState) -> None:
    for lang_id, iso, name in shop.config.languages:
        locale = _LOCALES.get(iso, f"{iso}-{iso.upper()}")
        us = iso == "en"
        row = {"id": str(lang_id), "name": name, "iso_code": iso, "locale": locale, "active": "1", "is_rtl": "0"}
        row |= {"language_code": locale.lower(), "date_format_lite": "m/d/Y" if us else "Y-m-d"}
        row["date_format_full"] = "m/d/Y H:i:s" if us else "Y-m-d H:i:s"
        add_row(shop, "languages", row)
    add_row(shop, "shop_groups", {"id": "1", "name": "Default", "active": "1"})
    shop_row = {"id": "1", "id_shop_group": "1", "id_category": str(HOME), "active": "1"}
    add_row(shop, "shops", shop_row | {"name": shop.config.name, "theme_name": "classic"})
    for tax_id, name in enumerate(TAX_GROUPS, 1):
        row = {"id": str(tax_id), "name": name, "active": "1", "deleted": "0", "date_add": _STAMP, "date_upd": _STAMP}
        add_row(shop, "tax_rule_groups", row)


def _category(shop: ShopState, cid: int, parent: int, depth: int, position: int, name: str) -> None:
    row: Row = {"id": str(cid), "id_parent": str(parent), "level_depth": str(depth), "active": "1"}
    row |= {"id_shop_default": "1", "is_root_category": "1" if cid == HOME else "0", "position": str(position)}
    row |= {"date_add": _STAMP, "date_upd": _STAMP, "name": i18n(shop, name)}
    row["link_rewrite"] = i18n(shop, name.lower().replace(" ", "-"))
    add_row(shop, "categories", row)


def _categories(shop: ShopState, depth: int) -> list[tuple[int, ...]]:
    """Root and Home, then a tree two wide and `depth` deep under Home; returns the leaf chains."""
    _category(shop, 1, 0, 0, 0, "Root")
    _category(shop, HOME, 1, 1, 0, "Home")
    chains: list[tuple[int, ...]] = [(HOME,)]
    next_id = 3
    for level in range(depth):
        grown = []
        for chain in chains:
            for position in range(2):
                _category(shop, next_id, chain[-1], level + 2, position, f"Category {next_id}")
                grown.append((*chain, next_id))
                next_id += 1
        chains = grown
    return chains


def _manufacturers(shop: ShopState, count: int) -> None:
    for mid in range(1, count + 1):
        row = {"id": str(mid), "active": "1", "name": f"Brand {mid}", "date_add": _STAMP, "date_upd": _STAMP}
        add_row(shop, "manufacturers", row)


def _features(shop: ShopState, count: int) -> list[list[int]]:
    out, value_id = [], 1
    for fid in range(1, count + 1):
        add_row(
            shop, "product_features", {"id": str(fid), "position": str(fid - 1), "name": i18n(shop, f"Feature {fid}")}
        )
        ids = []
        for k in range(3):
            row = {
                "id": str(value_id),
                "id_feature": str(fid),
                "custom": "0",
                "value": i18n(shop, f"Value {fid}.{k + 1}"),
            }
            add_row(shop, "product_feature_values", row)
            ids.append(value_id)
            value_id += 1
        out.append(ids)
    return out


def _products(shop: ShopState) -> None:
    rng = random.Random(shop.config.seed)
    products, stock = shop.tables["products"], shop.tables["stock_availables"]
    count = shop.config.products
    refs, owners = products.index["reference"], stock.index["id_product"]
    assert shop.seeded is not None
    for pid in range(1, count + 1):
        refs[f"sku-{pid:05d}"] = [pid]
        owners[repr(float(pid))] = [pid]
        price, sid = f"{rng.randint(100, 99_999) / 100:.6f}", str(pid)
        products.rows[pid] = {"id": sid, "price": price, "_seed": True}
        stock.rows[pid] = {"id": sid, "id_product": sid, "quantity": str(rng.randint(0, 100)), "_seed": True}
        shop.stock_index[(pid, 0)] = pid
        for cat in shop.seeded.chain(pid):
            shop.category_sizes[cat] = shop.category_sizes.get(cat, 0) + 1
    products.ids = list(range(1, count + 1))
    stock.ids = list(products.ids)
    products.next_id = stock.next_id = count + 1


def _combinations(shop: ShopState, per_product: int) -> None:
    """`per_product` combinations per product over a "Size" group; row 0 holds their sum."""
    if not per_product or not shop.config.products:
        return
    add_row(shop, "product_options", _size_group(shop))
    for k in range(per_product):
        row = {"id": str(k + 1), "id_attribute_group": "1", "position": str(k), "name": i18n(shop, f"S{k + 1}")}
        add_row(shop, "product_option_values", row)
    rng = random.Random(shop.config.seed + 1)
    combos, stock = shop.tables["combinations"], shop.tables["stock_availables"]
    by_product = combos.index["id_product"]
    stock_id = stock.next_id
    for pid in range(1, shop.config.products + 1):
        total = 0
        ids = []
        for k in range(per_product):
            cid = (pid - 1) * per_product + k + 1
            row = {
                "id": str(cid),
                "id_product": str(pid),
                "reference": f"SKU-{pid:05d}-{k + 1}",
                "minimal_quantity": "1",
            }
            combos.rows[cid] = row | {"price": "0.000000", "_values": (k + 1,)}
            ids.append(cid)
            quantity = rng.randint(0, 50)
            total += quantity
            stock.rows[stock_id] = {"id": str(stock_id), "id_product": str(pid), "id_product_attribute": str(cid)}
            stock.rows[stock_id] |= {"quantity": str(quantity), "_seed": True}
            stock.index["id_product"][repr(float(pid))].append(stock_id)
            shop.stock_index[(pid, cid)] = stock_id
            stock.ids.append(stock_id)
            stock_id += 1
        by_product[repr(float(pid))] = ids
        combos.ids.extend(ids)
        stock.rows[pid]["quantity"] = str(total)
    combos.next_id = len(combos.ids) + 1
    stock.next_id = stock_id


def _size_group(shop: ShopState) -> Row:
    row = {"id": "1", "is_color_group": "0", "group_type": "select", "position": "0"}
    return row | {"name": i18n(shop, "Size"), "public_name": i18n(shop, "Size")}


def _images(shop: ShopState, per_product: int) -> None:
    for pid in range(1, shop.config.products + 1):
        for k in range(per_product):
            shop.images.add(pid, SEEDED, "image/png", (pid - 1) * per_product + k + 1)


def _broken(shop: ShopState) -> None:
    res = RESOURCES["products"]
    table = shop.tables["products"]
    for pid, overrides in shop.config.broken.items():
        row = table.rows.get(pid)
        if row is None:
            continue
        shop.reindex(res, row, -1)
        for name, raw in overrides.items():
            f = res.field(name)
            row[name] = dict.fromkeys(shop.lang_ids, raw) if f is not None and f.i18n else raw
        shop.reindex(res, row, +1)
