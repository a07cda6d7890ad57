"""Every recorded exchange with a real PrestaShop 8.1.2, replayed to the client.

For each capture found in the capture folders (`captures.all_exchanges()`: the repository's copy
and any folder in `PRESTASYNC_WIRE_DIRS`), the test makes the client call that produces the
recorded request, checks that request against the recording (`replay.assert_same_request`), serves
the recorded answer byte for byte, and checks what the client made of it: records against an
independent regex reading of the bytes (`wire_oracle`), errors against their class and codes.

A handful of recorded requests are ones the client never sends by design (malformed XML, a real PUT
of an image, `id_group_shop`…): for those the public call is shown to refuse before sending, where
there is one, and the recorded answer goes through the client's transport to check its mapping.
A capture with no client call fails its test ("no client call for capture X"), so a new capture
dropped into a folder cannot be skipped silently.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from lxml import etree

from prestasync.prestashop import (
    BadRecord,
    Category,
    Combination,
    ImageUpload,
    NotFound,
    NotSupported,
    PrestaShopClient,
    PrestaShopError,
    Record,
    RemoteProduct,
    Schema,
    ShopInfo,
    ShopUnavailable,
    StockRow,
    Unauthorized,
    ValidationFailed,
    _decode,
)
from tests.prestashop import wire_oracle as oracle
from tests.prestashop.captures import Exchange, all_exchanges
from tests.prestashop.replay import KEY, body_record, part, replay

EXCHANGES = all_exchanges()
LANGUAGES = (1, 2)  # the recorded shop's languages: en = 1, fr = 2
Call = Callable[[PrestaShopClient, Exchange], object]


@dataclass(frozen=True)
class Case:
    """How the client produces a recorded request, and what to expect beyond the generic checks."""

    call: Call | None = None
    free: frozenset[str] = frozenset()  # query parameters the client sets differently, on purpose
    error: type[PrestaShopError] | None = None
    check: Callable[[Any, Exchange], None] | None = None
    never_sent: str = ""  # why the client never sends this request; its answer goes through the transport
    refuse: Callable[[PrestaShopClient], object] | None = None  # the public call refusing to send it
    generic: bool = True  # False when `check` replaces the comparison with the XML bytes (JSON)


# -- deriving the client call from the recorded request -----------------------------------------


def target(exchange: Exchange) -> tuple[list[str], dict[str, str]]:
    url = httpx.URL(exchange.target)
    path = url.path.removeprefix("/api/")
    return (path.split("/") if path else []), dict(url.params)


def shop_of(client: PrestaShopClient, params: dict[str, str]) -> PrestaShopClient:
    shop = params.pop("id_shop", None)
    return client.for_shop(int(shop)) if shop else client


def display_of(params: dict[str, str]) -> str | list[str] | None:
    raw = params.pop("display", None)
    if raw is None or raw == "full":
        return raw
    return raw.strip("[]").split(",")


def written(exchange: Exchange) -> tuple[str, dict[str, str], dict[str, dict[int, str]], dict[str, list[Any]] | None]:
    """The recorded body as `create`/`patch` arguments: fields without id, languages, associations."""
    record = body_record(exchange.request_body)
    fields = {k: v for k, v in record.fields.items() if k != "id"}
    i18n = {name: {int(lang): text for lang, text in langs.items()} for name, langs in record.i18n.items()}
    has_associations = b"<associations" in exchange.request_body
    return record.tag, fields, i18n, (record.associations if has_associations else None)


def current_for(resource: str, record_id: int, i18n: dict[str, dict[int, str]]) -> Record:
    """The record the caller last read, as far as the language rule needs it: every language."""
    return Record(resource, record_id, {}, {name: {lang: f"current {lang}" for lang in LANGUAGES} for name in i18n})


def derive(exchange: Exchange) -> Case | None:
    segments, params = target(exchange)
    method = exchange.method
    if segments[:1] == ["images"]:
        return _derive_image(exchange, segments[1:], params)
    if method == "GET" and not segments:
        return Case(lambda c, e: c.check())
    if method == "HEAD" and len(segments) == 1:
        return Case(lambda c, e: c.head(segments[0]))
    if method == "GET" and len(segments) == 1:
        return Case(lambda c, e: _list(c, segments[0], dict(params)))
    if method == "GET" and len(segments) == 2:
        return Case(lambda c, e: _get(c, segments[0], int(segments[1]), dict(params)))
    if method == "POST" and len(segments) == 1 and exchange.request_body.startswith(b"<?xml"):
        return Case(lambda c, e: _create(shop_of(c, dict(params)), segments[0], e))
    if method in ("PUT", "PATCH") and len(segments) == 2:
        return Case(lambda c, e: _update(shop_of(c, dict(params)), method, segments[0], int(segments[1]), e))
    if method == "DELETE" and len(segments) == 2:
        return Case(lambda c, e: c.delete(segments[0], int(segments[1])))
    return None


def _list(client: PrestaShopClient, resource: str, params: dict[str, str]) -> object:
    client = shop_of(client, params)
    if "schema" in params:
        return client.schema(resource, params.pop("schema"), params=params or None)
    display = display_of(params) or "full"
    filters = {k[len("filter[") : -1]: params.pop(k) for k in list(params) if k.startswith("filter[")}
    sort, limit = params.pop("sort", None), params.pop("limit", None)
    return client.list_records(resource, display=display, filters=filters, sort=sort, limit=limit, params=params)


def _get(client: PrestaShopClient, resource: str, record_id: int, params: dict[str, str]) -> object:
    client = shop_of(client, params)
    display = display_of(params)
    if resource == "products" and display is None and not params:
        return client.get_product(record_id)
    return client.get(resource, record_id, display=display, params=params or None)


def _create(client: PrestaShopClient, resource: str, exchange: Exchange) -> object:
    _, fields, i18n, associations = written(exchange)
    if resource == "specific_prices" and len(fields) > 3:
        product = int(fields.pop("id_product"))
        return client.create_specific_price(product, fields)
    return client.create(resource, fields, i18n or None, associations)


def _update(client: PrestaShopClient, method: str, resource: str, record_id: int, exchange: Exchange) -> object:
    _, fields, i18n, associations = written(exchange)
    current = current_for(resource, record_id, i18n)
    if method == "PUT":
        return client.replace(resource, record_id, fields, i18n or None, associations, current=current)
    if resource == "stock_availables" and set(fields) == {"quantity"}:
        return client.set_stock_row(record_id, int(fields["quantity"]))
    if resource == "products" and set(fields) == {"id_default_image"} and not i18n and associations is None:
        return client.set_cover_image(record_id, int(fields["id_default_image"]))
    if resource == "combinations" and not fields and associations is not None and set(associations) == {"images"}:
        return client.set_combination_images(record_id, [int(item["id"]) for item in associations["images"]])
    if resource == "products":
        return client.patch_product(record_id, fields, i18n or None, associations=associations, current=current)
    return client.patch(resource, record_id, fields, i18n or None, associations, current=current)


def _derive_image(exchange: Exchange, segments: list[str], params: dict[str, str]) -> Case | None:
    method = exchange.method
    if method == "GET" and not segments:
        return Case(lambda c, e: c.image_mime_types())
    if method == "GET" and segments == ["products"]:
        return Case(lambda c, e: c.products_with_images(), free=frozenset(params))  # 61 adds schema=blank
    ids = [int(s) for s in segments[1:3]]
    if method == "GET" and len(ids) == 1:
        return Case(lambda c, e: c.images_of(ids[0]))
    if method == "GET" and len(ids) == 2:
        size = segments[3] if len(segments) > 3 else None
        return Case(lambda c, e: _download(c, ids[0], ids[1], size))
    if method == "HEAD" and len(ids) == 2:
        return Case(lambda c, e: c.image_exists(ids[0], ids[1]))
    if method == "DELETE" and len(ids) == 2:
        return Case(lambda c, e: c.delete_image(ids[0], ids[1]))
    if method == "POST" and exchange.request_body.startswith(b"--"):
        replace = ids[1] if len(ids) == 2 and params.get("ps_method") == "PUT" else None
        if len(ids) == 2 and replace is None:
            return None
        return Case(lambda c, e: _upload(c, e, ids[0], replace))
    return None


def _download(client: PrestaShopClient, product_id: int, image_id: int, size: str | None) -> bytes:
    sink = io.BytesIO()
    count = client.download_image(product_id, image_id, sink, size=size)
    assert count == len(sink.getvalue())
    return sink.getvalue()


def _upload(client: PrestaShopClient, exchange: Exchange, product_id: int, replace: int | None) -> ImageUpload:
    recorded = part(exchange.request_body, exchange.request_header("content-type") or "")
    data = _recorded_file(exchange) if exchange.complete else b"\xff" * recorded.size
    return client.upload_image(
        product_id,
        io.BytesIO(data),
        recorded.filename,
        recorded.content_type,
        replace_image_id=replace,
        max_bytes=None if recorded.size > 2_000_000 else 2_000_000,
    )


def _recorded_file(exchange: Exchange) -> bytes:
    boundary = (exchange.request_header("content-type") or "").split("boundary=")[1].encode()
    inner = exchange.request_body.split(b"--" + boundary)[1]
    return inner.removeprefix(b"\r\n").partition(b"\r\n\r\n")[2].removesuffix(b"\r\n")


# -- what the generic derivation does not say ---------------------------------------------------


def _raw_answer(client: PrestaShopClient, exchange: Exchange) -> object:
    """Send the recorded request as recorded, through the client's one request path."""
    url = httpx.URL(exchange.target)
    path = url.path.removeprefix("/api/")
    headers = {"Content-Type": exchange.request_header("content-type") or "text/xml"}
    body = exchange.request_body or None
    return client._wire.request(exchange.method, path, params=dict(url.params), content=body, headers=headers)


