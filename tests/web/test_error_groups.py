"""Failed items grouped by cause, paginated on the server and never capped (on every engine)."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from prestasync import ledger, queries
from prestasync.models import JobItem, Shop, utcnow
from prestasync.progress import JobType, cause_of
from tests.web.conftest import LiveServer

PRICE = "price '{v}' is not a valid price"
NO_REF = "product #{v} has no reference (SKU); set one in the shop"


def seed_failures(session: Session, prices: int = 1200, no_refs: int = 3, bare: int = 2) -> int:
    """A job with `prices` + `no_refs` failures sharing two causes, and `bare` without a cause."""
    shop = Shop(name="Demo", url="http://127.0.0.1:9", api_key_encrypted="x")
    session.add(shop)
    session.flush()
    job_id = ledger.create_job(session, type=JobType.IMPORT, shop=shop, params={})
    now = utcnow()
    rows = []
    for i in range(prices):
        message = PRICE.format(v=f"x{i}")
        rows.append(
            {"sku": f"P-{i:05d}", "message": message, "cause": cause_of(message), "error_code": "invalid_price"}
        )
    for i in range(no_refs):
        message = NO_REF.format(v=i + 1)
        rows.append({"sku": f"#{i + 1}", "message": message, "cause": cause_of(message), "error_code": "no_reference"})
    rows += [{"sku": f"B-{i}", "message": None, "cause": None, "error_code": None} for i in range(bare)]
    session.execute(
        insert(JobItem),
        [
            {**row, "job_id": job_id, "state": "failed", "attempt": 1, "created_at": now, "updated_at": now}
            for row in rows
        ],
    )
    return job_id


def test_failures_group_by_cause_biggest_first(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        job_id = seed_failures(session)
    with Session(engine) as session:
        groups = queries.failure_groups(session, job_id)
        assert [(g.cause, g.count) for g in groups] == [
            ("price '…' is not a valid price", 1200),
            ("a product has no reference (SKU); set one in the shop", 3),
            ("", 2),
        ]
        assert groups[0].error_code == "invalid_price"
        assert queries.count_failure_groups(session, job_id) == 3
        assert [g.count for g in queries.failure_groups(session, job_id, offset=1, limit=1)] == [3]


def test_a_groups_items_are_paged_until_the_last_one(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        job_id = seed_failures(session)
    cause = "price '…' is not a valid price"
    with Session(engine) as session:
        assert queries.count_failed_items(session, job_id, cause=cause) == 1200
        seen: list[str] = []
        while page := queries.failed_items(session, job_id, cause=cause, offset=len(seen), limit=500):
            seen += [item.sku for item in page]
        assert len(seen) == len(set(seen)) == 1200
        assert {i.sku for i in queries.failed_items(session, job_id, cause="")} == {"B-0", "B-1"}


def test_the_api_serves_groups_and_filters_items_by_cause(live: LiveServer, token: str) -> None:
    with live.rt.session() as session, session.begin():
        job_id = seed_failures(session, prices=120)
    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {token}"}) as client:
        body = client.get(f"/api/jobs/{job_id}/errors/groups", params={"limit": 2}).json()
        assert (body["total"], body["items"], len(body["groups"])) == (3, 125, 2)
        cause = body["groups"][0]["cause"]
        page = client.get(f"/api/jobs/{job_id}/errors", params={"cause": cause, "offset": 100, "limit": 50}).json()
        assert page["total"] == 120 and len(page["items"]) == 20
        assert page["items"][0]["message"].startswith("price 'x")
        everything = client.get(f"/api/jobs/{job_id}/errors", params={"limit": 1000}).json()
        assert everything["total"] == 125 and len(everything["items"]) == 125
        assert client.get("/api/jobs/999/errors/groups").status_code == 404
