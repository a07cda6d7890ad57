"""In-memory state of one emulated shop: its tables, indexes, counters and the write log.

Values are kept the way MySQL would return them (strings such as `"16.510000"`), so rendering is a
lookup. Seeded rows are lazy (see `seed.py`): a seeded product stores only its id, price and a
`_seed` marker, every other value is derived from the id on read. A write replaces the row with a
complete one. Associations live under private keys (`_categories`, `_features`, `_values`,
`_images` …) or are derived from other tables (a product's combinations and stock rows).

All access goes through `EmulatedShop.lock`: uvicorn serves in one thread while tests inspect the
shop from another.
"""

from __future__ import annotations

import bisect
import random
import threading
from collections import Counter
from typing import Any

from prestasync.prestashop.emulator import inspection, seed, values
from prestasync.prestashop.emulator.config import ShopConfig, WriteRecord
from prestasync.prestashop.emulator.images import ImageStore
from prestasync.prestashop.emulator.resources import RESOURCES
from prestasync.prestashop.emulator.schema import Field, Resource, index_key
from prestasync.prestashop.emulator.seedvalues import Seeded
from prestasync.prestashop.emulator.table import Row, Table

_INDEXED = {
    "products": ("reference",),
    "stock_availables": ("id_product",),
    "combinations": ("id_product",),
    "specific_prices": ("id_product",),
}

__all__ = ["EmulatedShop", "Row", "ShopConfig", "Table", "WriteRecord"]


class EmulatedShop:
    """One shop: its tables, faults and what tests inspect.

    Counters: `requests` (all), `counts[(method, resource)]` (e.g. `("GET", "products")`,
    `("POST", "images")`), `writes` (`WriteRecord` per write request), `busy_s` (time spent
    answering), `peak_in_flight` (most requests handled at once); `reset_counters()` zeroes them.
    """

    def __init__(self, config: ShopConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.writes: list[WriteRecord] = []
        self.requests = 0
        self.counts: Counter[tuple[str, str]] = Counter()
        self.busy_s = 0.0
        self.in_flight = 0
        self.peak_in_flight = 0  # most requests ever handled at once: what a politeness limit must bound
        self.fault_rng = random.Random(config.seed)
        self.lang_ids = [lang_id for lang_id, _, _ in config.languages]
        self.tables = {name: Table(_INDEXED.get(name, ())) for name in RESOURCES}
        self.stock_index: dict[tuple[int, int], int] = {}  # (product, combination) -> stock row (shop 1)
        self.category_sizes: dict[int, int] = {}
        self.images = ImageStore(self)
        self.seeded: Seeded | None = None
        self.plain_template: dict[str, Any] | None = None
        seed.seed_shop(self)

    # --- counters ------------------------------------------------------------------------------

    def reset_counters(self) -> None:
        """Zero `requests`, `counts`, `writes`, `busy_s` and `peak_in_flight`."""
        with self.lock:
            self.requests, self.busy_s, self.peak_in_flight = 0, 0.0, self.in_flight
            self.counts.clear()
            self.writes.clear()

    # --- reading (see values.py) ---------------------------------------------------------------

    def raw(self, res: str, row: Row, name: str) -> Any:
        """The stored value of `name` (None when unset), seeded values included."""
        value = row.get(name)
        if value is None and "_seed" in row and self.seeded is not None:
            value = self.seeded.value(res, row, name)
        return value

    def value(self, res: Resource, row: Row, f: Field) -> str:
        """The value of a non-i18n field as the webservice renders it (getters computed)."""
        return values.field_value(self, res, row, f)

    def i18n(self, res: Resource, row: Row, f: Field) -> dict[int, str]:
        """The values of an i18n field for every shop language ('' where unset)."""
        stored = self.raw(res.name, row, f.name) or {}
        return {lang: stored.get(lang, "") for lang in self.lang_ids}

    def assoc_items(self, res: Resource, row: Row, assoc: str) -> list[dict[str, str]]:
        """Items of one association block of a record."""
        return values.assoc_items(self, res, row, assoc)

    # --- writing -------------------------------------------------------------------------------

    def store(self, res: Resource, row: Row) -> int:
        """Insert or replace a complete row, keeping indexes and category sizes right."""
        table = self.tables[res.name]
        row_id = int(row["id"])
        old = table.rows.get(row_id)
        if old is not None:
            self.reindex(res, old, -1)
        self.reindex(res, row, +1)
        if res.name == "products":
            self.count_categories(old, -1)
            self.count_categories(row, +1)
        elif res.name == "stock_availables":
            self._index_stock(row_id, old, row)
        table.add(row_id, row)
        return row_id

    def delete(self, res: Resource, row_id: int) -> None:
        """Delete one row (the cascades are `rules.py`'s business)."""
        table = self.tables[res.name]
        row = table.rows[row_id]
        if res.name == "products":
            self.count_categories(row, -1)
        elif res.name == "stock_availables":
            self._index_stock(row_id, row, None)
        self.reindex(res, row, -1)
        table.remove(row_id)

    def stock_row(self, product_id: int, combination_id: int = 0) -> Row | None:
        """The shop-1 stock row of a product (combination 0) or of one of its combinations."""
        stock_id = self.stock_index.get((product_id, combination_id))
        return None if stock_id is None else self.tables["stock_availables"].rows.get(stock_id)

    def reindex(self, res: Resource, row: Row, step: int) -> None:
        """Add (`step` 1) or remove (-1) a row from its table's equality indexes."""
        row_id = int(row["id"])
        for name, index in self.tables[res.name].index.items():
            f = res.by_name[name]
            key = index_key(f, self.value(res, row, f))
            if step > 0:
                bisect.insort(index.setdefault(key, []), row_id)
            elif row_id in index.get(key, ()):
                index[key].remove(row_id)
                if not index[key]:
                    del index[key]

    def category_size(self, category: int) -> int:
        """How many products are associated with a category (for `position_in_category`)."""
        return self.category_sizes.get(category, 0)

    def count_categories(self, row: Row | None, step: int) -> None:
        """Count a product in (`step` 1) or out of (-1) the categories it is linked to."""
        if row is None:
            return
        for cat in self.raw("products", row, "_categories") or ():
            self.category_sizes[cat] = self.category_sizes.get(cat, 0) + step

    def _index_stock(self, stock_id: int, old: Row | None, new: Row | None) -> None:
        def key(row: Row) -> tuple[int, int, str]:
            raw = self.raw
            pid = int(float(raw("stock_availables", row, "id_product") or 0))
            attribute = int(float(raw("stock_availables", row, "id_product_attribute") or 0))
            return pid, attribute, str(raw("stock_availables", row, "id_shop") or "1")

        if old is not None:
            before = key(old)
            if self.stock_index.get(before[:2]) == stock_id:
                del self.stock_index[before[:2]]
        if new is not None:
            after = key(new)
            if after[2] == "1":
                self.stock_index[after[:2]] = stock_id

    # --- inspection (thread-safe; see inspection.py) ----------------------------------------------

    def products(self, fields: tuple[str, ...] | list[str] | None = None) -> list[dict[str, Any]]:
        """Current product records as plain values, in id order (see `inspection.products`)."""
        with self.lock:
            return inspection.products(self, fields)

    def product_by_reference(self, ref: str) -> list[dict[str, Any]]:
        """Products whose reference equals `ref` exactly (case-sensitive), in id order."""
        with self.lock:
            return inspection.product_by_reference(self, ref)

    def records(self, resource: str) -> list[dict[str, Any]]:
        """Every record of a resource as plain values (i18n as `{lang: str}`), in id order."""
        with self.lock:
            return inspection.records(self, resource)