def _description_short_keeps_crlf(product: RemoteProduct, exchange: Exchange) -> None:
    # Fact 13: product 1's short description holds a raw \r\n inside CDATA.
    assert "\r\n" in product.i18n["description_short"][1]
    assert product.i18n["description_short"][1].encode() in exchange.response_body
    assert product.fields["quantity"] == "0"  # fact 1: never stock


def _rows_sum(rows: list[StockRow], exchange: Exchange) -> None:
    # Fact 2: for a product with combinations, row 0 holds the sum of the combination rows.
    own = [r for r in rows if r.id_product_attribute == 0]
    assert len(own) == 1 and own[0].quantity == sum(r.quantity for r in rows if r.id_product_attribute)


def _wrong_key(error: Unauthorized, exchange: Exchange) -> None:
    assert error.errors == [
        (20, "Authentification key is not active"),
        (21, "No permission for this authentication key"),
    ]
    assert KEY not in str(error)


def _no_key(error: Unauthorized, exchange: Exchange) -> None:
    assert error.code is None and "CGIPassAuth" in str(error)


def _missing(error: NotFound, exchange: Exchange) -> None:
    assert str(error) == "GET http://127.0.0.1:8080/api/products/999999 -> 404: not found"


def _maybe_applied(error: ShopUnavailable, exchange: Exchange) -> None:
    assert error.maybe_applied and error.status == 500 and not error.errors
    assert "may have reached the shop" in str(error)


