"""The file import job: a stored CSV or XLSX file into the catalogue, row by row, resumable.

Two passes over the file:

1. Validation. Every row is read and checked (`filecheck.check_row`); a bad row becomes a
   failed ledger item (`row N`, the SKU, each bad column and what is wrong), a SKU seen
   before fails with "SKU also in row N". If the file itself cannot be read (its
   encoding, a broken quote, too many rows, a zip bomb) the job fails here, naming the row,
   and nothing has been written to the catalogue.
2. Writing. The good rows, `file_batch_rows` at a time: each batch is one transaction that
   locks the job row and then the batch's products, inserts the new products, updates the
   changed ones, writes their ledger rows (outcome and `changes` {field: [before, after]})
   and moves the counts and the checkpoint. So the catalogue, the counts and the checkpoint
   move together: a worker killed anywhere resumes after the last committed batch, and no
   row is written or counted twice. A dry run does the same reading and comparing and
   writes the ledger only.

The checkpoint is `v:N` while validating (failures of rows up to N are recorded) and `w:N`
while writing (validation finished; rows up to N are written). A resumed job reads the
file again from the top to rebuild the SKU -> first row map, recording only what comes
after its checkpoint.

Only the values a row gives change: an empty cell, a column the file does not have, a
language without a column all keep the product's value, and `updated_at` moves only when a
value really changed, so the next `sync` pushes exactly the products the file changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prestasync import fields, filereader, ledger, uploads
from prestasync.config import Settings
from prestasync.context import JobContext
from prestasync.contract import ProfileOptions
from prestasync.errors import FileRejected, JobCancelled, JobError
from prestasync.fields import BadCell, ReadContext
from prestasync.filecheck import Parsed, RowFailure, check_row
from prestasync.filereader import ReadOptions, Row, Source
from prestasync.ledger import Delta, NewItem
from prestasync.models import Product, utcnow
from prestasync.profiles import Layout, layout
from prestasync.progress import WORKING, ItemState, Outcome

VALIDATING, WRITING = "v", "w"


@dataclass(frozen=True)
class FileParams:
    """What a file import job runs on (`job.params`), as `filejobs.start` wrote it."""

    file: str
    file_name: str
    format: str
    mapping: dict[str, str]
    options: ProfileOptions
    dry_run: bool

    @classmethod
    def of(cls, params: dict[str, Any]) -> FileParams:
        return cls(
            file=str(params.get("file", "")),
            file_name=str(params.get("file_name", "")),
            format=str(params.get("format", "")),
            mapping=dict(params.get("mapping") or {}),
            options=ProfileOptions.model_validate(params.get("options") or {}),
            dry_run=bool(params.get("dry_run")),
        )

    def read_options(self, settings: Settings) -> ReadOptions:
        return ReadOptions(
            format=self.format,
            max_rows=settings.file_max_rows,
            max_unpacked_bytes=settings.file_max_unpacked_bytes,
            delimiter=self.options.delimiter,
            encoding=self.options.encoding,
            sheet=self.options.sheet,
        )

    @property
    def context(self) -> ReadContext:
        return ReadContext(decimal_comma=self.options.decimal_comma)


def read_layout(rows: Iterator[Row], mapping: dict[str, str]) -> Layout:
    """The header row read as catalogue columns; FileRejected for an empty file or a bad header."""
    header = next(rows, None)
    if header is None:
        raise FileRejected("the file is empty: it has no header row")
    return layout(header.cells, mapping)


def run_file_import(ctx: JobContext) -> None:
    """Validate, then write (or, in a dry run, compare) the job's file; resumes from its checkpoint."""
    params = FileParams.of(ctx.job.params)
    path = uploads.resolve(ctx.rt.settings, params.file)
    if not path.is_file():
        raise JobError(f"{params.file_name!r} is no longer stored (cleaned up); upload it again")
    phase, done = _checkpoint(ctx.job.checkpoint)
    validated = False
    try:
        with filereader.opened(path, params.read_options(ctx.rt.settings)) as source:
            first, columns = _validate(ctx, source, params, record_after=done if phase == VALIDATING else None)
            validated = True  # the whole file was read: the write pass reads the same bytes again
            _write(ctx, source, params, columns, first, after=done if phase == WRITING else 1)
    except FileRejected as exc:
        raise JobError(str(exc) if validated else f"{exc}; nothing was imported") from None


def _checkpoint(value: str | None) -> tuple[str, int]:
    phase, _, row = (value or "").partition(":")
    if phase in (VALIDATING, WRITING) and row.isdigit():
        return phase, int(row)
    return VALIDATING, 1


