"""A seeded shop of 300 products x 4 combinations x 3 images, categories 3 deep: the number of
requests per page is fixed, images are fetched once, and a killed worker resumes exactly."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

from sqlalchemy.orm import Session

from prestasync.config import Settings
from prestasync.control import Control
from prestasync.models import Binding, Category, Combination, Image, Job, Product, ProductCategory, RemoteLink
from prestasync.prestashop.emulator import EmulatedShop, ShopConfig
from prestasync.progress import JobType
from prestasync.queue import make_huey
from prestasync.tasks import Tasks
from tests.conftest import WorkerFactory, wait_for
from tests.importer.conftest import Rig

KEY = "SCALE" + "5" * 27
N, COMBINATIONS, IMAGES, DEPTH = 300, 4, 3, 3


def seeded(products: int = N, combinations: int = COMBINATIONS, images: int = IMAGES, **extra: Any) -> EmulatedShop:
    return EmulatedShop(
        ShopConfig(
            key=KEY,
            products=products,
            combinations_per_product=combinations,
            images_per_product=images,
            category_depth=DEPTH,
            features=2,
            manufacturers=3,
            **extra,
        )
    )


class StepWatcher(threading.Thread):
    """Reads a job's `step` every 10 ms until the job ends (or a minute passes), keeping what it saw."""

    def __init__(self, rig: Rig, job_id: int) -> None:
        super().__init__(daemon=True)
        self.rig, self.job_id, self.seen = rig, job_id, list[dict[str, Any]]()
        self.start()

    def run(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with Session(self.rig.rt.engine) as session:
                job = session.get(Job, self.job_id)
            if job is not None and job.step and job.step not in self.seen:
                self.seen.append(job.step)
            if job is not None and job.status in ("completed", "failed", "cancelled"):
                return
            time.sleep(0.01)


def test_300_products_import_in_a_bounded_number_of_requests(settings: Settings, serve: Any) -> None:
    shop = seeded()
    (url,) = serve(shop)
    rig = Rig(settings)
    rig.add("Seeded", url, KEY)
    shop.reset_counters()
    steps = StepWatcher(rig, job_id=1)  # the first job of a new database
    job = rig.run()
    steps.join()
    assert (job.status, job.total, job.processed, job.failed, job.created) == ("completed", N, N, 0, N)
    # While a page's images download, the card can show how far they are.
    per_page = settings.page_size * IMAGES
    images_seen = [s for s in steps.seen if s["phase"] == "images"]
    assert images_seen and all(s["total"] == per_page and 0 <= s["done"] <= per_page for s in images_seen)
    pages = N // settings.page_size
    # Once per job: languages, tax groups, brands, categories, attribute groups and values,
    # features and values, the id list; per page of 100: products, combinations, stock, prices.
    per_job = {"languages", "tax_rule_groups", "manufacturers", "categories", "product_options"}
    per_job |= {"product_option_values", "product_features", "product_feature_values"}
    per_page = {"combinations", "stock_availables", "specific_prices"}
    reads = {resource: n for (method, resource), n in shop.counts.items() if method == "GET"}
    assert reads == {
        **dict.fromkeys(per_job, 1),
        **dict.fromkeys(per_page, pages),
        "products": 1 + pages,
        "images": N * IMAGES,
    }
    assert shop.requests - reads["images"] <= 10 * pages  # about 7 requests per 100 products
    assert shop.peak_in_flight <= settings.shop_concurrency

    assert (rig.count(Product), rig.count(Combination), rig.count(Image)) == (N, N * COMBINATIONS, N * IMAGES)
    assert rig.count(Category) == 2 ** (DEPTH + 1) - 1  # Home and a tree two wide, 3 deep
    assert rig.count(ProductCategory) == N * (DEPTH + 1)
    stock = {
        (int(s["id_product"]), int(s["id_product_attribute"])): int(s["quantity"])
        for s in shop.records("stock_availables")
    }
    combination_links = rig.links(1, "combination")
    combos = {c.id: c for c in rig.all(Combination)}
    assert {remote: combos[local].quantity for remote, local in combination_links.items()} == {
        combination: quantity for (_, combination), quantity in stock.items() if combination
    }
    assert all(rig.store.has(i.checksum) for i in rig.all(Image))

    before = {p.sku: p.updated_at for p in rig.all(Product)}
    shop.reset_counters()
    again = rig.run()
    assert (again.status, again.unchanged, again.failed) == ("completed", N, 0)
    assert shop.counts[("GET", "images")] == 0
    assert shop.requests <= 10 * pages
    assert {p.sku: p.updated_at for p in rig.all(Product)} == before


def test_kill_9_of_the_worker_mid_import_resumes_without_duplicates(
    settings: Settings, serve: Any, start_worker: WorkerFactory
) -> None:
    products, combinations, images = 150, 2, 1
    shop = seeded(products, combinations, images, read_latency_ms=20)
    (url,) = serve(shop)
    settings = settings.model_copy(
        update={"heartbeat_timeout_s": 3.0, "reaper_every_s": 1, "heartbeat_every_s": 0.5, "page_size": 25}
    )
    rig = Rig(settings)
    rig.add("Seeded", url, KEY)
    doomed = start_worker(settings, "--no-periodic")
    control = Control(rig.rt, Tasks(make_huey(settings.resolved_queue_url, settings.queue_name), rig.rt))
    (job,) = control.start(JobType.IMPORT, [1], {})
    wait_for(lambda: rig.job(job.id).processed >= 50, 60, "the import to be under way")
    os.killpg(doomed.pid, signal.SIGKILL)
    halfway = rig.job(job.id).processed
    start_worker(settings)
    done = wait_for(lambda: rig.job(job.id).status == "completed" and rig.job(job.id), 60, "the import to resume")
    assert isinstance(done, Job) and halfway < products
    assert (done.total, done.processed, done.failed, done.attempts) == (products, products, 0, 2)
    assert (rig.count(Product), rig.count(Binding)) == (products, products)
    assert (rig.count(Combination), rig.count(Image)) == (products * combinations, products * images)
    kinds = ("combination", "image", "category", "attribute_group", "attribute_value", "feature", "feature_value")
    links = {kind: len(rig.links(1, kind)) for kind in (*kinds, "manufacturer")}
    assert links == {
        "combination": products * combinations,
        "image": products * images,
        "category": 2 ** (DEPTH + 1) - 1,
        "attribute_group": 1,
        "attribute_value": combinations,
        "feature": 2,
        "feature_value": 6,
        "manufacturer": 3,
    }
    assert rig.count(RemoteLink) == sum(links.values())