def _refused_file(error: ValidationFailed, exchange: Exchange) -> None:
    assert "2 MiB" in str(error) and "not an image" in str(error)


def _too_big(error: ValidationFailed, exchange: Exchange) -> None:
    assert "2,000,000 bytes" in str(error)


def _front_office(error: NotFound, exchange: Exchange) -> None:
    assert "unknown shop (id_shop=9)" in str(error)


def _categories(found: list[Category | BadRecord], exchange: Exchange) -> None:
    assert all(isinstance(c, Category) for c in found)
    home = next(c for c in found if isinstance(c, Category) and c.id == 2)
    assert (home.parent_id, home.name[1]) == ("1", "Home")


def _combinations(found: list[Combination | BadRecord], exchange: Exchange) -> None:
    first = found[0]
    assert isinstance(first, Combination)
    assert (first.reference, first.option_value_ids, first.image_ids) == ("demo_1", [1, 8], [2])
    assert "quantity" not in first.fields  # fact 3


def _like_matches_more(found: list[Record | BadRecord], exchange: Exchange) -> None:
    # Fact 12: `[demo_1]%` is a LIKE where `_` is a wildcard: 11 products for one reference.
    assert (
        len(found) == 11 and sum(1 for r in found if isinstance(r, Record) and r.fields["reference"] == "demo_1") == 1
    )


