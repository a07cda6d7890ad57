"""One batch of an export: read the catalogue and the shop in bulk, compare, and (in the write
stage) write, closing each item with its outcome and changes.

Read stage: unchanged → `done`/unchanged; changed → `planned` (a preview: `done` with what it
would do). Write stage: the shop is read again and compared again (a planned change is never
written blind); a product that changed in the shop since a preview that is being applied is
reported as drift and left alone; the rest is written, then stock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from prestasync.context import JobContext
from prestasync.errors import JobError
from prestasync.export import bindings, dependencies, reading
from prestasync.export.desired import Unexportable, desired
from prestasync.export.push import push, push_stock
from prestasync.export.shopview import FactsCache, ShopView
from prestasync.export.source import Batch, load
from prestasync.export.stages import WRITE
from prestasync.export.state import Plan, State, current_of, digest, plan
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
    current: State | None = None
    plan: Plan | None = None
    seen: str = NEW
    notes: list[str] = field(default_factory=list)


@dataclass
class BatchWork:
    ctx: JobContext
    stage: str
    # For items planned by the read stage: the digest of what they saw then, and their note.
    earlier: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)
    closed: set[int] = field(default_factory=set)
    _streak: int = 0  # writes failed in a row because the shop gave no usable answer

    def run(self, client: PrestaShopClient, items: list[tuple[int, str]]) -> None:
        ctx, shop = self.ctx, self.ctx.require_shop()
        with Session(ctx.rt.engine, expire_on_commit=False) as session:
            batch = load(session, shop.id, [sku for _, sku in items])
        view = ShopView(client, FACTS.get(ctx.job.id), shop.fallback_language, shop.default_tax_group)
        bound = {sku: batch.sources[sku].remote_id for _, sku in items if sku in batch.sources}
        found = reading.read(client, bound)
        outcomes: list[bindings.Outcome] = []
        created: list[tuple[Step, int, int]] = []  # step, shop id, stock to set
        for item_id, sku in items:
            ctx.tracker.check_cancel()
            step = Step(item_id, sku)
            _, earlier_note = self.earlier.get(item_id, (None, None))
            step.notes += [earlier_note] if earlier_note else []
            close = self._one(client, view, batch, found, step, created)
            if close is not None:
                self._close(close)
                self._bind(outcomes, step, close)
        self._stock_of_created(client, created, outcomes)
        bindings.save(ctx.rt.engine, shop.id, outcomes)

    def _bind(self, outcomes: list[bindings.Outcome], step: Step, close: Close) -> None:
        """A preview binds nothing; otherwise products handled record where they are and how it went."""
        if step.source_id is None or self.ctx.job.params.get("dry_run"):
            return
        if close.state == ItemState.FAILED:
            outcomes.append(bindings.Outcome(step.source_id, close.remote_id, "failed", close.message))
        elif close.state == ItemState.DONE:
            outcomes.append(bindings.Outcome(step.source_id, close.remote_id, "synced"))

    def _one(
        self,
        client: PrestaShopClient,
        view: ShopView,
        batch: Batch,
        found: dict[str, reading.Found],
        step: Step,
        created: list[tuple[Step, int, int]],
    ) -> Close | None:
        source = batch.sources.get(step.sku)
        if source is None:
            return _failed(
                step, f"SKU {step.sku!r} is not in the catalogue", "not_in_catalogue", "the SKU is not in the catalogue"
            )
        step.source_id = source.product.id
        shop_side = found[step.sku]
        if shop_side.unreadable:
            return _failed(step, shop_side.unreadable, "unreadable", "the shop has the product but it cannot be read")
        if shop_side.note and shop_side.note not in step.notes:
            step.notes.append(shop_side.note)
        record = shop_side.record
        step.current = current_of(record, shop_side.stock.quantity if shop_side.stock else None) if record else None
        step.seen = digest(step.current) if step.current else NEW
        try:
            category_ids, new_paths = self._categories(view, batch, source.categories)
            wanted = desired(source, view, step.current, category_ids, has_combinations=shop_side.has_combinations)
        except Unexportable as exc:
            return _failed(step, str(exc), "unexportable", str(exc))
        step.notes += [note for note in wanted.notes if note not in step.notes]
        step.plan = _readable(plan(wanted.state, step.current, view.iso_of), view, new_paths)
        if step.plan.empty:
            return self._done(step, Outcome.UNCHANGED, remote_id=record.id if record else None)
        kind = Outcome.CREATED if step.plan.create else Outcome.UPDATED
        if self.stage != WRITE:
            state = ItemState.DONE if self.ctx.job.params.get("dry_run") else ItemState.PLANNED
            return Close(step.item_id, state, kind, step.plan.changes, step.seen, _note(step))
        if self._drifted(step):
            message = "changed in the shop since the preview; not overwritten (preview again to see it)"
            return Close(step.item_id, ItemState.SKIPPED, Outcome.DRIFT, step.plan.changes, step.seen, message)
        return self._write(client, step, record, shop_side.stock, kind, created)

    def _categories(self, view: ShopView, batch: Batch, wanted: tuple[int, ...]) -> tuple[dict[int, int], list[str]]:
        """Shop ids of the product's categories, and the paths of those the shop lacks yet.

        Reading never creates anything: a category missing in the shop is a planned change,
        created by the write stage (`dependencies.py`).
        """
        if not wanted:
            return {}, []
        if self.stage == WRITE:
            shop = self.ctx.require_shop()
            return dependencies.categories(self.ctx.rt.engine, shop.id, view, batch.categories, wanted), []
        tree, paths = view.tree, [batch.categories[c].path for c in wanted]
        found = {c: tree.by_path[p] for c, p in zip(wanted, paths, strict=True) if p in tree.by_path}
        return found, [p for p in paths if p not in tree.by_path]

    def _drifted(self, step: Step) -> bool:
        if not self.ctx.job.params.get("apply_of"):
            return False  # the job's own plan, read seconds ago: written after this fresh comparison
        seen, _ = self.earlier.get(step.item_id, (None, None))
        return seen is not None and seen != step.seen

    def _write(
        self,
        client: PrestaShopClient,
        step: Step,
        record: Any,
        stock_row: Any,
        kind: Outcome,
        created: list[tuple[Step, int, int]],
    ) -> Close | None:
        assert step.plan is not None
        try:
            written = push(client, step.sku, step.plan, record)
            if not step.plan.create and step.plan.stock is not None:
                push_stock(client, stock_row, written.remote_id, step.plan.stock)
        except (ShopUnreachable, Unauthorized):
            raise  # the shop itself: the lane fails the job
        except PrestaShopError as exc:
            return self._shop_failure(step, exc)
        self._streak = 0
        step.notes += [written.note] if written.note else []
        if step.plan.create and step.plan.stock:
            created.append((step, written.remote_id, step.plan.stock))
            return None  # closed once its stock is set, with the batch's other new products
        return self._done(step, kind, remote_id=written.remote_id)

    def _stock_of_created(
        self, client: PrestaShopClient, created: list[tuple[Step, int, int]], outcomes: list[bindings.Outcome]
    ) -> None:
        """New products' stock: their rows (made by the shop) read in one request, then set."""
        if not created:
            return
        rows = {
            r.id_product: r
            for r in client.stock_rows_for([rid for _, rid, _ in created])
            if r.id_product_attribute == 0
        }
        for step, remote_id, quantity in created:
            try:
                push_stock(client, rows.get(remote_id), remote_id, quantity)
                close = self._done(step, Outcome.CREATED, remote_id=remote_id)
            except (ShopUnreachable, Unauthorized):
                raise
            except PrestaShopError as exc:
                step.notes.append(f"product #{remote_id} created, but its stock could not be set")
                close = replace(self._shop_failure(step, exc), remote_id=remote_id)
            self._close(close)
            self._bind(outcomes, step, close)

    def _shop_failure(self, step: Step, exc: PrestaShopError) -> Close:
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
        message = "; ".join([*step.notes, exc.message or str(exc)])
        return Close(step.item_id, ItemState.FAILED, message=message, code=_code(exc), cause=_cause(exc))

    def _done(self, step: Step, kind: Outcome, *, remote_id: int | None) -> Close:
        changes = step.plan.changes if step.plan and kind != Outcome.UNCHANGED else None
        return Close(step.item_id, ItemState.DONE, kind, changes, step.seen, _note(step), remote_id=remote_id)

    def _close(self, close: Close) -> None:
        self.ctx.tracker.close_item(close)
        self.closed.add(close.item_id)


