"""Generic writes and the shop behaviours they work around: languages blanked, PUT resetting, stock rows."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from prestasync.prestashop import NotFound, Record, StockRow
from tests.prestashop.mockshop import MockShop, failed, ok, product
from tests.prestashop.replay import body_record

CATEGORY = (
    "<category><id><![CDATA[10]]></id><id_parent><![CDATA[2]]></id_parent>"
    "<level_depth><![CDATA[2]]></level_depth><nb_products_recursive><![CDATA[4]]></nb_products_recursive>"
    "<active><![CDATA[1]]></active>"
    '<name><language id="1"><![CDATA[Knitwear]]></language><language id="2"><![CDATA[Tricot]]></language></name>'
    '<link_rewrite><language id="1"><![CDATA[knitwear]]></language><language id="2"><![CDATA[tricot]]></language>'
    "</link_rewrite>"
    '<description><language id="1"><![CDATA[<p>EN</p>]]></language><language id="2"><![CDATA[<p>FR</p>]]></language>'
    "</description>"
    '<associations><categories nodeType="category" api="categories"/></associations></category>'
)


def sent(request: httpx.Request) -> etree._Element:
    root = etree.fromstring(request.content)
    (record,) = list(root)
    return record


def languages(record: etree._Element, name: str) -> dict[str, str]:
    return {str(n.get("id")): n.text or "" for n in record.findall(f"{name}/language")}


# -- every language, always (README fact 17) -------------------------------------------------------


def test_a_patch_of_one_language_completes_the_others_from_the_record_passed() -> None:
    shop = MockShop([ok(product(7, "R"))])
    current = Record("products", 7, {}, {"name": {1: "Mug", 2: "Tasse"}, "description": {1: "a", 2: "b"}})
    shop.client().patch_product(7, {}, {"name": {1: "Mug renamed"}}, current=current)
    assert shop.calls() == [("PATCH", "products/7")]  # no read: the caller passed the record
    record = sent(shop.seen[0])
    assert [str(c.tag) for c in record] == ["id", "name"]
    assert languages(record, "name") == {"1": "Mug renamed", "2": "Tasse"}


def test_without_the_record_the_touched_fields_are_read_first() -> None:
    current = '<product><id><![CDATA[7]]></id><description_short><language id="1"><![CDATA[EN\r\n]]></language>' \
        '<language id="2"><![CDATA[FR]]></language></description_short></product>'  # fmt: skip
    shop = MockShop(lambda r: ok(current) if r.method == "GET" else ok(product(7, "R")))
    shop.client().patch("products", 7, i18n={"description_short": {2: "Nouveau"}})
    assert shop.calls() == [("GET", "products/7"), ("PATCH", "products/7")]
    assert shop.params(0) == {"display": "[id,description_short]"}
    assert languages(sent(shop.seen[1]), "description_short") == {"1": "EN\r\n", "2": "Nouveau"}
    assert b"EN&#13;\n" in shop.seen[1].content  # the raw \r\n goes back as it was (fact 13)


def test_categories_get_every_language_too() -> None:
    shop = MockShop(lambda r: ok(CATEGORY))
    shop.client().patch("categories", 10, i18n={"name": {1: "Knitwear & more"}, "description": {2: "<p>Neu</p>"}})
    assert shop.params(0) == {"display": "[id,name,description]"}
    record = sent(shop.seen[1])
    assert languages(record, "name") == {"1": "Knitwear & more", "2": "Tricot"}
    assert languages(record, "description") == {"1": "<p>EN</p>", "2": "<p>Neu</p>"}


def test_a_field_that_is_not_multilanguage_is_refused() -> None:
    shop = MockShop([ok(product(7, "R"))])
    with pytest.raises(ValueError, match="no multilanguage field"):
        shop.client().patch("products", 7, i18n={"reference": {1: "x"}})
    assert shop.calls() == [("GET", "products/7")]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.patch("products", 7), "needs fields"),
        (lambda c: c.patch("products", 7, {"id": "8"}), "'id'"),
        (lambda c: c.patch("products", 7, {"quantity": "5"}), "read-only"),
        (lambda c: c.patch("categories", 7, {"level_depth": "5"}), "read-only"),
        (lambda c: c.patch("products", 7, {"price": "1"}, {"name": {1: "x"}}, current=Record("products", 8, {})), "8"),
        (lambda c: c.patch("images", 7, {"cover": "1"}), "upload_image"),
        (
            lambda c: c.create("categories", {"id_parent": "2"}, {"name": {1: "A", 2: "B"}, "link_rewrite": {1: "a"}}),
            "link_rewrite",
        ),
        (lambda c: c.create("products", {"price": 3}), "string"),  # type: ignore[dict-item]
        (lambda c: c.delete("Products; DROP", 1), "resource name"),
        (lambda c: c.replace("products", 0, {}), "record_id"),
    ],
)
def test_writes_that_cannot_be_right_are_refused_before_sending(call, message: str) -> None:  # type: ignore[no-untyped-def]
    shop = MockShop([ok(product(7, "R"))])
    with pytest.raises(ValueError, match=message):
        call(shop.client())
    assert shop.seen == []


# -- PATCH, and the PUT fallback that must not wipe anything (README fact 5) --------------------------


def test_patch_sends_only_the_change_and_associations_replace_their_list() -> None:
    shop = MockShop([ok(product(20, "R"))])
    shop.client().patch_product(20, {"id_category_default": "10"}, associations={"categories": [2, 10]})
    record = sent(shop.seen[0])
    assert body_record(shop.seen[0].content).fields == {"id": "20", "id_category_default": "10"}
    assert [n.text for n in record.findall("associations/categories/category/id")] == ["2", "10"]


def test_on_17_a_patch_reads_the_record_and_puts_it_back_whole_without_read_only_fields() -> None:
    shop = MockShop(lambda r: ok(CATEGORY, version="1.7.8.10"))
    shop.client(shop_version="1.7.8.10").patch("categories", 10, {"active": "0"}, {"name": {2: "Tricots"}})
    assert shop.calls() == [("GET", "categories/10"), ("PUT", "categories/10")]
    body = body_record(shop.seen[1].content)
    assert body.fields == {"id": "10", "id_parent": "2", "active": "0"}  # level_depth, nb_products_recursive left out
    assert body.i18n == {
        "name": {"1": "Knitwear", "2": "Tricots"},
        "link_rewrite": {"1": "knitwear", "2": "tricot"},
        "description": {"1": "<p>EN</p>", "2": "<p>FR</p>"},
    }
    assert body.associations == {}  # associations are sent only when given


def test_a_refused_patch_falls_back_for_that_resource_only() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH" and "combinations" in request.url.path:
            return failed(405, (23, "Method PATCH is not valid"))
        if "combinations" in request.url.path:
            return ok("<combination><id><![CDATA[40]]></id><id_product><![CDATA[20]]></id_product></combination>")
        return ok(product(20, "R"))

    shop = MockShop(route)
    client = shop.client()
    client.patch("combinations", 40, {"price": "1"})
    client.patch("combinations", 40, {"price": "2"})
    client.patch_product(20, {"price": "3"})
    assert shop.calls() == [
        ("PATCH", "combinations/40"),
        ("GET", "combinations/40"),
        ("PUT", "combinations/40"),
        ("GET", "combinations/40"),
        ("PUT", "combinations/40"),
        ("PATCH", "products/20"),
    ]


def test_replace_puts_exactly_what_it_is_given() -> None:
    shop = MockShop([ok(product(20, "R"))])
    current = Record("products", 20, {}, {"name": {1: "A", 2: "B"}})
    shop.client().replace("products", 20, {"reference": "R", "price": "1"}, {"name": {1: "A2"}}, current=current)
    body = body_record(shop.seen[0].content)
    assert (body.fields, body.i18n, body.associations) == (
        {"id": "20", "reference": "R", "price": "1"},
        {"name": {"1": "A2", "2": "B"}},
        {},
    )


def test_create_and_delete() -> None:
    shop = MockShop([ok("<manufacturer><id><![CDATA[3]]></id><name><![CDATA[Wool & Co]]></name></manufacturer>", 201)])
    created = shop.client().create(
        "manufacturers", {"name": "Wool & Co", "active": "1"}, {"description": {1: "a", 2: "b"}}
    )
    assert (created.resource, created.id, created.fields["name"]) == ("manufacturers", 3, "Wool & Co")
    assert body_record(shop.seen[0].content).fields == {"name": "Wool & Co", "active": "1"}
    shop = MockShop([httpx.Response(200), failed(404, (87, "Id(s) not exists: 3"))])
    client = shop.client()
    assert client.delete("manufacturers", 3) is None
    with pytest.raises(NotFound):
        client.delete("manufacturers", 3)
    assert shop.calls() == [("DELETE", "manufacturers/3")] * 2


# -- combinations, specific prices, stock -------------------------------------------------------------


def test_combination_images_are_replaced_or_cleared() -> None:
    shop = MockShop(lambda r: ok("<combination><id><![CDATA[41]]></id></combination>"))
    client = shop.client()
    assert client.set_combination_images(41, [26, 27]).id == 41
    client.set_combination_images(41, [])
    assert (
        b"<associations><images><image><id><![CDATA[26]]></id></image><image><id><![CDATA[27]]></id></image>"
        in shop.seen[0].content
    )
    assert b"<associations><images/></associations>" in shop.seen[1].content
    assert body_record(shop.seen[1].content).fields == {"id": "41"}


def test_a_specific_price_gets_the_fields_the_shop_requires() -> None:
    shop = MockShop([ok("<specific_price><id><![CDATA[3]]></id></specific_price>", 201)])
    shop.client().create_specific_price(20, {"reduction": "0.1", "reduction_type": "percentage"})
    fields = body_record(shop.seen[0].content).fields
    assert fields["id_product"] == "20" and fields["id_shop"] == "0" and fields["from_quantity"] == "1"
    assert (fields["reduction"], fields["price"]) == ("0.1", "-1")


STOCK_60 = (
    "<stock_available><id><![CDATA[60]]></id><id_product><![CDATA[20]]></id_product>"
    "<id_product_attribute><![CDATA[40]]></id_product_attribute><id_shop><![CDATA[1]]></id_shop>"
    "<id_shop_group><![CDATA[0]]></id_shop_group><quantity><![CDATA[7]]></quantity>"
    "<depends_on_stock><![CDATA[0]]></depends_on_stock><out_of_stock><![CDATA[2]]></out_of_stock>"
    "<location><![CDATA[]]></location></stock_available>"
)


def test_a_known_stock_row_is_patched_directly() -> None:
    shop = MockShop([ok(STOCK_60)])
    row = shop.client().set_stock_row(StockRow(60, 20, 40, 0), 7)
    assert (row.id, row.id_product_attribute, row.quantity) == (60, 40, 7)
    assert shop.calls() == [("PATCH", "stock_availables/60")]
    assert body_record(shop.seen[0].content).fields == {"id": "60", "quantity": "7"}


def test_on_17_a_stock_row_is_read_and_put_back_whole() -> None:
    shop = MockShop(lambda r: ok(STOCK_60, version="1.7.8.10"))
    shop.client(shop_version="1.7.8.10").set_stock_row(60, -2)
    assert shop.calls() == [("GET", "stock_availables/60"), ("PUT", "stock_availables/60")]
    fields = body_record(shop.seen[1].content).fields
    assert (fields["quantity"], fields["id_product_attribute"], fields["out_of_stock"]) == ("-2", "40", "2")
    with pytest.raises(ValueError, match="quantity"):
        shop.client().set_stock_row(60, 1.5)  # type: ignore[arg-type]