def _json_equals_xml(found: list[Record | BadRecord], exchange: Exchange) -> None:
    # Capture 02 is the same request in XML. JSON types some values (`"id": 1`, `"new": null`),
    # which read as the XML text, and leaves out empty associations, which XML lists empty.
    xml_twin = next(e for e in EXCHANGES if e.name.startswith("02_"))
    twins = replay(xml_twin).client.list_records("products", limit="0,3")
    assert len(found) == len(twins) == 3
    for record, twin in zip(found, twins, strict=True):
        assert isinstance(record, Record) and isinstance(twin, Record)
        assert (record.id, list(record.fields.items()), record.i18n) == (twin.id, list(twin.fields.items()), twin.i18n)
        assert record.associations == {k: v for k, v in twin.associations.items() if v}
    assert "\r\n" in found[0].i18n["description_short"][1]


def _image(upload: ImageUpload, exchange: Exchange) -> None:
    assert upload.sha1 == part(exchange.request_body, exchange.request_header("content-type") or "").sha1


OVERRIDES: dict[str, Case] = {
    "03_product_1": Case(lambda c, e: c.get_product(1), check=_description_short_keeps_crlf),
    "07_wrong_key": Case(lambda c, e: c.check(), error=Unauthorized, check=_wrong_key),
    "07b_no_key": Case(lambda c, e: c.check(), error=Unauthorized, check=_no_key),
    "08_product_missing_404": Case(lambda c, e: c.get_product(999999), error=NotFound, check=_missing),
    "09_products_full_json": Case(
        lambda c, e: c.list_records("products", limit="0,3", params={"output_format": "JSON"}),
        check=_json_equals_xml,
        generic=False,
    ),
    "10_languages_display_fields": Case(lambda c, e: c.languages(), free=frozenset({"display"})),
    "23_stock_availables_product1": Case(
        lambda c, e: c.stock_rows_for([1]), free=frozenset({"sort", "filter[id]", "limit"}), check=_rows_sum
    ),
    "24_product_options_full": Case(lambda c, e: c.product_options(), free=frozenset({"sort", "filter[id]", "limit"})),
    "25_product_option_values_full": Case(
        lambda c, e: c.product_option_values(), free=frozenset({"sort", "filter[id]", "limit"})
    ),
    "26_categories_full": Case(
        lambda c, e: c.categories(), free=frozenset({"sort", "filter[id]", "limit"}), check=_categories
    ),
    "20_combinations_full": Case(
        lambda c, e: c.combinations_of([1]),
        free=frozenset({"sort", "filter[id]", "limit", "filter[id_product]"}),
        check=_combinations,
    ),
    "29_product_features_full": Case(
        lambda c, e: c.product_features(), free=frozenset({"sort", "filter[id]", "limit"})
    ),
    "30_tax_rule_groups_full": Case(lambda c, e: c.tax_rule_groups(), free=frozenset({"sort", "filter[id]", "limit"})),
    "31_product_1_display_full_list": Case(lambda c, e: c.products_by_ids([1]), free=frozenset({"sort"})),
    "38_post_product_malformed_xml": Case(error=ValidationFailed, never_sent="the client only sends XML it built"),
    "42_products_filter_reference_like": Case(
        lambda c, e: c.list_records("products", display=["reference"], filters={"reference": "[demo_1]%"}),
        check=_like_matches_more,
    ),
    "45_put_virtual_product12_own_xml_500_product_bundle": Case(
        lambda c, e: _update(c, "PUT", "products", 12, e),
        error=ValidationFailed,
        check=lambda err, e: "without them" in str(err),
    ),
    "55c_stock_availables_after_first_combination": Case(
        lambda c, e: c.stock_rows_for([20]), free=frozenset({"sort", "filter[id]", "limit"})
    ),
    "63c_put_image_multipart_real_put": Case(
        error=ValidationFailed, never_sent="a file is replaced with POST ?ps_method=PUT (63d), never a real PUT"
    ),
    "63e_patch_image": Case(
        error=NotSupported,
        never_sent="an image has no writable field; the cover is the product's id_default_image",
        refuse=lambda c: c.patch("images", 25, {"cover": "1"}),
    ),
    "63f_post_image_to_image_id": Case(error=ValidationFailed, never_sent="uploads go to images/products/ID"),
    "64d_images_list_after_deleting_all": Case(lambda c, e: c.images_of(20), check=lambda ids, e: ids == []),
    "65_post_image_text_file": Case(
        error=ValidationFailed,
        never_sent="the client sends only image/ content types",
        refuse=lambda c: c.upload_image(20, io.BytesIO(b"notes"), "notes.txt", "text/plain"),
    ),
    "65b_post_image_text_named_jpg": Case(check=_refused_file),
    "65d_post_image_2050000_bytes": Case(check=_too_big),
    "65e_post_image_3000000_bytes": Case(check=_refused_file),
    "65j_post_image_wrong_field_name": Case(error=ValidationFailed, never_sent="the file always goes as part 'image'"),
    "65k_post_image_raw_body": Case(error=ValidationFailed, never_sent="the file always goes as multipart"),
    "68f_post_category_no_link_rewrite": Case(
        error=ShopUnavailable,
        never_sent="a category without link_rewrite is refused before sending",
        refuse=lambda c: c.create("categories", {"id_parent": "2"}, {"name": {1: "a", 2: "b"}}),
        check=lambda err, e: err.maybe_applied,
    ),
    "68g_post_category_bad_parent": Case(error=ShopUnavailable, check=_maybe_applied),
    "72j_get_product_feature_values_custom_list": Case(
        lambda c, e: c.product_feature_values([3]), free=frozenset({"sort", "filter[id]", "limit"})
    ),
    "75e_post_specific_price_duplicate": Case(error=ShopUnavailable, check=_maybe_applied),
    "75h_specific_prices_of_product": Case(
        lambda c, e: c.specific_prices_of([20]), free=frozenset({"sort", "filter[id]", "limit"})
    ),
    "76h_patch_product_group_shop": Case(
        never_sent="id_group_shop copied every field of one shop over another (fact 22)",
        refuse=lambda c: c.get("products", 20, params={"id_group_shop": "1"}),
    ),
    "76i_get_product_group_shop": Case(
        never_sent="the client never sends id_group_shop (fact 22)",
        refuse=lambda c: c.get("products", 20, params={"id_group_shop": "1"}),
    ),
    "76r_get_product_bad_shop": Case(lambda c, e: c.for_shop(9).get_product(20), error=NotFound, check=_front_office),
}
for _name in ("61b_post_image_red_small", "62_post_image_blue_second", "64g_post_image_after_delete_all"):
    OVERRIDES[_name] = Case(check=_image)

