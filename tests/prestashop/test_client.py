"""PrestaShopClient reads, error mapping and retries, against wire-faithful mock answers."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from prestasync.prestashop import (
    BadRecord,
    BadResponse,
    NotFound,
    PrestaShopClient,
    PrestaShopError,
    RemoteProduct,
    ShopTimeout,
    ShopUnavailable,
    Unauthorized,
    ValidationFailed,
    WebserviceDisabled,
)
from tests.prestashop.conftest import xml

KEY = "UCCLLQ9N2ARSHWCXLT74KUKSSK34BFKX"
SHOP = "https://shop.example.com"
REALM = (
    'Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the login. '
    'No password required."'
)
Handler = Callable[[httpx.Request], httpx.Response]


def ps(status: int, inner: str | None = None, version: str = "8.1.7", **headers: str) -> httpx.Response:
    """An answer shaped like PrestaShop's: its headers, and an XML body unless `inner` is None."""
    base = {"X-Powered-By": "PrestaShop Webservice", "PSWS-Version": version, "Execution-Time": "0.017"}
    if inner is not None:
        base["Content-Type"] = "text/xml;charset=utf-8"
    base.update({k.replace("_", "-"): v for k, v in headers.items()})
    return httpx.Response(status, content=b"" if inner is None else xml(inner), headers=base)


def ps_error(status: int, *errors: tuple[int, str], version: str = "8.1.7") -> httpx.Response:
    items = "".join(
        f"<error>\n<code><![CDATA[{c}]]></code>\n<message><![CDATA[{m}]]></message>\n</error>\n" for c, m in errors
    )
    return ps(status, f"<errors>\n{items}</errors>", version=version)


def make(handler: Handler, retries: int = 3) -> tuple[PrestaShopClient, list[float]]:
    sleeps: list[float] = []
    client = PrestaShopClient.connect(
        SHOP, KEY, transport=httpx.MockTransport(handler), retries=retries, sleep=sleeps.append
    )
    return client, sleeps


