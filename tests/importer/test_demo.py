"""Importing the real PrestaShop 8.1.2 demo catalogue (rebuilt from the captures) into an empty
catalogue, and importing it again."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from prestasync.config import Settings
from prestasync.models import (
    AttributeValue,
    Category,
    Combination,
    FeatureValue,
    Image,
    Manufacturer,
    Product,
    ProductCategory,
    ProductFeature,
    RemoteLink,
    SpecificPrice,
)
from prestasync.prestashop import Combination as Combination_
from prestasync.prestashop import PrestaShopClient, RemoteProduct
from prestasync.prestashop.emulator import EmulatedShop
from tests.importer.conftest import Rig
from tests.prestashop.emulator.demo_state import KEY, demo_shop

EN, FR = 1, 2
KINDS = {"standard": "simple", "combinations": "combinations", "pack": "pack", "virtual": "virtual"}
TABLES = (Product, Combination, Image, Category, ProductCategory, ProductFeature, AttributeValue, SpecificPrice)


def shop_paths(shop: EmulatedShop) -> dict[int, str]:
    """Each shop category's path from Home, by its English names (Root left out)."""
    cats = {int(c["id"]): c for c in shop.records("categories")}

    def path(cid: int) -> str:
        c = cats[cid]
        if int(c["level_depth"]) <= 1:
            return "home"
        return f"{path(int(c['id_parent']))} > {c['name'][EN].strip().casefold()}"

    return {cid: path(cid) for cid, c in cats.items() if int(c["level_depth"]) >= 1}


def wire(url: str) -> tuple[dict[int, RemoteProduct], dict[int, list[int]]]:
    """The shop's products and each combination's images, as its webservice serves them."""
    with PrestaShopClient.connect(url, KEY) as client:
        products = {p.id: p for p in client.products_by_ids(list(range(1, 20))) if isinstance(p, RemoteProduct)}
        combinations = client.combinations_of(list(products))
    return products, {c.id: c.image_ids for c in combinations if isinstance(c, Combination_)}