# The class each recorded failure maps to (codes and messages are checked against the bytes).
ERRORS: dict[str, type[PrestaShopError]] = {
    "19b_delete_product_19_again": NotFound,  # 404 code 87
    "32_post_product_name_lt": ValidationFailed,  # 400 code 84
    "33_post_product_name_eq": ValidationFailed,
    "34_post_product_price_abc": ValidationFailed,  # 400 code 85
    "35_post_product_name_semicolon_hash": ValidationFailed,
    "37_post_product_reference_too_long": ValidationFailed,
    "39_put_product_price_abc": ValidationFailed,
    "40_patch_product_price_abc": ValidationFailed,
    "44_combinations_filter_product": ValidationFailed,  # 500: code 35 then PHP warnings
    "52d_post_product_option_no_public_name": ValidationFailed,
    "60d_delete_combination_again": NotFound,
    "61g_get_image_bad_size": ValidationFailed,  # 400 code 58
    "64f_delete_image_again": NotFound,  # 400 code 57
    "65b_post_image_text_named_jpg": ValidationFailed,  # 400 code 76
    "65d_post_image_2050000_bytes": ValidationFailed,  # 400 code 72
    "65e_post_image_3000000_bytes": ValidationFailed,
    "65f_post_image_4000x4000_2_2MB": ValidationFailed,
    "65g_post_image_4000x4000_9MB": ValidationFailed,
    "65i_post_image_missing_product": NotFound,  # 400 code 76 "Product 9999 does not exist"
    "65m_get_ghost_image_28": NotFound,  # 500 code 61
    "68e2_categories_sort_nleft_500": ValidationFailed,  # 500: code 38 then PHP warnings
    "70b_get_deleted_child_category": NotFound,
    "75f_post_specific_price_minimal": ValidationFailed,  # 400 code 41
    "75j_get_deleted_specific_price": NotFound,
    "76o_get_new_product_shop1": NotFound,  # 404 code 131
}


