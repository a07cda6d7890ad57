"""The request path under every call: cookies, ambiguous writes, unreachable shops, metrics, secrets."""

from __future__ import annotations

import logging
import pickle

import httpx
import pytest

from prestasync.prestashop import (
    NotFound,
    PrestaShopClient,
    ShopTimeout,
    ShopUnavailable,
    ShopUnreachable,
    Unauthorized,
    ValidationFailed,
)
from tests.prestashop.mockshop import KEY, SHOP, MockShop, failed, ok, php_fatal, product

COOKIE = "PrestaShop-25f57fa575b416702f0bb6ac806d61e0=def502; expires=Mon, 21 Dec 2026 19:54:04 GMT; path=/; HttpOnly"


# -- cookies (README fact 29) ------------------------------------------------------------------


def test_a_cookie_the_shop_sets_is_never_sent_back() -> None:
    shop = MockShop([ok(product(1, "R"), Set_Cookie=COOKIE)])
    client = shop.client()
    client.get_product(1)
    client.get_product(1)
    client.patch_product(1, {"price": "2"})
    assert len(shop.seen) == 3
    assert all("cookie" not in {k.lower() for k in r.headers} for r in shop.seen)


def test_an_injected_client_with_cookies_still_sends_none() -> None:
    shop = MockShop([ok(product(1, "R"), Set_Cookie=COOKIE)])
    http = httpx.Client(base_url=f"{SHOP}/api/", transport=httpx.MockTransport(shop), cookies={"PrestaShop-x": "stale"})
    client = PrestaShopClient(http, shop_version="8.1.2")
    client.get_product(1)
    client.get_product(1)
    assert [r.headers.get("Cookie") for r in shop.seen] == [None, None]


# -- ambiguous writes (README fact 14) ------------------------------------------------------------


def test_a_post_answered_with_an_empty_500_may_have_been_applied_and_is_not_retried() -> None:
    shop = MockShop([php_fatal()])
    with pytest.raises(ShopUnavailable) as caught:
        shop.client().create("manufacturers", {"name": "Wool & Co", "active": "1"})
    assert caught.value.maybe_applied and not isinstance(caught.value, ShopUnreachable)
    assert (len(shop.seen), shop.sleeps) == (1, [])
    assert "may have reached the shop and been applied" in str(caught.value)
    assert "an empty 500 on a write can come after the record was saved" in str(caught.value)


def test_a_post_that_timed_out_reading_may_have_been_applied() -> None:
    shop = MockShop([httpx.ReadTimeout("timed out")])
    with pytest.raises(ShopTimeout) as caught:
        shop.client().create("manufacturers", {"name": "M"})
    assert caught.value.maybe_applied and len(shop.seen) == 1


@pytest.mark.parametrize(
    "exc", [httpx.RemoteProtocolError("Server disconnected"), httpx.ReadError("reset"), httpx.WriteError("broken")]
)
def test_a_connection_dropped_after_sending_leaves_a_delete_maybe_applied(exc: Exception) -> None:
    shop = MockShop([exc])
    with pytest.raises(ShopUnavailable) as caught:
        shop.client().delete("specific_prices", 3)
    assert caught.value.maybe_applied and len(shop.seen) == 1


def test_a_patch_is_retried_on_an_empty_500_and_stays_maybe_applied_even_if_the_last_try_was_refused() -> None:
    shop = MockShop([php_fatal(), httpx.ConnectError("[Errno 111] Connection refused")])
    with pytest.raises(ShopUnreachable) as caught:
        shop.client(retries=1).patch("combinations", 40, {"price": "1"})
    assert caught.value.maybe_applied
    assert len(shop.seen) == 2


def test_a_put_that_succeeds_on_a_retry_after_an_empty_500_returns_normally() -> None:
    shop = MockShop([php_fatal(), ok(product(20, "R"))])
    assert shop.client().replace("products", 20, {"reference": "R", "price": "1"}).id == 20
    assert len(shop.seen) == 2 and len(shop.sleeps) == 1


def test_a_shop_that_cannot_be_reached_sent_nothing() -> None:
    for exc in (httpx.ConnectError("[Errno -2] Name or service not known"), httpx.ConnectTimeout("timed out")):
        shop = MockShop([exc])
        with pytest.raises(ShopUnreachable) as caught:
            shop.client().create("manufacturers", {"name": "M"})
        assert not caught.value.maybe_applied
        assert len(shop.seen) == 4  # a POST is retried when nothing was sent
        assert "may have reached" not in str(caught.value)


