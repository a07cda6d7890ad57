"""Seeded catalogues, counters and the faults added for integration tests."""

from __future__ import annotations

import time

from lxml import etree

from prestasync.prestashop.emulator import EmulatedShop, ShopConfig
from prestasync.prestashop.emulator.images import seed_png
from tests.prestashop.conftest import AUTH, shop_client, xml


def ids(content: bytes) -> list[int]:
    return [int(el.get("id") or el.findtext("id") or 0) for el in etree.fromstring(content)[0]]


def test_a_large_catalogue_seeds_fast_and_deterministically() -> None:
    config = {"products": 2000, "combinations_per_product": 4, "images_per_product": 3, "category_depth": 3}
    started = time.perf_counter()
    shop = EmulatedShop(ShopConfig(**config, features=3, manufacturers=5))  # type: ignore[arg-type]
    assert time.perf_counter() - started < 2.0
    again = EmulatedShop(ShopConfig(**config, features=3, manufacturers=5))  # type: ignore[arg-type]
    assert shop.products(fields=("id", "price", "quantity")) == again.products(fields=("id", "price", "quantity"))
    assert len(shop.tables["combinations"].ids) == 8000 and len(shop.images.rows) == 6000
    assert len(shop.tables["categories"].ids) == 2 + 2 + 4 + 8  # root, home, then a tree 2 wide, 3 deep


def test_seeded_products_carry_their_catalogue() -> None:
    client, shop = shop_client(
        products=3, combinations_per_product=2, images_per_product=2, category_depth=2, features=2, manufacturers=2
    )
    product = etree.fromstring(client.get("/api/products/2", auth=AUTH).content)[0]
    assert product.findtext("quantity") == "0"  # fact 1, whatever the stock
    assert product.findtext("product_type") == "combinations" and product.findtext("type") == "simple"
    assert [c.findtext("id") for c in product.iterfind("associations/categories/category")] == ["2", "3", "6"]
    assert product.findtext("id_category_default") == "6"
    assert len(product.findall("associations/combinations/combination")) == 2
    assert len(product.findall("associations/product_features/product_feature")) == 2
    assert product.findtext("manufacturer_name") == "Brand 2"
    assert product.findtext("id_default_image") == "3"
    stock = client.get("/api/stock_availables", auth=AUTH, params={"filter[id_product]": "[2]", "display": "full"})
    rows = etree.fromstring(stock.content)[0]
    quantities = {r.findtext("id_product_attribute"): int(r.findtext("quantity") or 0) for r in rows}
    assert quantities["0"] == sum(q for k, q in quantities.items() if k != "0") == shop.products()[1]["quantity"]
    image = client.get("/api/images/products/2/3", auth=AUTH)
    assert (image.headers["content-type"], image.content) == ("image/png", seed_png(3))


def test_counters_per_method_and_resource_and_their_reset() -> None:
    client, shop = shop_client(products=5)
    for _ in range(3):
        client.get("/api/products", auth=AUTH)
    client.get("/api/stock_availables", auth=AUTH)
    client.patch("/api/products", content=xml("<product><id>1</id><reference>X</reference></product>"), auth=AUTH)
    assert shop.counts[("GET", "products")] == 3 and shop.counts[("PATCH", "products")] == 1
    assert shop.counts[("GET", "stock_availables")] == 1 and shop.requests == 5 and len(shop.writes) == 1
    shop.reset_counters()
    assert (shop.requests, sum(shop.counts.values()), shop.writes, shop.busy_s) == (0, 0, [], 0.0)


def test_empty_500_after_write_is_saved_and_fail_rate_is_not() -> None:
    client, shop = shop_client(products=1, empty_500_after_write_rate=1.0)
    r = client.patch(
        "/api/products", content=xml("<product><id>1</id><reference>SAVED</reference></product>"), auth=AUTH
    )
    assert (r.status_code, r.content, "psws-version" in r.headers) == (500, b"", False)
    assert shop.products()[0]["reference"] == "SAVED"  # fact 14: the write went through
    assert client.get("/api/products/1", auth=AUTH).status_code == 200  # reads are not affected
    shop.config.empty_500_after_write_rate, shop.config.fail_rate = 0.0, 1.0
    r = client.patch(
        "/api/products", content=xml("<product><id>1</id><reference>LOST</reference></product>"), auth=AUTH
    )
    assert r.status_code == 500 and etree.fromstring(r.content).findtext("errors/error/code") == "3"
    assert shop.products()[0]["reference"] == "SAVED"


def test_refused_combination_references_save_nothing() -> None:
    client, shop = shop_client(products=1, refuse_combination_references={"BAD"})
    body = "<combination><id_product>1</id_product><reference>{}</reference><price>0</price></combination>"
    r = client.post("/api/combinations", content=xml(body.format("BAD")), auth=AUTH)
    assert (r.status_code, etree.fromstring(r.content).findtext("errors/error/code")) == (400, "85")
    assert shop.tables["combinations"].ids == []
    assert client.post("/api/combinations", content=xml(body.format("GOOD")), auth=AUTH).status_code == 201


def test_latencies_by_kind_of_request() -> None:
    client, shop = shop_client(products=1, read_latency_ms=0, write_latency_ms=150, image_latency_ms=0)
    client.get("/api/products", auth=AUTH)
    after_read = shop.busy_s
    client.patch("/api/products", content=xml("<product><id>1</id></product>"), auth=AUTH)
    assert after_read < 0.15 <= shop.busy_s - after_read


def test_shops_and_shop_groups_are_readable() -> None:
    client, _ = shop_client()
    assert ids(client.get("/api/shops", auth=AUTH).content) == [1]
    assert ids(client.get("/api/shop_groups", auth=AUTH).content) == [1]
