"""The HTML pages over a real server: language, the products' sync column, shops, the sync centre."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from prestasync import ledger, shops
from prestasync.models import Binding, Job, Product, Shop, utcnow
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from prestasync.progress import JobStatus, JobType
from prestasync.runtime import Runtime
from tests.web.conftest import LiveServer, sign_in

KEY = "SHOPKEY" + "1" * 25


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, headers={"Accept-Language": "en"}) as c:
        c.headers["X-CSRF-Token"] = sign_in(c)
        yield c


def add_shop(rt: Runtime, name: str = "Demo PL", url: str = "http://127.0.0.1:9", key: str = KEY) -> int:
    with rt.session() as session, session.begin():
        return shops.add_shop(session, rt.vault, name=name, url=url, key=key).id


def add_job(rt: Runtime, shop_id: int, status: JobStatus, kind: JobType = JobType.IMPORT, **values: object) -> int:
    now = utcnow()
    with rt.session() as session, session.begin():
        shop = session.get(Shop, shop_id)
        job_id = ledger.create_job(session, type=kind, shop=shop, params={}, total=10)
        if status != JobStatus.PENDING:
            ledger.transition(session, job_id, JobStatus.RUNNING, started_at=now - timedelta(seconds=30))
        if status not in (JobStatus.PENDING, JobStatus.RUNNING):
            ledger.transition(session, job_id, status, processed=10, **values)
    return job_id


def csrf(client: httpx.Client) -> str:
    return client.headers["X-CSRF-Token"]


def test_the_page_language_follows_the_browser_and_the_switch(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, headers={"Accept-Language": "pl-PL,pl;q=0.9"}) as c:
        sign_in(c)
        assert "Centrum synchronizacji" in c.get("/shops/sync").text
        switched = c.get("/shops/sync", params={"lang": "en"})
        assert "Sync centre" in switched.text and "lang=en" in switched.headers["set-cookie"]
        assert "Sync centre" in c.get("/shops/sync").text  # the cookie now decides
        assert '<html lang="en">' in c.get("/products").text


def test_the_products_page_shows_each_shops_sync_state(live: LiveServer, client: httpx.Client) -> None:
    pl, en, de = (add_shop(live.rt, name, key=name[-2:] * 16) for name in ("Demo PL", "Demo EN", "Demo DE"))
    now = utcnow()
    with live.rt.session() as session, session.begin():
        product = Product(
            sku="SKU-1",
            name={"en": "Lamp", "pl": "Lampa"},
            description={},
            price=Decimal("12.5"),
            quantity=3,
            active=True,
            created_at=now,
            updated_at=now,
        )
        other = Product(
            sku="OTHER",
            name={"en": "Chair"},
            description={},
            price=Decimal(1),
            quantity=0,
            active=False,
            created_at=now,
            updated_at=now,
        )
        session.add_all([product, other])
        session.flush()
        session.add(Binding(shop_id=pl, product_id=product.id, remote_id=4, last_status="synced", last_synced_at=now))
        session.add(Binding(shop_id=en, product_id=product.id, last_status="failed", last_error="price is too low"))
    page = client.get("/products", params={"search": "sku-1"}).text
    assert "Lamp" in page and "Chair" not in page
    assert "Demo PL: synced" in page
    assert "Demo EN: failed" in page and "price is too low" in page
    assert "Demo DE: never" in page and de
    assert "Lampa" in client.get("/products", params={"search": "sku-1", "lang": "pl"}).text


def test_the_products_page_lists_active_jobs_on_top(live: LiveServer, client: httpx.Client) -> None:
    shop_id = add_shop(live.rt)
    running = add_job(live.rt, shop_id, JobStatus.RUNNING)
    finished = add_job(live.rt, shop_id, JobStatus.COMPLETED)
    page = client.get("/products").text
    assert f'data-job-id="{running}"' in page and f'data-job-id="{finished}"' not in page
    assert "Importing… 0/10 products from Demo PL" in page


def test_shops_are_added_edited_and_deleted_and_the_key_never_shown(live: LiveServer, client: httpx.Client) -> None:
    form = {"name": "Demo PL", "url": "http://127.0.0.1:9/api/", "key": KEY, "csrf_token": csrf(client)}
    assert client.post("/shops", data=form).status_code == 303
    page = client.get("/shops").text
    assert "Shop Demo PL added." in page and KEY not in page
    with live.rt.session() as session:
        shop = shops.find_shop(session, "Demo PL")
    edit = {"name": "Demo Polska", "url": "http://127.0.0.1:10", "key": "", "csrf_token": csrf(client)}
    assert client.post(f"/shops/{shop.id}", data=edit).status_code == 303
    with live.rt.session() as session:
        edited = shops.get_shop(session, shop.id)
    assert (edited.name, edited.url) == ("Demo Polska", "http://127.0.0.1:10")
    assert live.rt.vault.open(edited.api_key_encrypted) == KEY  # an empty key field kept the key
    assert KEY not in client.get("/shops").text
    bad = client.post("/shops", data={**form, "key": "short"})
    assert bad.status_code == 422 and "32 letters and digits" in bad.text and 'value="short"' not in bad.text
    assert client.post(f"/shops/{shop.id}/delete", data={"csrf_token": csrf(client)}).status_code == 303
    assert "Shop Demo Polska deleted." in client.get("/shops").text


def test_the_shops_page_shows_and_changes_the_guard_settings(live: LiveServer, client: httpx.Client) -> None:
    shop_id = add_shop(live.rt)
    page = client.get("/shops").text
    assert "Change guard:" in page and "more than 20 % of the products" in page and "by over 50 %" in page
    assert f'action="/shops/{shop_id}/settings"' in page
    form = {"guard_share_pct": "35", "guard_price_pct": "80", "default_tax_group": "4", "csrf_token": csrf(client)}
    saved = client.post(f"/shops/{shop_id}/settings", data={**form, "fallback_language": "PL"})  # no checkbox: off
    assert saved.status_code == 303
    with live.rt.session() as session:
        shop = shops.get_shop(session, shop_id)
    assert (shop.guard_enabled, shop.guard_share_pct, shop.guard_price_pct) == (False, 35, 80)
    assert (shop.default_tax_group, shop.fallback_language) == (4, "pl")
    page = client.get("/shops").text
    assert "Settings of Demo PL saved." in page and "off: exports are never held" in page
    back = {**form, "guard_enabled": "on", "default_tax_group": "", "fallback_language": ""}
    assert client.post(f"/shops/{shop_id}/settings", data=back).status_code == 303
    with live.rt.session() as session:
        shop = shops.get_shop(session, shop_id)
    assert (shop.guard_enabled, shop.default_tax_group, shop.fallback_language) == (True, None, None)
    polish = client.get("/shops", params={"lang": "pl"}).text
    assert "Strażnik zmian" in polish and "ponad 35 % produktów" in polish


@pytest.mark.parametrize("share", ["0", "101", "-5", "abc", "9" * 40, str(2**70)])
def test_a_bad_guard_setting_is_shown_and_changes_nothing(live: LiveServer, client: httpx.Client, share: str) -> None:
    shop_id = add_shop(live.rt)
    form = {"guard_share_pct": share, "guard_price_pct": "80", "guard_enabled": "on", "csrf_token": csrf(client)}
    refused = client.post(f"/shops/{shop_id}/settings", data=form)
    assert refused.status_code == 422 and "guard_share_pct must be a whole number from 1 to 100" in refused.text
    with live.rt.session() as session:
        assert shops.get_shop(session, shop_id).guard_price_pct == 50
    assert client.post(f"/shops/{2**70}/settings", data=form).status_code == 422
    assert client.post("/shops/424242/settings", data={**form, "guard_share_pct": "5"}).status_code == 404
    no_csrf = {k: v for k, v in form.items() if k != "csrf_token"}
    assert client.post(f"/shops/{shop_id}/settings", data=no_csrf, headers={"X-CSRF-Token": ""}).status_code == 403


def test_renaming_a_shop_to_a_taken_name_is_a_409(live: LiveServer, client: httpx.Client) -> None:
    add_shop(live.rt, "Taken")
    shop_id = add_shop(live.rt, "Mine", key="M" * 32)
    edit = {"name": "Taken", "url": "http://127.0.0.1:9", "csrf_token": csrf(client)}
    refused = client.post(f"/shops/{shop_id}", data=edit)
    assert refused.status_code == 409 and "a shop named &#39;Taken&#39; already exists" in refused.text


def test_deleting_a_shop_keeps_its_job_history(live: LiveServer, client: httpx.Client) -> None:
    shop_id = add_shop(live.rt)
    active = add_job(live.rt, shop_id, JobStatus.RUNNING)
    refused = client.post(f"/shops/{shop_id}/delete", data={"csrf_token": csrf(client)})
    assert refused.status_code == 409 and "active job" in refused.text
    with live.rt.session() as session, session.begin():
        ledger.transition(session, active, JobStatus.COMPLETED, processed=10)
    assert client.post(f"/shops/{shop_id}/delete", data={"csrf_token": csrf(client)}).status_code == 303
    with live.rt.session() as session:
        job = session.execute(select(Job).where(Job.id == active)).scalar_one()
    assert (job.shop_id, job.shop_name) == (None, "Demo PL")
    assert "Imported 10/10 products from Demo PL" in client.get("/shops/sync").text


def test_testing_a_shop_reports_what_it_answers(live: LiveServer, client: httpx.Client) -> None:
    emulated = EmulatedShop(ShopConfig(key=KEY, name="Emulated shop"))
    with RunningEmulator({"": emulated}) as running:
        good = add_shop(live.rt, "Good", url=running.url)
        bad = add_shop(live.rt, "Bad key", url=running.url, key="X" * 32)
        client.post(f"/shops/{good}/test", data={"csrf_token": csrf(client)})
        assert "Good answers as Emulated shop, PrestaShop 8.1.7." in client.get("/shops").text
        client.post(f"/shops/{bad}/test", data={"csrf_token": csrf(client)})
        assert re.search(r'flash-error" role="status">Bad key: ', client.get("/shops").text)


def test_the_sync_centre_filters_pages_and_picks_out_a_job(live: LiveServer, client: httpx.Client) -> None:
    pl, en = add_shop(live.rt), add_shop(live.rt, "Demo EN", key="E" * 32)
    failed = add_job(live.rt, pl, JobStatus.FAILED, error_message="shop down")
    exported = add_job(live.rt, en, JobStatus.COMPLETED, JobType.EXPORT)
    many = [add_job(live.rt, pl, JobStatus.COMPLETED) for _ in range(22)]
    only_failed = client.get("/shops/sync", params={"status": "failed"}).text
    assert f'data-job-id="{failed}"' in only_failed and f'data-job-id="{exported}"' not in only_failed
    assert "shop down" in only_failed
    by_shop = client.get("/shops/sync", params={"shop": str(en)}).text
    assert f'data-job-id="{exported}"' in by_shop and f'data-job-id="{failed}"' not in by_shop
    by_type = client.get("/shops/sync", params={"type": "export"}).text
    assert by_type.count("data-job-id=") == 1
    first = client.get("/shops/sync").text
    assert "Page 1 of 2" in first and f'data-job-id="{many[-1]}"' in first
    second = client.get("/shops/sync", params={"page": 2}).text
    assert f'data-job-id="{failed}"' in second
    picked = client.get("/shops/sync", params={"job": failed}).text
    assert picked.index(f'data-job-id="{failed}"') < picked.index(f'data-job-id="{many[-1]}"')
    assert 'class="job picked"' in picked


def test_the_sync_centre_shows_per_shop_statistics_with_a_chart(live: LiveServer, client: httpx.Client) -> None:
    shop_id = add_shop(live.rt)
    add_job(live.rt, shop_id, JobStatus.COMPLETED)
    add_job(live.rt, shop_id, JobStatus.FAILED, failed=4)
    page = client.get("/shops/sync", params={"days": 30}).text
    assert "Last 30 days" in page and "50.0 %" in page
    assert page.count('<rect class="completed"') == 1 and page.count('<rect class="failed"') == 1
    week = client.get(f"/api/shops/{shop_id}/stats/daily", params={"days": 7}).json()
    assert len(week) == 7 and week[-1]["jobs"] == 2 and week[-1]["failed"] == 1 and week[-1]["items_failed"] == 4


def test_a_held_job_is_listed_with_its_reason_and_confirm_button(live: LiveServer, client: httpx.Client) -> None:
    pl = add_shop(live.rt)
    reason = "held by the change guard: <b>it would set 5 stock levels to 0</b>"
    held = add_job(live.rt, pl, JobStatus.HELD, JobType.EXPORT, error_message=reason)
    done = add_job(live.rt, pl, JobStatus.COMPLETED, JobType.EXPORT)
    page = client.get("/shops/sync", params={"status": "held"}).text
    assert f'data-job-id="{held}"' in page and f'data-job-id="{done}"' not in page
    card = page[page.index(f'data-job-id="{held}"') :]
    assert "Held before writing: export to Demo PL" in card
    assert "Waiting for confirmation: held by the change guard: &lt;b&gt;it would set" in card
    assert re.search(r'data-action="confirm"(?! hidden)>', card) and re.search(r'data-action="apply" hidden', card)
