"""One batch of an export: read the catalogue and the shop in bulk, compare, and (in the write
stage) write, closing each item with its outcome and changes.

Read stage: unchanged → `done`/unchanged; changed → `planned` (a preview: `done` with what it
would do). Write stage: the shop is read again and compared again (a planned change is never
written blind); a product that changed in the shop since a preview that is being applied is
reported as drift and left alone; the rest is written (`item.py`), then the batch's stock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from prestasync.context import JobContext
from prestasync.errors import ItemError, JobError
from prestasync.export import bindings, reading
from prestasync.export.dependencies import Resolver
from prestasync.export.item import ItemPlan, ItemWriter, Links, StockWrite, failed_step, load_links, plan_item
from prestasync.export.reading import Found
from prestasync.export.shopview import FactsCache, ShopView
from prestasync.export.source import Batch, load
from prestasync.export.stages import WRITE
from prestasync.imagestore import ImageStore
from prestasync.ledger import Close
from prestasync.prestashop import (
    PrestaShopClient,
    PrestaShopError,
    ShopUnavailable,
    ShopUnreachable,
    Unauthorized,
    ValidationFailed,
)
from prestasync.progress import ItemState, Outcome

FACTS = FactsCache()
NEW = "new"  # the digest of "no such product in the shop"


@dataclass
class Step:
    """One product's way through the batch."""

    item_id: int
    sku: str
    source_id: int | None = None
    plan: ItemPlan | None = None
    seen: str = NEW
    notes: list[str] = field(default_factory=list)

    @property
    def note(self) -> str | None:
        return "; ".join(self.notes) or None


