"""PrestaShop emulator: POST/PUT/PATCH/DELETE of products and stock rows.

Facts 5-10 of `tests/wire/prestashop-8.1.2/README.md`.
"""

from __future__ import annotations

from lxml import etree

from tests.prestashop.conftest import AUTH, shop_client


def body(*records: str) -> str:
    return '<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">' + "".join(records) + "</prestashop>"


def first_error(content: bytes) -> tuple[int, str]:
    error = etree.fromstring(content).find("errors/error")
    assert error is not None
    return int(error.findtext("code") or 0), error.findtext("message") or ""


def test_post_creates_a_product_with_its_stock_row() -> None:
    client, shop = shop_client(products=3)
    product = (
        "<product><price>19.9</price><active>1</active><state>1</state><reference>NEW-1</reference>"
        "<id_category_default>2</id_category_default>"
        '<name><language id="1"><![CDATA[Blue mug]]></language><language id="2">Kubek niebieski</language></name>'
        "<associations><categories><category><id>2</id></category></categories></associations></product>"
    )
    r = client.post("/api/products", content=body(product), auth=AUTH)
    assert r.status_code == 201
    created = etree.fromstring(r.content)[0]
    assert created.tag == "product" and created.findtext("id") == "4"
    assert created.findtext("price") == "19.9"  # the echo is the object as built (fact 29)
    assert created.findtext("position_in_category") == "4"  # last of category 2
    assert created.find("associations/stock_availables/stock_available/id") is not None
    [stored] = shop.product_by_reference("NEW-1")
    assert stored["link_rewrite"] == {1: "blue-mug", 2: "kubek-niebieski"}
    assert stored["quantity"] == 0 and stored["categories"] == [2] and stored["date_add"] == stored["date_upd"]
    stock = client.get("/api/stock_availables", auth=AUTH, params={"filter[id_product]": "4", "display": "full"})
    row = etree.fromstring(stock.content)[0][0]
    assert (row.findtext("quantity"), row.findtext("out_of_stock")) == ("0", "2")


def test_post_resets_absent_fields_and_refuses_an_id() -> None:
    client, shop = shop_client()
    r = client.post("/api/products", content=body("<product><price>1</price></product>"), auth=AUTH)
    assert r.status_code == 201
    assert shop.products()[0]["active"] == 0 and shop.products()[0]["state"] == 0
    r = client.post("/api/products", content=body("<product><id>0</id><price>1</price></product>"), auth=AUTH)
    assert (r.status_code, first_error(r.content)[0]) == (400, 91)


def test_partial_put_wipes_absent_fields_and_deactivates_the_product() -> None:
    client, shop = shop_client(products=2)
    before = shop.products()[1]
    r = client.put("/api/products/999", content=body("<product><id>2</id><price>5.5</price></product>"), auth=AUTH)
    assert r.status_code == 200
    after = shop.products()[1]
    assert after["price"] == "5.500000" and after["active"] == 0 and after["reference"] == ""
    assert after["name"] == {1: "", 2: ""} and after["link_rewrite"] == {1: "", 2: ""}
    assert after["condition"] == "new" and after["visibility"] == "both"  # ObjectModel defaults
    assert after["date_upd"] > before["date_upd"]
    assert after["categories"] == [2]  # associations untouched when absent


def test_put_errors_90_89_92_41() -> None:
    client, _ = shop_client(products=2)
    cases = [
        (body("<product><price>1</price></product>"), 400, 90),
        (
            body("<product><id>1</id><price>1</price></product>", "<product><id>1</id><price>2</price></product>"),
            400,
            89,
        ),
        (body("<product><id>77</id><price>1</price></product>"), 404, 92),
        (body("<product><id>1</id><reference>A</reference></product>"), 400, 41),
    ]
    for content, status, code in cases:
        r = client.put("/api/products", content=content, auth=AUTH)
        assert (r.status_code, first_error(r.content)[0]) == (status, code), content
    assert first_error(client.put("/api/products", content=cases[3][0], auth=AUTH).content)[1] == (
        'parameter "price" required'
    )


