"""The whole product goes to the shop: combinations with their stock, images, categories,
features, manufacturer, specific prices; and a second export sends nothing."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

from prestasync.export.dependencies import Resolver
from prestasync.export.shopview import Facts, ShopView
from prestasync.models import Category
from prestasync.progress import ItemState, JobType
from tests.export.catalogue_data import add_whole_products
from tests.export.harness import config, counts, harness, one


def test_the_whole_product_reaches_the_shop_and_a_second_export_writes_nothing(tmp_path: Path) -> None:
    with harness(tmp_path, A=config()) as h:
        add_whole_products(h.rt, 6)
        job = h.run(JobType.EXPORT, "A")
        assert (job.status, job.created, job.failed) == ("completed", 6, 0), h.items(job.id)
        shop = h.shops["A"]
        product = one(shop, "W-00002")
        combos = [c for c in shop.records("combinations") if int(c["id_product"]) == product["id"]]
        assert sorted(c["reference"] for c in combos) == ["W-00002-L", "W-00002-M", "W-00002-S", "W-00002-XL"]
        stock = {c["reference"]: int(shop.stock_row(product["id"], int(c["id"]))["quantity"]) for c in combos}
        assert stock == {"W-00002-S": 1, "W-00002-M": 2, "W-00002-L": 3, "W-00002-XL": 4}
        with h.client("A") as client:
            images = client.images_of(product["id"])
            cover = client.get_product(product["id"]).fields["id_default_image"]
        assert len(images) == 3
        assert int(cover) == min(images)  # the cover: the first image
        # The shop made the first upload the cover itself (capture 61b): no product PATCH for it.
        assert ("PATCH", "products") not in shop.counts, shop.counts
        categories = {int(c["id"]): c for c in shop.records("categories")}
        names = [categories[c]["name"][1] for c in product["categories"]]
        assert {"Clothes", "Men", "Shirts"} <= set(names)
        assert categories[int(product["id_category_default"])]["name"][1] == "Shirts"
        brands = {int(m["id"]): m["name"] for m in shop.records("manufacturers")}
        assert brands[int(product["id_manufacturer"])] == "Studio Design"
        assert len([p for p in shop.records("specific_prices") if int(p["id_product"]) == product["id"]]) == 1
        # Dependencies made once for the six products, not once each.
        assert Counter(c["name"][1] for c in shop.records("categories"))["Shirts"] == 1
        assert [v["name"][1] for v in shop.records("product_option_values")].count("XL") == 1

        shop.reset_counters()
        again = h.run(JobType.EXPORT, "A")
        assert (again.status, again.unchanged, again.created, again.updated) == ("completed", 6, 0, 0), h.items(
            again.id
        )
        assert counts(shop)[1] == 0, shop.counts


def test_a_failing_image_fails_its_product_at_that_step_and_a_retry_sends_only_what_is_left(tmp_path: Path) -> None:
    with harness(tmp_path, A=config(fail_image_products={"W-00002"}, fail_image_code=72)) as h:
        add_whole_products(h.rt, 3)
        job = h.run(JobType.EXPORT, "A")
        assert (job.status, job.failed, job.created) == ("completed", 1, 2)
        (failed,) = [i for i in h.items(job.id) if i.state == ItemState.FAILED]
        assert failed.sku == "W-00002"
        assert (failed.message or "").startswith("image 1/3"), failed.message
        shop = h.shops["A"]
        shop.config.fail_image_products = set()
        shop.reset_counters()
        retry = h.job(h.control.retry(job.id, failed_only=True).id)
        assert (retry.status, retry.failed, retry.total) == ("completed", 0, 1)
        assert shop.counts[("POST", "images")] == 3  # the three images of that product, nothing else
        assert ("POST", "products") not in shop.counts  # the product itself was already there


def test_two_lanes_creating_the_same_missing_category_make_one(tmp_path: Path) -> None:
    with harness(tmp_path, A=config()) as h:
        add_whole_products(h.rt, 1, combinations=0, images=0)
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        with Session(h.rt.engine) as session:
            known = {c.id: c for c in session.execute(select(Category)).scalars()}
        shop_id = h.shop_id("A")
        results: list[dict[int, int]] = []
        start = threading.Barrier(4)

        def lane() -> None:
            with h.client("A") as client:
                view = ShopView(client, Facts())  # each lane its own view: they meet only in the database
                start.wait()
                results.append(Resolver(h.rt.engine, shop_id, view, create=True).categories(known, list(known)))

        threads = [threading.Thread(target=lane) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len({tuple(sorted(r.items())) for r in results}) == 1  # every lane got the same ids
        names = Counter(c["name"][1] for c in h.shops["A"].records("categories"))
        assert (names["Clothes"], names["Men"], names["Shirts"]) == (1, 1, 1)
