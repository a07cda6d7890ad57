"""Preview, guard and changes, and a product's details, in a real headless Chromium.

The preview and guard tests run a real worker against an emulated shop: a first export puts
the catalogue in the shop, the catalogue then changes (prices moved far, a name with markup),
and the page previews, lists and applies those changes, or confirms a held export. Each test
waits on conditions with deadlines, never fixed sleeps.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from prestasync import queries, shops
from prestasync.config import Settings
from prestasync.imagestore import ImageStore
from prestasync.models import Job, Product, utcnow
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from prestasync.progress import JobStatus, JobType
from prestasync.runtime import Runtime
from prestasync.web.app import create_app
from tests.web.conftest import ARTIFACTS, FAST_LIVE, PASSWORD, LiveServer, RecordingQueue, wait_for
from tests.web.seed import whole_product
from tests.web.test_browser import seed_products

pytestmark = pytest.mark.browser

KEY = "SHOPKEY" + "0" * 25
TIMEOUT_MS = 20_000
MARKUP = "<img src=x onerror=alert(1)><b>bold</b>"


def log_in(page: Any, url: str) -> None:
    page.goto(url + "/products")
    page.fill('input[name="username"]', "admin")
    page.fill('input[name="password"]', PASSWORD)
    page.click('form[action="/login"] button[type="submit"]')
    page.wait_for_url(url + "/products")
    page.wait_for_selector('[data-field="live-mode"][data-mode="live"]')


def newest(rt: Runtime, kind: JobType) -> Job | None:
    with rt.session() as session:
        return session.execute(select(Job).where(Job.type == kind.value).order_by(Job.id.desc())).scalar()


class Shopfront:
    """A server with the real queue and a worker, one emulated shop holding an exported catalogue."""

    def __init__(self, server: LiveServer, shop_id: int, page: Any, dialogs: list[str]) -> None:
        self.server, self.shop_id, self.page, self.dialogs = server, shop_id, page, dialogs

    @property
    def rt(self) -> Runtime:
        return self.server.rt

    def export_now(self) -> int:
        """Export the whole catalogue (confirmed) and wait for it to end; returns its id."""
        [job] = self.server.app.state.control.start(JobType.EXPORT, [self.shop_id], {"confirmed": True})
        wait_for(lambda: self.status(job.id).is_terminal, 30, "the first export to end")
        with self.rt.session() as session:
            done = queries.get_job(session, job.id)
        assert done.status == JobStatus.COMPLETED, (done.status, done.error_message)
        return int(job.id)

    def status(self, job_id: int) -> JobStatus:
        with self.rt.session() as session:
            return queries.get_status(session, job_id)

    def change_catalogue(self, skus: list[str]) -> None:
        """Move the first four prices far (the guard's price rule trips) and give one a marked-up name."""
        with self.rt.session() as session, session.begin():
            session.execute(
                update(Product).where(Product.sku.in_(skus[:4])).values(price=Decimal("30.00"), updated_at=utcnow())
            )
            session.execute(
                update(Product).where(Product.sku == skus[4]).values(name={"en": MARKUP}, updated_at=utcnow())
            )

    def card_of_new(self, kind: JobType, after: int) -> Any:
        job = wait_for(lambda: (j := newest(self.rt, kind)) is not None and j.id > after and j, 10, "a new job")
        assert isinstance(job, Job)
        return self.page.locator(f'article.job[data-job-id="{job.id}"]'), job.id


@pytest.fixture
def shopfront(browser: Any, web_settings: Settings, worker: subprocess.Popen[bytes]) -> Iterator[Shopfront]:
    emulated = {"en": EmulatedShop(ShopConfig(key=KEY, name="Demo EN", products=0))}
    with RunningEmulator(emulated) as running:
        server = LiveServer.start(create_app(Runtime(web_settings), live=FAST_LIVE))
        with server.rt.session() as session, session.begin():
            shop_id = shops.add_shop(session, server.rt.vault, name="Demo EN", url=f"{running.url}/en", key=KEY).id
        context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        try:
            yield Shopfront(server, shop_id, page, dialogs)
        finally:
            context.close()
            server.stop()


def test_a_preview_lists_its_changes_grouped_filtered_and_as_text_then_applies(shopfront: Shopfront) -> None:
    skus = seed_products(shopfront.rt, 6, prefix="PV")
    first = shopfront.export_now()
    shopfront.change_catalogue(skus)
    page = shopfront.page
    log_in(page, shopfront.server.url)
    page.get_by_label("Demo EN", exact=True).check()
    page.click('[data-action="preview-export"]')
    card, preview_id = shopfront.card_of_new(JobType.EXPORT, first)
    card.locator('[data-field="title"]', has_text="Previewed an export of 6/6 products to Demo EN").wait_for()
    assert "updated: 5" in card.locator('[data-field="outcomes"]').inner_text()
    assert card.locator('[data-action="apply"]').is_visible() and card.locator('[data-action="confirm"]').is_hidden()

    card.locator('[data-action="changes"]').click()
    modal = page.locator("#changes-modal")
    modal.locator('tr[data-sku="PV-0001"]').first.wait_for()
    groups = modal.locator(".change-group")
    groups.filter(has_text="price changes").wait_for()
    labels = [groups.nth(i).inner_text() for i in range(groups.count())]
    assert "4 price changes" in labels and "1 name changes" in labels and "5 updated products" in labels, labels
    price = modal.locator('tr[data-sku="PV-0001"]', has=page.locator("td.field", has_text="price"))
    assert (price.locator("td.before").inner_text(), price.locator("td.after").inner_text()) == ("9.99", "30")
    assert modal.locator('[data-field="csv"]').get_attribute("href") == f"/api/jobs/{preview_id}/changes.csv"

    groups.filter(has_text="1 name changes").click()
    modal.locator('tr[data-sku="PV-0001"]').wait_for(state="detached")
    rows = modal.locator("tbody tr")
    assert {rows.nth(i).get_attribute("data-sku") for i in range(rows.count())} == {"PV-0005"}
    assert modal.locator("td.after").first.inner_text() == MARKUP  # shown as written, never run
    assert modal.locator("img, b").count() == 0
    groups.filter(has_text="All changes").click()
    modal.locator("[data-field=sku]").fill("pv-0003")
    modal.locator("[data-field=sku]").press("Enter")
    modal.locator('tr[data-sku="PV-0001"]').wait_for(state="detached")
    assert {rows.nth(i).get_attribute("data-sku") for i in range(rows.count())} == {"PV-0003"}
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "changes.png"), animations="disabled")
    modal.locator('.modal-foot [data-action="close"]').click()

    card.locator('[data-action="apply"]').click()
    applied, applied_id = shopfront.card_of_new(JobType.EXPORT, preview_id)
    # The plan moves most prices by more than half: the guard weighs an apply like any export,
    # so it waits on its card; confirmed, it writes the five updated products the preview showed.
    confirm = applied.locator('[data-action="confirm"]')
    confirm.wait_for()
    confirm.click()
    applied.locator('[data-field="title"]', has_text="Exported 5/5 products to Demo EN").wait_for()
    assert shopfront.status(applied_id) == JobStatus.COMPLETED
    assert shopfront.dialogs == []


