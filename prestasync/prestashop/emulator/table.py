"""One emulated table: rows by id, ids in order, equality indexes. The row type (`Row`) too."""

from __future__ import annotations

import bisect
from typing import Any

Row = dict[str, Any]


class Table:
    """Rows of one resource by id, the ids in ascending order (range scans) and equality indexes.

    `index[field][index_key(value)]` lists the ids holding that value, so the lookups clients
    repeat per record (`filter[reference]=[SKU]`, `filter[id_product]=N`) cost no scan.
    """

    def __init__(self, indexed: tuple[str, ...] = ()) -> None:
        self.rows: dict[int, Row] = {}
        self.ids: list[int] = []
        self.next_id = 1
        self.index: dict[str, dict[str, list[int]]] = {name: {} for name in indexed}

    def add(self, row_id: int, row: Row) -> None:
        if row_id not in self.rows:
            if not self.ids or row_id > self.ids[-1]:
                self.ids.append(row_id)
            else:
                bisect.insort(self.ids, row_id)
        self.rows[row_id] = row
        self.next_id = max(self.next_id, row_id + 1)

    def remove(self, row_id: int) -> None:
        del self.rows[row_id]
        del self.ids[bisect.bisect_left(self.ids, row_id)]

    def take_id(self) -> int:
        """The next auto-increment id, consumed (a failed insert still burns it, like MySQL)."""
        row_id = self.next_id
        self.next_id += 1
        return row_id
