"""The hardened XML layer: reading both value styles, refusing hostile documents, safe bodies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from prestasync.prestashop import _decode, _xml
from prestasync.prestashop._products import draft_fields, draft_i18n
from prestasync.prestashop.records import BadRecord, ProductDraft, RemoteProduct

HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
TAIL = b"\n</prestashop>\n"


def doc(inner: str) -> bytes:
    return HEAD + inner.encode() + TAIL


def record_of(body: bytes, tag: str) -> _decode.Parts:
    return _decode.read_parts(_xml.wrapper(_xml.parse(body), tag))


def test_cdata_style_of_8x_and_empty_element_style_of_17_read_alike() -> None:
    v8 = doc(
        "<product>\n\t<id><![CDATA[1]]></id>\n\t<new><![CDATA[]]></new>\n"
        "\t<reference><![CDATA[demo_1]]></reference>\n</product>"
    )
    v17 = doc("<product>\n\t<id><![CDATA[1]]></id>\n\t<new></new>\n\t<reference>demo_1</reference>\n</product>")
    self_closing = doc("<product><id>1</id><new/><reference><![CDATA[demo_1]]></reference></product>")
    expected = {"id": "1", "new": "", "reference": "demo_1"}
    assert record_of(v8, "product")[0] == expected
    assert record_of(v17, "product")[0] == expected
    assert record_of(self_closing, "product")[0] == expected


def test_values_keep_inner_whitespace_and_markup() -> None:
    body = doc("<product><description_short><![CDATA[ <p>a &amp; b</p>\n]]></description_short></product>")
    assert record_of(body, "product")[0]["description_short"] == " <p>a &amp; b</p>\n"


def test_language_nodes_become_an_id_to_text_map() -> None:
    body = doc(
        "<product><id><![CDATA[7]]></id>"
        '<name><language id="1" xlink:href="http://shop/api/languages/1"><![CDATA[Mug]]></language>'
        '<language id="2" xlink:href="http://shop/api/languages/2"><![CDATA[]]></language></name>'
        '<link_rewrite><language id="1">mug</language><language id="2"></language></link_rewrite>'
        "</product>"
    )
    fields, i18n, _ = record_of(body, "product")
    assert fields == {"id": "7"}
    assert i18n == {"name": {1: "Mug", 2: ""}, "link_rewrite": {1: "mug", 2: ""}}


def test_associations_with_node_type_attributes_and_empty_wrappers() -> None:
    body = doc(
        "<product><id><![CDATA[1]]></id>\n<associations>\n"
        '<categories nodeType="category" api="categories">\n'
        '\t<category xlink:href="http://172.30.0.7/api/categories/2">\n\t<id><![CDATA[2]]></id>\n\t</category>\n'
        "</categories>\n"
        '<tags nodeType="tag" api="tags"/>\n'
        '<stock_availables nodeType="stock_available" api="stock_availables">\n'
        '\t<stock_available xlink:href="http://172.30.0.7/api/stock_availables/1">\n'
        "\t<id><![CDATA[1]]></id>\n\t<id_product_attribute><![CDATA[0]]></id_product_attribute>\n"
        "\t</stock_available>\n</stock_availables>\n</associations>\n</product>"
    )
    fields, i18n, associations = record_of(body, "product")
    assert fields == {"id": "1"}
    assert i18n == {}
    assert associations == {
        "categories": [{"id": "2"}],
        "tags": [],
        "stock_availables": [{"id": "1", "id_product_attribute": "0"}],
    }


def test_product_with_unreadable_id_is_a_bad_record_not_an_error() -> None:
    root = _xml.parse(doc("<products><product><id>abc</id><reference>R1</reference></product></products>"))
    found = _decode.product(_xml.elements(_xml.wrapper(root, "products"))[0])
    assert isinstance(found, BadRecord)
    assert found.remote_id is None
    assert found.reference == "R1"
    assert "abc" in found.reason


def test_product_with_bad_language_id_keeps_its_id_in_the_bad_record() -> None:
    root = _xml.parse(doc('<product><id>9</id><name><language id="x">a</language></name></product>'))
    found = _decode.product(_xml.wrapper(root, "product"))
    assert found == BadRecord(9, "", "field 'name' has a language node with id 'x'")


def test_product_lifts_the_common_fields() -> None:
    root = _xml.parse(
        doc(
            "<product><id>3</id><reference>R3</reference><price>16.510000</price><active>0</active>"
            "<date_upd>2024-05-01 10:00:00</date_upd>"
            '<name><language id="1">N</language></name><description><language id="1">D</language></description>'
            "</product>"
        )
    )
    found = _decode.product(_xml.wrapper(root, "product"))
    assert isinstance(found, RemoteProduct)
    assert (found.id, found.reference, found.price, found.active) == (3, "R3", "16.510000", "0")
    assert (found.name, found.description, found.date_upd) == ({1: "N"}, {1: "D"}, "2024-05-01 10:00:00")


def test_doctype_is_refused_even_with_entities_left_unresolved() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE prestashop [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><prestashop><x>&b;</x></prestashop>'
    )
    with pytest.raises(_xml.DocumentError, match="DOCTYPE"):
        _xml.parse(laughs)


def test_external_entity_is_never_fetched() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><prestashop>&x;</prestashop>'
    with pytest.raises(_xml.DocumentError, match="DOCTYPE"):
        _xml.parse(body)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"<prestashop><products>", "not well-formed"),
        (b"<html><body>hi</body></html>", "expected a <prestashop>"),
        (b"\xff\xfe garbage", "not well-formed"),
    ],
)
def test_unusable_documents_are_refused(body: bytes, reason: str) -> None:
    with pytest.raises(_xml.DocumentError, match=reason):
        _xml.parse(body)


def test_empty_list_in_xml_and_in_json_reads_as_no_items() -> None:
    assert _xml.list_items(doc("<products>\n</products>"), "products") == []
    assert _xml.list_items(b"[]", "products") == []
    with pytest.raises(_xml.DocumentError, match="expected <products>"):
        _xml.list_items(doc("<product><id>1</id></product>"), "products")


def test_errors_are_read_from_xml_json_and_codeless_old_bodies() -> None:
    two = doc(
        "<errors>\n<error>\n<code><![CDATA[20]]></code>\n"
        "<message><![CDATA[Authentification key is not active]]></message>\n</error>\n"
        "<error>\n<code><![CDATA[21]]></code>\n"
        "<message><![CDATA[No permission for this authentication key]]></message>\n</error>\n</errors>"
    )
    assert _xml.parse_errors(two) == [
        (20, "Authentification key is not active"),
        (21, "No permission for this authentication key"),
    ]
    json_body = b'{"errors":[{"code":85,"message":"Validation error: \\"Property Product->price is not valid\\""}]}'
    assert _xml.parse_errors(json_body) == [(85, 'Validation error: "Property Product->price is not valid"')]
    codeless = doc(
        "<errors><error><message>Internal error. To see this error please display the PHP errors."
        "</message></error></errors>"
    )
    assert _xml.parse_errors(codeless) == [(None, "Internal error. To see this error please display the PHP errors.")]
    assert _xml.parse_errors(b"401 Unauthorized") == []
    assert _xml.parse_errors(b"<html><title>x</title></html>") == []
    assert _xml.parse_errors(b"{not json") == []


def test_html_pages_are_recognised_and_titled_briefly() -> None:
    page = b"<!DOCTYPE html>\n<html><head><title>\n 503 Service\n Unavailable </title></head><body>" + b"x" * 5000
    assert _xml.looks_like_html(page)
    assert _xml.looks_like_html(b"<p>oops</p>", "text/html; charset=utf-8")
    assert not _xml.looks_like_html(doc("<api/>"), "text/html")
    assert _xml.html_title(page) == "503 Service Unavailable"
    assert _xml.html_title(b"<html><title>" + b"t" * 500 + b"</title></html>").endswith("…")


def test_body_wraps_values_in_cdata_and_languages_in_nodes() -> None:
    body = _xml.build_body("product", {"id": "", "price": "19.90"}, {"name": {1: "Mug", 2: ""}})
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<prestashop xmlns:xlink=")
    assert b"<id><![CDATA[]]></id><price><![CDATA[19.90]]></price>" in body
    assert b'<name><language id="1"><![CDATA[Mug]]></language><language id="2"><![CDATA[]]></language></name>' in body


HOSTILE = [
    "]]>",
    "a]]>b<![CDATA[c",
    "<script>alert('x')</script>",
    'Tom & Jerry\'s "quotes" &amp;',
    "line1\r\nline2\rline3\n",
    "  padded\t",
    "zażółć 漢字 🎉",
    "x" * 10_000,
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_round_trip_exactly(value: str) -> None:
    body = _xml.build_body("product", {"reference": value}, {"name": {1: value}})
    fields, i18n, _ = record_of(body, "product")
    assert fields["reference"] == value
    assert i18n["name"][1] == value


@pytest.mark.parametrize("value", ["bad\x00nul", "bell\x07", "esc\x1b[0m", "\ufffe", "lone \ud800 surrogate"])
def test_characters_xml_cannot_carry_are_refused_before_sending(value: str) -> None:
    with pytest.raises(ValueError, match="XML 1.0 cannot carry"):
        _xml.build_body("product", {"reference": value})
    with pytest.raises(ValueError, match=r"name\[1\]"):
        _xml.build_body("product", {}, {"name": {1: value}})


@pytest.mark.parametrize("name", ["", "1abc", "a b", "x>y", "ns:tag"])
def test_field_names_must_be_plain_xml_names(name: str) -> None:
    with pytest.raises(ValueError, match="not a valid field name"):
        _xml.build_body("product", {name: "1"})


def test_associations_are_written_as_items() -> None:
    body = _xml.build_body("product", {"price": "1"}, None, {"categories": [{"id": "2"}, 3], "images": []})
    assert (
        b"<associations><categories><category><id><![CDATA[2]]></id></category>"
        b"<category><id><![CDATA[3]]></id></category></categories><images/></associations>"
    ) in body
    with pytest.raises(ValueError, match="unsigned"):
        _xml.build_body("product", {}, None, {"images": [-1]})


def test_draft_fields_format_price_and_active() -> None:
    draft = ProductDraft(reference="R", price=Decimal("1E+2"), active=False, name={1: "N"})
    assert draft_fields(draft) == {"reference": "R", "price": "100", "active": "0"}
    assert draft_i18n(draft) == {"name": {1: "N"}}
    with pytest.raises(ValueError, match="finite"):
        draft_fields(ProductDraft(reference="R", price=Decimal("NaN"), active=True, name={}))


def test_highest_id_skips_unreadable_ids_and_refuses_no_progress() -> None:
    nodes = _xml.elements(etree.fromstring(b"<p><product><id>4</id></product><product><id>x</id></product></p>"))
    assert _decode.highest_id(nodes, above=1) == 4
    with pytest.raises(_xml.DocumentError, match="cannot page on"):
        _decode.highest_id(nodes, above=4)