def _validate(
    ctx: JobContext, source: Source, params: FileParams, *, record_after: int | None
) -> tuple[dict[str, int], Layout]:
    """Check every row; record failures of rows after `record_after` (None: record nothing).

    Returns the row each SKU first appears in, and the header's layout.
    """
    size = ctx.rt.settings.file_batch_rows
    first: dict[str, int] = {}
    pending: list[NewItem] = []
    total = 0
    rows = source.rows()
    columns = read_layout(rows, params.mapping)
    for row in rows:
        if row.empty:
            continue
        total += 1
        checked = check_row(row, columns, params.context, first)
        if isinstance(checked, RowFailure) and record_after is not None and row.number > record_after:
            pending.append(checked.item())
        if total % size == 0:
            ctx.tracker.check_cancel()
            if record_after is not None:  # the total grows while the file is read
                _commit(ctx, Delta(items=pending, total=total, checkpoint=f"{VALIDATING}:{row.number}"))
                pending = []
    if record_after is not None:
        _commit(ctx, Delta(items=pending, total=total, checkpoint=f"{WRITING}:1"))
    return first, columns


def _write(
    ctx: JobContext, source: Source, params: FileParams, columns: Layout, first: dict[str, int], after: int
) -> None:
    """Write the good rows after row `after`, a batch per transaction."""
    size = ctx.rt.settings.file_batch_rows
    batch: list[Parsed] = []
    last = after
    rows = source.rows()
    next(rows)  # the header, read as `columns` already
    for row in rows:
        if row.number <= after or row.empty:
            continue
        last = row.number
        checked = check_row(row, columns, params.context, first)
        if isinstance(checked, Parsed):  # failed rows were recorded by the validation pass
            batch.append(checked)
        if len(batch) >= size:
            ctx.tracker.check_cancel()
            _apply(ctx, batch, params.dry_run, f"{WRITING}:{last}")
            batch = []
    _apply(ctx, batch, params.dry_run, f"{WRITING}:{last}")


def _commit(ctx: JobContext, delta: Delta) -> None:
    with Session(ctx.rt.engine) as session, session.begin():
        if not ledger.record(session, ctx.job.id, delta):
            raise JobCancelled(f"job {ctx.job.id} ended")


def _apply(ctx: JobContext, batch: Sequence[Parsed], dry_run: bool, checkpoint: str) -> None:
    """One batch: compare with the catalogue, write (unless a dry run), record, in one transaction.

    Retried once when a product with one of the batch's SKUs was inserted meanwhile by
    another writer (the unique SKU refuses our insert); the retry sees it as existing.
    """
    for attempt in (1, 2):
        try:
            with Session(ctx.rt.engine) as session, session.begin():
                if ledger.lock(session, ctx.job.id) not in WORKING:
                    raise JobCancelled(f"job {ctx.job.id} ended")
                delta = _fold(session, batch, dry_run)
                delta.checkpoint = checkpoint
                ledger.record(session, ctx.job.id, delta)
            return
        except IntegrityError:
            if attempt == 2:
                raise


def _fold(session: Session, batch: Sequence[Parsed], dry_run: bool) -> Delta:
    """Each row's outcome against the locked products, and (unless a dry run) the writes."""
    skus = [p.sku for p in batch]
    query = select(Product).where(Product.sku.in_(skus)).with_for_update() if skus else None
    existing = {p.sku: p for p in session.execute(query).scalars()} if query is not None else {}
    now = utcnow()
    fresh: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    items: list[NewItem] = []
    unchanged = 0
    for parsed in batch:
        product = existing.get(parsed.sku)
        if product is None and (missing := _missing(parsed)):
            items.append(missing.item())
            continue
        after, changes = fields.merged(fields.current(product) if product else None, parsed.values)
        if product is None:
            fresh.append({"sku": parsed.sku, **after, "created_at": now, "updated_at": now})
            items.append(NewItem(parsed.sku, ItemState.DONE, outcome=Outcome.CREATED, changes=changes))
        elif changes:
            changed.append({"id": product.id, **after, "updated_at": now})
            items.append(NewItem(parsed.sku, ItemState.DONE, outcome=Outcome.UPDATED, changes=changes))
        else:
            unchanged += 1
    if not dry_run and fresh:
        session.execute(insert(Product), fresh)
    if not dry_run and changed:
        session.execute(update(Product), changed)
    return Delta(done={Outcome.UNCHANGED: unchanged} if unchanged else {}, items=items)


def _missing(parsed: Parsed) -> RowFailure | None:
    """A new product's row without a value it must have (a price)."""
    given = {t.field.name for t in parsed.values}
    needed = [f for f in fields.FIELDS if f.required_for_new and f.name not in given]
    if not needed:
        return None
    problems = tuple(
        (f.name, BadCell(f"{f.name} is empty; a new product needs one", f"missing_{f.name}")) for f in needed
    )
    return RowFailure(parsed.number, parsed.sku, problems)