def test_a_held_export_shows_why_and_is_confirmed_from_its_card(shopfront: Shopfront) -> None:
    skus = seed_products(shopfront.rt, 6, prefix="HX")
    first = shopfront.export_now()
    shopfront.change_catalogue(skus)
    page = shopfront.page
    log_in(page, shopfront.server.url)
    page.get_by_label("Demo EN", exact=True).check()
    page.click('[data-action="export-all"]')
    card, job_id = shopfront.card_of_new(JobType.EXPORT, first)
    card.locator('[data-field="badge"]', has_text="Held").wait_for()
    held = card.locator('[data-field="held"]')
    assert held.inner_text().startswith("Waiting for confirmation: held by the change guard")
    assert "it would move the price of 4 of 6 products" in held.inner_text()
    assert card.locator('[data-field="error"]').is_hidden()  # the reason is said once
    confirm = card.locator('[data-action="confirm"]')
    assert confirm.is_visible() and card.locator('[data-action="apply"]').is_hidden()
    assert card.locator('[data-action="changes"]').is_visible()  # what it would write can be read first
    confirm.click()
    card.locator('[data-field="badge"]', has_text="Completed").wait_for()
    assert shopfront.status(job_id) == JobStatus.COMPLETED
    assert held.is_hidden() and confirm.is_hidden()
    page.locator(".toast", has_text=f"Job #{job_id} confirmed").wait_for()


def test_a_product_row_opens_to_its_variants_and_image_thumbnails(browser: Any, web_settings: Settings) -> None:
    server = LiveServer.start(create_app(Runtime(web_settings), queue=RecordingQueue(), live=FAST_LIVE))
    seed_products(server.rt, 3, prefix="VX")
    with server.rt.session() as session, session.begin():
        whole_product(session, ImageStore(web_settings.data_dir / "images"), "VX-0002")
    context = browser.new_context(locale="pl-PL")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        log_in(page, server.url)
        assert not [u for u in requests if "/api/products/" in u], "details are loaded only when a row is opened"
        row = page.locator("tr[data-product-id]", has_text="VX-0002")
        row.locator('[data-action="details"]').click()
        detail = page.locator("tr.product-detail")
        variant = detail.locator("tr.variant").first
        variant.wait_for()
        assert variant.locator("td.sku").inner_text().startswith("VX-0002-RED")
        assert variant.locator("td.attributes").inner_text() == "Kolor: Czerwony"
        assert (variant.locator("td.stock").inner_text(), variant.locator("td.impact").inner_text()) == ("4", "1.50")
        thumb = detail.locator("img.thumb")
        wait_for(lambda: thumb.evaluate("img => img.complete && img.naturalWidth > 0"), 10, "the thumbnail to load")
        assert "Narzędzia" in detail.inner_text() and "Acme <Tools>" in detail.inner_text()
        assert row.locator('[data-action="details"]').inner_text() == "Ukryj szczegóły"
        row.locator('[data-action="details"]').click()
        assert detail.is_hidden()
    finally:
        context.close()
        server.stop()
