"""The import job: page through a shop's products and fold the whole product into the catalogue.

The job first reads the shop's lists (categories, attributes, features, brands, tax groups;
`reference`), then lists the ids to import (id-only keyset pages: cheap, and the exact total is
known before the first product is read), then reads the products in id ranges
(`filter[id]=[first,last]`, with their combinations, stock rows and specific prices: `pages`). A
product added or deleted in the shop during the import neither shifts nor repeats a page, the last
id of a written range is the checkpoint a resumed job starts after, and because ranges do not
depend on each other a few are read ahead in threads while the current one is written. Images we
do not hold yet are streamed into the image store before the page is written (`images`), and the
page is written in one transaction.

One item per product. The rule for problems (each becomes the product's ledger row, with a
message saying what is missing and what to do):

* the item FAILS, nothing written, when the record itself cannot be used: unreadable, no
  reference, an invalid price, a reference another product of the shop has, a combination the
  client could not read;
* the item FAILS, the product written without the missing part, when a part the shop has could
  not be fetched (an image download that failed): retrying the failed items fetches it;
* the item is DONE WITH A NOTE (counted by its outcome) when the shop points at something it does
  not have (a ghost image, an unknown option value, feature value, category, brand or tax group,
  an unreadable number): everything the shop really has was imported, and a retry would read the
  same until the shop is fixed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from prestasync import catalogue
from prestasync.catalogue import Incoming, ItemFailure
from prestasync.context import JobContext
from prestasync.imagestore import ImageStore
from prestasync.importer.images import Downloader, Held, Missing, held_images
from prestasync.importer.pages import PageData, read_page
from prestasync.importer.reference import ShopMaps, load_reference
from prestasync.importer.translate import Issue, whole_product
from prestasync.ledger import NewItem
from prestasync.models import Shop
from prestasync.prestashop import BadRecord, RemoteProduct
from prestasync.progress import ItemState, Outcome
from prestasync.runtime import Runtime
from prestasync.tracker import Tracker

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


@dataclass
class _Run:
    """What every page of one run needs."""

    rt: Runtime
    shop: Shop
    tracker: Tracker
    maps: ShopMaps
    store: ImageStore
    downloader: Downloader


def run_import(ctx: JobContext) -> None:
    """Import the job's shop into the catalogue, reporting to its tracker. Raises on job-level errors."""
    rt, job, shop, tracker = ctx.rt, ctx.job, ctx.require_shop(), ctx.tracker
    since = parse_since(job.params.get("since"))
    after = int(job.checkpoint or 0)
    size = rt.settings.page_size
    with rt.connect(shop) as client:
        languages = {lang.id: lang.iso_code for lang in client.languages()}
        tracker.set_step("catalogue")
        maps = load_reference(rt.engine, client, shop.id, languages)
        tracker.clear_step()
        wanted: list[int] | None = job.params.get("remote_ids")
        if wanted is not None:  # a failed-only retry: exactly these records
            ids = sorted(i for i in set(wanted) if i > after)
            tracker.set_total(len(set(wanted)))
        else:
            ids = list(client.iter_product_ids(since=since, after_id=after))
            # A resumed job counts what it already did plus what is left.
            tracker.set_total(job.processed + len(ids))
        ranges = [ids[i : i + size] for i in range(0, len(ids), size)]
        concurrency = rt.settings.shop_concurrency
        store = ImageStore(rt.settings.data_dir / "images")
        run = _Run(rt, shop, tracker, maps, store, Downloader(client, store, tracker, workers=concurrency))

        def fetch(id_range: list[int]) -> PageData:
            return read_page(client, id_range, since)

        for id_range, page in zip(ranges, _ahead(fetch, ranges, min(PREFETCH, concurrency)), strict=True):
            tracker.check_cancel()
            records = _expected(page.records, id_range, strict=wanted is not None)
            _import_page(run, page, records, checkpoint=str(id_range[-1]))


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