def test_reads_and_refused_requests_are_never_maybe_applied() -> None:
    shop = MockShop([php_fatal()])
    with pytest.raises(ShopUnavailable) as caught:
        shop.client().get_product(1)
    assert not caught.value.maybe_applied and len(shop.seen) == 4
    shop = MockShop([ok(None, 429, Retry_After="1")])
    with pytest.raises(ShopUnavailable) as caught:
        shop.client(retries=0).create("manufacturers", {"name": "M"})
    assert not caught.value.maybe_applied


def test_an_item_level_500_is_a_validation_failure_not_an_outage() -> None:
    shop = MockShop([failed(500, (85, "Error occurred while setting the product_bundle value"))])
    with pytest.raises(ValidationFailed) as caught:
        shop.client().replace("products", 12, {"reference": "R"})
    assert len(shop.seen) == 1 and "without them" in str(caught.value)


def test_a_request_error_turned_into_a_500_by_php_warnings_is_a_validation_failure() -> None:
    # Capture 44: code 35 (400) followed by PHP warnings (code 3) arrives as a 500.
    shop = MockShop([failed(500, (35, 'Unable to display this field "quantity"'), (3, "[PHP Warning #2] ..."))])
    with pytest.raises(ValidationFailed) as caught:
        shop.client().list_records("combinations", display=["quantity"])
    assert (caught.value.code, len(shop.seen)) == (35, 1)


def test_maybe_applied_survives_pickling() -> None:
    error = ShopUnavailable("empty answer", method="POST", url="u", status=500, maybe_applied=True)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ShopUnavailable and copy.maybe_applied and str(copy) == str(error)


# -- the observer ------------------------------------------------------------------------------------


def test_the_observer_sees_every_try_with_resource_status_error_and_time() -> None:
    seen: list[tuple[str, str, int | None, str | None, float]] = []
    shop = MockShop([ok(None, 503), httpx.ConnectError("refused"), ok(product(3, "R"))])
    client = shop.client(observer=lambda *call: seen.append(call))
    client.get_product(3)
    assert [call[:4] for call in seen] == [
        ("GET", "products", 503, "ShopUnavailable"),
        ("GET", "products", None, "ShopUnreachable"),
        ("GET", "products", 200, None),
    ]
    assert all(isinstance(call[4], float) and call[4] >= 0 for call in seen)


def test_the_observer_names_stock_and_image_resources() -> None:
    seen: list[tuple[str, str, int | None, str | None, float]] = []
    shop = MockShop([failed(404, (87, "Id(s) not exists: 9"))])
    client = shop.client(observer=lambda *call: seen.append(call))
    with pytest.raises(NotFound):
        client.delete_image(20, 9)
    with pytest.raises(NotFound):
        client.set_stock_row(9, 1)
    assert [call[:4] for call in seen] == [
        ("DELETE", "images", 404, "NotFound"),
        ("PATCH", "stock_availables", 404, "NotFound"),
    ]


def test_a_failing_observer_is_logged_and_never_fails_the_call(caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("metrics down")

    shop = MockShop([ok(product(3, "R"))])
    with caplog.at_level(logging.ERROR):
        assert shop.client(observer=broken).get_product(3).id == 3
    assert "observer failed" in caplog.text


# -- secrets and the version probe --------------------------------------------------------------------


def test_the_key_is_never_in_an_error_even_when_the_shop_echoes_it() -> None:
    shop = MockShop([failed(401, (18, f"Invalid authentication key format: {KEY}"))])
    with pytest.raises(Unauthorized) as caught:
        shop.client().check()
    assert KEY not in str(caught.value) and KEY not in caught.value.message
    assert "<api key>" in caught.value.message
    shop = MockShop([httpx.ConnectError(f"could not reach https://{KEY}@shop")])
    with pytest.raises(ShopUnreachable) as unreachable:
        shop.client(retries=0).check()
    assert KEY not in str(unreachable.value)


def test_without_a_known_version_the_first_write_asks_once() -> None:
    root = '<api shopName="S"/>'
    shop = MockShop(lambda r: ok(root) if r.url.path == "/api/" else ok(product(1, "R")))
    client = shop.client(shop_version=None)
    client.patch_product(1, {"price": "1"})
    client.patch_product(1, {"price": "2"})
    assert shop.calls() == [("GET", ""), ("PATCH", "products/1"), ("PATCH", "products/1")]