def test_read_only_fields_position_and_malformed_xml() -> None:
    client, _ = shop_client(products=1)
    r = client.put(
        "/api/products", content=body("<product><id>1</id><price>1</price><quantity>3</quantity></product>"), auth=AUTH
    )
    assert (r.status_code, first_error(r.content)) == (
        400,
        (93, 'parameter "quantity" not writable. Please remove this attribute of this XML'),
    )
    r = client.post(
        "/api/products",
        content=body("<product><price>1</price><position_in_category>0</position_in_category></product>"),
        auth=AUTH,
    )
    assert (r.status_code, first_error(r.content)[0]) == (500, 134)
    r = client.post("/api/products", content="%3Cprestashop%3E", auth=AUTH)
    assert r.status_code == 500
    # SimpleXML's warnings (code 3), then 127 (38_post_product_malformed_xml.http).
    codes = [int(e.findtext("code") or 0) for e in etree.fromstring(r.content).iter("error")]
    assert codes == [3, 3, 3, 127]
    message = etree.fromstring(r.content).findall("errors/error")[-1].findtext("message") or ""
    assert (
        message.startswith("XML error : String could not be parsed as XML")
        and "Original XML : %3Cprestashop%3E" in message
    )
    doctype = '<!DOCTYPE p [<!ENTITY e "x">]><prestashop><product><price>&e;</price></product></prestashop>'
    r = client.post("/api/products", content=doctype, auth=AUTH)
    assert (r.status_code, first_error(r.content)[0]) == (500, 127)


def test_validation_errors_report_the_first_failure() -> None:
    client, _ = shop_client()
    cases = [
        ("<price>-1</price>", 85, 'Validation error: "Property Product->price is not valid"'),
        (
            "<price>1</price><reference>a;b</reference>",
            85,
            'Validation error: "Property Product->reference is not valid"',
        ),
        ("<price>1</price><active>yes</active>", 85, 'Validation error: "Property Product->active is not valid"'),
        ("<price>1</price><reference>" + "r" * 65 + "</reference>", 85, "The length of property Product->reference"),
        ("<price>1</price><condition>mint</condition>", 85, "Product->condition has a bad value"),
        ('<price>1</price><name><language id="1"><![CDATA[a<b]]></language></name>', 84, "Product->name is not valid"),
        (
            '<price>1</price><link_rewrite><language id="1">ok</language></link_rewrite>'
            f'<name><language id="1">{"n" * 129}</language></name>',
            84,
            "The length of property Product->name is currently 129 chars. It must be between 0 and 128 chars.",
        ),
        ("<price></price>", 85, 'Validation error: "Property Product->price is empty."'),
    ]
    for fields, code, message in cases:
        r = client.post("/api/products", content=body(f"<product>{fields}</product>"), auth=AUTH)
        assert r.status_code == 400, fields
        assert first_error(r.content)[0] == code and message in first_error(r.content)[1], fields


def test_patch_touches_only_sent_fields() -> None:
    client, shop = shop_client(products=2)
    before = shop.products()[0]
    r = client.patch(
        "/api/products/1", content=body("<product><id>1</id><reference>REF-9</reference></product>"), auth=AUTH
    )
    assert r.status_code == 200
    assert etree.fromstring(r.content)[0].findtext("reference") == "REF-9"
    after = shop.products()[0]
    assert after["reference"] == "REF-9" and after["active"] == 1 and after["name"] == before["name"]
    assert after["date_add"] == before["date_add"] and after["date_upd"] != before["date_upd"]


def test_batch_writes_keep_records_saved_before_a_failure() -> None:
    client, shop = shop_client()
    records = body("<product><price>1</price><reference>A</reference></product>", "<product><price>x</price></product>")
    r = client.post("/api/products", content=records, auth=AUTH)
    assert (r.status_code, first_error(r.content)[0]) == (400, 85)
    assert [p["reference"] for p in shop.products()] == ["A"]
    ok = body("<product><price>1</price></product>", "<product><price>2</price></product>")
    created = etree.fromstring(client.post("/api/products", content=ok, auth=AUTH).content)
    assert [p.findtext("id") for p in created] == ["2", "3"]


