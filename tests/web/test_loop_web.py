"""The daily loop in the dashboard and the API: the bell in Chromium, /metrics through prometheus_client's
parser during a real import, schedule and webhook API rules, and a prompt stop with hundreds of streams."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from prestasync import ledger, shops
from prestasync.config import Settings
from prestasync.loop import Loop
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from prestasync.progress import JobStatus, JobType
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks
from prestasync.web.app import create_app
from tests.conftest import RecordingQueue, settings_env, wait_for
from tests.web.conftest import FAST_LIVE, PASSWORD, LiveServer, make_token
from tests.web.test_events import run_in_thread

KEY = "METRICSKEY" + "3" * 22


def sample(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def test_metrics_counters_move_during_an_import(live: LiveServer, token: str) -> None:
    with RunningEmulator({"": EmulatedShop(ShopConfig(key=KEY, products=30, broken={4: {"price": "abc"}}))}) as emu:
        with live.rt.session() as session, session.begin():
            shop = shops.add_shop(session, live.rt.vault, name="Shop M", url=emu.url, key=KEY)
        client = httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {token}"})
        before = client.get("/metrics").text
        job = live.app.state.control.start(JobType.IMPORT, [shop.id], {})[0]
        Tasks(make_huey("memory://", "test"), live.rt).run_job(job.id)  # the job runs in this process, on its runtime
        after = client.get("/metrics").text
    labels = {"shop": "Shop M", "type": "import"}
    assert (
        sample(after, "prestasync_items_processed_total", **labels)
        - sample(before, "prestasync_items_processed_total", **labels)
        == 30
    )
    assert (
        sample(after, "prestasync_items_failed_total", **labels)
        - sample(before, "prestasync_items_failed_total", **labels)
        == 1
    )
    assert sample(after, "prestasync_shop_requests_total", shop="Shop M", code="200") > 0
    assert sample(after, "prestasync_shop_request_seconds_count", shop="Shop M", method="GET") > 0
    assert sample(after, "prestasync_tracker_flush_seconds_count") > sample(
        before, "prestasync_tracker_flush_seconds_count"
    )
    assert sample(after, "prestasync_jobs", status="completed") == 1
    assert httpx.get(live.url + "/metrics").status_code == 401


def test_schedule_and_webhook_api_rules(live: LiveServer, token: str) -> None:
    client = httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {token}"})
    with live.rt.session() as session, session.begin():
        shop = shops.add_shop(session, live.rt.vault, name="Shop S", url="http://127.0.0.1:9", key="K" * 32)
    bad = client.post("/api/schedules", json={"shop_id": shop.id, "type": "sync", "cron": "99 * * * *"})
    assert bad.status_code == 422 and "not a cron expression" in bad.json()["detail"]
    made = client.post("/api/schedules", json={"shop_id": shop.id, "type": "sync", "every_min": 60})
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    assert client.post(f"/api/schedules/{sid}/pause").json()["paused"] is True
    assert (
        client.patch(f"/api/schedules/{sid}", json={"cron": "0 3 * * *", "timezone": "Europe/Warsaw"}).json()["cron"]
        == "0 3 * * *"
    )
    assert [s["id"] for s in client.get("/api/schedules").json()] == [sid]
    assert client.delete(f"/api/schedules/{sid}").status_code == 204
    assert client.delete(f"/api/schedules/{sid}").status_code == 404
    hook = client.post("/api/webhooks", json={"url": "https://example.com/h", "events": ["failed"]})
    assert hook.status_code == 201 and len(hook.json()["secret"]) >= 16
    assert "secret" not in client.get("/api/webhooks").json()[0]
    assert hook.json()["secret"] not in client.get("/api/webhooks").text


def test_the_bell_shows_a_failed_job_and_marking_read_clears_it(browser: Any, web_settings: Settings) -> None:
    server = LiveServer.start(create_app(Runtime(web_settings), queue=RecordingQueue(), live=FAST_LIVE))
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(server.url + "/products")
        page.fill('input[name="username"]', "admin")
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        page.wait_for_url("**/products")
        assert page.locator("[data-bell-count]").is_hidden()
        with server.rt.session() as session, session.begin():
            shop = shops.add_shop(session, server.rt.vault, name="Demo PL", url="http://127.0.0.1:9", key="K" * 32)
            job_id = ledger.create_job(session, type=JobType.IMPORT, shop=shop)
            ledger.transition(session, job_id, JobStatus.RUNNING)
            ledger.finish(session, job_id, JobStatus.FAILED, "shop unreachable")
        Loop(server.rt, RecordingQueue()).notify_tick()  # what a worker's loop does
        count = page.locator("[data-bell-count]")
        count.wait_for(state="visible")
        assert count.inner_text() == "1"
        page.click("[data-bell-toggle]")
        item = page.locator("[data-bell-list] li.unread")
        item.wait_for()
        assert "Import · Demo PL: failed: shop unreachable" in item.inner_text()
        item.locator("button").click()
        count.wait_for(state="hidden")
        assert count.inner_text() == "0"
        assert page.locator("[data-bell-list] li.unread").count() == 0
    finally:
        context.close()
        server.stop()


def test_stopping_the_server_with_300_open_streams_is_prompt_and_quiet(web_settings: Settings, tmp_path: Path) -> None:
    rt = Runtime(web_settings)
    rt.migrate()
    from prestasync import accounts

    accounts.ensure_admin(rt.engine, web_settings)
    token = make_token(rt)
    env = {**settings_env(web_settings), "PRESTASYNC_SHUTDOWN_TIMEOUT_S": "10"}
    port = _free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "prestasync", "serve", "--no-worker", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _up(base), 30, "the server to start")
    n = 300

    async def main() -> float:
        limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=0)
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60, limits=limits
        ) as client:
            opened = asyncio.Semaphore(0)

            async def stream() -> None:
                try:
                    async with client.stream("GET", "/api/events") as response:
                        async for line in response.aiter_lines():
                            if line.startswith("event: snapshot"):
                                opened.release()
                except httpx.HTTPError:
                    pass

            tasks = [asyncio.create_task(stream()) for _ in range(n)]
            for _ in range(n):
                await asyncio.wait_for(opened.acquire(), 60)
            started = time.monotonic()
            server.send_signal(signal.SIGTERM)
            await asyncio.to_thread(server.wait, 30)
            stopped = time.monotonic() - started
            await asyncio.gather(*tasks)
            return stopped

    stopped = run_in_thread(main)
    output = log.read_text()
    assert stopped < 3.0, f"stop took {stopped:.2f} s"
    assert "Traceback" not in output and "timeout graceful shutdown exceeded" not in output, output[-2000:]


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _up(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz").status_code == 200
    except httpx.HTTPError:
        return False
