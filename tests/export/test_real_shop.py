"""What a real PrestaShop does to an export, and the export not making it worse: shop languages
the catalogue lacks, 500s after saving, refused writes, reused ids."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from prestasync.models import Binding, Product
from prestasync.progress import ItemState, JobType
from tests.export.harness import config, harness, one

EN_FR = [(1, "en", "English"), (2, "fr", "Français")]


def test_every_shop_language_gets_a_name_and_a_slug(tmp_path: Path) -> None:
    """Catalogue en + pl, shop en + fr: French gets the English text, never an empty name (fact 6)."""
    with harness(tmp_path, A=config(languages=EN_FR)) as h:
        h.add_products(30)
        h.update("P-00004", name={"pl": "Tylko po polsku"})  # no English either: the first language it has
        job = h.run(JobType.EXPORT, "A")
        assert (job.status, job.created, job.failed) == ("completed", 30, 0)
        shop = h.shops["A"]
        for product in shop.products(("reference", "name", "link_rewrite", "state")):
            assert all(product["name"].values()), product
            assert all(product["link_rewrite"].values()), product
            assert product["state"] == 1  # visible, not a draft
        p1 = one(shop, "P-00001")
        assert p1["name"] == {1: "Thing 1", 2: "Thing 1"}
        assert p1["link_rewrite"] == {1: "thing-1", 2: "thing-1"}
        assert one(shop, "P-00004")["name"] == {1: "Tylko po polsku", 2: "Tylko po polsku"}
        notes = {i.sku: i.message for i in h.items(job.id)}
        assert "no text in fr" in (notes["P-00001"] or "")


def test_a_translation_made_in_the_shop_is_not_overwritten(tmp_path: Path) -> None:
    with harness(tmp_path, A=config(languages=EN_FR)) as h:
        h.add_products(3)
        h.run(JobType.EXPORT, "A")
        shop = h.shops["A"]
        with h.client("A") as client:
            client.patch("products", one(shop, "P-00002")["id"], i18n={"name": {2: "Chose 2"}})
        again = h.run(JobType.EXPORT, "A")
        assert (again.status, again.unchanged) == ("completed", 3)
        assert one(shop, "P-00002")["name"] == {1: "Thing 2", 2: "Chose 2"}


def test_texts_travel_byte_exact_carriage_returns_included(tmp_path: Path) -> None:
    with harness(tmp_path, A=config()) as h:
        h.add_products(2)
        h.run(JobType.EXPORT, "A")
        assert one(h.shops["A"], "P-00001")["description"][1] == "About thing 1\r\nsecond line"
        assert h.run(JobType.EXPORT, "A").unchanged == 2  # \r\n read back equal: nothing rewritten


def test_empty_500s_after_saving_neither_fail_the_job_nor_duplicate_products(tmp_path: Path) -> None:
    """The real shop answers 1-5 % of concurrent product writes 500 with an empty body after
    saving (fact 14): the export re-reads before creating again."""
    with harness(tmp_path, A=config(empty_500_after_write_rate=0.03, seed=7)) as h:
        h.add_products(300)
        job = h.run(JobType.EXPORT, "A")
        assert job.status == "completed"
        shop = h.shops["A"]
        references = Counter(p["reference"] for p in shop.products(("reference",)))
        assert references == Counter({f"P-{i:05d}": 1 for i in range(1, 301)})
        recovered = [i for i in h.items(job.id) if "had saved the product" in (i.message or "")]
        assert recovered, "the emulator should have answered some creations with an empty 500"
        assert job.failed == 0


def test_refused_writes_fail_their_items_with_a_cause_and_retries_converge(tmp_path: Path) -> None:
    """10 % of writes refused with a PHP-warning 500 before saving: the job completes, every
    failed SKU is listed with a cause, and retrying the failed items converges."""
    with harness(tmp_path, A=config(fail_rate=0.1, seed=11)) as h:
        h.add_products(500)
        job = h.run(JobType.EXPORT, "A")
        assert job.status == "completed" and 0 < job.failed < 500
        failed = [i for i in h.items(job.id) if i.state == ItemState.FAILED]
        assert len(failed) == job.failed and all(i.cause and i.message for i in failed)
        assert all("{" not in (i.cause or "") for i in failed)  # a sentence, no template placeholder
        for _ in range(10):
            if job.failed == 0:
                break
            retried = h.control.retry(job.id, failed_only=True)
            job = h.job(retried.id)
        assert job.failed == 0
        shop = h.shops["A"]
        references = Counter(p["reference"] for p in shop.products(("reference",)))
        assert references == Counter({f"P-{i:05d}": 1 for i in range(1, 501)})


def test_a_stale_binding_never_writes_over_another_product(tmp_path: Path) -> None:
    """The shop was restored from a backup: the ids our bindings name now hold other products."""
    with harness(tmp_path, A=config()) as h:
        h.add_products(12)
        h.run(JobType.EXPORT, "A")
        shop = h.shops["A"]
        ids = {sku: one(shop, sku)["id"] for sku in (f"P-{i:05d}" for i in range(1, 13))}
        with Session(h.rt.engine) as session, session.begin():  # every binding points at the next product
            products = dict(session.execute(select(Product.sku, Product.id)).all())
            for i in range(1, 13):
                sku, other = f"P-{i:05d}", f"P-{i % 12 + 1:05d}"
                session.execute(update(Binding).where(Binding.product_id == products[sku]).values(remote_id=None))
            for i in range(1, 13):
                sku, other = f"P-{i:05d}", f"P-{i % 12 + 1:05d}"
                session.execute(update(Binding).where(Binding.product_id == products[sku]).values(remote_id=ids[other]))
        before = {p["id"]: p for p in shop.products()}
        h.update("P-00001", price=Product.price + 1)
        job = h.run(JobType.EXPORT, "A")
        assert (job.status, job.failed, job.updated) == ("completed", 0, 1)
        after = {p["id"]: p for p in shop.products()}
        changed = {pid for pid in after if {k: v for k, v in after[pid].items() if k != "date_upd"}
                   != {k: v for k, v in before[pid].items() if k != "date_upd"}}  # fmt: skip
        assert changed == {ids["P-00001"]}  # only the product the catalogue changed, at its own id
        notes = {i.sku: i.message or "" for i in h.items(job.id)}
        assert "stale" in notes["P-00001"]
        with Session(h.rt.engine) as session:
            bound = dict(session.execute(select(Product.sku, Binding.remote_id).join(Binding)).all())
        assert bound == ids
