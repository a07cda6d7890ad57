"""The import job: page through a shop's products and fold them into the catalogue.

The job first lists the ids to import (id-only keyset pages: cheap, and the exact total
is known before the first product is read), then reads the products in id ranges
(`filter[id]=[first,last]`, `display=full`). A product added or deleted in the shop during
the import neither shifts nor repeats a page, the last id of a finished range is the
checkpoint a resumed job starts after, and because ranges do not depend on each other a
few are fetched ahead in threads while the current one is written: shop latency, parsing
and database time overlap.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from prestasync import catalogue
from prestasync.catalogue import Incoming, ItemFailure
from prestasync.context import JobContext
from prestasync.ledger import NewItem
from prestasync.models import Shop
from prestasync.prestashop import BadRecord, PrestaShopClient, RemoteProduct
from prestasync.progress import ItemState, Outcome
from prestasync.runtime import Runtime
from prestasync.tracker import Tracker

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
PREFETCH = 3  # id-range pages in flight while one is being written
_GONE = "product #{id} was listed but no longer exists in the shop"


def parse_since(value: str | None) -> datetime | None:
    """`--since` as an aware UTC datetime; naive input is taken as UTC."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def run_import(ctx: JobContext) -> None:
    """Import the job's shop into the catalogue, reporting to its tracker. Raises on job-level errors."""
    rt, job, shop, tracker = ctx.rt, ctx.job, ctx.require_shop(), ctx.tracker
    since = parse_since(job.params.get("since"))
    after = int(job.checkpoint or 0)
    size = rt.settings.page_size
    with rt.connect(shop) as client:
        languages = {lang.id: lang.iso_code for lang in client.languages()}
        wanted: list[int] | None = job.params.get("remote_ids")
        if wanted is not None:  # a failed-only retry: exactly these records
            ids = sorted(i for i in set(wanted) if i > after)
            tracker.set_total(len(set(wanted)))
        else:
            ids = list(client.iter_product_ids(since=since, after_id=after))
            # A resumed job counts what it already did plus what is left.
            tracker.set_total(job.processed + len(ids))
        ranges = [ids[i : i + size] for i in range(0, len(ids), size)]
        depth = min(PREFETCH, rt.settings.shop_concurrency)

        def fetch(id_range: list[int]) -> list[RemoteProduct | BadRecord]:
            return client.products_between(id_range[0], id_range[-1], since=since)

        for id_range, page in zip(ranges, _ahead(fetch, ranges, depth), strict=True):
            tracker.check_cancel()
            records = _expected(page, id_range, strict=wanted is not None)
            _import_page(rt, client, shop, records, languages, tracker, checkpoint=str(id_range[-1]))


def _expected(
    page: list[RemoteProduct | BadRecord], id_range: list[int], *, strict: bool
) -> list[RemoteProduct | BadRecord | int]:
    """The page's records for the listed ids, in id order.

    An id listed but not returned was deleted in the shop meanwhile: it is skipped, or, when
    the operator asked for exactly that record (a failed-only retry), reported. Returned
    records that were not listed (changed after the listing) wait for the next import.
    """
    listed = set(id_range)
    by_id = {r.id if isinstance(r, RemoteProduct) else r.remote_id: r for r in page}
    out: list[RemoteProduct | BadRecord | int] = []
    for remote_id in id_range:
        record = by_id.get(remote_id)
        if record is None:
            out.append(
                BadRecord(remote_id, "", f"product #{remote_id} no longer exists in the shop") if strict else remote_id
            )
        else:
            out.append(record)
    out += [r for r in page if isinstance(r, BadRecord) and r.remote_id not in listed]
    return out


def _import_page(
    rt: Runtime,
    client: PrestaShopClient,
    shop: Shop,
    page: list[RemoteProduct | BadRecord | int],
    languages: dict[int, str],
    tracker: Tracker,
    *,
    checkpoint: str,
) -> None:
    """Check, upsert and count one page; counts and checkpoint move together (see Tracker.record)."""
    vanished = [r for r in page if isinstance(r, int)]
    records = [r for r in page if not isinstance(r, int)]
    # Stock only from `stock_availables`: a product's own `<quantity>` is always 0 on the wire
    # (tests/wire/prestashop-8.1.2/README.md, fact 1). One request for the whole page.
    readable = [r.id for r in records if isinstance(r, RemoteProduct)]
    stock = client.stock_rows(readable) if readable else {}
    incoming: list[Incoming] = []
    failures: list[ItemFailure] = []
    for record in records:
        checked = catalogue.check_record(record, languages, stock)
        if isinstance(checked, ItemFailure):
            failures.append(checked)
        else:
            incoming.append(checked)
    with Session(rt.engine, expire_on_commit=False) as session:
        failures += catalogue.import_page(session, shop.id, incoming)
    rows = [NewItem(f.sku, ItemState.FAILED, f.message, f.code, f.remote_id) for f in failures]
    rows += [NewItem(f"#{r}", ItemState.SKIPPED, _GONE.format(id=r), "vanished", r) for r in vanished]
    tracker.record(done={Outcome.UPDATED: len(records) - len(failures)}, items=rows, checkpoint=checkpoint)


def _ahead(fetch: Callable[[T], R], items: list[T], depth: int) -> Iterator[R]:
    """`map(fetch, items)` in order, with up to `depth` fetches running ahead in threads.

    Id-range pages do not depend on each other, so the shop's latency overlaps with our
    parsing and database writes; `depth` stays within the per-shop request limit.
    """
    with ThreadPoolExecutor(max_workers=depth, thread_name_prefix="fetch") as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(fetch, item))
            if len(pending) >= depth:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
