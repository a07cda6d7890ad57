"""The change guard reads each shop's own settings, as they are when the export runs: a shop with
the guard off is never held, and a threshold changed through the API changes the decision.

Same setup as the guard tests in test_changes.py (harness.py: emulated shops, the real task code
run in-process); the API is the real app on a loopback port, called with a bearer token.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

from prestasync import accounts, shops
from prestasync.progress import JobType
from prestasync.web.app import create_app
from tests.conftest import RecordingQueue
from tests.export.harness import Harness, config, counts, harness, one
from tests.web.conftest import LiveServer


@contextmanager
def api(h: Harness) -> Iterator[httpx.Client]:
    with Session(h.rt.engine) as session, session.begin():
        user = accounts.create_user(session, "admin", "correct horse battery")
        _, token = accounts.create_token(session, user, "test")
    server = LiveServer.start(create_app(h.rt, queue=RecordingQueue()))
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as client:
            yield client
    finally:
        server.stop()


def _sell_out(h: Harness, products: range) -> None:
    for i in products:
        h.update(f"P-{i:05d}", quantity=0)


def test_a_shop_with_the_guard_off_is_not_held(tmp_path: Path) -> None:
    with harness(tmp_path, A=config()) as h:
        h.add_products(20)
        h.run(JobType.EXPORT, "A")
        with Session(h.rt.engine) as session, session.begin():
            shops.update_shop(session, h.rt.vault, shops.find_shop(session, "A"), {"guard_enabled": False})
        _sell_out(h, range(1, 17))  # 16 of 20: held with the guard on (test_changes.py)
        job = h.run(JobType.EXPORT, "A")
        assert (job.status, job.updated, job.error_message) == ("completed", 16, None)
        assert one(h.shops["A"], "P-00001")["quantity"] == 0


def test_a_patched_threshold_changes_the_hold_decision(tmp_path: Path) -> None:
    with harness(tmp_path, A=config()) as h, api(h) as client:
        h.add_products(20)
        h.run(JobType.EXPORT, "A")
        _sell_out(h, range(1, 6))  # 5 of 20 products (25 %) lose their stock
        held = h.run(JobType.EXPORT, "A")
        assert held.status == "held" and "(25 %, limit 20 %)" in (held.error_message or "")
        h.control.cancel(held.id)
        assert h.job(held.id).status == "cancelled"

        answer = client.patch(f"/api/shops/{h.shop_id('A')}", json={"guard_share_pct": 30})
        assert answer.status_code == 200 and answer.json()["guard_share_pct"] == 30
        h.shops["A"].reset_counters()
        passed = h.run(JobType.EXPORT, "A")
        assert (passed.status, passed.updated) == ("completed", 5)
        assert counts(h.shops["A"])[1] > 0

        # And back down: the same kind of change is held again at the stricter limit.
        assert client.patch(f"/api/shops/{h.shop_id('A')}", json={"guard_share_pct": 10}).status_code == 200
        _sell_out(h, range(6, 9))  # 3 more of the 15 that still have stock (20 %)
        again = h.run(JobType.EXPORT, "A")
        assert again.status == "held" and "limit 10 %" in (again.error_message or "")
