"""Each route's real answer, on realistic data, against the schema `/openapi.json` declares for
it; and what each job state allows, asked through the API, against the one table
(`progress.allowed_actions`).

The routes left out of the JSON checks get their own: `/api/events` (a stream that never
ends: the first event is read), `/api/jobs/{id}/errors.csv` (CSV), `/healthz` and `/metrics`
(not in the schema).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from sqlalchemy.orm import Session

from prestasync import shops
from prestasync.models import Shop
from prestasync.progress import Action, JobStatus, allowed_actions
from tests.web.conftest import SeededApi, sign_in
from tests.web.seed import PIXEL, job_in
from tests.web.test_api_fuzz import OPERATIONS


@pytest.fixture(scope="module")
def api_schema(seeded_api: SeededApi) -> Any:
    return schemathesis.openapi.from_url(f"{seeded_api.live.url}/openapi.json", headers=seeded_api.headers)


def realistic_calls(api: SeededApi) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, schema path, request arguments) for a call of every route on the seeded data."""
    jobs, shop = api.seeded.jobs, api.seeded.shop_ids[0]
    failed, running = jobs[JobStatus.FAILED], jobs[JobStatus.RUNNING]
    yield "GET", "/api/jobs", {"params": {"limit": 3}}
    yield "GET", "/api/jobs", {"params": {"status": "finished", "shop_id": shop, "type": "export"}}
    yield "GET", "/api/jobs", {"params": {"status": "active"}}
    yield "GET", "/api/jobs/{job_id}", {"url": f"/api/jobs/{failed}"}
    yield "GET", "/api/jobs/{job_id}", {"url": f"/api/jobs/{running}"}
    yield "GET", "/api/jobs/{job_id}/errors", {"url": f"/api/jobs/{failed}/errors", "params": {"limit": 2}}
    yield "GET", "/api/jobs/{job_id}/errors/groups", {"url": f"/api/jobs/{failed}/errors/groups"}
    yield "GET", "/api/jobs/{job_id}/errors.csv", {"url": f"/api/jobs/{failed}/errors.csv"}
    yield "POST", "/api/jobs", {"json": {"type": "export", "shop_id": shop, "params": {"skus": ["SEED-0"]}}}
    yield "POST", "/api/jobs", {"json": {"type": "import", "shop_ids": api.seeded.shop_ids}}
    yield "POST", "/api/jobs", {"json": {"type": "import", "shop_id": shop, "params": {"since": "2026-01-02"}}}
    yield (
        "POST",
        "/api/jobs/{job_id}/cancel",
        {"url": f"/api/jobs/{job_in(api.live.rt, JobStatus.RUNNING, _shop(api))}/cancel"},
    )
    yield "POST", "/api/jobs/{job_id}/retry", {"url": f"/api/jobs/{failed}/retry", "params": {"failed_only": "true"}}
    preview, held = api.seeded.preview, job_in(api.live.rt, JobStatus.HELD, _shop(api))
    yield "GET", "/api/jobs/{job_id}/changes", {"url": f"/api/jobs/{preview}/changes", "params": {"field": "price"}}
    yield "GET", "/api/jobs/{job_id}/changes/summary", {"url": f"/api/jobs/{preview}/changes/summary"}
    yield "GET", "/api/jobs/{job_id}/changes.csv", {"url": f"/api/jobs/{preview}/changes.csv"}
    yield "POST", "/api/jobs/{job_id}/apply", {"url": f"/api/jobs/{preview}/apply"}
    yield "POST", "/api/jobs/{job_id}/confirm", {"url": f"/api/jobs/{held}/confirm"}
    yield "GET", "/api/shops", {}
    yield "POST", "/api/shops", {"json": {"name": "Added", "url": "https://added.test/api/", "key": "K" * 32}}
    yield "GET", "/api/shops/{shop_id}", {"url": f"/api/shops/{shop}"}
    change = {"guard_share_pct": 30, "default_tax_group": None, "fallback_language": "pl"}
    yield "PATCH", "/api/shops/{shop_id}", {"url": f"/api/shops/{shop}", "json": change}
    yield "DELETE", "/api/shops/{shop_id}", {"url": f"/api/shops/{_spare_shop(api)}"}
    yield "GET", "/api/shops/{shop_id}/stats", {"url": f"/api/shops/{shop}/stats", "params": {"days": 30}}
    yield "GET", "/api/shops/{shop_id}/stats/daily", {"url": f"/api/shops/{shop}/stats/daily"}
    yield "GET", "/api/products", {"params": {"search": "seed", "shop_id": shop}}
    yield "GET", "/api/products", {"params": {"limit": 1, "offset": 1}}
    yield "GET", "/api/products/{product_id}", {"url": f"/api/products/{api.seeded.product_id}"}
    yield "GET", "/api/images/{image_id}", {"url": f"/api/images/{api.seeded.image_id}"}
    yield "GET", "/api/jobs/{job_id}/changes", {"url": f"/api/jobs/{preview}/changes", "params": {"sku": "sku-"}}


