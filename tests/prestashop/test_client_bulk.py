"""Bulk reads: a batch of products, their references, stock, combinations and catalogue lists in a few requests."""

from __future__ import annotations

import re

import httpx
import pytest

from prestasync.prestashop import BadRecord, Category, Combination, RemoteProduct, StockRow
from tests.prestashop.mockshop import MockShop, ok, product, products


def wanted(request: httpx.Request, name: str) -> list[str]:
    """The values of a `filter[name]=[a|b|c]` parameter."""
    return request.url.params[f"filter[{name}]"].strip("[]").split("|")


# -- products by id -------------------------------------------------------------------------------


def test_products_by_ids_reads_100_ids_a_request_in_full() -> None:
    shop = MockShop(lambda r: ok(products(*(product(int(i), f"R{i}") for i in wanted(r, "id")))))
    found = shop.client().products_by_ids([*range(1, 251), 7, 7])
    assert [len(wanted(r, "id")) for r in shop.seen] == [100, 100, 50]
    assert all(r.url.params["display"] == "full" and r.url.params["sort"] == "[id_ASC]" for r in shop.seen)
    assert all(len(str(r.url)) < 2000 for r in shop.seen)  # far below 8 KB
    assert [p.id for p in found if isinstance(p, RemoteProduct)] == list(range(1, 251))
    assert shop.client().products_by_ids([]) == []


def test_products_by_ids_keeps_a_broken_record_and_refuses_bad_ids() -> None:
    broken = "<product><id><![CDATA[x]]></id><reference><![CDATA[R]]></reference></product>"
    shop = MockShop([ok(products(product(1, "A"), broken))])
    found = shop.client().products_by_ids([1, 2])
    assert isinstance(found[0], RemoteProduct)
    assert found[1] == BadRecord(None, "R", "product id is not a positive integer: 'x'")
    with pytest.raises(ValueError, match="product_ids"):
        shop.client().products_by_ids([1, 0])


# -- products by reference ------------------------------------------------------------------------