def case_for(exchange: Exchange) -> Case | None:
    override = OVERRIDES.get(exchange.name)
    if override is not None and (override.call is not None or override.never_sent):
        return override
    derived = derive(exchange)
    if derived is None:
        return None
    if override is not None:  # an override adding checks to the derived call
        return Case(derived.call, derived.free | override.free, override.error, override.check)
    return derived


# -- running a case -------------------------------------------------------------------------------


def run(exchange: Exchange) -> object:
    case = case_for(exchange)
    if case is None:
        pytest.fail(f"no client call for capture {exchange.name} ({exchange.method} {exchange.target})")
    if case.never_sent:
        shop = replay(exchange, check=False)
        if case.refuse is not None:
            with pytest.raises(ValueError):
                case.refuse(shop.client)
            assert shop.seen == [], "the refusing call sent something"
        call: Call = _raw_answer
    else:
        shop = replay(exchange, free=case.free)
        assert case.call is not None
        call = case.call
    try:
        result: object = call(shop.client, exchange)
    except PrestaShopError as exc:
        result = exc
    assert len(shop.seen) == 1, f"{len(shop.seen)} requests for one recorded exchange"
    expected = case.error or ERRORS.get(exchange.name)
    if expected is not None:
        assert type(result) is expected, f"{exchange.name}: got {result!r}"
        check_error(result, exchange)
    else:
        assert not isinstance(result, Exception), f"{exchange.name}: {result}"
        if case.generic:
            check_result(result, exchange)
    if case.check is not None:
        assert case.check(result, exchange) is not False
    return result


def check_error(error: object, exchange: Exchange) -> None:
    assert isinstance(error, PrestaShopError)
    assert error.status == exchange.status
    assert error.errors == oracle.errors(exchange.response_body)
    assert KEY not in str(error) and "\n" not in str(error)


def same(found: object, raw: oracle.Raw) -> None:
    assert isinstance(found, Record | RemoteProduct), found
    assert list(found.fields.items()) == list(raw.fields.items())
    assert found.i18n == raw.i18n
    assert found.associations == raw.associations
    assert found.id == int(raw.fields["id"])


