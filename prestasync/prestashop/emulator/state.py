"""What the emulator's helpers (seeding, values, the category tree, inspection) need of a shop.

`store.EmulatedShop` has all of it. The helpers type their `shop` argument with this Protocol
instead of importing `store`, which imports them: so the modules form no import cycle, not
even a type-only one (tests/test_layering.py).
"""

from __future__ import annotations

from typing import Any, Protocol

from prestasync.prestashop.emulator.config import ShopConfig
from prestasync.prestashop.emulator.images import ImageStore
from prestasync.prestashop.emulator.schema import Field, Resource
from prestasync.prestashop.emulator.seedvalues import Seeded
from prestasync.prestashop.emulator.table import Row, Table


class ShopState(Protocol):
    """A shop's tables, indexes and seeded values, and the reads and writes the helpers use."""

    config: ShopConfig
    lang_ids: list[int]
    tables: dict[str, Table]
    stock_index: dict[tuple[int, int], int]
    category_sizes: dict[int, int]
    images: ImageStore
    seeded: Seeded | None
    plain_template: dict[str, Any] | None

    def raw(self, res: str, row: Row, name: str) -> Any: ...

    def value(self, res: Resource, row: Row, f: Field) -> str: ...

    def i18n(self, res: Resource, row: Row, f: Field) -> dict[int, str]: ...

    def store(self, res: Resource, row: Row) -> int: ...

    def stock_row(self, product_id: int, combination_id: int = 0) -> Row | None: ...

    def reindex(self, res: Resource, row: Row, step: int) -> None: ...