def test_delete_single_bulk_and_missing_ids() -> None:
    client, shop = shop_client(products=6)
    r = client.delete("/api/products/2", auth=AUTH)
    assert (r.status_code, r.content, r.headers["content-type"]) == (200, b"", "")
    r = client.delete("/api/products/", params={"id": "[3,4,99]"}, auth=AUTH)
    assert r.status_code == 404 and first_error(r.content) == (87, "Id(s) not exists: 99")
    assert client.delete("/api/products/", params={"id": "[3,4]"}, auth=AUTH).status_code == 200
    assert [p["id"] for p in shop.products()] == [1, 5, 6]
    assert client.get("/api/stock_availables/3", auth=AUTH).status_code == 404
    assert client.get("/api/products/3", auth=AUTH).status_code == 404


def test_stock_updates_live_in_stock_rows_only() -> None:
    client, shop = shop_client(products=2)
    r = client.patch(
        "/api/stock_availables/2",
        content=body("<stock_available><id>2</id><quantity>42</quantity></stock_available>"),
        auth=AUTH,
    )
    assert r.status_code == 200 and etree.fromstring(r.content)[0].findtext("quantity") == "42"
    assert shop.products()[1]["quantity"] == 42
    full = (
        "<stock_available><id>1</id><id_product>1</id_product><id_product_attribute>0</id_product_attribute>"
        "<id_shop>1</id_shop><id_shop_group>0</id_shop_group><quantity>-3</quantity>"
        "<depends_on_stock>0</depends_on_stock><out_of_stock>2</out_of_stock></stock_available>"
    )
    assert client.put("/api/stock_availables", content=body(full), auth=AUTH).status_code == 200
    product = client.get("/api/products/1", auth=AUTH, params={"display": "[quantity]"})
    # A product's own quantity is always 0 on the wire (fact 1); the stock row holds -3.
    assert etree.fromstring(product.content)[0].findtext("quantity") == "0"
    assert shop.products()[0]["quantity"] == -3
    partial = client.put(
        "/api/stock_availables",
        content=body("<stock_available><id>1</id><quantity>1</quantity></stock_available>"),
        auth=AUTH,
    )
    assert first_error(partial.content) == (41, 'parameter "id_product" required')
    for method in ("POST", "DELETE"):
        r = client.request(method, "/api/stock_availables/1", content=body(full), auth=AUTH)
        assert (r.status_code, first_error(r.content)) == (
            405,
            (101, f"Method {method} is not allowed for the resource stock_availables"),
        )
    # The emulated key, like the captured one (01_root.http), may write languages: checks apply.
    r = client.put("/api/languages", content=body("<language><id>1</id></language>"), auth=AUTH)
    assert (r.status_code, first_error(r.content)) == (400, (41, 'parameter "name" required'))


def test_xml_prefix_and_ps_method_override() -> None:
    client, shop = shop_client(products=1)
    content = "xml=" + body("<product><id>1</id><reference>OVR</reference></product>")
    r = client.post("/api/products", params={"ps_method": "PATCH"}, content=content, auth=AUTH)
    assert r.status_code == 200
    assert shop.products()[0]["reference"] == "OVR"
    r = client.get("/api/products/1", params={"ps_method": "DELETE"}, auth=AUTH)
    assert (r.status_code, shop.products()) == (200, [])


def test_date_upd_moves_on_every_write_and_feeds_incremental_sync() -> None:
    client, _ = shop_client(products=5)
    client.patch("/api/products", content=body("<product><id>3</id><active>0</active></product>"), auth=AUTH)
    params = {"date": "1", "filter[date_upd]": ">[2026-01-01 00:10:00]"}
    r = client.get("/api/products", auth=AUTH, params=params)
    assert [int(p.get("id") or 0) for p in etree.fromstring(r.content)[0]] == [3]


def test_i18n_writes_keep_only_the_languages_sent() -> None:
    # 8.x nulls a non-required i18n field before setting the sent languages (even on PATCH).
    client, shop = shop_client(products=1)
    one_language = '<product><id>1</id><name><language id="2">Nowa nazwa</language></name></product>'
    assert client.patch("/api/products", content=body(one_language), auth=AUTH).status_code == 200
    assert shop.products()[0]["name"] == {1: "", 2: "Nowa nazwa"}
    plain = "<product><id>1</id><name>Same everywhere</name></product>"
    assert client.patch("/api/products", content=body(plain), auth=AUTH).status_code == 200
    assert shop.products()[0]["name"] == {1: "Same everywhere", 2: "Same everywhere"}
    assert shop.products()[0]["link_rewrite"] == {1: "product-1", 2: "produkt-1"}  # no modifier on PATCH