def by_reference(catalogue: dict[int, str]) -> MockShop:
    """A shop comparing references the way MySQL does: case-insensitively, trailing spaces ignored."""

    def fold(text: str) -> str:
        return text.rstrip(" ").casefold()

    def route(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        rows = sorted(catalogue.items())
        if "filter[reference]" in params:
            raw = params["filter[reference]"]
            if raw.endswith("%"):
                pattern = re.escape(raw[1:-2]).replace("_", ".")
                rows = [(i, r) for i, r in rows if re.match(pattern, r, re.I)]
            else:
                keys = {fold(v) for v in raw.strip("[]").split("|")}
                rows = [(i, r) for i, r in rows if fold(r) in keys]
        if "filter[id]" in params:
            raw = params["filter[id]"]
            if raw.startswith(">"):
                rows = [(i, r) for i, r in rows if i > int(raw[2:-1])]
            else:
                ids = {int(v) for v in raw.strip("[]").split("|")}
                rows = [(i, r) for i, r in rows if i in ids]
        return ok(products(*(product(i, r) for i, r in rows)))

    return MockShop(route)


def test_references_are_batched_and_matched_byte_for_byte() -> None:
    catalogue = {1: "ABC-1", 2: "abc-1", 3: "ABC-1 ", 4: "demo_1", 5: "demo-1", 6: "ABC-1", 7: "X"}
    shop = by_reference(catalogue)
    found = shop.client().products_by_references(["ABC-1", "demo_1", "missing", "ABC-1"])
    assert {ref: [p.id for p in items] for ref, items in found.items()} == {
        "ABC-1": [1, 6],
        "demo_1": [4],
        "missing": [],
    }
    (request,) = shop.seen
    assert request.url.params["filter[reference]"] == "[ABC-1|demo_1|missing]"
    assert request.url.params["display"] == "full"


def test_many_references_go_in_batches_of_100_and_bounded_urls() -> None:
    refs = [f"SKU-{i:05d}" for i in range(250)] + ["Ł" * 64] * 1 + [f"ŻÓŁĆ-{i}-" + "x" * 50 for i in range(60)]
    shop = by_reference({1: "SKU-00001"})
    found = shop.client().products_by_references(refs)
    assert all(len(wanted(r, "reference")) <= 100 for r in shop.seen)
    assert all(len(str(r.url)) < 4000 for r in shop.seen)
    assert sum(len(wanted(r, "reference")) for r in shop.seen) == len(set(refs))
    assert [p.id for p in found["SKU-00001"]] == [1]


def test_references_the_filter_cannot_express_use_a_prefix_like_or_one_shared_scan() -> None:
    catalogue = {1: "a|b]%,[", 2: "A|B]%,[", 3: "SKU-12|x", 4: "SKU-12|y", 5: "%%", 9: "plain"}
    shop = by_reference(catalogue)
    found = shop.client().products_by_references(["a|b]%,[", "SKU-12|x", "%%", "plain"])
    assert {ref: [p.id for p in items] for ref, items in found.items()} == {
        "a|b]%,[": [1],
        "SKU-12|x": [3],
        "%%": [5],
        "plain": [9],
    }
    filters = [r.url.params.get("filter[reference]") for r in shop.seen]
    assert filters.count("[plain]") == 1
    assert "[SKU-12]%" in filters  # the LIKE on the safe prefix
    assert filters.count(None) == 2  # one scan shared by the two references without a prefix, then the full read
    assert not any("|" in (f or "").strip("[]%") and f != "[plain]" for f in filters)


def test_a_broken_record_with_the_reference_is_returned_not_hidden() -> None:
    broken = (
        '<product><id><![CDATA[7]]></id><reference><![CDATA[R-1]]></reference><name><language id="z"/></name></product>'
    )
    shop = MockShop([ok(products(broken))])
    found = shop.client().products_by_references(["R-1"])
    assert found == {"R-1": [BadRecord(7, "R-1", "field 'name' has a language node with id 'z'")]}


def test_references_must_be_a_sequence_of_non_empty_strings() -> None:
    shop = MockShop([ok(products())])
    with pytest.raises(ValueError, match="sequence"):
        shop.client().products_by_references("ABC")
    with pytest.raises(ValueError, match="empty"):
        shop.client().products_by_references(["A", ""])
    assert shop.seen == []


# -- stock ------------------------------------------------------------------------------------------


def stock_row(row_id: int, product_id: int, attribute: int, quantity: int, shop: int = 1) -> str:
    return (
        f"<stock_available><id><![CDATA[{row_id}]]></id><id_product><![CDATA[{product_id}]]></id_product>"
        f"<id_product_attribute><![CDATA[{attribute}]]></id_product_attribute><id_shop><![CDATA[{shop}]]></id_shop>"
        f"<id_shop_group><![CDATA[0]]></id_shop_group><quantity><![CDATA[{quantity}]]></quantity>"
        "<depends_on_stock><![CDATA[0]]></depends_on_stock><out_of_stock><![CDATA[2]]></out_of_stock>"
        "<location><![CDATA[]]></location></stock_available>"
    )


def stock_shop(combinations: int = 2) -> MockShop:
    """Each product has its own row and a row per combination, 3 each; row 0 holds their sum (fact 2)."""

    def route(request: httpx.Request) -> httpx.Response:
        cursor = int(request.url.params["filter[id]"][2:-1])
        limit = int(request.url.params["limit"].split(",")[1])
        rows = []
        for pid in map(int, wanted(request, "id_product")):
            base = pid * 100
            rows.append((base, pid, 0, 3 * combinations))
            rows += [(base + k, pid, pid * 100 + k, 3) for k in range(1, combinations + 1)]
        rows = [r for r in sorted(rows) if r[0] > cursor][:limit]
        return ok("<stock_availables>" + "".join(stock_row(*r) for r in rows) + "</stock_availables>")

    return MockShop(route)


def test_stock_rows_for_gives_every_row_in_batches_of_100_products_paged_by_row_id() -> None:
    shop = stock_shop()
    rows = shop.client().stock_rows_for(list(range(1, 401)))
    assert len(rows) == 1200
    assert rows[:3] == [StockRow(100, 1, 0, 6, 1, 0, "0", "2", ""), StockRow(101, 1, 101, 3, 1, 0, "0", "2", ""),
                        StockRow(102, 1, 102, 3, 1, 0, "0", "2", "")]  # fmt: skip
    assert [len(wanted(r, "id_product")) for r in shop.seen] == [100] * 4  # 300 rows a batch: one page each
    assert all(r.url.params["display"] == "full" and "id_shop" not in r.url.params for r in shop.seen)


def test_stock_rows_for_pages_within_a_batch() -> None:
    shop = stock_shop(combinations=24)  # 25 rows a product: 2,500 rows a batch of 100
    rows = shop.client().stock_rows_for(list(range(1, 151)))
    ids = [r.id for r in rows]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 150 * 25
    cursors = [r.url.params["filter[id]"] for r in shop.seen]
    assert cursors == [">[0]", ">[4024]", ">[8024]", ">[0]", ">[14024]"]


def test_stock_rows_for_a_bound_shop_filters_on_id_shop() -> None:
    shop = stock_shop()
    shop.client().for_shop(2).stock_rows_for([5])
    assert shop.params(0)["filter[id_shop]"] == "[2]"
    assert "id_shop" not in shop.params(0)  # fact 22: stock lists ignore ?id_shop


# -- combinations and catalogue lists ----------------------------------------------------------------


def combination(cid: int, pid: int) -> str:
    return (
        f"<combination><id><![CDATA[{cid}]]></id><id_product><![CDATA[{pid}]]></id_product>"
        f"<reference><![CDATA[C{cid}]]></reference><price><![CDATA[1.500000]]></price>"
        "<default_on><![CDATA[]]></default_on><associations>"
        f'<product_option_values nodeType="product_option_value" api="product_option_values">'
        f"<product_option_value><id><![CDATA[{cid + 100}]]></id></product_option_value></product_option_values>"
        '<images nodeType="image" api="images/products"/></associations></combination>'
    )


def test_combinations_of_reads_by_parent_ids_and_types_the_records() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        cursor = int(request.url.params["filter[id]"][2:-1])
        items = [combination(int(p) * 10 + k, int(p)) for p in wanted(request, "id_product") for k in range(3)]
        return ok(
            "<combinations>" + "".join(i for i in items if int(re.findall(r"\d+", i)[0]) > cursor) + "</combinations>"
        )

    shop = MockShop(route)
    found = shop.client().combinations_of(list(range(1, 151)))
    assert len(found) == 450 and all(isinstance(c, Combination) for c in found)
    first = found[0]
    assert isinstance(first, Combination)
    assert (first.product_id, first.reference, first.price_impact, first.default_on) == ("1", "C10", "1.500000", "")
    assert (first.option_value_ids, first.image_ids) == ([110], [])
    assert [len(wanted(r, "id_product")) for r in shop.seen] == [100, 50]


def test_catalogue_lists_page_by_id_until_a_short_page() -> None:
    def category(cid: int) -> str:
        return (
            f"<category><id><![CDATA[{cid}]]></id><id_parent><![CDATA[{cid - 1}]]></id_parent>"
            "<active><![CDATA[1]]></active>"
            f'<name><language id="1"><![CDATA[C{cid}]]></language></name></category>'
        )

    def route(request: httpx.Request) -> httpx.Response:
        cursor = int(request.url.params["filter[id]"][2:-1])
        return ok(
            "<categories>"
            + "".join(category(i) for i in range(cursor + 1, min(cursor + 1000, 2500) + 1))
            + "</categories>"
        )

    shop = MockShop(route)
    found = shop.client().categories()
    assert len(found) == 2500 and isinstance(found[0], Category)
    assert [r.url.params["filter[id]"] for r in shop.seen] == [">[0]", ">[1000]", ">[2000]"]
    first = found[0]
    assert isinstance(first, Category)
    assert (first.parent_id, first.active, first.name) == ("0", "1", {1: "C1"})


def test_feature_values_of_some_features_are_read_by_feature_id() -> None:
    shop = MockShop(lambda r: ok(f"<{r.url.path.rsplit('/', 1)[1]}></{r.url.path.rsplit('/', 1)[1]}>"))
    assert shop.client().product_feature_values([3, 4]) == []
    assert shop.params(0)["filter[id_feature]"] == "[3|4]"
    shop.client().product_option_values([1])
    assert shop.params(1)["filter[id_attribute_group]"] == "[1]"
    shop.client().specific_prices_of([20])
    assert (shop.calls()[2], shop.params(2)["filter[id_product]"]) == (("GET", "specific_prices"), "[20]")


def test_a_bound_shop_is_sent_on_reads_and_writes_but_never_a_group() -> None:
    shop = MockShop([ok(product(20, "R"))])
    client = shop.client().for_shop(2)
    assert client.id_shop == 2 and "id_shop=2" in repr(client)
    client.get_product(20)
    client.patch_product(20, {"price": "1"})
    assert [r.url.params["id_shop"] for r in shop.seen] == ["2", "2"]
    with pytest.raises(ValueError, match="id_group_shop"):
        client.get("products", 20, params={"id_group_shop": "1"})
    with pytest.raises(ValueError, match="id_shop"):
        client.list_records("products", params={"id_shop": "3"})


def test_a_list_paged_by_id_cannot_also_filter_on_id() -> None:
    shop = MockShop([ok(products())])
    with pytest.raises(ValueError, match="filter on id"):
        shop.client().iter_records("products", filters={"id": "[1|2]"})
    assert shop.seen == []
