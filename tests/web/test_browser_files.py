"""The products page's file upload in a real headless Chromium, with a real server, queue and worker."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from prestasync.config import Settings
from prestasync.runtime import Runtime
from prestasync.web.app import create_app
from tests.catalogue_files import catalogue, seed, write_csv
from tests.web.conftest import ARTIFACTS, FAST_LIVE, PASSWORD, LiveServer

pytestmark = pytest.mark.browser
TIMEOUT_MS = 30_000


@pytest.fixture
def server(web_settings: Settings, worker: subprocess.Popen[bytes]) -> Iterator[LiveServer]:
    live = LiveServer.start(create_app(Runtime(web_settings), live=FAST_LIVE))  # the real queue: the worker runs jobs
    yield live
    live.stop()


def test_a_csv_uploaded_from_the_products_page_is_imported_live(
    server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    seed(server.rt, 2)
    rows = [["sku", "price", "Colour"], ["P-00001", "3.33", "red"], ["NEW-1", "4", ""], ["NEW-2", "x", ""]]
    path = write_csv(tmp_path / "prices.csv", rows)
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(server.url + "/products")
        page.fill('input[name="username"]', "admin")
        page.fill('input[name="password"]', PASSWORD)
        page.click('form[action="/login"] button[type="submit"]')
        page.wait_for_selector('[data-field="live-mode"][data-mode="live"]')
        page.get_by_label("CSV or XLSX file").set_input_files(str(path))
        page.get_by_role("button", name="Import file").click()
        page.locator(".toast", has_text="not catalogue columns and are ignored: Colour").wait_for()
        card = page.locator("article.job", has_text="prices.csv")
        card.locator('[data-field="title"]', has_text="Imported 3/3 rows from prices.csv").wait_for()
        assert card.locator('[data-field="badge"]').inner_text() == "Completed"
        assert card.locator('[data-action="errors"]').inner_text() == "Rows rejected: 1"
        assert card.locator('[data-action="retry-failed"]').is_disabled()
        page.locator(".toast", has_text="Import of prices.csv completed: 3 rows, 1 rejected.").wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "file-import.png"), full_page=True, animations="disabled")
    finally:
        context.close()
    products = catalogue(server.rt)
    assert (products["P-00001"].price, products["NEW-1"].price) == (Decimal("3.33"), Decimal(4))
    assert "NEW-2" not in products
