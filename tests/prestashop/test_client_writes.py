"""PrestaShopClient writes, stock and reference look-ups, against wire-faithful mock answers."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest
from lxml import etree

from prestasync.prestashop import (
    NotFound,
    PrestaShopClient,
    ProductDraft,
    ShopTimeout,
    ShopUnavailable,
    StockRow,
    ValidationFailed,
)
from tests.prestashop.conftest import xml

KEY = "UCCLLQ9N2ARSHWCXLT74KUKSSK34BFKX"
Route = Callable[[httpx.Request], httpx.Response]


def ps(status: int, inner: str | None, version: str = "8.1.7") -> httpx.Response:
    headers = {"X-Powered-By": "PrestaShop Webservice", "PSWS-Version": version}
    if inner is None:
        return httpx.Response(status, headers=headers)
    headers["Content-Type"] = "text/xml;charset=utf-8"
    return httpx.Response(status, content=xml(inner), headers=headers)


class Shop:
    """A mock shop answering by (method, path) and recording every request."""

    def __init__(self, routes: dict[tuple[str, str], httpx.Response | list[httpx.Response]]) -> None:
        self.routes = routes
        self.seen: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        answer = self.routes.get((request.method, request.url.path))
        if answer is None:
            return ps(405, "<errors><error><code>23</code><message>unexpected call</message></error></errors>")
        if isinstance(answer, list):
            return answer.pop(0) if len(answer) > 1 else answer[0]
        return answer

    def client(self, retries: int = 3) -> PrestaShopClient:
        return PrestaShopClient.connect(
            "https://shop.example.com",
            KEY,
            transport=httpx.MockTransport(self),
            retries=retries,
            sleep=self.sleeps.append,
        )

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.path) for r in self.seen]


def sent(request: httpx.Request) -> etree._Element:
    """The record element of a write body, parsed."""
    root = etree.fromstring(request.content)
    assert root.tag == "prestashop"
    (record,) = list(root)
    return record


def child_tags(record: etree._Element) -> list[str]:
    return [str(child.tag) for child in record]


def langs(tag: str, first: str, second: str, href: str = "") -> str:
    """A multilanguage field as PrestaShop prints it: language nodes side by side, no whitespace."""
    nodes = [f'<language id="{i}"{href}><![CDATA[{v}]]></language>' for i, v in ((1, first), (2, second))]
    return f"\t<{tag}>{''.join(nodes)}</{tag}>"


PRODUCT_12 = "\n".join(
    [
        "<product>",
        "\t<id><![CDATA[12]]></id>",
        '\t<id_manufacturer xlink:href="http://shop/api/manufacturers/1"><![CDATA[1]]></id_manufacturer>',
        '\t<id_category_default xlink:href="http://shop/api/categories/3"><![CDATA[3]]></id_category_default>',
        "\t<new><![CDATA[]]></new>",
        '\t<id_default_image xlink:href="http://shop/api/images/products/12/5" notFilterable="true">'
        "<![CDATA[5]]></id_default_image>",
        '\t<position_in_category notFilterable="true"><![CDATA[4]]></position_in_category>',
        '\t<manufacturer_name notFilterable="true"><![CDATA[Studio Design]]></manufacturer_name>',
        '\t<quantity notFilterable="true"><![CDATA[300]]></quantity>',
        '\t<type notFilterable="true"><![CDATA[simple]]></type>',
        "\t<reference><![CDATA[demo_12]]></reference>",
        "\t<weight><![CDATA[0.300000]]></weight>",
        "\t<state><![CDATA[1]]></state>",
        "\t<price><![CDATA[16.510000]]></price>",
        "\t<active><![CDATA[1]]></active>",
        "\t<date_upd><![CDATA[2024-05-01 10:00:00]]></date_upd>",
        langs("link_rewrite", "faded-t-shirt", "t-shirt-delave"),
        langs("name", "Faded T-shirt", "T-shirt délavé", ' xlink:href="http://shop/api/languages/1"'),
        langs("description", "<p>Soft</p>", "<p>Doux</p>"),
        "<associations>",
        '<categories nodeType="category" api="categories">',
        '\t<category xlink:href="http://shop/api/categories/3">',
        "\t<id><![CDATA[3]]></id>",
        "\t</category>",
        "</categories>",
        '<stock_availables nodeType="stock_available" api="stock_availables">',
        '\t<stock_available xlink:href="http://shop/api/stock_availables/67">',
        "\t<id><![CDATA[67]]></id>",
        "\t<id_product_attribute><![CDATA[0]]></id_product_attribute>",
        "\t</stock_available>",
        "</stock_availables>",
        "</associations>",
        "</product>",
    ]
)

STOCK_67 = """<stock_available>
\t<id><![CDATA[67]]></id>
\t<id_product xlink:href="http://shop/api/products/12"><![CDATA[12]]></id_product>
\t<id_product_attribute><![CDATA[0]]></id_product_attribute>
\t<id_shop xlink:href="http://shop/api/shops/1"><![CDATA[1]]></id_shop>
\t<id_shop_group><![CDATA[0]]></id_shop_group>
\t<quantity><![CDATA[{qty}]]></quantity>
\t<depends_on_stock><![CDATA[0]]></depends_on_stock>
\t<out_of_stock><![CDATA[2]]></out_of_stock>
\t<location><![CDATA[]]></location>
</stock_available>"""


def stock(qty: int) -> str:
    return STOCK_67.replace("{qty}", str(qty))


# -- create -----------------------------------------------------------------------------------


def test_create_posts_a_complete_new_product_and_reads_the_answer() -> None:
    shop = Shop({("POST", "/api/products"): ps(201, PRODUCT_12)})
    draft = ProductDraft(reference="SKU-001", price=Decimal("19.90"), active=True, name={1: "Mug", 2: "Kubek"})
    created = shop.client().create_product(draft)
    assert created.id == 12
    (request,) = shop.seen
    assert request.headers["Content-Type"] == "text/xml"
    record = sent(request)
    assert record.tag == "product"
    assert {tag: record.findtext(tag) for tag in ("reference", "price", "active", "state")} == {
        "reference": "SKU-001",
        "price": "19.90",
        "active": "1",
        "state": "1",
    }
    assert [record.findtext(t) for t in ("available_for_order", "show_price", "minimal_quantity")] == ["1", "1", "1"]
    assert record.findtext("id_category_default") == "2"
    assert record.findtext("associations/categories/category/id") == "2"
    assert [(n.get("id"), n.text) for n in record.findall("name/language")] == [("1", "Mug"), ("2", "Kubek")]
    assert record.find("description") is None
    for forbidden in ("id", "quantity", "manufacturer_name", "position_in_category"):
        assert record.find(forbidden) is None
    assert b"<![CDATA[SKU-001]]>" in request.content


def test_create_extra_overrides_defaults_and_the_category_follows() -> None:
    shop = Shop({("POST", "/api/products"): ps(201, PRODUCT_12)})
    draft = ProductDraft(reference="R", price=Decimal("1"), active=False, name={1: "N"})
    shop.client().create_product(draft, extra={"id_category_default": "7", "weight": "0.5"})
    record = sent(shop.seen[0])
    assert (record.findtext("id_category_default"), record.findtext("weight")) == ("7", "0.5")
    assert record.findtext("associations/categories/category/id") == "7"
    assert record.findtext("active") == "0"


@pytest.mark.parametrize("name", ["quantity", "manufacturer_name", "position_in_category", "id", "price", "name"])
def test_create_extra_cannot_set_forbidden_or_draft_fields(name: str) -> None:
    shop = Shop({})
    draft = ProductDraft(reference="R", price=Decimal("1"), active=True, name={1: "N"})
    with pytest.raises(ValueError, match=name):
        shop.client().create_product(draft, extra={name: "1"})
    assert shop.seen == []


def test_create_is_not_retried_on_503_or_read_timeout_but_is_on_connect_error() -> None:
    draft = ProductDraft(reference="R", price=Decimal("1"), active=True, name={1: "N"})
    shop = Shop({("POST", "/api/products"): ps(503, None)})
    with pytest.raises(ShopUnavailable):
        shop.client().create_product(draft)
    assert (len(shop.seen), shop.sleeps) == (1, [])

    calls: list[httpx.Request] = []

    def timing_out(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("timed out")

    client = PrestaShopClient.connect("https://s.example", KEY, transport=httpx.MockTransport(timing_out))
    with pytest.raises(ShopTimeout, match="may have reached the shop"):
        client.create_product(draft)
    assert len(calls) == 1

    refusals = [httpx.ConnectError("refused")]

    def refusing_once(request: httpx.Request) -> httpx.Response:
        if refusals:
            raise refusals.pop()
        return ps(201, PRODUCT_12)

    sleeps: list[float] = []
    client = PrestaShopClient.connect(
        "https://s.example", KEY, transport=httpx.MockTransport(refusing_once), sleep=sleeps.append
    )
    assert client.create_product(draft).id == 12
    assert len(sleeps) == 1


def test_validation_error_85_names_the_call_code_and_message() -> None:
    message = 'Validation error: "Property Product->price is not valid"'
    body = (
        f"<errors>\n<error>\n<code><![CDATA[85]]></code>\n<message><![CDATA[{message}]]></message>\n</error>\n</errors>"
    )
    shop = Shop({("GET", "/api/products/12"): ps(200, PRODUCT_12), ("PUT", "/api/products/12"): ps(400, body)})
    draft = ProductDraft(reference="R", price=Decimal("-1"), active=True, name={})
    with pytest.raises(ValidationFailed) as caught:
        shop.client().update_product(12, draft)
    assert (caught.value.code, caught.value.message, caught.value.status) == (85, message, 400)
    assert str(caught.value) == (
        f"PUT https://shop.example.com/api/products/12 -> 400: [85] {message}"
        " — a price is a decimal number such as 12.50"
    )
    assert shop.sleeps == []


# -- update and patch ---------------------------------------------------------------------------


def test_update_sends_the_whole_record_minus_read_only_fields_and_keeps_other_languages() -> None:
    shop = Shop({("GET", "/api/products/12"): ps(200, PRODUCT_12), ("PUT", "/api/products/12"): ps(200, PRODUCT_12)})
    draft = ProductDraft(reference="NEW-12", price=Decimal("20.00"), active=False, name={1: "New name"})
    shop.client().update_product(12, draft)
    assert shop.calls() == [("GET", "/api/products/12"), ("PUT", "/api/products/12")]
    record = sent(shop.seen[1])
    assert child_tags(record) == [
        "id", "id_manufacturer", "id_category_default", "new", "id_default_image", "type", "reference",
        "weight", "state", "price", "active", "date_upd", "link_rewrite", "name", "description",
    ]  # fmt: skip
    assert record.findtext("id") == "12"
    assert (record.findtext("reference"), record.findtext("price"), record.findtext("active")) == (
        "NEW-12",
        "20.00",
        "0",
    )
    assert (record.findtext("weight"), record.findtext("id_default_image")) == ("0.300000", "5")
    assert [(n.get("id"), n.text) for n in record.findall("name/language")] == [
        ("1", "New name"),
        ("2", "T-shirt délavé"),
    ]
    assert [n.text for n in record.findall("description/language")] == ["<p>Soft</p>", "<p>Doux</p>"]
    assert [n.text for n in record.findall("link_rewrite/language")] == ["faded-t-shirt", "t-shirt-delave"]
    assert record.find("associations") is None


def test_update_of_a_missing_product_is_not_found() -> None:
    shop = Shop({("GET", "/api/products/5"): ps(404, None)})
    with pytest.raises(NotFound):
        shop.client().update_product(5, ProductDraft(reference="R", price=Decimal("1"), active=True, name={}))
    assert shop.calls() == [("GET", "/api/products/5")]


def test_patch_on_8x_sends_only_id_and_the_given_fields() -> None:
    shop = Shop({("GET", "/api/"): ps(200, '<api shopName="S"/>'), ("PATCH", "/api/products/12"): ps(200, PRODUCT_12)})
    shop.client().patch_product(12, {"price": "21.00", "active": "0"})
    assert shop.calls() == [("GET", "/api/"), ("PATCH", "/api/products/12")]
    record = sent(shop.seen[1])
    assert [(str(c.tag), c.text) for c in record] == [("id", "12"), ("price", "21.00"), ("active", "0")]


def test_patch_of_one_language_sends_the_field_with_every_language() -> None:
    # The shop nulls a non-required i18n field before assigning the languages sent: a lone
    # language 2 would blank language 1.
    shop = Shop({("GET", "/api/products/12"): ps(200, PRODUCT_12), ("PATCH", "/api/products/12"): ps(200, PRODUCT_12)})
    client = shop.client()
    client.get_product(12)
    client.patch_product(12, {"price": "21.00"}, {"name": {2: "Nowa"}})
    assert shop.calls()[1:] == [("GET", "/api/products/12"), ("PATCH", "/api/products/12")]
    record = sent(shop.seen[2])
    assert child_tags(record) == ["id", "price", "name"]
    assert [(n.get("id"), n.text) for n in record.findall("name/language")] == [("1", "Faded T-shirt"), ("2", "Nowa")]


def test_patch_on_17_falls_back_to_get_and_full_put() -> None:
    shop = Shop(
        {
            ("GET", "/api/products/12"): ps(200, PRODUCT_12, version="1.7.8.10"),
            ("PUT", "/api/products/12"): ps(200, PRODUCT_12, version="1.7.8.10"),
        }
    )
    client = shop.client()
    client.get_product(12)  # any answer tells the version
    client.patch_product(12, {"price": "21.00"})
    assert shop.calls() == [("GET", "/api/products/12"), ("GET", "/api/products/12"), ("PUT", "/api/products/12")]
    record = sent(shop.seen[2])
    assert record.findtext("price") == "21.00"
    assert record.findtext("reference") == "demo_12"
    assert record.find("quantity") is None


def test_patch_refused_with_405_code_23_falls_back_once_and_is_remembered() -> None:
    refused = (
        "<errors><error><code><![CDATA[23]]></code>"
        "<message><![CDATA[Method PATCH is not valid]]></message></error></errors>"
    )
    shop = Shop(
        {
            ("GET", "/api/"): ps(200, '<api shopName="S"/>', version=""),
            ("PATCH", "/api/products/12"): ps(405, refused, version=""),
            ("GET", "/api/products/12"): ps(200, PRODUCT_12, version=""),
            ("PUT", "/api/products/12"): ps(200, PRODUCT_12, version=""),
        }
    )
    client = shop.client()
    client.patch_product(12, {"price": "1"})
    client.patch_product(12, {"price": "2"})
    assert shop.calls() == [
        ("GET", "/api/"),
        ("PATCH", "/api/products/12"),
        ("GET", "/api/products/12"),
        ("PUT", "/api/products/12"),
        ("GET", "/api/products/12"),
        ("PUT", "/api/products/12"),
    ]


def test_patch_refuses_read_only_fields_before_sending() -> None:
    shop = Shop({})
    with pytest.raises(ValueError, match="quantity"):
        shop.client().patch_product(12, {"quantity": "3"})
    assert shop.seen == []


# -- stock ----------------------------------------------------------------------------------------


def test_set_stock_patches_id_and_quantity_on_8x() -> None:
    shop = Shop(
        {
            ("GET", "/api/stock_availables"): ps(200, f"<stock_availables>\n{stock(0)}\n</stock_availables>"),
            ("PATCH", "/api/stock_availables/67"): ps(200, stock(10)),
        }
    )
    row = shop.client().set_stock(12, 10)
    assert row == StockRow(
        id=67,
        id_product=12,
        id_product_attribute=0,
        quantity=10,
        id_shop=1,
        id_shop_group=0,
        depends_on_stock="0",
        out_of_stock="2",
        location="",
    )
    assert shop.calls() == [("GET", "/api/stock_availables"), ("PATCH", "/api/stock_availables/67")]
    assert dict(shop.seen[0].url.params) == {
        "filter[id_product]": "[12]",
        "filter[id_product_attribute]": "0",
        "display": "full",
        "sort": "[id_ASC]",
    }
    record = sent(shop.seen[1])
    assert record.tag == "stock_available"
    assert [(str(c.tag), c.text) for c in record] == [("id", "67"), ("quantity", "10")]


def test_set_stock_puts_the_full_row_on_17() -> None:
    shop = Shop(
        {
            ("GET", "/api/stock_availables"): ps(
                200, f"<stock_availables>\n{stock(0)}\n</stock_availables>", "1.7.8.10"
            ),
            ("PUT", "/api/stock_availables/67"): ps(200, stock(-3), "1.7.8.10"),
        }
    )
    assert shop.client().set_stock(12, -3).quantity == -3
    assert shop.calls() == [("GET", "/api/stock_availables"), ("PUT", "/api/stock_availables/67")]
    record = sent(shop.seen[1])
    assert {str(c.tag): c.text or "" for c in record} == {
        "id": "67",
        "id_product": "12",
        "id_product_attribute": "0",
        "id_shop": "1",
        "id_shop_group": "0",
        "quantity": "-3",
        "depends_on_stock": "0",
        "out_of_stock": "2",
        "location": "",
    }
    assert all(r.method != "POST" for r in shop.seen)


def test_set_stock_without_a_row_is_not_found() -> None:
    shop = Shop({("GET", "/api/stock_availables"): ps(200, "<stock_availables>\n</stock_availables>")})
    with pytest.raises(NotFound, match="no stock row"):
        shop.client().set_stock(12, 1)
    with pytest.raises(ValueError, match="quantity"):
        shop.client().set_stock(12, True)


def test_stock_rows_are_fetched_in_chunks_of_ids() -> None:
    def rows_for(request: httpx.Request) -> httpx.Response:
        wanted = request.url.params["filter[id_product]"].strip("[]").split("|")
        items = "".join(
            f"<stock_available><id><![CDATA[{1000 + int(i)}]]></id><id_product><![CDATA[{i}]]></id_product>"
            f"<id_product_attribute><![CDATA[0]]></id_product_attribute><quantity><![CDATA[{i}]]></quantity>"
            "</stock_available>\n"
            for i in wanted
            if int(i) % 2  # even products have no row
        )
        return ps(200, f"<stock_availables>\n{items}</stock_availables>")

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return rows_for(request)

    client = PrestaShopClient.connect("https://s.example", KEY, transport=httpx.MockTransport(handler))
    rows = client.stock_rows(list(range(1, 251)) + [3, 5])
    assert [len(r.url.params["filter[id_product]"].split("|")) for r in seen] == [100, 100, 50]
    assert seen[0].url.params["filter[id_product]"].startswith("[1|2|3|")
    assert all(r.url.params["filter[id_product_attribute]"] == "0" for r in seen)
    assert all(r.url.params["display"] == "[id,id_product,id_product_attribute,quantity]" for r in seen)
    assert len(rows) == 125
    assert rows[7] == StockRow(id=1007, id_product=7, id_product_attribute=0, quantity=7)
    assert 8 not in rows
    assert client.stock_rows([]) == {}


# -- references ---------------------------------------------------------------------------------


def references(*pairs: tuple[int, str]) -> httpx.Response:
    items = "".join(
        f"<product><id><![CDATA[{i}]]></id><reference><![CDATA[{r}]]></reference></product>\n" for i, r in pairs
    )
    return ps(200, f"<products>\n{items}</products>")


def test_find_by_reference_filters_then_compares_exactly() -> None:
    # MySQL compares case-insensitively and ignores trailing spaces: the shop may answer near misses.
    shop = Shop({("GET", "/api/products"): references((3, "ABC-1"), (9, "abc-1"), (11, "ABC-1 "), (14, "ABC-1"))})
    assert shop.client().find_products_by_reference("ABC-1") == [3, 14]
    assert dict(shop.seen[0].url.params) == {
        "display": "[id,reference]",
        "filter[id]": ">[0]",
        "sort": "[id_ASC]",
        "limit": "0,1000",
        "filter[reference]": "[ABC-1]",
    }


def test_hostile_reference_never_reaches_the_filter_and_is_matched_by_scanning() -> None:
    hostile = "a|b]%,["
    first = [(i, f"R{i}") for i in range(1, 1000)] + [(1000, hostile)]
    shop = Shop({("GET", "/api/products"): [references(*first), references((1001, hostile.upper()), (1002, hostile))]})
    assert shop.client().find_products_by_reference(hostile) == [1000, 1002]
    assert [r.url.params.get("filter[reference]") for r in shop.seen] == [None, None]
    assert [r.url.params["filter[id]"] for r in shop.seen] == [">[0]", ">[1000]"]
    for request in shop.seen:
        assert "|" not in request.url.params.get("filter[reference]", "")


@pytest.mark.parametrize(
    ("reference", "pattern"),
    [
        ("SKU-12|x", "[SKU-12]%"),
        ("LONG" + "x" * 96, "[LONG" + "x" * 28 + "]%"),
        ("pre<b>", "[pre]%"),
        ("tab\there", "[tab]%"),
        ("50%", None),
        ("Ref 'quoted' \"x\" #1 & co", "[Ref 'quoted' \"x\" #1 & co]"),
    ],
)
def test_unsafe_references_use_a_safe_prefix_like(reference: str, pattern: str | None) -> None:
    shop = Shop({("GET", "/api/products"): references((5, reference), (6, reference + "-other"))})
    assert shop.client().find_products_by_reference(reference) == [5]
    assert shop.seen[0].url.params.get("filter[reference]") == pattern


def test_empty_reference_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        Shop({}).client().find_products_by_reference("")
