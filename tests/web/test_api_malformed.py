"""A hostile user's requests, by hand: each gets its 4xx with a `Problem` body, never a 500.

The table covers what a fuzzer finds only by luck: ids past every integer type, blank SKU
lists that must not mean "everything", ids as strings or booleans, bodies that are not
JSON or not UTF-8, URLs with credentials or a broken IPv6 host, overlong strings, NUL
characters (PostgreSQL refuses them in text), typos in query parameters. It runs against a
real server on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import PG_ADMIN, _server_database, need_service
from tests.web.conftest import SeededApi, seeded_server
from tests.web.seed import KEY

HUGE = 2**63  # one past BIGINT: an OverflowError in the driver before ids were bounded
HUGER = 2**64 + 1
SECRET = "hunter2-SECRET"


@dataclass(frozen=True)
class Bad:
    """One malformed request: what is sent, and the status it must get."""

    method: str
    path: str  # `{running}`, `{completed}`, `{failed}`, `{clean_failed}`, `{shop}` are filled in
    status: int
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None  # JSON, unless `raw` is given
    raw: bytes | None = None
    content_type: str = "application/json"

    def __str__(self) -> str:
        sent = self.raw[:30] if self.raw is not None else json.dumps(self.body)[:100] if self.body is not None else ""
        return f"{self.method} {self.path} {self.params or ''} {sent}".strip()


def job(**changes: Any) -> dict[str, Any]:
    return {"type": "export", "shop_id": "{shop}", **changes}


def params(type: str, **given: Any) -> dict[str, Any]:
    return {"type": type, "shop_id": "{shop}", "params": given}


_SHOPS = itertools.count(1)


def shop(**changes: Any) -> dict[str, Any]:
    # Numbered, not random: the case ids must be the same in every process that collects them.
    return {"name": f"New {next(_SHOPS)}", "url": "http://new.test", "key": KEY, **changes}


CASES = [
    # -- job lists: bounds, types, unknown values and parameters
    Bad("GET", "/api/jobs", 422, {"limit": "abc"}),
    Bad("GET", "/api/jobs", 422, {"limit": 0}),
    Bad("GET", "/api/jobs", 422, {"limit": -1}),
    Bad("GET", "/api/jobs", 422, {"limit": 100_000}),
    Bad("GET", "/api/jobs", 422, {"limit": HUGER}),
    Bad("GET", "/api/jobs", 422, {"offset": -1}),
    Bad("GET", "/api/jobs", 422, {"offset": HUGE}),
    Bad("GET", "/api/jobs", 422, {"offset": 1.5}),
    Bad("GET", "/api/jobs", 422, {"status": "weird"}),
    Bad("GET", "/api/jobs", 422, {"type": "delete"}),
    Bad("GET", "/api/jobs", 422, {"shop_id": 0}),
    Bad("GET", "/api/jobs", 422, {"shop_id": -5}),
    Bad("GET", "/api/jobs", 422, {"shop_id": HUGE}),
    Bad("GET", "/api/jobs", 422, {"shop_id": "abc"}),
    Bad("GET", "/api/jobs", 422, {"stauts": "failed"}),
    # -- one job by id
    Bad("GET", "/api/jobs/0", 422),
    Bad("GET", "/api/jobs/-1", 422),
    Bad("GET", "/api/jobs/abc", 422),
    Bad("GET", f"/api/jobs/{HUGE}", 422),
    Bad("GET", f"/api/jobs/{HUGER}", 422),
    Bad("GET", "/api/jobs/1.5", 422),
    Bad("GET", "/api/jobs/1e3", 422),
    Bad("GET", "/api/jobs/999999", 404),
    # -- failed items, groups, CSV
    Bad("GET", "/api/jobs/{failed}/errors", 422, {"limit": 0}),
    Bad("GET", "/api/jobs/{failed}/errors", 422, {"limit": 1001}),
    Bad("GET", "/api/jobs/{failed}/errors", 422, {"offset": -1}),
    Bad("GET", "/api/jobs/{failed}/errors", 422, {"cause": "x" * 256}),
    Bad("GET", "/api/jobs/{failed}/errors", 422, {"cause": "a\x00b"}),
    Bad("GET", "/api/jobs/{failed}/errors", 422, {"page": 2}),
    Bad("GET", "/api/jobs/999999/errors", 404),
    Bad("GET", "/api/jobs/999999/errors/groups", 404),
    Bad("GET", "/api/jobs/{failed}/errors/groups", 422, {"limit": 0}),
    Bad("GET", "/api/jobs/999999/errors.csv", 404),
    Bad("GET", "/api/jobs/abc/errors.csv", 422),
    # -- cancel and retry
    Bad("POST", "/api/jobs/999999/cancel", 404),
    Bad("POST", f"/api/jobs/{HUGE}/cancel", 422),
    Bad("POST", "/api/jobs/{completed}/cancel", 409),
    Bad("POST", "/api/jobs/{running}/retry", 409),
    Bad("POST", "/api/jobs/{failed}/retry", 422, {"failed_only": "maybe"}),
    Bad("POST", "/api/jobs/{clean_failed}/retry", 409, {"failed_only": "true"}),
    Bad("POST", "/api/jobs/999999/retry", 404),
    # -- starting jobs: bodies that are not a job request
    Bad("POST", "/api/jobs", 422, raw=b"{"),
    Bad("POST", "/api/jobs", 422, raw=b"\xff\xfe\x00"),
    Bad("POST", "/api/jobs", 422, raw=b""),
    Bad("POST", "/api/jobs", 422, body=[]),
    Bad("POST", "/api/jobs", 422, body="export"),
    Bad("POST", "/api/jobs", 422, raw=b"null"),
    Bad("POST", "/api/jobs", 422, raw=b'{"type": "export", "shop_id": 1}', content_type="text/plain"),
    Bad("POST", "/api/jobs", 422, body={"shop_id": "{shop}"}),
    Bad("POST", "/api/jobs", 422, body=job(type="delete")),
    Bad("POST", "/api/jobs", 422, body={"type": "export"}),
    Bad("POST", "/api/jobs", 422, body=job(shop_ids=["{shop}"])),
    Bad("POST", "/api/jobs", 422, body=job(bogus=1)),
    # -- shop ids: types, bounds, unknown shops
    Bad("POST", "/api/jobs", 422, body=job(shop_id="abc")),
    Bad("POST", "/api/jobs", 422, body=job(shop_id="1")),
    Bad("POST", "/api/jobs", 422, body=job(shop_id=True)),
    Bad("POST", "/api/jobs", 422, body=job(shop_id=1.5)),
    Bad("POST", "/api/jobs", 422, body=job(shop_id=-1)),
    Bad("POST", "/api/jobs", 422, body=job(shop_id=HUGE)),
    Bad("POST", "/api/jobs", 422, body=job(shop_id=HUGER)),
    Bad("POST", "/api/jobs", 422, body=job(shop_id=None, shop_ids=[])),
    Bad("POST", "/api/jobs", 422, body=job(shop_id=None, shop_ids=5)),
    Bad("POST", "/api/jobs", 422, body=job(shop_id=None, shop_ids=["x"])),
    Bad("POST", "/api/jobs", 422, body=job(shop_id=None, shop_ids=list(range(1, 102)))),
    Bad("POST", "/api/jobs", 404, body=job(shop_id=999999)),
    Bad("POST", "/api/jobs", 404, body=job(shop_id=None, shop_ids=["{shop}", 999999])),
    # -- parameters: an empty or blank selection is never "everything"
    Bad("POST", "/api/jobs", 422, body=params("export", skus=[])),
    Bad("POST", "/api/jobs", 422, body=params("export", skus=[" "])),
    Bad("POST", "/api/jobs", 422, body=params("export", skus=[""])),
    Bad("POST", "/api/jobs", 422, body=params("export", skus=["A", "\t\n"])),
    Bad("POST", "/api/jobs", 422, body=params("export", skus="A,B")),
    Bad("POST", "/api/jobs", 422, body=params("export", skus=[5])),
    Bad("POST", "/api/jobs", 422, body=params("export", skus=["x" * 65])),
    Bad("POST", "/api/jobs", 422, body=params("export", skus=["A\x00B"])),
    Bad("POST", "/api/jobs", 422, body=params("export", skus=[f"S{i}" for i in range(100_001)])),
    Bad("POST", "/api/jobs", 422, body=params("export", remote_ids=[1])),
    Bad("POST", "/api/jobs", 422, body=params("import", remote_ids=["x"])),
    Bad("POST", "/api/jobs", 422, body=params("import", remote_ids=5)),
    Bad("POST", "/api/jobs", 422, body=params("import", remote_ids=[])),
    Bad("POST", "/api/jobs", 422, body=params("import", remote_ids=[0])),
    Bad("POST", "/api/jobs", 422, body=params("import", remote_ids=[True])),
    Bad("POST", "/api/jobs", 422, body=params("import", remote_ids=[HUGE])),
    Bad("POST", "/api/jobs", 422, body=params("import", skus=["A"])),
    Bad("POST", "/api/jobs", 422, body=params("sync", skus=["A"])),
    Bad("POST", "/api/jobs", 422, body=params("import", since="last tuesday")),
    Bad("POST", "/api/jobs", 422, body=params("import", since="")),
    Bad("POST", "/api/jobs", 422, body=params("import", since="9999-12-31T23:59:59-05:00")),
    Bad("POST", "/api/jobs", 422, body=params("import", since="2026-13-45")),
    Bad("POST", "/api/jobs", 422, body=params("import", since=0)),
    Bad("POST", "/api/jobs", 422, body=params("import", since="0001-01-01T00:00:18+00:01")),
    Bad("POST", "/api/jobs", 422, body=job(params="x")),
    Bad("POST", "/api/jobs", 422, body=job(params=None)),
    Bad("POST", "/api/jobs", 422, body=job(params={"bogus": 1})),
    # -- shops: URLs (credentials must not come back), names, keys
    Bad("POST", "/api/shops", 422, body=shop(url="http://[::1")),
    Bad("POST", "/api/shops", 422, body=shop(url="ftp://shop.test")),
    Bad("POST", "/api/shops", 422, body=shop(url=f"http://admin:{SECRET}@shop.test")),
    Bad("POST", "/api/shops", 422, body=shop(url=f"http://shop.test/?ws_key={SECRET}")),
    Bad("POST", "/api/shops", 422, body=shop(url="http://shop.test:99999")),
    Bad("POST", "/api/shops", 422, body=shop(url="http://shop.test/" + "a" * 500)),
    Bad("POST", "/api/shops", 422, body=shop(url="")),
    Bad("POST", "/api/shops", 422, body=shop(name="")),
    Bad("POST", "/api/shops", 422, body=shop(name="   ")),
    Bad("POST", "/api/shops", 422, body=shop(name="n" * 101)),
    Bad("POST", "/api/shops", 422, body=shop(name="a\x00b")),
    Bad("POST", "/api/shops", 422, body=shop(key="short")),
    Bad("POST", "/api/shops", 422, body=shop(key="é" * 32)),
    Bad("POST", "/api/shops", 422, body=shop(key=SECRET * 4)),
    Bad("POST", "/api/shops", 422, body={"name": "No key", "url": "http://k.test"}),
    Bad("POST", "/api/shops", 422, body=shop(extra=True)),
    Bad("POST", "/api/shops", 409, body=shop(name="Seed A")),
    # -- shop statistics
    Bad("GET", "/api/shops/999999/stats", 404),
    Bad("GET", "/api/shops/{shop}/stats", 422, {"days": 0}),
    Bad("GET", "/api/shops/{shop}/stats", 422, {"days": 367}),
    Bad("GET", "/api/shops/{shop}/stats", 422, {"days": "week"}),
    Bad("GET", f"/api/shops/{HUGE}/stats", 422),
    Bad("GET", "/api/shops/{shop}/stats/daily", 422, {"days": -1}),
    Bad("GET", "/api/shops/999999/stats/daily", 404),
    # -- products
    Bad("GET", "/api/products", 422, {"search": "s" * 201}),
    Bad("GET", "/api/products", 422, {"search": "a\x00"}),
    Bad("GET", "/api/products", 422, {"limit": 0}),
    Bad("GET", "/api/products", 422, {"offset": HUGE}),
    Bad("GET", "/api/products", 422, {"shop_id": "abc"}),
    Bad("GET", "/api/products", 422, {"serach": "x"}),
    Bad("GET", "/api/products", 422, {"limit": [5, 9]}),
    Bad("GET", "/api/jobs", 422, {"status": ["failed", "completed"]}),
]


@contextmanager
def _postgres_server(base: Any) -> Iterator[SeededApi]:
    need_service("PostgreSQL", "127.0.0.1", 5432)
    with contextmanager(_server_database)(PG_ADMIN, f"ps_test_{uuid.uuid4().hex[:10]}") as url:
        with seeded_server(base, url) as api:
            yield api


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededApi]:
    base = tmp_path_factory.mktemp(f"malformed-{request.param}")
    with _postgres_server(base) if request.param == "postgres" else seeded_server(base) as server:
        yield server


def _fill(value: Any, api: SeededApi) -> Any:
    names = {
        "{shop}": api.seeded.shop_ids[0],
        "{clean_failed}": api.seeded.clean_failed,
        **{f"{{{s.value}}}": job_id for s, job_id in api.seeded.jobs.items()},
    }
    if isinstance(value, str):
        if value in names:
            return names[value]
        for name, number in names.items():
            value = value.replace(name, str(number))
        return value
    if isinstance(value, list):
        return [_fill(v, api) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, api) for k, v in value.items()}
    return value


def test_the_table_has_at_least_the_62_kinds_of_the_issue() -> None:
    assert len(CASES) >= 62
    assert len({repr(c) for c in CASES}) == len(CASES), "each row is a different request"


@pytest.mark.parametrize("bad", CASES, ids=str)
def test_malformed_request_gets_its_4xx_problem(api: SeededApi, bad: Bad) -> None:
    content = bad.raw if bad.raw is not None else json.dumps(_fill(bad.body, api)).encode()
    with api.client() as client:
        answer = client.request(
            bad.method,
            _fill(bad.path, api),
            params=_fill(bad.params, api),
            content=content if bad.method == "POST" else None,
            headers={"Content-Type": bad.content_type},
        )
    assert answer.status_code == bad.status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str) and body["detail"].strip()
    assert "\n" not in body["detail"] and len(body["detail"]) < 400
    assert SECRET not in answer.text and KEY not in answer.text


def test_a_blank_sku_list_changes_nothing(api: SeededApi) -> None:
    """The refusals above create no job: an empty selection never starts an export of everything."""
    with api.client() as client:
        before = client.get("/api/jobs", params={"limit": 1}).json()["total"]
        for skus in ([], [" "], ["", "A"]):
            body = {"type": "export", "shop_id": api.seeded.shop_ids[0], "params": {"skus": skus}}
            refused = client.post("/api/jobs", json=body)
            assert refused.status_code == 422 and "skus" in refused.json()["detail"]
        assert client.get("/api/jobs", params={"limit": 1}).json()["total"] == before