def recording(*answers: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler giving `answers` in order (the last one repeats), and the requests it saw."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[min(len(seen), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


ROOT = """<api shopName="My shop">
<products xlink:href="http://example.com/api/products" get="true" put="true" post="true" patch="true" \
delete="true" head="true">
<description xlink:href="http://example.com/api/products" get="true">The products</description>
<schema xlink:href="http://example.com/api/products?schema=blank" type="blank"/>
</products>
<stock_availables xlink:href="http://example.com/api/stock_availables" get="true" put="true"/>
</api>"""


def product_xml(pid: int, reference: str = "demo_1") -> str:
    return (
        f"<product>\n\t<id><![CDATA[{pid}]]></id>\n"
        f'\t<id_manufacturer xlink:href="http://shop/api/manufacturers/1"><![CDATA[1]]></id_manufacturer>\n'
        f"\t<new><![CDATA[]]></new>\n"
        f'\t<quantity notFilterable="true"><![CDATA[0]]></quantity>\n'
        f"\t<reference><![CDATA[{reference}]]></reference>\n"
        f"\t<price><![CDATA[16.510000]]></price>\n\t<active><![CDATA[1]]></active>\n"
        f"\t<date_upd><![CDATA[2024-05-01 10:00:00]]></date_upd>\n"
        f'\t<name><language id="1" xlink:href="http://shop/api/languages/1"><![CDATA[Faded T-shirt]]></language>'
        f'<language id="2" xlink:href="http://shop/api/languages/2"><![CDATA[T-shirt délavé]]></language></name>\n'
        f'\t<description><language id="1"><![CDATA[<p>Soft</p>]]></language>'
        f'<language id="2"></language></description>\n'
        f'<associations>\n<categories nodeType="category" api="categories">\n'
        f'\t<category xlink:href="http://shop/api/categories/2">\n\t<id><![CDATA[2]]></id>\n\t</category>\n'
        f'</categories>\n<tags nodeType="tag" api="tags"/>\n</associations>\n</product>'
    )


# -- connecting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://shop.example.com", "https://shop.example.com/api/"),
        ("https://shop.example.com/", "https://shop.example.com/api/"),
        ("http://example.com/prestashop", "http://example.com/prestashop/api/"),
        ("https://shop.example.com/api/", "https://shop.example.com/api/"),
        ("  https://shop.example.com:8443/ps  ", "https://shop.example.com:8443/ps/api/"),
    ],
)
def test_connect_appends_api_to_the_shop_base(url: str, expected: str) -> None:
    handler, seen = recording(ps(200, ROOT))
    client = PrestaShopClient.connect(url, KEY, transport=httpx.MockTransport(handler))
    client.check()
    assert str(seen[0].url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("shop.example.com", "http:// or https://"),
        ("ftp://shop.example.com", "http:// or https://"),
        ("https://", "http:// or https://"),
        ("", "http:// or https://"),
        (f"https://{KEY}@shop.example.com", "must not contain credentials"),
        (f"https://shop.example.com/?ws_key={KEY}", "query string"),
    ],
)
def test_connect_refuses_unusable_urls_without_echoing_them(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        PrestaShopClient.connect(url, KEY)
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("key", ["", "   ", "ab:cd", "ab cd"])
def test_connect_refuses_unusable_keys(key: str) -> None:
    with pytest.raises(ValueError, match="API key"):
        PrestaShopClient.connect(SHOP, key)


def test_key_goes_as_basic_auth_and_never_into_the_url_or_repr() -> None:
    handler, seen = recording(ps(200, ROOT))
    client, _ = make(handler)
    client.check()
    assert seen[0].headers["Authorization"] == "Basic VUNDTExROU4yQVJTSFdDWExUNzRLVUtTU0szNEJGS1g6"
    assert KEY not in str(seen[0].url)
    assert KEY not in repr(client)
    assert repr(client) == "<PrestaShopClient https://shop.example.com/api/>"


def test_check_reads_version_shop_name_and_resources() -> None:
    client, _ = make(recording(ps(200, ROOT, version="8.1.7"))[0])
    info = client.check()
    assert (info.version, info.shop_name) == ("8.1.7", "My shop")
    assert info.resources == frozenset({"products", "stock_availables"})
    assert info.supports_patch


def test_check_on_17_reports_no_patch() -> None:
    client, _ = make(recording(ps(200, ROOT, version="1.7.8.10"))[0])
    assert not client.check().supports_patch


# -- authentication failures ---------------------------------------------------------------


def test_plain_text_401_when_no_key_reached_php() -> None:
    answer = httpx.Response(401, content=b"401 Unauthorized", headers={"WWW-Authenticate": REALM})
    client, sleeps = make(recording(answer)[0])
    with pytest.raises(Unauthorized, match="CGIPassAuth") as caught:
        client.check()
    assert caught.value.status == 401
    assert caught.value.code is None
    assert sleeps == []


def test_bad_key_keeps_both_errors_and_never_shows_the_key() -> None:
    answer = ps_error(
        401,
        (20, "Authentification key is not active"),
        (21, "No permission for this authentication key"),
        version="0",
    )
    answer.headers["WWW-Authenticate"] = REALM
    client, sleeps = make(recording(answer)[0])
    with pytest.raises(Unauthorized) as caught:
        client.check()
    error = caught.value
    assert error.errors == [
        (20, "Authentification key is not active"),
        (21, "No permission for this authentication key"),
    ]
    assert (error.code, error.message, error.status) == (20, "Authentification key is not active", 401)
    assert str(error) == (
        "GET https://shop.example.com/api/ -> 401: [20] Authentification key is not active; "
        "[21] No permission for this authentication key"
    )
    for text in (str(error), repr(error), error.url, repr(client)):
        assert KEY not in text
    assert sleeps == []


def test_403_shop_permission_and_403_waf_page_are_both_unauthorized() -> None:
    client, _ = make(recording(ps_error(403, (132, "No permission for this key on this shop")))[0])
    with pytest.raises(Unauthorized, match=r"\[132\] No permission"):
        client.check()
    page = (
        b"<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n"
    )
    page += b"<hr><center>nginx</center>\r\n" + b"<!-- padding -->" * 200 + b"</body>\r\n</html>\r\n"
    waf = httpx.Response(403, content=page, headers={"Content-Type": "text/html"})
    client, _ = make(recording(waf)[0])
    with pytest.raises(Unauthorized) as caught:
        client.check()
    assert str(caught.value) == (
        'GET https://shop.example.com/api/ -> 403: shop answered 403 with an HTML page titled "403 Forbidden" '
        "(not the PrestaShop webservice)"
    )


def test_webservice_disabled_is_unauthorized_and_not_retried() -> None:
    message = "The PrestaShop webservice is disabled. Please activate it in the PrestaShop Back Office"
    handler, seen = recording(ps_error(503, (22, message)))
    client, sleeps = make(handler)
    with pytest.raises(WebserviceDisabled) as caught:
        client.check()
    assert isinstance(caught.value, Unauthorized)
    assert not isinstance(caught.value, ShopUnavailable)
    assert (caught.value.code, len(seen), sleeps) == (22, 1, [])


# -- reading products -----------------------------------------------------------------------


def test_get_product_reads_every_field_and_language() -> None:
    handler, seen = recording(ps(200, product_xml(12)))
    client, _ = make(handler)
    product = client.get_product(12)
    assert seen[0].url.path == "/api/products/12"
    assert (product.id, product.reference, product.price, product.active) == (12, "demo_1", "16.510000", "1")
    assert product.name == {1: "Faded T-shirt", 2: "T-shirt délavé"}
    assert product.description == {1: "<p>Soft</p>", 2: ""}
    assert product.date_upd == "2024-05-01 10:00:00"
    assert list(product.fields) == [
        "id",
        "id_manufacturer",
        "new",
        "quantity",
        "reference",
        "price",
        "active",
        "date_upd",
    ]
    assert product.associations == {"categories": [{"id": "2"}], "tags": []}


def test_missing_product_is_not_found_from_an_empty_404() -> None:
    handler, seen = recording(httpx.Response(404, headers={"PSWS-Version": "8.1.7", "Content-Type": ""}))
    client, sleeps = make(handler)
    with pytest.raises(NotFound) as caught:
        client.get_product(99)
    assert str(caught.value) == "GET https://shop.example.com/api/products/99 -> 404: not found"
    assert (len(seen), sleeps) == (1, [])


def test_html_404_means_a_wrong_url_not_a_missing_product() -> None:
    page = b"<!DOCTYPE html><html><head><title>Page not found</title></head><body>...</body></html>"
    client, _ = make(recording(httpx.Response(404, content=page, headers={"Content-Type": "text/html"}))[0])
    with pytest.raises(BadResponse, match="HTML page"):
        client.get_product(1)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<prestashop><product><id>1</id>", "not well-formed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE prestashop><prestashop><product><id>1</id></product></prestashop>',
            "DOCTYPE",
        ),
        (xml("<products>\n</products>"), "expected <product>"),
        (b"", "empty answer"),
        (b"<!DOCTYPE html><html><title>Maintenance</title></html>", "HTML page"),
        (xml("<product><id>zz</id></product>"), "not a positive integer"),
    ],
)
def test_unreadable_2xx_answers_are_bad_responses(body: bytes, reason: str) -> None:
    handler, seen = recording(httpx.Response(200, content=body))
    client, sleeps = make(handler)
    with pytest.raises(BadResponse, match=reason) as caught:
        client.get_product(1)
    assert caught.value.status == 200
    assert (len(seen), sleeps) == (1, [])