def test_demo_catalogue_imports_whole_and_a_second_import_changes_nothing(
    settings: Settings, serve: Any, db_url: str
) -> None:
    shop = demo_shop()
    (url,) = serve(shop)
    rig = Rig(settings.model_copy(update={"database_url": db_url}))
    rig.add("Demo", url, KEY)
    job = rig.run()
    assert (job.status, job.total, job.processed, job.failed, job.created) == ("completed", 19, 19, 0, 19)
    assert job.step is None

    expected = {p["reference"]: p for p in shop.products()}
    products = {p.sku: p for p in rig.all(Product)}
    assert set(products) == set(expected)
    taxes = {int(t["id"]): t["name"] for t in shop.records("tax_rule_groups")}
    brands = {m.id: m.name for m in rig.all(Manufacturer)}
    shop_brands = {int(m["id"]): m["name"] for m in shop.records("manufacturers")}
    assert sorted(brands.values()) == sorted(shop_brands.values())
    for sku, record in expected.items():
        got = products[sku]
        assert (got.price, got.quantity) == (Decimal(record["price"]), record["quantity"])
        assert got.name == {"en": record["name"][EN], "fr": record["name"][FR]}
        assert got.description_short == {"en": record["description_short"][EN], "fr": record["description_short"][FR]}
        assert got.kind == KINDS[record["product_type"]]
        assert got.tax_group == taxes[record["id_tax_rules_group"]]
        assert brands[got.manufacturer_id] == shop_brands[record["id_manufacturer"]]  # type: ignore[index]
        assert got.weight == Decimal(record["weight"])
    assert "\r\n" in products["demo_1"].description_short["en"]  # kept byte exact (README fact 13)

    # The category tree, each product's default category and links, by path.
    paths = shop_paths(shop)
    categories = {c.id: c for c in rig.all(Category)}
    assert {c.path for c in categories.values()} == set(paths.values())
    assert rig.links(1, "category") == {
        cid: next(c.id for c in categories.values() if c.path == p) for cid, p in paths.items()
    }
    shop_categories = {int(c["id"]): c for c in shop.records("categories")}
    for c in categories.values():
        remote = next(cid for cid, p in paths.items() if p == c.path)
        assert c.name == {"en": shop_categories[remote]["name"][EN], "fr": shop_categories[remote]["name"][FR]}
        assert c.slug == {
            "en": shop_categories[remote]["link_rewrite"][EN],
            "fr": shop_categories[remote]["link_rewrite"][FR],
        }
    links = [(pc.product_id, categories[pc.category_id].path) for pc in rig.all(ProductCategory)]
    for sku, record in expected.items():
        pid = products[sku].id
        assert {p for owner, p in links if owner == pid} == {paths[c] for c in record["categories"] if c in paths}
        assert categories[products[sku].category_id].path == paths[record["id_category_default"]]  # type: ignore[index]

    # Combinations with their own stock; a product's own stock is their sum (fact 2).
    stock = {
        (int(s["id_product"]), int(s["id_product_attribute"])): int(s["quantity"])
        for s in shop.records("stock_availables")
    }
    combos = {c.id: c for c in rig.all(Combination)}
    by_remote = rig.links(1, "combination")
    shop_combos = shop.records("combinations")
    assert len(combos) == len(shop_combos) == 39 and set(by_remote.values()) == set(combos)
    for c in shop_combos:
        local = combos[by_remote[int(c["id"])]]
        assert products[expected_sku(expected, int(c["id_product"]))].id == local.product_id
        assert (local.reference, local.quantity) == (c["reference"], stock[(int(c["id_product"]), int(c["id"]))])
        assert local.price_impact == Decimal(c["price"])
    with_combos = {c.product_id for c in combos.values()}
    assert len(with_combos) == 11
    for product in products.values():
        if product.id in with_combos:
            assert product.quantity == sum(c.quantity for c in combos.values() if c.product_id == product.id)
            assert sum(c.is_default for c in combos.values() if c.product_id == product.id) == 1

    # Images: bytes in the store, checksums of what the shop serves, covers, combinations' images.
    images = {i.id: i for i in rig.all(Image)}
    image_links = rig.links(1, "image")
    assert len(images) == len(shop.images.rows) == 23 and set(image_links.values()) == set(images)
    for remote_id, row in shop.images.rows.items():
        local = images[image_links[remote_id]]
        served = shop.images.read(row)
        assert local.checksum == hashlib.sha256(served).hexdigest() and local.size == len(served)
        assert rig.store.open(local.checksum).read() == served
        assert local.cover == (shop.images.cover_of(row.product) == remote_id)
        assert local.product_id == products[expected_sku(expected, row.product)].id
    served, combination_images = wire(url)
    assert any(combination_images.values())
    for remote_id, remote_images in combination_images.items():
        assert combos[by_remote[remote_id]].images == [image_links[i] for i in remote_images]

    # Features, and the two specific prices (20 % off shop products 1 and 2).
    features = {(f.product_id, f.value_id) for f in rig.all(ProductFeature)}
    values = {v.id: v for v in rig.all(FeatureValue)}
    feature_links = rig.links(1, "feature_value")
    for pid, record in served.items():
        mine = products[expected_sku(expected, pid)].id
        assert {v for p, v in features if p == mine} == {feature_links[int(v)] for _, v in record.feature_values}
    assert all(v.value for v in values.values())
    prices = rig.all(SpecificPrice)
    assert [(p.reduction, p.reduction_type, p.price) for p in prices] == [(Decimal("0.2"), "percentage", None)] * 2
    owners = {products[expected_sku(expected, int(sp["id_product"]))].id for sp in shop.records("specific_prices")}
    assert {p.product_id for p in prices} == owners
    assert len(rig.links(1, "specific_price")) == 2

    # Again: nothing changes, nothing is downloaded again.
    before = {p.sku: p.updated_at for p in rig.all(Product)}
    counts = {table: rig.count(table) for table in (*TABLES, RemoteLink)}
    shop.reset_counters()
    again = rig.run()
    assert (again.status, again.processed, again.unchanged, again.failed) == ("completed", 19, 19, 0)
    assert shop.counts[("GET", "images")] == 0
    assert {p.sku: p.updated_at for p in rig.all(Product)} == before
    assert {table: rig.count(table) for table in (*TABLES, RemoteLink)} == counts


def expected_sku(expected: dict[str, dict[str, Any]], product_id: int) -> str:
    return next(sku for sku, record in expected.items() if record["id"] == product_id)
