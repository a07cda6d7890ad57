"""The local backend: the job and catalogue commands served from the local database.

It goes through the same modules the web API uses (`queries`, `shops`, `catalogue`,
`control`), so a command's `--json` output is what the API would send for the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from prestasync import catalogue, queries, shops
from prestasync.cli.backend import Listing, paged
from prestasync.cli.common import control
from prestasync.contract import (
    ChangeSummary,
    ItemOut,
    JobOut,
    ProductOut,
    ShopOut,
    item_out,
    job_out,
    product_out,
    shop_out,
)
from prestasync.control import Control
from prestasync.progress import JobType, Outcome
from prestasync.runtime import Runtime

LOCAL_PAGE = 500


class LocalBackend:
    """The local database, through the same modules the web API uses."""

    poll_s = 0.25

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._control: Control | None = None

    @property
    def control(self) -> Control:
        # Built on first use: reading commands need no queue, and opening one creates its file.
        if self._control is None:
            self._control = control(self.rt)
        return self._control

    def start(self, type: JobType, shop_names: Sequence[str], params: dict[str, Any]) -> list[JobOut]:
        with self.rt.session() as session:
            shop_ids = [shops.find_shop(session, name).id for name in shop_names]
        return [job_out(job) for job in self.control.start(type, shop_ids, params)]

    def get_job(self, job_id: int) -> JobOut:
        with self.rt.session() as session:
            return job_out(queries.get_job(session, job_id))

    def list_jobs(self, status: str | None, shop_name: str | None, limit: int | None) -> Listing[JobOut]:
        with self.rt.session() as session:
            shop_id = shops.find_shop(session, shop_name).id if shop_name else None
            total = queries.count_jobs(session, queries.JobFilter(status, shop_id))

        def fetch(offset: int, size: int) -> list[JobOut]:
            with self.rt.session() as session:
                flt = queries.JobFilter(status, shop_id, limit=size, offset=offset)
                return [job_out(job) for job in queries.list_jobs(session, flt)]

        return Listing(total, paged(fetch, limit, LOCAL_PAGE))

    def failed_items(self, job_id: int) -> Iterator[ItemOut]:
        with self.rt.session() as session:
            queries.get_job(session, job_id)

        def fetch(offset: int, size: int) -> list[ItemOut]:
            with self.rt.session() as session:
                return [item_out(i) for i in queries.failed_items(session, job_id, offset=offset, limit=size)]

        return paged(fetch, None, LOCAL_PAGE)

    def cancel(self, job_id: int) -> JobOut:
        return job_out(self.control.cancel(job_id))

    def retry(self, job_id: int, failed_only: bool) -> JobOut:
        return job_out(self.control.retry(job_id, failed_only=failed_only))

    def confirm(self, job_id: int) -> JobOut:
        return job_out(self.control.confirm(job_id))

    def apply(self, job_id: int, confirmed: bool) -> JobOut:
        return job_out(self.control.apply(job_id, confirmed=confirmed))

    def changes(self, job_id: int, outcome: str | None, field: str | None) -> Listing[ItemOut]:
        kind = Outcome(outcome) if outcome else None
        with self.rt.session() as session:
            queries.get_job(session, job_id)
            _, total = queries.changed_items(session, job_id, outcome=kind, field=field, limit=1)

        def fetch(offset: int, size: int) -> list[ItemOut]:
            with self.rt.session() as session:
                page, _ = queries.changed_items(session, job_id, outcome=kind, field=field, offset=offset, limit=size)
                return [item_out(i) for i in page]

        return Listing(total, paged(fetch, None, LOCAL_PAGE))

    def change_summary(self, job_id: int) -> ChangeSummary:
        with self.rt.session() as session:
            queries.get_job(session, job_id)
            return queries.change_summary(session, job_id)

    def list_shops(self) -> list[ShopOut]:
        with self.rt.session() as session:
            return [shop_out(shop) for shop in shops.list_shops(session)]

    def add_shop(self, name: str, url: str, key: str) -> ShopOut:
        with self.rt.session() as session:
            with session.begin():
                shop = shops.add_shop(session, self.rt.vault, name=name, url=url, key=key)
            return shop_out(shop)

    def products(self, text: str, limit: int | None) -> Listing[ProductOut]:
        with self.rt.session() as session:
            total = catalogue.count(session, text=text)

        def fetch(offset: int, size: int) -> list[ProductOut]:
            with self.rt.session() as session:
                found = catalogue.search(session, text=text, limit=size, offset=offset)
                links = catalogue.bindings_for(session, [p.id for p in found])
                return [product_out(p, links.get(p.id, [])) for p in found]

        return Listing(total, paged(fetch, limit, LOCAL_PAGE))
