"""Row plumbing the catalogue's writers share: reading rows by parent ids in bounded `IN (...)`
lists, and assigning only values that differ (the ORM then writes nothing for a record an
import found unchanged, which is what keeps `updated_at` and the next sync quiet).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

BATCH = 500  # ids per IN (...) list: far below every engine's parameter limit


def chunks(ids: Sequence[int], size: int = BATCH) -> Iterable[Sequence[int]]:
    """`ids` in slices of at most `size`, for `IN (...)` lists."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def rows_where(session: Session, model: Any, column: Any, ids: Collection[int]) -> list[Any]:
    """Every row of `model` whose `column` is one of `ids`."""
    out: list[Any] = []
    for chunk in chunks(sorted(set(ids))):
        out += session.execute(select(model).where(column.in_(chunk))).scalars()
    return out


def assign(row: Any, **values: Any) -> bool:
    """Set the attributes that differ; True when any did."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def added(session: Session, index: dict[Any, Any], key: Any, row: Any) -> Any:
    """Add a new row to the session and to an index of the rows being matched."""
    session.add(row)
    index[key] = row
    return row
