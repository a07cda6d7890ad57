"""The import job: page through a shop's products and fold them into the catalogue.

Pages are read by keyset (`filter[id]=>[last id]`, sorted by id), so a product added or
deleted in the shop during the import neither shifts nor repeats a page, and the last id
of a finished page is a checkpoint a resumed job starts after. The next page is fetched
in a background thread while the current one is written, so shop latency and database
time overlap.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from prestasync import catalogue
from prestasync.catalogue import Incoming, ItemFailure
from prestasync.models import Job, Shop
from prestasync.prestashop import BadRecord, NotFound, PrestaShopClient, RemoteProduct
from prestasync.runtime import Runtime
from prestasync.tracker import Tracker

log = logging.getLogger(__name__)
T = TypeVar("T")


def parse_since(value: str | None) -> datetime | None:
    """`--since` as an aware UTC datetime; naive input is taken as UTC."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def run_import(rt: Runtime, job: Job, shop: Shop, tracker: Tracker) -> None:
    """Import `shop` into the catalogue, reporting to `tracker`. Raises on job-level errors."""
    since = parse_since(job.params.get("since"))
    after = int(job.checkpoint or 0)
    with rt.connect(shop) as client:
        languages = {lang.id: lang.iso_code for lang in client.languages()}
        remote_ids: list[int] | None = job.params.get("remote_ids")
        if remote_ids is not None:  # a failed-only retry: exactly these records
            tracker.set_total(len(remote_ids))
            pages = _by_ids(client, [i for i in remote_ids if i > after], rt.settings.page_size)
        else:
            pages = client.iter_product_pages(since=since, after_id=after, page_size=rt.settings.page_size)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="count") as pool:
            # Counting pages through id lists; it runs beside the import instead of before it.
            # A resumed job keeps the total it counted on its first run.
            counting = pool.submit(client.count_products, since=since) if remote_ids is None and after == 0 else None
            for page in _prefetched(pages):
                tracker.check_cancel()
                _import_page(rt, client, shop, page, languages, tracker)
                if counting is not None and counting.done():
                    tracker.set_total(counting.result())
                    counting = None
            if counting is not None:
                tracker.set_total(counting.result())


def _import_page(
    rt: Runtime,
    client: PrestaShopClient,
    shop: Shop,
    page: list[RemoteProduct | BadRecord],
    languages: dict[int, str],
    tracker: Tracker,
) -> None:
    unknown_stock = [r.id for r in page if isinstance(r, RemoteProduct) and catalogue.embedded_quantity(r) is None]
    stock = client.stock_rows(unknown_stock) if unknown_stock else {}
    incoming: list[Incoming] = []
    failures: list[ItemFailure] = []
    for record in page:
        checked = catalogue.check_record(record, languages, stock)
        (failures if isinstance(checked, ItemFailure) else incoming).append(checked)  # type: ignore[arg-type]
    with Session(rt.engine, expire_on_commit=False) as session:
        failures += catalogue.import_page(session, shop.id, incoming)
    last_id = max((r.id if isinstance(r, RemoteProduct) else (r.remote_id or 0)) for r in page)
    tracker.record(
        succeeded=len(page) - len(failures),
        failures=[(f.sku, f.message, f.code, f.remote_id) for f in failures],
        checkpoint=str(last_id),
    )


def _by_ids(client: PrestaShopClient, ids: list[int], size: int) -> Iterator[list[RemoteProduct | BadRecord]]:
    for start in range(0, len(ids), size):
        page: list[RemoteProduct | BadRecord] = []
        for remote_id in ids[start : start + size]:
            try:
                page.append(client.get_product(remote_id))
            except NotFound:
                page.append(BadRecord(remote_id, "", f"product #{remote_id} no longer exists in the shop"))
        yield page


def _prefetched(pages: Iterator[T]) -> Iterator[T]:
    """Yield from `pages`, fetching the next item in a thread while the caller works."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch") as pool:
        future = pool.submit(next, pages, None)
        while (item := future.result()) is not None:
            future = pool.submit(next, pages, None)
            yield item