def check_result(result: object, exchange: Exchange) -> None:
    body = exchange.response_body
    if isinstance(result, httpx.Response):  # a request the client never sends, answered 2xx
        segments, _ = target(exchange)
        same(
            _decode.record(_decode.single_source(result.content, segments[0]), segments[0]), oracle.records(body)[1][0]
        )
    elif isinstance(result, ShopInfo):
        assert result.resources == oracle.api_resources(body) and result.shop_name == "RealPS"
        assert result.version == "8.1.2"
    elif isinstance(result, Schema):
        assert list(result.fields) == oracle.schema_fields(body)
    elif isinstance(result, Record | RemoteProduct):
        (raw,) = oracle.records(body)[1]
        same(result, raw)
    elif isinstance(result, StockRow):
        (raw,) = oracle.records(body)[1]
        assert {k: str(v) for k, v in vars(result).items()} == raw.fields
    elif isinstance(result, ImageUpload):
        image = re.search(rb"<image>\n(.*?)</image>", body, re.S)
        if image:
            same(result.record, oracle.record("image", image.group(1).decode()))
        else:  # a replaced file is answered with the image bytes (63d)
            assert result.record is None and exchange.header("content-type") == "image/jpeg"
    elif isinstance(result, bytes):
        assert result == body and hashlib.sha1(result).hexdigest() == exchange.header("content-sha1")
    elif isinstance(result, frozenset):
        assert "image/jpeg" in result and len(result) == 7
    elif isinstance(result, list) and result and all(isinstance(i, int) for i in result):
        assert result == oracle.attribute_ids(body, "declination") or result == oracle.attribute_ids(body, "image")
    elif isinstance(result, list) and result and isinstance(result[0], Record | RemoteProduct | BadRecord):
        raws = oracle.records(body)[1]
        assert len(result) == len(raws)
        for found, raw in zip(result, raws, strict=True):
            same(found, raw)
    elif isinstance(result, list) and result and isinstance(result[0], StockRow):
        raws = oracle.records(body)[1]
        assert [{k: str(v) for k, v in vars(r).items()} for r in result] == [r.fields for r in raws]
    elif isinstance(result, list) and result and hasattr(result[0], "iso_code"):
        assert [(lang.id, lang.iso_code, lang.name) for lang in result] == [
            (int(r.fields["id"]), r.fields["iso_code"], r.fields["name"]) for r in oracle.records(body)[1]
        ]
    elif result is None or result is True:
        assert exchange.status == 200 and body == b""
    elif result == []:
        assert exchange.status == 404  # images_of a product without images
    else:
        pytest.fail(f"{exchange.name}: no check for a {type(result).__name__}")


@pytest.mark.parametrize("exchange", EXCHANGES, ids=[e.name for e in EXCHANGES])
def test_the_client_reads_every_recorded_answer(exchange: Exchange) -> None:
    run(exchange)


def test_coverage_of_the_captures(capsys: pytest.CaptureFixture[str]) -> None:
    """How many captures the client parses through its public calls, and which it never sends."""
    cases = {e.name: case_for(e) for e in EXCHANGES}
    unmapped = sorted(name for name, case in cases.items() if case is None)
    never = sorted(name for name, case in cases.items() if case is not None and case.never_sent)
    parsed = len(cases) - len(unmapped) - len(never)
    with capsys.disabled():
        # The figure is part of what this test reports, shown even when output is captured.
        print(f"\n{parsed} of {len(cases)} captures parsed by the client; {len(never)} are requests it never sends")  # noqa: T201
    assert not unmapped, f"no client call for captures {unmapped}"
    assert parsed + len(never) == len(EXCHANGES) >= 251


def test_the_recorded_errors_carry_the_shop_messages_unescaped() -> None:
    (exchange,) = [e for e in EXCHANGES if e.name == "32_post_product_name_lt"]
    error = run(exchange)
    assert isinstance(error, ValidationFailed)
    assert error.message == 'Validation error: "Property Product->name is not valid"'
    assert html.escape("->") not in str(error)
    assert "may not contain < > ; = # { }" in str(error)


def test_a_recorded_request_body_is_the_record_the_client_writes() -> None:
    # The harness compares records, not bytes: prove it notices a changed field.
    (exchange,) = [e for e in EXCHANGES if e.name == "18_patch_nonlang_response"]
    shop = replay(exchange)
    with pytest.raises(AssertionError):
        shop.client.patch("products", 2, {"price": "1.00"})
    assert etree.fromstring(exchange.request_body).findtext("product/price") != "1.00"
