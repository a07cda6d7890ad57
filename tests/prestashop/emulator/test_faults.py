"""PrestaShop emulator: fault injection, inspection, seeding quirks and the real-socket runner."""

from __future__ import annotations

import concurrent.futures
import time

import httpx
from lxml import etree

from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from tests.prestashop.conftest import AUTH, shop_client


def test_down_shop_answers_a_hosting_503_html_page_until_it_is_back() -> None:
    client, shop = shop_client(products=1, down=True)
    r = client.get("/api/products", auth=AUTH)
    assert r.status_code == 503 and r.headers["content-type"].startswith("text/html")
    assert "<title>503 Service Unavailable</title>" in r.text and "x-powered-by" not in r.headers
    shop.config.down = False
    assert client.get("/api/products", auth=AUTH).status_code == 200


def test_fail_skus_refuse_writes_of_those_references() -> None:
    client, shop = shop_client(products=2, fail_skus={"SKU-00002"})
    patch = "<prestashop><product><id>2</id><active>0</active></product></prestashop>"
    r = client.patch("/api/products", content=patch, auth=AUTH)
    assert r.status_code == 400
    assert etree.fromstring(r.content).findtext("errors/error/code") == "85"
    assert shop.products()[1]["active"] == 1
    ok = "<prestashop><product><id>1</id><active>0</active></product></prestashop>"
    assert client.patch("/api/products", content=ok, auth=AUTH).status_code == 200


def test_fail_rate_is_seeded_hits_writes_only_and_answers_500_php_warnings_before_saving() -> None:
    patch = "<prestashop><product><id>1</id><reference>CHANGED</reference></product></prestashop>"

    def statuses(seed: int) -> list[int]:
        client, _ = shop_client(products=1, fail_rate=0.5, seed=seed)
        return [client.patch("/api/products", content=patch, auth=AUTH).status_code for _ in range(30)]

    first = statuses(7)
    assert first == statuses(7) and set(first) == {200, 500}
    client, shop = shop_client(products=1, fail_rate=1.0)
    assert client.get("/api/products", auth=AUTH).status_code == 200  # reads are spared by default
    r = client.patch("/api/products", content=patch, auth=AUTH)
    assert etree.fromstring(r.content).findtext("errors/error/code") == "3"
    assert r.headers["psws-version"] == "8.1.7"
    assert shop.products()[0]["reference"] == "SKU-00001"  # nothing saved
    shop.config.fail_reads = True
    assert client.get("/api/products", auth=AUTH).status_code == 500


def test_write_log_counters_and_broken_records() -> None:
    client, shop = shop_client(products=10, broken={5: {"reference": ""}, 9: {"price": "abc"}})
    assert shop.products()[4]["reference"] == "" and shop.products()[8]["price"] == "abc"
    assert shop.product_by_reference("SKU-00004")[0]["id"] == 4
    r = client.get("/api/products/9", auth=AUTH, params={"display": "[price]"})
    assert etree.fromstring(r.content)[0].findtext("price") == "abc"
    put = "<prestashop><product><id>3</id><price>1</price></product></prestashop>"
    client.put("/api/products", content=put, auth=AUTH)
    client.delete("/api/products/", params={"id": "[1,2]"}, auth=AUTH)
    client.delete("/api/products/77", auth=AUTH)
    assert [(w.method, w.resource, w.ids, w.status) for w in shop.writes] == [
        ("PUT", "products", (3,), 200),
        ("DELETE", "products", (1, 2), 200),
        ("DELETE", "products", (77,), 404),
    ]
    assert shop.requests == 4 and shop.busy_s > 0
    assert shop.writes[0].at <= shop.writes[1].at <= time.monotonic()


def test_running_emulator_serves_a_real_socket_and_overlaps_latency() -> None:
    shop = EmulatedShop(ShopConfig(products=3, latency_ms=200))
    with RunningEmulator({"": shop}) as emu:
        assert emu.url.startswith("http://127.0.0.1:") and not emu.url.endswith("/")
        with httpx.Client(auth=AUTH, timeout=10) as http:
            r = http.get(emu.url + "/api/")
            assert r.status_code == 200 and f'xlink:href="{emu.url}/api/products"' in r.text
            started = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(5) as pool:
                codes = list(pool.map(lambda _: http.get(emu.url + "/api/products").status_code, range(5)))
            elapsed = time.monotonic() - started
    assert codes == [200] * 5
    assert elapsed < 0.8  # five 200 ms requests overlap instead of taking a second
    assert shop.busy_s >= 1.0
