"""PrestaShop emulator: authentication, headers, listing, filters, sort/limit, schemas, JSON.

The expected shapes are those of the captures in `tests/wire/prestashop-8.1.2/`.
"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from lxml import etree

from prestasync.prestashop.emulator import EmulatedShop, ShopConfig, create_app
from tests.prestashop.conftest import AUTH, TestClient, shop_client

KEY = "DEMO" * 8
REALM = (
    'Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the login. '
    'No password required."'
)


def errors(body: bytes) -> list[tuple[int, str]]:
    root = etree.fromstring(body)
    return [(int(e.findtext("code") or 0), e.findtext("message") or "") for e in root.iter("error")]


def listed_ids(body: bytes) -> list[int]:
    root = etree.fromstring(body)
    return [int(e.get("id") or e.findtext("id") or 0) for e in root[0]]


# --- authentication ------------------------------------------------------------------------


def test_no_key_is_a_plain_text_401_with_the_realm() -> None:
    client, _ = shop_client(products=1)
    r = client.get("/api/products")
    assert r.status_code == 401
    assert r.text == "401 Unauthorized"
    assert r.headers["www-authenticate"] == REALM
    # PHP answers before the webservice runs (07b_no_key.http): no webservice headers.
    assert r.headers["x-powered-by"].startswith("PHP/") and "psws-version" not in r.headers


def test_unknown_key_answers_errors_20_and_21_with_version_0() -> None:
    client, _ = shop_client()
    r = client.get("/api/products", auth=("X" * 32, ""))
    assert r.status_code == 401
    assert errors(r.content) == [
        (20, "Authentification key is not active"),
        (21, "No permission for this authentication key"),
    ]
    assert r.headers["psws-version"] == "0"
    assert r.headers["www-authenticate"] == REALM


@pytest.mark.parametrize(("key", "code"), [("", 17), ("SHORT", 18), ("0", 17)])
def test_empty_or_malformed_keys(key: str, code: int) -> None:
    client, _ = shop_client()
    r = client.get("/api/products", params={"ws_key": key})
    assert r.status_code == 401
    assert [c for c, _ in errors(r.content)] == [code]


def test_ws_key_authenticates_and_basic_auth_wins() -> None:
    client, _ = shop_client(products=2)
    assert client.get("/api/products", params={"ws_key": KEY}).status_code == 200
    r = client.get("/api/products", params={"ws_key": KEY}, auth=("Y" * 32, ""))
    assert r.status_code == 401
    header = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    assert client.get("/api/products", headers={"Authorization": header}).headers["psws-version"] == "8.1.7"


def test_disabled_webservice_is_503_code_22() -> None:
    client, _ = shop_client(webservice_enabled=False)
    r = client.get("/api/products", auth=AUTH)
    assert r.status_code == 503
    assert errors(r.content)[0][0] == 22


# --- headers, root, resources ---------------------------------------------------


def test_engine_headers_and_content_sha1() -> None:
    client, _ = shop_client(products=2)
    r = client.get("/api/products", auth=AUTH)
    assert r.headers["x-powered-by"] == "PrestaShop Webservice"
    assert r.headers["psws-version"] == "8.1.7"
    assert r.headers["content-type"] == "text/xml;charset=utf-8"
    assert r.headers["access-time"].isdigit()
    float(r.headers["execution-time"])
    assert r.headers["content-sha1"] == hashlib.sha1(r.content).hexdigest()
    assert list(r.headers)[:5] == ["access-time", "x-powered-by", "psws-version", "content-type", "execution-time"]


def test_local_content_sha1_gives_an_empty_304_until_the_body_changes() -> None:
    client, _ = shop_client(products=2)
    sha = client.get("/api/products/1", auth=AUTH).headers["content-sha1"]
    r = client.get("/api/products/1", auth=AUTH, headers={"Local-Content-Sha1": sha})
    assert (r.status_code, r.content) == (304, b"")
    r = client.get("/api/products/2", auth=AUTH, headers={"Local-Content-Sha1": sha})
    assert r.status_code == 200


def test_root_lists_resources_and_head_has_no_body() -> None:
    client, _ = shop_client(name="Sklep")
    r = client.get("/api/", auth=AUTH)
    api = etree.fromstring(r.content)[0]
    assert api.tag == "api" and api.get("shopName") == "Sklep"
    products = api.find("products")
    assert products is not None and products.get("patch") == "true"
    assert products.get("{http://www.w3.org/1999/xlink}href") == "http://testserver/api/products"
    head = client.head("/api/", auth=AUTH)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-sha1"] == r.headers["content-sha1"]


def test_unknown_and_not_granted_resources() -> None:
    client, _ = shop_client()
    r = client.get("/api/prodcts", auth=AUTH)
    assert r.status_code == 400
    code, message = errors(r.content)[0]
    assert code == 27 and 'Did you mean: "products"?' in message
    r = client.get("/api/customers", auth=AUTH)
    assert (r.status_code, errors(r.content)[0][0]) == (401, 26)


# --- listing -------------------------------------------------------------------------------


def test_minimum_list_is_byte_exact() -> None:
    client, _ = shop_client(products=2)
    r = client.get("/api/products", auth=AUTH)
    assert r.text == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
        "<products>\n"
        '<product id="1" xlink:href="http://testserver/api/products/1"/>\n'
        '<product id="2" xlink:href="http://testserver/api/products/2"/>\n'
        "</products>\n"
        "</prestashop>\n"
    )


def test_empty_list_is_an_empty_wrapper_in_xml_and_brackets_in_json() -> None:
    client, _ = shop_client()
    r = client.get("/api/products", auth=AUTH)
    assert "<products>\n</products>\n" in r.text
    r = client.get("/api/products", auth=AUTH, params={"output_format": "JSON", "display": "full"})
    assert (r.text, r.headers["content-type"]) == ("[]", "application/json")
    # Only the exact string JSON switches the format.
    assert client.get("/api/products", auth=AUTH, params={"output_format": "json"}).text.startswith("<?xml")


def test_display_full_renders_fields_cdata_and_associations() -> None:
    client, _ = shop_client(products=1)
    text = client.get("/api/products", auth=AUTH, params={"display": "full"}).text
    assert "<products>\n<product>\n\t<id><![CDATA[1]]></id>\n" in text
    assert "\t<id_manufacturer><![CDATA[0]]></id_manufacturer>\n" in text  # no href on 0
    assert 'id_category_default xlink:href="http://testserver/api/categories/2"' in text
    assert '\t<quantity notFilterable="true"><![CDATA[' in text
    assert "\t<supplier_reference><![CDATA[]]></supplier_reference>\n" in text
    assert '<tags nodeType="tag" api="tags"/>\n' in text
    assert '<stock_available xlink:href="http://testserver/api/stock_availables/1">\n\t<id><![CDATA[1]]></id>\n' in text


def test_display_subset_and_its_errors() -> None:
    client, _ = shop_client(products=2)
    r = client.get("/api/products", auth=AUTH, params={"display": "[reference,price,categories[id]]"})
    product = etree.fromstring(r.content)[0][0]
    assert [c.tag for c in product] == ["reference", "price", "associations"]
    assert product.findtext("reference") == "SKU-00001"
    r = client.get("/api/products", auth=AUTH, params={"display": "[foo]"})
    # 35 comes with four PHP warnings, hence 500 (44_combinations_filter_product.http).
    assert (r.status_code, [e[0] for e in errors(r.content)]) == (500, [35, 3, 3, 3, 3])
    r = client.get("/api/products", auth=AUTH, params={"display": "reference"})
    assert (r.status_code, errors(r.content)[0][0]) == (400, 36)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("id", "3", [3]),
        ("id", "[3]", [3]),
        ("id", "[2|4|9]", [2, 4, 9]),
        ("id", "[4,2]", [2, 3, 4]),
        ("id", ">[8]", [9, 10]),
        ("id", "<[3]", [1, 2]),
        ("id", "![1|2|3|4|5|6|7]", [8, 9, 10]),
        ("id", "[1]%", [1, 10]),
        ("reference", "[sku-00007]", [7]),
        ("reference", "%[00010]", [10]),
        ("reference", "[SKU-0000]%", [1, 2, 3, 4, 5, 6, 7, 8, 9]),
        ("reference", "%[u-0001]%", [10]),
        ("reference", "[SKU_00003]", []),
        ("reference", "[SKU_00003]%", [3]),
        ("name", "[produkt 5]", [5]),
        ("name", "%[duct 1]%", [1, 10]),
        ("active", "[1]", list(range(1, 11))),
    ],
)
def test_filter_forms(field: str, value: str, expected: list[int]) -> None:
    client, _ = shop_client(products=10)
    r = client.get("/api/products", auth=AUTH, params={f"filter[{field}]": value})
    assert r.status_code == 200, r.text
    assert listed_ids(r.content) == expected


def test_filters_on_integer_fields_compare_numerically_and_are_anded() -> None:
    client, _ = shop_client(products=12)
    params = {"filter[id]": "[2,11]", "filter[reference]": "%[1]%"}
    assert listed_ids(client.get("/api/products", auth=AUTH, params=params).content) == [10, 11]
    assert listed_ids(client.get("/api/products", auth=AUTH, params={"filter[id]": ">[9]"}).content) == [10, 11, 12]


def test_filter_errors_32_33_34() -> None:
    client, _ = shop_client(products=1)
    for field, value, code in [("referense", "x", 32), ("reference", "", 33), ("quantity", "[1]", 34)]:
        r = client.get("/api/products", auth=AUTH, params={f"filter[{field}]": value})
        assert (r.status_code, errors(r.content)[0][0]) == (400, code)
    r = client.get("/api/products", auth=AUTH, params={"filter[referense]": "x"})
    assert 'Did you mean: "reference"?' in errors(r.content)[0][1]


def test_date_filters_need_date_1() -> None:
    client, _ = shop_client(products=10)
    params = {"filter[date_upd]": ">[2026-01-01 00:07:00]"}
    r = client.get("/api/products", auth=AUTH, params=params)
    assert (r.status_code, errors(r.content)[0][0]) == (400, 32)
    r = client.get("/api/products", auth=AUTH, params=params | {"date": "1"})
    assert listed_ids(r.content) == [8, 9, 10]
    r = client.get("/api/products", auth=AUTH, params={"date": "1", "sort": "[date_upd_DESC]", "limit": "2"})
    assert listed_ids(r.content) == [10, 9]
    r = client.get("/api/products", auth=AUTH, params={"sort": "[date_upd_DESC]"})
    assert (r.status_code, errors(r.content)[0][0]) == (500, 38)


def test_sort_and_limit() -> None:
    client, _ = shop_client(products=10)
    get = client.get
    assert listed_ids(get("/api/products", auth=AUTH, params={"sort": "[id_DESC]", "limit": "3"}).content) == [
        10,
        9,
        8,
    ]
    assert listed_ids(get("/api/products", auth=AUTH, params={"limit": "2,3"}).content) == [3, 4, 5]
    by_price = get("/api/products", auth=AUTH, params={"sort": "[price_ASC,id_DESC]", "display": "[id,price]"})
    prices = [float(p.findtext("price") or 0) for p in etree.fromstring(by_price.content)[0]]
    assert prices == sorted(prices)
    for params, status, code in [
        ({"sort": "[id_UP]"}, 400, 37),
        ({"sort": "[foo_ASC]"}, 500, 38),  # with PHP warnings (68e2_categories_sort_nleft_500.http)
        ({"limit": "1,2,3"}, 400, 39),
    ]:
        r = get("/api/products", auth=AUTH, params=params)
        assert (r.status_code, errors(r.content)[0][0]) == (status, code)


def test_keyset_pagination_returns_every_id_once() -> None:
    client, _ = shop_client(products=1000)
    seen: list[int] = []
    last = 0
    while True:
        params = {"filter[id]": f">[{last}]", "sort": "[id_ASC]", "limit": "0,100"}
        page = listed_ids(client.get("/api/products", auth=AUTH, params=params).content)
        if not page:
            break
        seen += page
        last = page[-1]
    assert seen == list(range(1, 1001))


# --- single records, schemas, JSON, multishop ----------------------------------------------------


def test_single_get_of_a_missing_id_is_404_with_an_empty_body() -> None:
    client, _ = shop_client(products=1)
    for path in ("/api/products/99", "/api/products/0", "/api/products/abc"):
        r = client.get(path, auth=AUTH)
        assert (r.status_code, r.content, r.headers["content-type"]) == (404, b"", "")
        assert "content-sha1" not in r.headers


def test_schemas_blank_and_synopsis() -> None:
    client, _ = shop_client()
    blank = client.get("/api/products", auth=AUTH, params={"schema": "blank"}).text
    assert "<product>\n\t<id><![CDATA[]]></id>\n" in blank
    tags = [c.tag for c in etree.fromstring(blank.encode())[0]]
    assert "quantity" not in tags and "manufacturer_name" not in tags and "position_in_category" in tags
    assert '\t<name><language id="1"><![CDATA[]]></language><language id="2"><![CDATA[]]></language></name>' in blank
    synopsis = client.get("/api/products", auth=AUTH, params={"schema": "synopsis"}).text
    assert '\t<price required="true" format="isPrice"><![CDATA[]]></price>' in synopsis
    assert '<name maxSize="128" format="isCatalogName">' in synopsis
    assert "id" not in [c.tag for c in etree.fromstring(synopsis.encode())[0]]
    r = client.get("/api/products", auth=AUTH, params={"schema": "full"})
    assert (r.status_code, errors(r.content)[0][0]) == (400, 28)


def test_json_shapes_and_the_single_language_plain_string() -> None:
    client, _ = shop_client(products=2, languages=[(1, "pl", "Polski")])
    data = client.get("/api/products", auth=AUTH, params={"output_format": "JSON"}).json()
    assert data == {"products": [{"id": 1}, {"id": 2}]}
    one = client.get("/api/products/1", auth=AUTH, headers={"Io-Format": "JSON"}).json()
    assert one["product"]["id"] == 1 and one["product"]["name"] == "Produkt 1"
    assert "id_manufacturer" not in one["product"]  # 8.0 array_filter drops falsy values
    listed = client.get("/api/products/1", auth=AUTH, params={"output_format": "JSON", "display": "[id,name]"})
    assert listed.json() == {"products": [{"id": 1, "name": "Produkt 1"}]}
    r = client.get("/api/prodcts", auth=AUTH, params={"output_format": "JSON"})
    assert json.loads(r.text)["errors"][0]["code"] == 27


def test_language_parameter_restricts_i18n_output() -> None:
    client, _ = shop_client(products=1)
    multi = client.get("/api/products/1", auth=AUTH, params={"output_format": "JSON"}).json()
    assert multi["product"]["name"] == [{"id": "1", "value": "Product 1"}, {"id": "2", "value": "Produkt 1"}]
    r = client.get("/api/products/1", auth=AUTH, params={"language": "2", "display": "[name]"})
    name = etree.fromstring(r.content)[0].find("name")
    assert name is not None and [lang.get("id") for lang in name] == ["2"]
    assert client.get("/api/products", auth=AUTH, params={"language": "x"}).status_code == 400


@pytest.mark.parametrize(("id_shop", "status"), [("1", 200), ("all", 200), ("2", 302), ("abc", 302)])
def test_id_shop_context(id_shop: str, status: int) -> None:
    client, _ = shop_client(products=1)
    r = client.get("/api/products/1", auth=AUTH, params={"id_shop": id_shop}, follow_redirects=False)
    assert r.status_code == status
    if status == 302:
        # An unknown shop is sent to the front office, no webservice headers (76r_get_product_bad_shop.http).
        assert r.headers["location"].endswith("/index.php?url=products%2F1") and "psws-version" not in r.headers


def test_several_shops_under_prefixes_in_one_app() -> None:
    pl = EmulatedShop(ShopConfig(products=2, name="PL"))
    en = EmulatedShop(ShopConfig(products=5, name="EN", key="E" * 32))
    client = TestClient(create_app({"pl": pl, "en": en}))
    r = client.get("/pl/api/products", auth=AUTH)
    assert listed_ids(r.content) == [1, 2]
    assert 'xlink:href="http://testserver/pl/api/products/1"' in r.text
    assert listed_ids(client.get("/en/api/products", auth=("E" * 32, "")).content) == [1, 2, 3, 4, 5]
    assert client.get("/en/api/products", auth=AUTH).status_code == 401
    assert client.get("/api/products", auth=AUTH).status_code == 404


def test_stock_availables_and_languages_read() -> None:
    client, _ = shop_client(products=3)
    r = client.get("/api/stock_availables", auth=AUTH, params={"filter[id_product]": "2", "display": "full"})
    row = etree.fromstring(r.content)[0][0]
    assert row.findtext("id_product") == "2" and row.findtext("out_of_stock") == "2"
    assert row.find("id_product_attribute") is not None and row.find("associations") is None
    langs = client.get("/api/languages", auth=AUTH, params={"display": "[id,iso_code]"})
    assert [e.findtext("iso_code") for e in etree.fromstring(langs.content)[0]] == ["en", "pl"]


def test_reference_lookups_follow_writes() -> None:
    client, shop = shop_client(products=20, broken={5: {"reference": ""}})

    def found(value: str) -> list[int]:
        return listed_ids(client.get("/api/products", auth=AUTH, params={"filter[reference]": value}).content)

    assert found("[sku-00007|SKU-00012]") == [7, 12]
    assert found("[]") == [5] and found("SKU-00005") == []
    patch = "<prestashop><product><id>7</id><reference>NEW-7 </reference></product></prestashop>"
    assert client.patch("/api/products", content=patch, auth=AUTH).status_code == 200
    assert found("[SKU-00007]") == [] and found("[new-7]") == [7]
    assert client.delete("/api/products/12", auth=AUTH).status_code == 200
    assert found("[SKU-00012]") == []
    assert shop.products(fields=("id", "reference"))[4] == {"id": 5, "reference": ""}
