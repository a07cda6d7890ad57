"""`/api/shops/{id}`: read a shop's settings, change them in part, remove the shop. Bad values
are a 422 that changes nothing, a taken name a 409 like adding it, and the key never comes back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from prestasync import shops
from prestasync.models import Binding, Job, Product, Schedule, utcnow
from prestasync.progress import JobStatus
from tests.web.conftest import LiveServer, sign_in
from tests.web.test_pages import add_job, add_shop

KEY = "SHOPKEY" + "1" * 25
NEW_KEY = "NEWKEY" + "2" * 26


@pytest.fixture
def api(live: LiveServer, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        yield client


def test_a_shop_is_read_with_its_settings_and_without_its_key(live: LiveServer, api: httpx.Client) -> None:
    shop_id = add_shop(live.rt, key=KEY)
    answer = api.get(f"/api/shops/{shop_id}")
    assert answer.status_code == 200
    shop = answer.json()
    assert shop["id"] == shop_id and shop["name"] == "Demo PL"
    settings = {k: shop[k] for k in ("guard_enabled", "guard_share_pct", "guard_price_pct")}
    assert settings == {"guard_enabled": True, "guard_share_pct": 20, "guard_price_pct": 50}
    assert shop["default_tax_group"] is None and shop["fallback_language"] is None
    assert shop["updated_at"] and "key" not in shop and KEY not in answer.text
    assert api.get("/api/shops").json() == [shop]  # the list shows the same shape


def test_a_patch_changes_what_it_sends_and_keeps_the_rest(live: LiveServer, api: httpx.Client) -> None:
    shop_id = add_shop(live.rt, key=KEY)
    before = api.get(f"/api/shops/{shop_id}").json()
    changed = api.patch(
        f"/api/shops/{shop_id}",
        json={"guard_enabled": False, "guard_share_pct": 35, "default_tax_group": 4, "fallback_language": "pl"},
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["guard_enabled"], after["guard_share_pct"], after["guard_price_pct"]) == (False, 35, 50)
    assert (after["default_tax_group"], after["fallback_language"], after["name"]) == (4, "pl", "Demo PL")
    assert after["updated_at"] > before["updated_at"]
    assert api.get(f"/api/shops/{shop_id}").json() == after
    cleared = api.patch(f"/api/shops/{shop_id}", json={"default_tax_group": None, "fallback_language": None}).json()
    assert (cleared["default_tax_group"], cleared["fallback_language"], cleared["guard_share_pct"]) == (None, None, 35)
    assert api.patch(f"/api/shops/{shop_id}", json={}).json()["guard_share_pct"] == 35


def test_a_new_key_is_stored_sealed_and_never_answered(live: LiveServer, api: httpx.Client) -> None:
    shop_id = add_shop(live.rt, key=KEY)
    answer = api.patch(f"/api/shops/{shop_id}", json={"key": NEW_KEY, "url": "https://shop.test/api/"})
    assert answer.status_code == 200 and NEW_KEY not in answer.text and KEY not in answer.text
    assert answer.json()["url"] == "https://shop.test"
    with live.rt.session() as session:
        stored = shops.get_shop(session, shop_id).api_key_encrypted
    assert NEW_KEY not in stored and live.rt.vault.open(stored) == NEW_KEY
    refused = api.patch(f"/api/shops/{shop_id}", json={"key": "X" * 31})
    assert refused.status_code == 422 and "X" * 31 not in refused.text


HOSTILE: list[dict[str, Any]] = [
    {"guard_share_pct": 2**70},
    {"guard_share_pct": -1},
    {"guard_share_pct": 0},
    {"guard_share_pct": 101},
    {"guard_share_pct": "20"},
    {"guard_share_pct": True},
    {"guard_share_pct": 20.5},
    {"guard_share_pct": None},
    {"guard_price_pct": 1001},
    {"guard_price_pct": -(2**70)},
    {"guard_enabled": "false"},
    {"guard_enabled": 0},
    {"guard_enabled": None},
    {"default_tax_group": 2**70},
    {"default_tax_group": 0},
    {"default_tax_group": "7"},
    {"fallback_language": "PL"},
    {"fallback_language": "english"},
    {"fallback_language": 12},
    {"name": ""},
    {"name": "   "},
    {"name": None},
    {"name": "x" * 101},
    {"url": "ftp://shop.test"},
    {"url": "http://user:pw@shop.test"},
    {"key": None},
    {"api_key_encrypted": "x"},
    {"id": 5},
]


@pytest.mark.parametrize("body", HOSTILE, ids=lambda b: repr(b)[:40])
def test_a_bad_value_is_a_422_that_changes_nothing(live: LiveServer, api: httpx.Client, body: dict[str, Any]) -> None:
    shop_id = add_shop(live.rt, key=KEY)
    before = api.get(f"/api/shops/{shop_id}").json()
    answer = api.patch(f"/api/shops/{shop_id}", json={"guard_price_pct": 70, **body})
    assert answer.status_code == 422, answer.text
    assert set(answer.json()) == {"detail"} and answer.json()["detail"]
    assert api.get(f"/api/shops/{shop_id}").json() == before


@pytest.mark.parametrize("body", [{"name": None}, {"guard_enabled": None}, {"key": None}])
def test_null_for_a_setting_that_needs_a_value_says_so(
    live: LiveServer, api: httpx.Client, body: dict[str, Any]
) -> None:
    shop_id = add_shop(live.rt, key=KEY)
    answer = api.patch(f"/api/shops/{shop_id}", json=body)
    assert answer.status_code == 422 and "cannot be null" in answer.json()["detail"]


def test_a_taken_name_is_a_409_like_adding_it(live: LiveServer, api: httpx.Client) -> None:
    add_shop(live.rt, "Taken", key=KEY)
    shop_id = add_shop(live.rt, "Mine", key=KEY)
    added = api.post("/api/shops", json={"name": "Taken", "url": "http://a.test", "key": KEY})
    renamed = api.patch(f"/api/shops/{shop_id}", json={"name": " Taken "})
    assert added.status_code == renamed.status_code == 409
    assert added.json() == renamed.json() == {"detail": "a shop named 'Taken' already exists"}
    assert api.get(f"/api/shops/{shop_id}").json()["name"] == "Mine"


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_and_out_of_range_ids(api: httpx.Client, method: str) -> None:
    body = {"json": {"guard_enabled": False}} if method == "PATCH" else {}
    missing = api.request(method, "/api/shops/424242", **body)
    assert missing.status_code == 404 and missing.json() == {"detail": "no shop with id 424242"}
    for bad in (str(2**70), "0", "-1", "abc"):
        assert api.request(method, f"/api/shops/{bad}", **body).status_code == 422


def test_removing_a_shop_waits_for_its_jobs_and_keeps_their_history(live: LiveServer, api: httpx.Client) -> None:
    shop_id = add_shop(live.rt, key=KEY)
    now = utcnow()
    with live.rt.session() as session, session.begin():
        product = Product(sku="P-1", name={"en": "One"}, created_at=now, updated_at=now)
        session.add(product)
        session.flush()
        session.add(Binding(shop_id=shop_id, product_id=product.id, remote_id=5, last_status="synced"))
        session.add(Schedule(shop_id=shop_id, type="sync", every_min=60, next_run_at=now))
    for status in (JobStatus.PENDING, JobStatus.RUNNING, JobStatus.HELD):
        job_id = add_job(live.rt, shop_id, status)
        refused = api.delete(f"/api/shops/{shop_id}")
        assert refused.status_code == 409 and "1 active job" in refused.json()["detail"], status
        assert api.post(f"/api/jobs/{job_id}/cancel").status_code == 202
        with live.rt.session() as session, session.begin():  # no worker here: end the cancel by hand
            session.execute(select(Job).where(Job.id == job_id)).scalar_one().status = JobStatus.CANCELLED.value
    done = add_job(live.rt, shop_id, JobStatus.COMPLETED)
    removed = api.delete(f"/api/shops/{shop_id}")
    assert removed.status_code == 204 and removed.content == b""
    assert api.get(f"/api/shops/{shop_id}").status_code == 404
    assert api.delete(f"/api/shops/{shop_id}").status_code == 404
    history = api.get(f"/api/jobs/{done}").json()
    assert (history["shop_id"], history["shop_name"], history["status"]) == (None, "Demo PL", "completed")
    assert api.get("/api/jobs", params={"status": "finished"}).json()["total"] == 4
    product_row = api.get("/api/products", params={"search": "P-1"}).json()["items"][0]
    assert product_row["shops"] == []
    with live.rt.session() as session:
        assert session.execute(select(Schedule).where(Schedule.shop_id == shop_id)).first() is None


def test_a_browser_session_needs_its_csrf_token_to_change_a_shop(live: LiveServer) -> None:
    shop_id = add_shop(live.rt, key=KEY)
    with httpx.Client(base_url=live.url) as browser:
        token = sign_in(browser)
        assert browser.patch(f"/api/shops/{shop_id}", json={"guard_share_pct": 30}).status_code == 403
        assert browser.delete(f"/api/shops/{shop_id}").status_code == 403
        allowed = browser.patch(f"/api/shops/{shop_id}", json={"guard_share_pct": 30}, headers={"X-CSRF-Token": token})
        assert allowed.status_code == 200 and allowed.json()["guard_share_pct"] == 30