def test_languages_use_a_display_list() -> None:
    body = (
        "<languages>\n<language>\n\t<id><![CDATA[1]]></id>\n\t<name><![CDATA[English (English)]]></name>\n"
        "\t<iso_code><![CDATA[en]]></iso_code>\n</language>\n<language>\n\t<id><![CDATA[2]]></id>\n"
        "\t<name><![CDATA[Polski (Polish)]]></name>\n\t<iso_code><![CDATA[pl]]></iso_code>\n</language>\n</languages>"
    )
    handler, seen = recording(ps(200, body))
    client, _ = make(handler)
    languages = client.languages()
    assert seen[0].url.params["display"] == "[id,iso_code,name]"
    assert [(lang.id, lang.iso_code, lang.name) for lang in languages] == [
        (1, "en", "English (English)"),
        (2, "pl", "Polski (Polish)"),
    ]


# -- pagination -------------------------------------------------------------------------------


def full_page(ids: list[int]) -> httpx.Response:
    return ps(200, "<products>\n" + "\n".join(product_xml(i, f"R{i}") for i in ids) + "\n</products>")


def test_product_pages_use_keyset_parameters_and_stop_on_a_short_page() -> None:
    handler, seen = recording(full_page([3, 5, 8]), full_page([9, 12, 20]), full_page([21]))
    client, _ = make(handler)
    pages = list(client.iter_product_pages(after_id=2, page_size=3))
    assert [[p.id for p in page if isinstance(p, RemoteProduct)] for page in pages] == [[3, 5, 8], [9, 12, 20], [21]]
    assert [dict(r.url.params) for r in seen] == [
        {"display": "full", "filter[id]": f">[{after}]", "sort": "[id_ASC]", "limit": "0,3"} for after in (2, 8, 20)
    ]


