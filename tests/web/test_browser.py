"""The dashboard in a real headless Chromium, against a real server, worker and emulated shops.

Each test waits on conditions with deadlines (never fixed sleeps). Screenshots of the
two main pages go to `test-artifacts/`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from prestasync import ledger, queries, shops
from prestasync.config import Settings
from prestasync.models import Binding, Job, JobItem, Product, utcnow
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from prestasync.progress import JobStatus, JobType
from prestasync.runtime import Runtime
from prestasync.web.app import create_app
from tests.web.conftest import ARTIFACTS, FAST_LIVE, PASSWORD, LiveServer, RecordingQueue, wait_for
from tests.web.test_events import touch_job

pytestmark = pytest.mark.browser

PL_KEY, EN_KEY = "PLKEY" + "0" * 27, "ENKEY" + "0" * 27
BROKEN = {3: {"reference": ""}, 7: {"reference": ""}, 11: {"price": "abc"}}
TIMEOUT_MS = 30_000


class Dashboard:
    """A server with the real queue, a worker process, two emulated shops and a signed-in page."""

    def __init__(self, server: LiveServer, emulated: dict[str, EmulatedShop], page: Any) -> None:
        self.server, self.emulated, self.page = server, emulated, page
        self.dialogs: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    @property
    def rt(self) -> Runtime:
        return self.server.rt

    def goto(self, path: str) -> None:
        self.page.goto(self.server.url + path)

    def log_in(self) -> None:
        self.goto("/products")
        self.page.fill('input[name="username"]', "admin")
        self.page.fill('input[name="password"]', PASSWORD)
        self.page.click('form[action="/login"] button[type="submit"]')
        self.page.wait_for_url(self.server.url + "/products", timeout=TIMEOUT_MS)
        self.wait_live()

    def wait_live(self) -> None:
        self.page.wait_for_selector('[data-field="live-mode"][data-mode="live"]', timeout=TIMEOUT_MS)

    def card(self, job_id: int) -> Any:
        return self.page.locator(f'article.job[data-job-id="{job_id}"]')

    def newest_job(self, kind: JobType) -> Job:
        with self.rt.session() as session:
            job = session.execute(select(Job).where(Job.type == kind.value).order_by(Job.id.desc())).scalar()
            assert job is not None
            return job

    def job(self, job_id: int) -> Job:
        with self.rt.session() as session:
            return queries.get_job(session, job_id)


def seed_products(rt: Runtime, count: int, prefix: str = "CAT") -> list[str]:
    now = utcnow()
    skus = [f"{prefix}-{i:04d}" for i in range(1, count + 1)]
    with rt.session() as session, session.begin():
        for sku in skus:
            session.add(
                Product(
                    sku=sku,
                    name={"en": f"Product {sku}", "pl": f"Produkt {sku}"},
                    description={},
                    price=Decimal("9.99"),
                    quantity=5,
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
    return skus


@pytest.fixture
def emulated() -> Iterator[tuple[RunningEmulator, dict[str, EmulatedShop]]]:
    shops_ = {
        "pl": EmulatedShop(ShopConfig(key=PL_KEY, name="Demo PL", products=300, broken=BROKEN, latency_ms=60)),
        "en": EmulatedShop(ShopConfig(key=EN_KEY, name="Demo EN", products=0, write_latency_ms=25)),
    }
    with RunningEmulator(shops_) as running:
        yield running, shops_


@pytest.fixture
def dashboard(
    browser: Any,
    web_settings: Settings,
    worker: subprocess.Popen[bytes],
    emulated: tuple[RunningEmulator, dict[str, EmulatedShop]],
) -> Iterator[Dashboard]:
    running, shops_ = emulated
    server = LiveServer.start(create_app(Runtime(web_settings), live=FAST_LIVE))
    with server.rt.session() as session, session.begin():
        shops.add_shop(session, server.rt.vault, name="Demo PL", url=f"{running.url}/pl", key=PL_KEY)
        shops.add_shop(session, server.rt.vault, name="Demo EN", url=f"{running.url}/en", key=EN_KEY)
    context = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield Dashboard(server, shops_, context.new_page())
    finally:
        context.close()
        server.stop()


def pick_shop(page: Any, name: str) -> None:
    page.get_by_label(name, exact=True).check()


def test_import_from_the_page_runs_live_to_the_end_with_a_toast_and_grouped_errors(dashboard: Dashboard) -> None:
    page = dashboard.page
    dashboard.log_in()
    page.evaluate("window.__sameDocument = true")
    pick_shop(page, "Demo PL")
    page.click('[data-action="import"]')
    job_id = wait_for(lambda: page.evaluate("document.querySelector('article.job')?.dataset.jobId"), 10, "a card")
    card = dashboard.card(int(job_id))
    # Record every width the bar takes, to see it move rather than jump from 0 to 100.
    page.evaluate(
        """(id) => {
            window.__seen = new Set();
            const bar = document.querySelector(`article.job[data-job-id="${id}"] [data-field="bar"]`);
            new MutationObserver(() => window.__seen.add(bar.getAttribute('aria-valuenow')))
              .observe(bar, {attributes: true});
        }""",
        job_id,
    )
    title = card.locator('[data-field="title"]')
    title.filter(has_text="Importowanie…").wait_for()
    assert " produktów z Demo PL" in title.inner_text()
    title.filter(has_text="Zaimportowano 300/300 produktów z Demo PL").wait_for()
    seen = {float(v) for v in page.evaluate("[...window.__seen]")}
    assert any(0 < v < 100 for v in seen), f"the bar never showed progress between 0 and 100: {sorted(seen)}"
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    assert card.locator('[data-field="fill"]').evaluate("el => el.style.width") == "100%"
    assert card.locator('[data-field="badge"]').inner_text() == "Ukończono"

    toast = page.locator(".toast", has_text="Import z Demo PL zakończony: 300 produktów, błędów: 3.")
    toast.wait_for()
    box = toast.bounding_box()
    assert box and box["width"] >= 320, "toasts are at least 20rem wide"
    assert toast.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), "the toast's text is not clipped"
    assert toast.locator("a").get_attribute("href") == f"/shops/sync?job={job_id}"

    errors_button = card.locator('[data-action="errors"]')
    assert errors_button.inner_text() == "Błąd importu 3 produktów"
    errors_button.click()
    modal = page.locator("#errors-modal")
    modal.locator(".group").nth(1).wait_for()
    groups = modal.locator(".group")
    assert groups.count() == 2
    assert groups.nth(0).locator(".group-count").inner_text() == "2"
    assert "has no reference" in groups.nth(0).locator(".group-cause").inner_text()
    assert groups.nth(1).locator(".group-count").inner_text() == "1"
    groups.nth(1).locator(".group-head").click()
    link = groups.nth(1).locator(".group-items a")
    link.wait_for()
    assert link.get_attribute("href").startswith("/products?search=")
    assert "is not a valid price" in groups.nth(1).locator(".group-items .msg").inner_text()
    assert modal.locator('[data-field="csv"]').get_attribute("href") == f"/api/jobs/{job_id}/errors.csv"
    modal.locator('.modal-foot [data-action="close"]').click()
    assert not modal.is_visible()

    # The products page with the imported catalogue and an export to the other shop under way.
    ARTIFACTS.mkdir(exist_ok=True)
    dashboard.emulated["en"].config.write_latency_ms = 60
    dashboard.goto("/products")
    pick_shop(page, "Demo EN")
    page.click('[data-action="export-all"]')
    page.locator("article.job", has_text="Eksportowanie…").wait_for()
    wait_for(lambda: dashboard.newest_job(JobType.EXPORT).processed >= 40, 20, "the export to get going")
    # animations="disabled" finishes the bar's width transition for the picture.
    page.screenshot(path=str(ARTIFACTS / "products.png"), full_page=True, animations="disabled")
    page.locator('article.job [data-action="cancel"]').first.click()
    dashboard.goto("/shops/sync")
    page.locator("svg.chart rect").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "sync-centre.png"), full_page=True, animations="disabled")
    assert dashboard.dialogs == []


def test_a_running_export_is_cancelled_from_its_card(dashboard: Dashboard) -> None:
    seed_products(dashboard.rt, 400)
    dashboard.emulated["en"].config.write_latency_ms = 60
    page = dashboard.page
    dashboard.log_in()
    pick_shop(page, "Demo EN")
    page.click('[data-action="export-all"]')
    job_id = int(wait_for(lambda: page.evaluate("document.querySelector('article.job')?.dataset.jobId"), 10))
    card = dashboard.card(job_id)
    card.locator('[data-field="title"]').filter(has_text="Eksportowanie…").wait_for()
    wait_for(lambda: dashboard.job(job_id).processed > 0, 20, "the export to make progress")
    cancel = card.locator('[data-action="cancel"]')
    assert cancel.is_enabled() and card.locator('[data-action="retry"]').is_disabled()
    cancel.click()
    card.locator('[data-field="badge"]', has_text="Anulowano").wait_for()
    job = dashboard.job(job_id)
    assert job.status == JobStatus.CANCELLED and job.processed < job.total
    assert cancel.is_disabled() and card.locator('[data-action="retry"]').is_enabled()
    page.locator(".toast", has_text="Eksport do Demo EN został anulowany.").wait_for()


def test_retry_failed_only_from_the_card_exports_exactly_the_failed_products(dashboard: Dashboard) -> None:
    skus = seed_products(dashboard.rt, 30)
    failing = set(skus[4:7])
    dashboard.emulated["en"].config.fail_skus = set(failing)
    page = dashboard.page
    dashboard.log_in()
    pick_shop(page, "Demo EN")
    page.click('[data-action="export-all"]')
    job_id = int(wait_for(lambda: page.evaluate("document.querySelector('article.job')?.dataset.jobId"), 10))
    card = dashboard.card(job_id)
    card.locator('[data-field="badge"]', has_text="Ukończono").wait_for()
    assert card.locator('[data-action="errors"]').inner_text() == "Błąd eksportu 3 produktów"
    dashboard.emulated["en"].config.fail_skus = set()
    card.locator('[data-action="retry-failed"]').click()
    retry = wait_for(
        lambda: dashboard.newest_job(JobType.EXPORT).retry_of == job_id and dashboard.newest_job(JobType.EXPORT), 10
    )
    assert sorted(retry.params["skus"]) == sorted(failing)
    retry_card = dashboard.card(retry.id)
    retry_card.locator('[data-field="title"]').filter(has_text="Wyeksportowano 3/3 produktów do Demo EN").wait_for()
    assert retry_card.locator('[data-field="retry-of"]').inner_text() == f"ponowienie #{job_id}"
    assert retry_card.locator('[data-action="errors"]').is_hidden()


XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_MESSAGE = "<script>alert(2)</script><img src=x onerror=alert(3)> price 'x' is wrong"


def _seed_hostile_data(rt: Runtime) -> int:
    now = utcnow()
    with rt.session() as session, session.begin():
        shop = shops.add_shop(session, rt.vault, name="<svg onload=alert(4)>", url="http://127.0.0.1:9", key="K" * 32)
        product = Product(
            sku="<b>SKU-1</b>",
            name={"en": XSS_NAME, "pl": XSS_NAME},
            description={},
            price=Decimal(1),
            quantity=1,
            active=True,
            created_at=now,
            updated_at=now,
        )
        session.add(product)
        session.flush()
        session.add(Binding(shop_id=shop.id, product_id=product.id, last_status="failed", last_error=XSS_MESSAGE))
        job_id = ledger.create_job(session, type=JobType.EXPORT, shop=shop, params={}, total=2)
        session.add(
            JobItem(
                job_id=job_id,
                sku="<b>SKU-1</b>",
                state="failed",
                message=XSS_MESSAGE,
                cause=XSS_MESSAGE,
                error_code="<i>code</i>",
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        ledger.transition(session, job_id, JobStatus.RUNNING, started_at=now)
        ledger.transition(session, job_id, JobStatus.FAILED, processed=1, failed=1, error_message=XSS_NAME)
    return job_id


def test_shop_and_user_data_is_shown_as_text_and_never_runs(browser: Any, web_settings: Settings) -> None:
    server = LiveServer.start(create_app(Runtime(web_settings), queue=RecordingQueue(), live=FAST_LIVE))
    job_id = _seed_hostile_data(server.rt)
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    dashboard = Dashboard(server, {}, page)
    try:
        dashboard.log_in()
        assert page.locator("td.name").first.inner_text() == XSS_NAME
        assert page.locator("td.sku").first.inner_text() == "<b>SKU-1</b>"
        assert page.locator(".sync-error").first.inner_text() == XSS_MESSAGE
        dashboard.goto(f"/shops/sync?job={job_id}")
        dashboard.wait_live()
        card = dashboard.card(job_id)
        assert card.locator('[data-field="error"]').inner_text() == XSS_NAME
        assert "<svg onload=alert(4)>" in card.locator('[data-field="title"]').inner_text()
        card.locator('[data-action="errors"]').click()
        group = page.locator("#errors-modal .group").first
        group.wait_for()
        assert group.locator(".group-cause").inner_text() == XSS_MESSAGE
        group.locator(".group-head").click()
        group.locator(".group-items a").wait_for()
        assert group.locator(".group-items a").inner_text() == "<b>SKU-1</b>"
        assert group.locator(".group-items .msg").inner_text() == XSS_MESSAGE
        assert page.locator("img, svg:not(.chart), script:not([src]):not([type='application/json'])").count() == 0
        dashboard.goto("/shops")
        assert page.locator(".shop h2").first.inner_text() == "<svg onload=alert(4)>"
        assert dashboard.dialogs == []
    finally:
        context.close()
        server.stop()


def test_without_event_source_the_page_polls_and_still_updates(browser: Any, web_settings: Settings) -> None:
    server = LiveServer.start(create_app(Runtime(web_settings), queue=RecordingQueue(), live=FAST_LIVE))
    with server.rt.session() as session, session.begin():
        shop = shops.add_shop(session, server.rt.vault, name="Demo PL", url="http://127.0.0.1:9", key="K" * 32)
        job_id = ledger.create_job(session, type=JobType.IMPORT, shop=shop, params={}, total=50)
        ledger.transition(session, job_id, JobStatus.RUNNING, started_at=utcnow())
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script("delete window.EventSource")
    page = context.new_page()
    dashboard = Dashboard(server, {}, page)
    try:
        dashboard.goto("/products")
        page.fill('input[name="username"]', "admin")
        page.fill('input[name="password"]', PASSWORD)
        page.click('form[action="/login"] button[type="submit"]')
        page.wait_for_selector('[data-field="live-mode"][data-mode="polling"]')
        touch_job(server.rt, job_id, 20)
        title = dashboard.card(job_id).locator('[data-field="title"]')
        title.filter(has_text="Importing… 20/50 products from Demo PL").wait_for()
        with server.rt.session() as session, session.begin():
            ledger.transition(session, job_id, JobStatus.COMPLETED, processed=50)
        title.filter(has_text="Imported 50/50 products from Demo PL").wait_for()
        page.locator(".toast", has_text="Import from Demo PL completed").wait_for()
    finally:
        context.close()
        server.stop()