def _failed(step: Step, message: str, code: str, cause: str) -> Close:
    return Close(step.item_id, ItemState.FAILED, message=message, code=code, cause=cause)


def _note(step: Step) -> str | None:
    return "; ".join(step.notes) or None


def _readable(p: Plan, view: ShopView, new_paths: list[str]) -> Plan:
    """Category changes as paths a person reads (`home > clothes`), new categories marked so;
    a category the shop still lacks makes the plan non-empty even if nothing else changes."""
    if "categories" not in p.changes and not new_paths:
        return p
    paths = view.tree.paths
    before, after = p.changes.get("categories", [None, None])

    def named(ids: str | None) -> list[str]:
        return [paths.get(int(i), f"#{i}") for i in ids.split(",") if i] if ids else []

    new = [f"{path} (new)" for path in new_paths]
    shown = [sorted(named(before)) if before is not None else None, sorted(named(after)) + new]
    return replace(p, changes={**p.changes, "categories": shown})


def _code(exc: PrestaShopError) -> str:
    if exc.code is not None:
        return f"ps_{exc.code}"
    return "validation" if isinstance(exc, ValidationFailed) else type(exc).__name__


def _cause(exc: PrestaShopError) -> str:
    """A sentence to group failures by: the shop's message without the record's particulars."""
    if isinstance(exc, ShopUnavailable):
        return "the shop gave no usable answer to the write (5xx or timeout); retry the failed items"
    # The shop's own message names the field and the rule; it carries none of our values.
    return " ".join((exc.message or type(exc).__name__).split())