def test_product_pages_end_without_an_empty_yield_after_a_full_page() -> None:
    handler, seen = recording(full_page([1, 2]), ps(200, "<products>\n</products>"))
    client, _ = make(handler)
    assert [len(page) for page in client.iter_product_pages(page_size=2)] == [2]
    assert len(seen) == 2


def test_product_pages_since_filters_on_date_upd_in_utc() -> None:
    handler, seen = recording(ps(200, "<products>\n</products>"))
    client, _ = make(handler)
    since = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert list(client.iter_product_pages(since=since)) == []
    params = seen[0].url.params
    assert (params["date"], params["filter[date_upd]"]) == ("1", ">[2024-01-02 01:04:05]")
    assert "date=1" in str(seen[0].url)
    list(client.iter_product_pages(since=datetime(2024, 1, 2, 3, 4, 5)))
    assert seen[1].url.params["filter[date_upd]"] == ">[2024-01-02 03:04:05]"


def test_a_broken_product_is_reported_and_the_page_still_used() -> None:
    broken = "<product><id><![CDATA[x7]]></id><reference><![CDATA[BROKEN]]></reference></product>"
    body = "<products>\n" + product_xml(1) + broken + product_xml(4) + "\n</products>"
    handler, seen = recording(ps(200, body), full_page([]))
    client, _ = make(handler)
    (page,) = list(client.iter_product_pages(page_size=3))
    assert [type(p) for p in page] == [RemoteProduct, BadRecord, RemoteProduct]
    assert page[1] == BadRecord(None, "BROKEN", "product id is not a positive integer: 'x7'")
    assert seen[1].url.params["filter[id]"] == ">[4]"


def minimum_list(count: int, start: int = 1) -> httpx.Response:
    items = "\n".join(
        f'<product id="{i}" xlink:href="http://shop/api/products/{i}"/>' for i in range(start, start + count)
    )
    return ps(200, f"<products>\n{items}\n</products>")


def test_count_pages_minimum_lists_by_offset() -> None:
    handler, seen = recording(minimum_list(1000), minimum_list(1000, 1001), minimum_list(500, 2001))
    client, _ = make(handler)
    assert client.count_products() == 2500
    assert [r.url.params["limit"] for r in seen] == ["0,1000", "1000,1000", "2000,1000"]
    assert all("display" not in r.url.params for r in seen)


def test_count_since_uses_the_date_filter_and_empty_json_list() -> None:
    handler, seen = recording(httpx.Response(200, content=b"[]", headers={"Content-Type": "application/json"}))
    client, _ = make(handler)
    assert client.count_products(since=datetime(2024, 3, 1, tzinfo=UTC)) == 0
    assert seen[0].url.params["filter[date_upd]"] == ">[2024-03-01 00:00:00]"


# -- retries ------------------------------------------------------------------------------------


def test_5xx_then_success_is_retried_with_backoff() -> None:
    handler, seen = recording(ps(503, None), ps(500, None), ps(200, product_xml(1)))
    client, sleeps = make(handler)
    assert client.get_product(1).id == 1
    assert len(seen) == 3
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 0.55
    assert 1.0 <= sleeps[1] <= 1.1


def test_5xx_exhausted_raises_shop_unavailable_with_the_last_cause() -> None:
    page = b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>hosting</body></html>"
    handler, seen = recording(ps(502, None), ps(504, None), ps(500, None), httpx.Response(503, content=page))
    client, sleeps = make(handler)
    with pytest.raises(ShopUnavailable) as caught:
        client.get_product(1)
    assert len(seen) == 4
    assert [int(s * 2) for s in sleeps] == [1, 2, 4]  # 0.5, 1, 2 s plus under 10 % jitter
    assert caught.value.status == 503
    assert 'HTML page titled "Service Unavailable"' in str(caught.value)


def test_500_with_php_warnings_is_retried_like_any_5xx() -> None:
    warning = ps_error(500, (15, "[PHP Unknown error #8192] Creation of dynamic property is deprecated"))
    handler, seen = recording(warning)
    client, _ = make(handler, retries=1)
    with pytest.raises(ShopUnavailable, match=r"\[15\]"):
        client.get_product(1)
    assert len(seen) == 2


