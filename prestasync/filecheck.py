"""Checking one row of a catalogue file: its SKU, its values, and whether its SKU came earlier.

A row is one ledger item. A good row becomes a `Parsed` (the SKU and the values it gives);
a bad one a `RowFailure` keyed `row N`, whose message names the SKU, each bad column and
what is wrong with it, and whose `cause` (the first problem's, fixed text) groups alike
rows in the error view: "price is not a number", "SKU also in an earlier row".

The check is the same in the validation pass and the write pass (and after a resume), as
long as both see the same `first` map, the row where each SKU first appeared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prestasync.fields import BadCell, ReadContext, Target
from prestasync.filereader import Row
from prestasync.ledger import NewItem
from prestasync.profiles import Layout
from prestasync.progress import ItemState


@dataclass(frozen=True)
class Parsed:
    number: int
    sku: str
    values: dict[Target, Any]


@dataclass(frozen=True)
class RowFailure:
    number: int
    sku: str
    problems: tuple[tuple[str, BadCell], ...]  # (column header, what is wrong)

    def item(self) -> NewItem:
        """The ledger row: key `row N`; message with the SKU and every bad column."""
        first = self.problems[0][1]
        parts = [f"column {header!r}: {bad}" if header else str(bad) for header, bad in self.problems]
        who = f"SKU {self.sku!r}, " if self.sku else ""
        return NewItem(
            f"row {self.number}",
            ItemState.FAILED,
            f"row {self.number}, {who}{'; '.join(parts)}",
            first.code,
            cause=first.cause,
        )


def check_row(row: Row, layout: Layout, ctx: ReadContext, first: dict[str, int]) -> Parsed | RowFailure:
    """Check a non-empty row; records its SKU in `first` when it is the SKU's first row."""
    problems: list[tuple[str, BadCell]] = []
    extra = [c for c in row.cells[len(layout.targets) :] if _filled(c)]
    if extra:
        problems.append(
            ("", BadCell("row has more values than the header has columns", "extra_cells", f"{len(extra)} more"))
        )
    sku = _sku(row, layout, ctx, problems)
    if sku:
        earlier = first.setdefault(sku, row.number)
        if earlier != row.number:
            dup = BadCell("SKU also in an earlier row", "duplicate_sku", message=f"SKU also in row {earlier}")
            problems.insert(0, ("", dup))
    values: dict[Target, Any] = {}
    for index, target in enumerate(layout.targets):
        if target is None or target.field.key or index >= len(row.cells) or not _filled(row.cells[index]):
            continue
        try:
            values[target] = target.field.parse(row.cells[index], ctx)
        except BadCell as bad:
            problems.append((layout.headers[index], bad))
    if problems:
        return RowFailure(row.number, sku, tuple(problems))
    return Parsed(row.number, sku, values)


def _sku(row: Row, layout: Layout, ctx: ReadContext, problems: list[tuple[str, BadCell]]) -> str:
    index = layout.key_index
    target = layout.targets[index]
    assert target is not None
    cell = row.cells[index] if index < len(row.cells) else None
    if not _filled(cell):
        problems.append((layout.headers[index], BadCell("SKU is empty", "empty_sku")))
        return ""
    try:
        sku: str = target.field.parse(cell, ctx)
    except BadCell as bad:
        problems.append((layout.headers[index], bad))
        return ""
    return sku


def _filled(cell: object) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())
