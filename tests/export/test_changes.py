"""Write only what changed: bulk reads, field-level diffs, outcomes, previews, the guard, the watermark.

Requests are counted by the emulator (`EmulatedShop.counts`); jobs run in-process through the
real task code (see harness.py).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from prestasync.progress import ItemState, JobType, Outcome
from tests.export.harness import config, counts, harness, one


def test_exports_read_in_bulk_and_write_only_what_changed(tmp_path: Path) -> None:
    with harness(tmp_path, A=config()) as h:
        h.add_products(500)
        first = h.run(JobType.EXPORT, "A")
        assert (first.status, first.created, first.failed) == ("completed", 500, 0)
        shop = h.shops["A"]
        reads, writes = counts(shop)
        assert (reads + writes) / 500 <= 2.1, shop.counts  # a first export: POST and stock, reads in bulk
        shop.reset_counters()
        again = h.run(JobType.EXPORT, "A")
        reads, writes = counts(shop)
        assert (again.status, again.unchanged, again.created, again.updated) == ("completed", 500, 0, 0)
        assert writes == 0, shop.counts
        assert reads <= 3 * 5, shop.counts  # at most 3 reads per 100 products
        assert {i.outcome for i in h.items(again.id)} == {Outcome.UNCHANGED}

        # Five prices change in the catalogue: exactly five product writes, nothing else.
        for i in (3, 77, 150, 151, 499):
            h.update(f"P-{i:05d}", price=Decimal("123.45"))
        shop.reset_counters()
        job = h.run(JobType.EXPORT, "A")
        assert (job.status, job.updated, job.unchanged) == ("completed", 5, 495)
        writes = {key: n for key, n in shop.counts.items() if key[0] in ("POST", "PUT", "PATCH", "DELETE")}
        assert writes == {("PATCH", "products"): 5}
        changed = [i for i in h.items(job.id) if i.outcome == Outcome.UPDATED]
        assert sorted(i.sku for i in changed) == ["P-00003", "P-00077", "P-00150", "P-00151", "P-00499"]
        assert all(i.changes == {"price": [_price(i.sku), "123.45"]} for i in changed)
        for i in (3, 77, 150, 151, 499):
            assert one(shop, f"P-{i:05d}")["price"] == "123.450000"


def _price(sku: str) -> str:
    i = int(sku[2:])
    return format((Decimal(i % 97) + Decimal("0.99")).normalize(), "f")


def test_a_preview_writes_nothing_and_apply_writes_exactly_its_plan(tmp_path: Path) -> None:
    with harness(tmp_path, A=config()) as h:
        h.add_products(40)
        h.run(JobType.EXPORT, "A")
        h.update("P-00001", price=Decimal("9.99"))
        h.update("P-00002", quantity=0)
        h.update("P-00003", name={"en": "Renamed", "pl": "Zmieniony"})
        h.add_products(2, start=41)
        shop = h.shops["A"]
        shop.reset_counters()
        preview = h.run(JobType.EXPORT, "A", dry_run=True)
        assert counts(shop)[1] == 0  # a preview writes nothing
        assert (preview.status, preview.created, preview.updated, preview.unchanged) == ("completed", 2, 3, 37)
        planned = {i.sku: i.changes for i in h.items(preview.id) if i.outcome == Outcome.UPDATED}
        assert planned == {
            "P-00001": {"price": ["1.99", "9.99"]},
            "P-00002": {"stock": [3, 0]},
            "P-00003": {"name.en": ["Thing 3", "Renamed"], "name.pl": ["Rzecz 3", "Zmieniony"]},
        }
        # Someone edits P-00001 in the shop between the preview and the apply.
        with h.client("A") as client:
            client.patch("products", one(shop, "P-00001")["id"], {"price": "5.000000"})
        applied = h.control.apply(preview.id)
        done = h.job(applied.id)
        assert (done.status, done.created, done.updated) == ("completed", 2, 2)
        drift = [i for i in h.items(done.id) if i.outcome == Outcome.DRIFT]
        assert [(i.sku, i.state) for i in drift] == [("P-00001", ItemState.SKIPPED)]
        assert "changed in the shop since the preview" in (drift[0].message or "")
        assert one(shop, "P-00001")["price"] == "5.000000"  # not overwritten
        assert one(shop, "P-00002")["quantity"] == 0
        assert one(shop, "P-00042")["name"] == {1: "Thing 42", 2: "Rzecz 42"}


def test_the_guard_holds_an_export_that_would_zero_most_stock_until_confirmed(tmp_path: Path) -> None:
    with harness(tmp_path, A=config()) as h:
        h.add_products(20)
        h.run(JobType.EXPORT, "A")
        for i in range(1, 17):  # 16 of 20 products (80 %) lose their stock
            h.update(f"P-{i:05d}", quantity=0)
        shop = h.shops["A"]
        shop.reset_counters()
        held = h.run(JobType.EXPORT, "A")
        assert held.status == "held"
        assert "stock of 16 of 20 products that have stock to 0" in (held.error_message or "")
        assert counts(shop)[1] == 0  # held before writing anything
        h.control.confirm(held.id)
        done = h.job(held.id)
        assert (done.status, done.updated) == ("completed", 16)
        assert one(shop, "P-00001")["quantity"] == 0


def test_an_apply_is_weighed_by_the_guard_too(tmp_path: Path) -> None:
    with harness(tmp_path, A=config()) as h:
        h.add_products(20)
        h.run(JobType.EXPORT, "A")
        for i in range(1, 17):
            h.update(f"P-{i:05d}", quantity=0)
        preview = h.run(JobType.EXPORT, "A", dry_run=True)
        assert (preview.status, preview.updated) == ("completed", 16)
        shop = h.shops["A"]
        shop.reset_counters()
        held = h.job(h.control.apply(preview.id).id)
        assert held.status == "held" and counts(shop)[1] == 0
        h.control.cancel(held.id)
        applied = h.job(h.control.apply(preview.id, confirmed=True).id)
        assert (applied.status, applied.updated) == ("completed", 16)
        assert one(shop, "P-00016")["quantity"] == 0


def test_a_confirmed_start_passes_the_guard_and_a_small_change_is_not_held(tmp_path: Path) -> None:
    with harness(tmp_path, A=config()) as h:
        h.add_products(20)
        h.run(JobType.EXPORT, "A")
        for i in range(1, 17):
            h.update(f"P-{i:05d}", quantity=0)
        assert h.run(JobType.EXPORT, "A", confirmed=True).status == "completed"
        h.update("P-00020", quantity=0)  # one product sells out: no reason to stop
        assert h.run(JobType.EXPORT, "A").status == "completed"


def test_a_whole_catalogue_export_moves_the_watermark_so_sync_pushes_nothing_after_it(tmp_path: Path) -> None:
    with harness(tmp_path, A=config()) as h:
        h.add_products(30)
        before = h.shop_row("A").synced_until
        export = h.run(JobType.EXPORT, "A")
        assert before is None and h.shop_row("A").synced_until is not None
        shop = h.shops["A"]
        shop.reset_counters()
        sync = h.run(JobType.SYNC, "A")
        assert (sync.status, sync.total) == ("completed", 0)
        assert counts(shop) == (0, 0)
        h.update("P-00007", price=Decimal("1.00"))
        sync = h.run(JobType.SYNC, "A")
        assert (sync.total, sync.updated) == (1, 1)
        assert export.id != sync.id