def _spare_shop(api: SeededApi) -> int:
    """A shop with no jobs, for the realistic call that removes one."""
    with Session(api.live.rt.engine) as session, session.begin():
        return shops.add_shop(session, api.live.rt.vault, name="Spare", url="http://spare.test", key="S" * 32).id


def _shop(api: SeededApi) -> Shop:
    with Session(api.live.rt.engine, expire_on_commit=False) as session:
        shop = session.get(Shop, api.seeded.shop_ids[0])
    assert shop is not None
    return shop


def test_every_route_answers_with_its_documented_shape(seeded_api: SeededApi, api_schema: Any) -> None:
    seen: set[tuple[str, str]] = set()
    with seeded_api.client() as client:
        for method, path, kwargs in list(realistic_calls(seeded_api)):
            answer = client.request(method, kwargs.pop("url", path), **kwargs)
            assert answer.is_success, f"{method} {path}: {answer.status_code} {answer.text}"
            operation = api_schema[path][method]
            assert str(answer.status_code) in operation.definition.raw["responses"], (
                f"{method} {path} {answer.status_code}"
            )
            operation.validate_response(answer)  # raises with the mismatch when the body breaks the schema
            if path.endswith(".csv"):
                assert answer.headers["content-type"].startswith("text/csv")
                rows = list(csv.reader(io.StringIO(answer.text)))
                if path.endswith("changes.csv"):  # one row per changed field
                    assert (
                        rows[0][0] == "sku"
                        and len(rows) == 3
                        and {r[rows[0].index("field")] for r in rows[1:]}
                        == {
                            "price",
                            "stock",
                        }
                    )
                else:
                    assert rows[0] == ["sku", "remote_id", "error_code", "message", "at"] and len(rows) == 4
            elif path.startswith("/api/images/"):
                assert answer.headers["content-type"] == "image/png" and answer.content == PIXEL
            else:
                assert answer.headers["content-type"] == "application/json"
            seen.add((method, path))
    assert seen == set(OPERATIONS), f"routes without a realistic call: {set(OPERATIONS) - seen}"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/api/jobs/{job_id}", {"url": "/api/jobs/999999"}, 404),
        ("GET", "/api/jobs", {"params": {"limit": 0}}, 422),
        ("POST", "/api/jobs", {"json": {"type": "export", "shop_id": 999999}}, 404),
        ("GET", "/api/shops/{shop_id}/stats", {"url": "/api/shops/999999/stats"}, 404),
        ("POST", "/api/shops", {"json": {"name": "Seed A", "url": "http://a.test", "key": "K" * 32}}, 409),
        ("GET", "/api/shops/{shop_id}", {"url": "/api/shops/999999"}, 404),
        ("PATCH", "/api/shops/{shop_id}", {"url": "/api/shops/999999", "json": {"guard_enabled": False}}, 404),
        ("PATCH", "/api/shops/{shop_id}", {"url": "/api/shops/1", "json": {"guard_share_pct": 2**70}}, 422),
        ("PATCH", "/api/shops/{shop_id}", {"url": "/api/shops/1", "json": {"name": "Seed B"}}, 409),
        ("DELETE", "/api/shops/{shop_id}", {"url": "/api/shops/999999"}, 404),
        ("DELETE", "/api/shops/{shop_id}", {"url": "/api/shops/1"}, 409),  # Seed A has active jobs
    ],
)
def test_error_answers_have_their_documented_shape(
    seeded_api: SeededApi, api_schema: Any, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    with seeded_api.client() as client:
        answer = client.request(method, kwargs.pop("url", path), **kwargs)
    assert answer.status_code == status, answer.text
    api_schema[path][method].validate_response(answer)


def test_without_credentials_every_route_is_a_documented_401(seeded_api: SeededApi, api_schema: Any) -> None:
    with httpx.Client(base_url=seeded_api.live.url) as anonymous:
        for method, path in OPERATIONS:
            answer = anonymous.request(method, re.sub(r"\{\w+\}", "1", path))
            assert answer.status_code == 401, (method, path)
            api_schema[path][method].validate_response(answer)
        assert anonymous.get("/api/events").status_code == 401
        assert anonymous.get("/metrics").status_code == 401


def test_the_routes_outside_the_json_checks(seeded_api: SeededApi, api_schema: Any) -> None:
    with seeded_api.client() as client:
        health = client.get("/healthz", headers={"Authorization": ""})
        assert health.status_code == 200 and health.json()["status"] == "ok"
        metrics = client.get("/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        assert 'prestasync_jobs{status="failed"} 2' in metrics.text
        assert set(api_schema["/api/events"]["GET"].definition.raw["responses"]) >= {"200", "401"}
        with client.stream("GET", "/api/events", timeout=10) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            event = _first_event(stream)
    assert event["event"] in ("snapshot", "job") and "data" in event
    json.loads(event["data"])


def _first_event(stream: httpx.Response) -> dict[str, str]:
    event: dict[str, str] = {}
    for line in stream.iter_lines():
        if not line and "data" in event:
            return event
        if ":" in line and not line.startswith(":"):
            name, _, value = line.partition(":")
            event[name] = value.strip()
    raise AssertionError("the stream ended without an event")


ROUTES = {
    Action.CANCEL: ("cancel", {}),
    Action.RETRY: ("retry", {}),
    Action.RETRY_FAILED: ("retry", {"failed_only": "true"}),
}


@pytest.mark.parametrize("failures", [0, 2], ids=["no-failed-items", "failed-items"])
@pytest.mark.parametrize("action", list(ROUTES), ids=str)
@pytest.mark.parametrize("status", list(JobStatus), ids=str)
def test_an_action_succeeds_exactly_when_the_table_allows_it(
    seeded_api: SeededApi, status: JobStatus, action: Action, failures: int
) -> None:
    job_id = job_in(seeded_api.live.rt, status, _shop(seeded_api), failures=failures)
    route, params = ROUTES[action]
    with seeded_api.client() as client:
        before = client.get(f"/api/jobs/{job_id}").json()
        allowed = allowed_actions(before["status"], failed=before["failed"], preview=before["preview"])
        assert sorted(before["actions"]) == sorted(a.value for a in allowed), "the job JSON says what the table says"
        answer = client.post(f"/api/jobs/{job_id}/{route}", params=params)
        after = client.get(f"/api/jobs/{job_id}").json()
    if action in allowed:
        assert answer.status_code == 202, answer.text
    else:
        assert answer.status_code == 409, answer.text
        assert set(answer.json()) == {"detail"}
        assert after["status"] == before["status"] and after["version"] == before["version"], (
            "a refusal changes nothing"
        )


def test_a_session_without_its_csrf_token_gets_a_documented_403(seeded_api: SeededApi, api_schema: Any) -> None:
    with httpx.Client(base_url=seeded_api.live.url) as browser:
        sign_in(browser)
        body = {"type": "sync", "shop_id": seeded_api.seeded.shop_ids[0]}
        refused = browser.post("/api/jobs", json=body)
    assert refused.status_code == 403
    api_schema["/api/jobs"]["POST"].validate_response(refused)


@pytest.mark.parametrize(("path", "allowed"), [("/api/jobs", "GET, POST"), ("/api/shops", "GET, POST")])
def test_a_wrong_method_lists_every_method_of_the_path(seeded_api: SeededApi, path: str, allowed: str) -> None:
    with seeded_api.client() as client:
        answer = client.request("DELETE", path)
    assert answer.status_code == 405 and answer.headers["allow"] == allowed
    assert set(answer.json()) == {"detail"}
