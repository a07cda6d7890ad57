"""PrestaShopClient against the emulator: in-process (TestClient) and over a real socket."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import httpx
import pytest

from prestasync.prestashop import (
    NotFound,
    PrestaShopClient,
    ProductDraft,
    RemoteProduct,
    ShopUnavailable,
    Unauthorized,
    ValidationFailed,
)
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig, create_app

with warnings.catch_warnings():  # starlette 1.x warns about its httpx usage on import
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

KEY = "DEMO" * 8


def in_process(shop: EmulatedShop, key: str = KEY) -> PrestaShopClient:
    # TestClient is an httpx.Client, so the client under test runs unchanged against the ASGI app.
    http = TestClient(create_app({"": shop}), base_url="http://testserver/api/")
    http.auth = httpx.BasicAuth(key, "")
    return PrestaShopClient(http, retries=1, sleep=lambda _: None)


@pytest.fixture
def shop() -> EmulatedShop:
    return EmulatedShop(ShopConfig(products=250, key=KEY))


@pytest.fixture
def client(shop: EmulatedShop) -> Iterator[PrestaShopClient]:
    with in_process(shop) as client:
        yield client


def methods(shop: EmulatedShop) -> list[tuple[str, str]]:
    return [(w.method, w.resource) for w in shop.writes]


def test_check_languages_and_count(client: PrestaShopClient) -> None:
    info = client.check()
    assert (info.version, info.shop_name) == ("8.1.7", "Emulated shop")
    assert {"products", "stock_availables"} <= info.resources
    assert [(lang.id, lang.iso_code) for lang in client.languages()] == [(1, "en"), (2, "pl")]
    assert client.count_products() == 250
    assert client.count_products(page_size=100) == 250


def test_pages_cover_every_product_once_in_id_order(client: PrestaShopClient) -> None:
    pages = list(client.iter_product_pages(page_size=100))
    assert [len(page) for page in pages] == [100, 100, 50]
    ids = [p.id for page in pages for p in page if isinstance(p, RemoteProduct)]
    assert ids == list(range(1, 251))
    first = pages[0][0]
    assert isinstance(first, RemoteProduct)
    assert (first.reference, set(first.name)) == ("SKU-00001", {1, 2})
    assert list(client.iter_product_pages(after_id=240, page_size=100))[0][0].id == 241  # type: ignore[union-attr]


def test_since_uses_date_upd(client: PrestaShopClient, shop: EmulatedShop) -> None:
    stamps = sorted(p["date_upd"] for p in shop.products(fields=("id", "date_upd")))
    since = datetime.fromisoformat(stamps[-11])
    assert client.count_products(since=since) == 10
    assert sum(len(page) for page in client.iter_product_pages(since=since)) == 10


def test_get_find_and_not_found(client: PrestaShopClient) -> None:
    assert client.get_product(7).reference == "SKU-00007"
    assert client.find_products_by_reference("SKU-00007") == [7]
    assert client.find_products_by_reference("sku-00007") == []  # the shop matches it; we do not
    assert client.find_products_by_reference("SKU-0000|7") == []
    with pytest.raises(NotFound):
        client.get_product(9999)


def test_create_update_and_patch_round_trip(client: PrestaShopClient, shop: EmulatedShop) -> None:
    draft = ProductDraft(reference="NEW-1", price=Decimal("12.50"), active=True, name={1: "Mug", 2: "Kubek"})
    created = client.create_product(draft)
    assert (created.reference, created.price[:5], created.name) == ("NEW-1", "12.50", {1: "Mug", 2: "Kubek"})
    assert client.find_products_by_reference("NEW-1") == [created.id]

    update = ProductDraft(reference="NEW-1", price=Decimal("13"), active=False, name={1: "Big mug"})
    updated = client.update_product(created.id, update)
    assert (updated.active, updated.name) == ("0", {1: "Big mug", 2: "Kubek"})
    assert updated.fields["state"] == "1"  # a full PUT: nothing wiped by omission

    patched = client.patch_product(created.id, {"price": "14.00"}, {"name": {2: "Duży kubek"}})
    assert (patched.price[:5], patched.name, patched.active) == ("14.00", {1: "Big mug", 2: "Duży kubek"}, "0")
    assert methods(shop) == [("POST", "products"), ("PUT", "products"), ("PATCH", "products")]


def test_stock_rows_and_set_stock_on_8x(client: PrestaShopClient, shop: EmulatedShop) -> None:
    rows = client.stock_rows(list(range(1, 251)))
    assert sorted(rows) == list(range(1, 251))
    row = client.set_stock(5, 42)
    assert (row.id_product, row.quantity) == (5, 42)
    assert client.stock_rows([5])[5].quantity == 42
    assert methods(shop) == [("PATCH", "stock_availables")]


def test_a_17_shop_gets_puts_instead_of_patches() -> None:
    shop = EmulatedShop(ShopConfig(products=3, key=KEY, version="1.7.8.10"))
    with in_process(shop) as client:
        assert client.set_stock(2, 9).quantity == 9
        assert client.patch_product(2, {"price": "3.00"}).price[:4] == "3.00"
        assert client.get_product(2).reference == "SKU-00002"
    assert methods(shop) == [("PUT", "stock_availables"), ("PUT", "products")]


def test_bad_key_and_rejected_record(shop: EmulatedShop) -> None:
    with pytest.raises(Unauthorized) as caught, in_process(shop, key="X" * 32) as client:
        client.check()
    assert [code for code, _ in caught.value.errors] == [20, 21]
    assert "X" * 32 not in str(caught.value)
    shop.config.fail_skus = {"SKU-00003"}
    with in_process(shop) as client, pytest.raises(ValidationFailed) as rejected:
        client.update_product(3, ProductDraft(reference="SKU-00003", price=Decimal("1"), active=True, name={}))
    assert rejected.value.code == 85


def test_over_a_real_socket() -> None:
    shop = EmulatedShop(ShopConfig(products=30, key=KEY))
    sleeps: list[float] = []
    with (
        RunningEmulator({"shop1": shop}) as emulator,
        PrestaShopClient.connect(f"{emulator.url}/shop1", KEY, retries=2, sleep=sleeps.append) as client,
    ):
        assert client.check().shop_name == "Emulated shop"
        assert sum(len(page) for page in client.iter_product_pages(page_size=7)) == 30
        assert client.set_stock(30, 1).quantity == 1
        shop.config.down = True
        with pytest.raises(ShopUnavailable, match="HTML page"):
            client.get_product(1)
        assert len(sleeps) == 2
        shop.config.down = False
        assert client.get_product(1).id == 1


def test_update_changes_nothing_it_was_not_asked_to(client: PrestaShopClient, shop: EmulatedShop) -> None:
    draft = ProductDraft(reference="KEEP-1", price=Decimal("5.00"), active=True, name={1: "Keep"})
    created = client.create_product(draft)
    before = next(p for p in shop.products() if p["id"] == created.id)
    client.update_product(created.id, draft)
    after = next(p for p in shop.products() if p["id"] == created.id)
    changed = {k for k in before if before[k] != after[k]} - {"date_upd"}
    assert changed == set()  # NULL low_stock_threshold stays NULL, not 0