def _import_page(run: _Run, page: PageData, records: list[RemoteProduct | BadRecord | int], *, checkpoint: str) -> None:
    """Check, fetch images, translate, write and count one page; counts and checkpoint move
    together (see Tracker.record)."""
    checked, failures = _checked(run, page, records)
    images, extra = _images(run, checked)
    incoming: list[Incoming] = []
    issues: dict[int, list[Issue]] = {}
    for record, item in checked:
        whole, found = whole_product(item, record, page, run.maps, images)
        if isinstance(whole, ItemFailure):
            failures.append(whole)
        else:
            incoming.append(whole)
            issues[record.id] = found + extra.get(record.id, [])
    with Session(run.rt.engine, expire_on_commit=False) as session:
        result = catalogue.import_products(session, run.shop.id, incoming)
    rows = [NewItem(f.sku, ItemState.FAILED, f.message, f.code, f.remote_id) for f in failures + result.failures]
    done: dict[Outcome, int] = {}
    for item in incoming:
        if item.remote_id not in result.outcomes:
            continue  # failed at the write (its failure is in `result.failures`)
        outcome = Outcome(result.outcomes[item.remote_id])
        row = _row(item, outcome, issues[item.remote_id])
        if row is None:
            done[outcome] = done.get(outcome, 0) + 1
        else:
            rows.append(row)
    vanished = [r for r in records if isinstance(r, int)]
    rows += [NewItem(f"#{r}", ItemState.SKIPPED, _GONE.format(id=r), "vanished", r) for r in vanished]
    run.tracker.clear_step()
    run.tracker.record(done=done, items=rows, checkpoint=checkpoint)


def _checked(
    run: _Run, page: PageData, records: list[RemoteProduct | BadRecord | int]
) -> tuple[list[tuple[RemoteProduct, Incoming]], list[ItemFailure]]:
    """The page's usable records with their simple fields, and the failures of the others."""
    own_rows = {pid: row for (pid, combination), row in page.stock.items() if combination == 0}
    checked: list[tuple[RemoteProduct, Incoming]] = []
    failures: list[ItemFailure] = []
    for record in records:
        if isinstance(record, int):
            continue
        found = catalogue.check_record(record, run.maps.languages, own_rows)
        if isinstance(found, ItemFailure):
            failures.append(found)
        else:
            assert isinstance(record, RemoteProduct)  # a BadRecord always fails the check
            checked.append((record, found))
    return checked, failures


def _images(
    run: _Run, checked: list[tuple[RemoteProduct, Incoming]]
) -> tuple[dict[int, Held | Missing], dict[int, list[Issue]]]:
    """Every image of the page's products: held already, or downloaded now.

    An image linked to the catalogue whose bytes are gone from the store is downloaded again; if
    that fails, the catalogue keeps the image as it is and the product fails, saying so.
    """
    pairs = [(record.id, image) for record, _ in checked for image in dict.fromkeys(record.image_ids)]
    held, lost = held_images(run.rt.engine, run.shop.id, {image for _, image in pairs}, run.store)
    fetched = run.downloader.fetch([(pid, image) for pid, image in pairs if image not in held])
    images: dict[int, Held | Missing] = {**held, **fetched}
    extra: dict[int, list[Issue]] = {}
    for pid, image in pairs:
        got = images.get(image)
        if image in lost and isinstance(got, Missing):
            note = f"{got.message} (its bytes are missing from the image store)"
            extra.setdefault(pid, []).append(Issue(got.code, note, fails=True))
            images[image] = lost[image]
    return images, extra


def _row(item: Incoming, outcome: Outcome, issues: list[Issue]) -> NewItem | None:
    """The ledger row of a written product with problems (None without any; see the rule above)."""
    if not issues:
        return None
    failing = [i for i in issues if i.fails]
    message = "; ".join(i.message for i in failing + [i for i in issues if not i.fails])
    if failing:
        return NewItem(item.sku, ItemState.FAILED, message, failing[0].code, item.remote_id)
    return NewItem(item.sku, ItemState.DONE, message, issues[0].code, item.remote_id, outcome=outcome)


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