@dataclass
class BatchWork:
    ctx: JobContext
    stage: str
    # For items planned by the read stage: the digest of what they saw then, and their note.
    earlier: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)
    closed: set[int] = field(default_factory=set)
    _streak: int = 0  # writes failed in a row because the shop gave no usable answer
    _outcomes: list[bindings.Outcome] = field(default_factory=list)

    def run(self, client: PrestaShopClient, items: list[tuple[int, str]]) -> None:
        ctx, shop = self.ctx, self.ctx.require_shop()
        with Session(ctx.rt.reader, expire_on_commit=False) as session:
            batch = load(session, shop.id, [sku for _, sku in items])
        view = ShopView(client, FACTS.get(ctx.job.uuid), shop.fallback_language, shop.default_tax_group)
        bound = {sku: batch.sources[sku].remote_id for _, sku in items if sku in batch.sources}
        sources = batch.sources.values()
        found = reading.read(client, bound, combinations=any(s.combinations for s in sources),
                             prices=any(s.prices for s in sources))  # fmt: skip
        links = load_links(ctx.rt.reader, shop.id, batch)
        resolver = Resolver(ctx.rt.engine, shop.id, view, create=self.stage == WRITE, reader=ctx.rt.reader)
        writer = ItemWriter(
            client, ctx.rt.engine, shop.id, ImageStore(ctx.rt.settings.data_dir / "images"), ctx.tracker.set_step
        )
        stock: list[tuple[Step, int, StockWrite]] = []
        for item_id, sku in items:
            ctx.tracker.check_cancel()
            step = Step(item_id, sku, notes=[n for n in [self.earlier.get(item_id, (None, None))[1]] if n])
            close = self._one(step, batch, found, view, resolver, links, writer, stock)
            if close is not None:
                self._close(step, close)
        self._stock(client, stock)
        bindings.save(ctx.rt.engine, shop.id, self._outcomes)

    def _one(
        self,
        step: Step,
        batch: Batch,
        found: dict[str, Found],
        view: ShopView,
        resolver: Resolver,
        links: Links,
        writer: ItemWriter,
        stock: list[tuple[Step, int, StockWrite]],
    ) -> Close | None:
        source = batch.sources.get(step.sku)
        if source is None:
            message = f"SKU {step.sku!r} is not in the catalogue"
            return _failed(step, message, "not_in_catalogue", "the SKU is not in the catalogue")
        step.source_id = source.product.id
        shop_side = found[step.sku]
        if shop_side.unreadable:
            return _failed(step, shop_side.unreadable, "unreadable", "the shop has the product but it cannot be read")
        _note(step, shop_side.note)
        record = shop_side.record
        try:
            step.plan = plan_item(source, shop_side, view, resolver, batch, links,
                                  prune=bool(self.ctx.job.params.get("prune")))  # fmt: skip
        except ItemError as exc:
            return _failed(step, str(exc), "unexportable", str(exc))
        step.seen = step.plan.seen
        for note in step.plan.notes:
            _note(step, note)
        if step.plan.empty:
            return self._done(step, Outcome.UNCHANGED, remote_id=record.id if record else None)
        kind = Outcome.CREATED if step.plan.product.create else Outcome.UPDATED
        if self.stage != WRITE:
            state = ItemState.DONE if self.ctx.job.params.get("dry_run") else ItemState.PLANNED
            return Close(step.item_id, state, kind, step.plan.changes, step.seen, step.note)
        if self._drifted(step):
            message = "changed in the shop since the preview; not overwritten (preview again to see it)"
            return Close(step.item_id, ItemState.SKIPPED, Outcome.DRIFT, step.plan.changes, step.seen, message)
        try:
            remote_id, writes, written_note = writer.write(source, step.plan, shop_side)
        except (ShopUnreachable, Unauthorized):
            raise  # the shop itself: the lane fails the job
        except (PrestaShopError, ItemError) as exc:
            return self._shop_failure(step, exc, writer)
        finally:
            self.ctx.tracker.clear_step()
        self._streak = 0
        _note(step, written_note)
        if writes:
            stock.extend((step, remote_id, w) for w in writes)
            return None  # closed once its stock is set, with the batch's other stock
        return self._done(step, kind, remote_id=remote_id)

    def _drifted(self, step: Step) -> bool:
        if not self.ctx.job.params.get("apply_of"):
            return False  # the job's own plan, read seconds ago: written after this fresh comparison
        seen, _ = self.earlier.get(step.item_id, (None, None))
        return seen is not None and seen != step.seen

    def _stock(self, client: PrestaShopClient, pending: list[tuple[Step, int, StockWrite]]) -> None:
        """Set the batch's stock rows: rows not known yet (new products, new combinations) are read
        in one request; then each row is written and each product closed."""
        unknown = sorted({pid for _, pid, w in pending if w.row is None})
        rows = {(r.id_product, r.id_product_attribute): r for r in client.stock_rows_for(unknown)} if unknown else {}
        failed: dict[int, Close] = {}
        for step, product_id, write in pending:
            if step.item_id in failed:
                continue
            try:
                row = write.row or rows.get((write.product_id, write.attribute_id))
                if row is None:
                    raise ItemError(f"{write.label}: the shop has no stock row for it")
                client.set_stock_row(row, write.quantity)
            except (ShopUnreachable, Unauthorized):
                raise
            except (PrestaShopError, ItemError) as exc:
                _note(step, f"{write.label} could not be set")
                failed[step.item_id] = replace(self._shop_failure(step, exc, None), remote_id=product_id)
        for step, product_id in {s.item_id: (s, pid) for s, pid, _ in pending}.values():
            assert step.plan is not None
            kind = Outcome.CREATED if step.plan.product.create else Outcome.UPDATED
            self._close(step, failed.get(step.item_id) or self._done(step, kind, remote_id=product_id))

    def _shop_failure(self, step: Step, exc: PrestaShopError | ItemError, writer: ItemWriter | None) -> Close:
        if isinstance(exc, ShopUnavailable):
            self._streak += 1
            limit = self.ctx.rt.settings.shop_down_after
            if self._streak >= limit:
                raise JobError(
                    f"the shop failed {self._streak} writes in a row (shop_down_after={limit}); it looks down. "
                    f"Last: {exc}"
                ) from exc
        else:
            self._streak = 0
        reason = failed_step(writer, exc) if writer is not None else (getattr(exc, "message", "") or str(exc))
        message = "; ".join([*step.notes, reason])
        code = _code(exc) if isinstance(exc, PrestaShopError) else "unexportable"
        return Close(step.item_id, ItemState.FAILED, message=message, code=code, cause=_cause(exc, writer))

    def _done(self, step: Step, kind: Outcome, *, remote_id: int | None) -> Close:
        changes = step.plan.changes if step.plan and kind != Outcome.UNCHANGED else None
        return Close(step.item_id, ItemState.DONE, kind, changes, step.seen, step.note, remote_id=remote_id)

    def _close(self, step: Step, close: Close) -> None:
        self.ctx.tracker.close_item(close)
        self.closed.add(close.item_id)
        if step.source_id is None or self.ctx.job.params.get("dry_run"):
            return  # a preview binds nothing
        if close.state == ItemState.FAILED:
            self._outcomes.append(bindings.Outcome(step.source_id, close.remote_id, "failed", close.message))
        elif close.state == ItemState.DONE:
            self._outcomes.append(bindings.Outcome(step.source_id, close.remote_id, "synced"))


def _failed(step: Step, message: str, code: str, cause: str) -> Close:
    return Close(step.item_id, ItemState.FAILED, message=message, code=code, cause=cause)


def _note(step: Step, note: str | None) -> None:
    if note and note not in step.notes:
        step.notes.append(note)


def _code(exc: PrestaShopError) -> str:
    if exc.code is not None:
        return f"ps_{exc.code}"
    return "validation" if isinstance(exc, ValidationFailed) else type(exc).__name__


def _cause(exc: PrestaShopError | ItemError, writer: ItemWriter | None) -> str:
    """A sentence to group failures by: the step and the shop's message, without particulars."""
    where = writer.step.split(" ")[0] if writer is not None else "stock"
    if isinstance(exc, ShopUnavailable):
        return f"{where}: the shop gave no usable answer to the write (5xx or timeout); retry the failed items"
    # The shop's own message names the field and the rule; it carries none of our values.
    text = exc.message if isinstance(exc, PrestaShopError) and exc.message else str(exc)
    return f"{where}: " + " ".join(text.split())