def test_read_timeout_becomes_shop_timeout_after_all_tries() -> None:
    handler, seen = recording(httpx.ReadTimeout("timed out"))
    client, sleeps = make(handler, retries=2)
    with pytest.raises(ShopTimeout) as caught:
        client.get_product(1)
    assert (len(seen), len(sleeps)) == (3, 2)
    assert isinstance(caught.value, ShopUnavailable)
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert str(caught.value) == (
        "GET https://shop.example.com/api/products/1 -> no answer: timed out (ReadTimeout: timed out) after 3 tries"
    )


def test_connection_refused_then_success() -> None:
    handler, seen = recording(httpx.ConnectError("[Errno 111] Connection refused"), ps(200, ROOT))
    client, sleeps = make(handler)
    assert client.check().shop_name == "My shop"
    assert (len(seen), len(sleeps)) == (2, 1)


def test_retry_after_is_honoured_but_capped() -> None:
    handler, _ = recording(ps(429, None, Retry_After="7"), ps(503, None, Retry_After="3600"), ps(200, ROOT))
    client, sleeps = make(handler)
    client.check()
    assert sleeps[0] == 7.0
    assert sleeps[1] == 60.0


def test_item_level_500_is_a_validation_failure_and_not_retried() -> None:
    message = "You cannot set 0 or a negative position, the minimum is 1."
    handler, seen = recording(ps_error(500, (134, message)))
    client, sleeps = make(handler)
    with pytest.raises(ValidationFailed) as caught:
        client.get_product(1)
    assert (caught.value.code, caught.value.message) == (134, message)
    assert (len(seen), sleeps) == (1, [])


def test_retries_are_logged_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    handler, _ = recording(ps(503, None), ps(200, ROOT))
    client, _ = make(handler)
    with caplog.at_level(logging.DEBUG):
        client.check()
    assert "503" in caplog.text
    assert KEY not in caplog.text
    assert "VUNDTExROU4y" not in caplog.text


def test_redirects_are_reported_not_followed() -> None:
    handler, seen = recording(httpx.Response(301, headers={"Location": "https://www.shop.example.com/api/"}))
    client, _ = make(handler)
    with pytest.raises(BadResponse, match="redirected to https://www.shop.example.com/api/"):
        client.check()
    assert len(seen) == 1


def test_json_error_bodies_are_read() -> None:
    body = b'{"errors":[{"code":32,"message":"This filter does not exist."}]}'
    client, _ = make(recording(httpx.Response(400, content=body, headers={"Content-Type": "application/json"}))[0])
    with pytest.raises(ValidationFailed) as caught:
        client.count_products()
    assert caught.value.errors == [(32, "This filter does not exist.")]


def test_errors_survive_pickling_with_their_context() -> None:
    error = ValidationFailed(
        "x", method="PUT", url="https://s/api/products/1", status=400, errors=[(85, "Validation error")]
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ValidationFailed
    assert (copy.method, copy.url, copy.status, copy.code, copy.errors) == (
        "PUT",
        "https://s/api/products/1",
        400,
        85,
        [(85, "Validation error")],
    )
    assert str(copy) == str(error)


def test_long_messages_are_capped_to_one_line() -> None:
    error = PrestaShopError("a\nb " + "x" * 1000, method="GET", url="u", status=500)
    assert "\n" not in str(error)
    assert len(str(error)) < 330


def test_many_errors_stay_one_bounded_line() -> None:
    warnings = [(8, f"[PHP Notice #8] Undefined index {i}\n(Foo.php, line {i})") for i in range(40)]
    error = ShopUnavailable("x", method="PUT", url="u", status=500, errors=warnings)
    assert "\n" not in str(error)
    assert len(str(error)) < 640
    assert len(error.errors) == 40


def test_bad_paging_arguments_fail_at_the_call() -> None:
    handler, seen = recording(ps(200, "<products>\n</products>"))
    client, _ = make(handler)
    with pytest.raises(ValueError, match="page_size"):
        client.iter_product_pages(page_size=0)
    with pytest.raises(ValueError, match="after_id"):
        client.iter_product_pages(after_id=-1)
    with pytest.raises(ValueError, match="product_id"):
        client.get_product(0)
    assert seen == []
