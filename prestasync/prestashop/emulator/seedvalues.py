"""Values of seeded rows, derived from the row id on read (so a 100,000-product seed stays small).

A seeded product stores only its id, price and the `_seed` marker; a seeded stock row its id,
product and quantity. Everything else comes from `Seeded.value`, a pure function of the id and of
the shop's seeding options.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

SEED_EPOCH = datetime(2026, 1, 1)  # seeded product N was added and updated N minutes after this
_EPOCH_DAY = SEED_EPOCH.toordinal()
HOME = 2
_WORDS = {"pl": "Produkt", "de": "Produkt", "cs": "Produkt", "fr": "Produit", "es": "Producto", "it": "Prodotto"}
_SHORT = {"pl": "<p>Produkt demonstracyjny.</p>", "fr": "<p>Produit de démonstration.</p>"}

# Seeded values that are the same for every product / stock row.
PRODUCT_CONST = {
    "id_shop_default": "1",
    "id_tax_rules_group": "1",
    "state": "1",
    "active": "1",
    "minimal_quantity": "1",
    "available_for_order": "1",
    "show_price": "1",
    "indexed": "1",
    "redirect_type": "404",
    "condition": "new",
    "visibility": "both",
    "additional_delivery_times": "1",
    "pack_stock_type": "3",
}
STOCK_CONST = {"id_product_attribute": "0", "id_shop": "1", "id_shop_group": "0", "out_of_stock": "2"}


@dataclass
class Seeded:
    """What seeded products are made of: languages, categories, brands, features, combinations."""

    languages: list[tuple[int, str]]
    leaves: list[tuple[int, ...]] = field(default_factory=lambda: [(HOME,)])  # category chains, leaf last
    manufacturers: int = 0
    feature_values: list[list[int]] = field(default_factory=list)  # per feature, its value ids
    combinations: int = 0

    def value(self, res: str, row: dict[str, Any], name: str) -> Any:
        """A lazily derived value of a seeded row, or None when the field has no seeded value."""
        rid = int(row["id"])
        if res == "stock_availables":
            return STOCK_CONST.get(name)
        if name in PRODUCT_CONST:
            return PRODUCT_CONST[name]
        return _PRODUCT_VALUES[name](self, rid) if name in _PRODUCT_VALUES else None

    def chain(self, pid: int) -> tuple[int, ...]:
        return self.leaves[(pid - 1) % len(self.leaves)]

    def words(self) -> dict[int, str]:
        return {i: _WORDS.get(iso, "Product") for i, iso in self.languages}


def _stamp(rid: int) -> str:
    days, minutes = divmod(rid, 1440)
    day = date.fromordinal(_EPOCH_DAY + days).isoformat()
    return f"{day} {minutes // 60:02d}:{minutes % 60:02d}:00"


def _features(s: Seeded, pid: int) -> tuple[tuple[int, int], ...]:
    return tuple((f + 1, values[pid % len(values)]) for f, values in enumerate(s.feature_values) if values)


_PRODUCT_VALUES: dict[str, Callable[[Seeded, int], Any]] = {
    "reference": lambda s, rid: f"SKU-{rid:05d}",
    "date_add": lambda s, rid: _stamp(rid),
    "date_upd": lambda s, rid: _stamp(rid),
    "name": lambda s, rid: {i: f"{w} {rid}" for i, w in s.words().items()},
    "link_rewrite": lambda s, rid: {i: f"{w.lower()}-{rid}" for i, w in s.words().items()},
    "description_short": lambda s, rid: {i: _SHORT.get(iso, "<p>A demo product.</p>") for i, iso in s.languages},
    "id_category_default": lambda s, rid: str(s.chain(rid)[-1]),
    "_categories": lambda s, rid: s.chain(rid),
    "_position": lambda s, rid: (rid - 1) // len(s.leaves) + 1,
    "id_manufacturer": lambda s, rid: str((rid - 1) % s.manufacturers + 1) if s.manufacturers else "0",
    "_features": _features,
    "product_type": lambda s, rid: "combinations" if s.combinations else "standard",
    "cache_default_attribute": lambda s, rid: str((rid - 1) * s.combinations + 1) if s.combinations else "0",
}
