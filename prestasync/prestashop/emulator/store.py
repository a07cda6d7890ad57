"""In-memory state of one emulated shop: configuration, tables, seeding, inspection and the write log.

Values are kept the way MySQL would return them (strings such as `"16.510000"`), so rendering is a
lookup. Seeded rows are lazy: a row built by `ShopConfig.products` stores only its id, price and
`_seed` marker, and every other seeded value is derived from the id on read, which keeps a
100,000-product shop small. A write replaces the row with a complete one.

All access goes through `EmulatedShop.lock`: uvicorn serves in one thread while tests inspect the
shop from another.
"""

from __future__ import annotations

import bisect
import random
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from prestasync.prestashop.emulator.query import php_int
from prestasync.prestashop.emulator.schema import RESOURCES, Field, Resource, index_key

Row = dict[str, Any]
SEED_EPOCH = datetime(2026, 1, 1)  # seeded product N was added and updated N minutes after this
_EPOCH_DAY = SEED_EPOCH.toordinal()
_SEED_VARYING = ("id", "reference", "date_add", "date_upd", "name", "link_rewrite", "quantity")
SEED_CATEGORY = 2
_WORDS = {"pl": "Produkt", "de": "Produkt", "cs": "Produkt", "fr": "Produit", "es": "Producto", "it": "Prodotto"}
_SHORT = {"pl": "<p>Produkt demonstracyjny.</p>", "fr": "<p>Produit de démonstration.</p>"}
_LOCALES = {"en": "en-US", "pl": "pl-PL"}

# Seeded values that are the same for every product / stock row.
_PRODUCT_CONST = {
    "id_category_default": str(SEED_CATEGORY),
    "id_shop_default": "1",
    "id_tax_rules_group": "1",
    "state": "1",
    "active": "1",
    "minimal_quantity": "1",
    "available_for_order": "1",
    "show_price": "1",
    "indexed": "1",
    "product_type": "standard",
    "redirect_type": "404",
    "condition": "new",
    "visibility": "both",
    "additional_delivery_times": "1",
    "pack_stock_type": "3",
}
_INDEXED = {"products": ("reference",), "stock_availables": ("id_product",)}
_STOCK_CONST = {"id_product_attribute": "0", "id_shop": "1", "id_shop_group": "0", "out_of_stock": "2"}


@dataclass
class ShopConfig:
    """How an emulated shop looks and misbehaves. Mutable at runtime: tests flip faults between calls.

    `broken` maps a product id to raw field values stored without validation after seeding (how a
    test gets records only old data could produce, e.g. an empty reference or a price `"abc"`).
    `fail_skus`: a POST/PUT/PATCH of a product whose `<reference>` (after the write) is listed is
    refused with 400 code 85 `Validation error: "Property Product->price is not valid"`.
    `fail_rate`: that fraction of authenticated requests is answered 500 (see `emulator`).
    `languages`, `products`, `broken` and `seed` are read once, when the `EmulatedShop` is built.
    """

    key: str = "DEMO" * 8
    name: str = "Emulated shop"
    version: str = "8.1.7"
    languages: list[tuple[int, str, str]] = field(default_factory=lambda: [(1, "en", "English"), (2, "pl", "Polski")])
    products: int = 0
    broken: dict[int, dict[str, str]] = field(default_factory=dict)
    latency_ms: float = 0
    write_latency_ms: float = 0
    fail_rate: float = 0.0
    fail_skus: set[str] = field(default_factory=set)
    down: bool = False
    webservice_enabled: bool = True
    seed: int = 42


class WriteRecord(NamedTuple):
    """One write request as received: arrival time (`time.monotonic()`), verb, resource, ids, status."""

    at: float
    method: str
    resource: str
    ids: tuple[int, ...]
    status: int


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
            bisect.insort(self.ids, row_id)
        self.rows[row_id] = row
        self.next_id = max(self.next_id, row_id + 1)

    def remove(self, row_id: int) -> None:
        del self.rows[row_id]
        del self.ids[bisect.bisect_left(self.ids, row_id)]


class EmulatedShop:
    """One shop: its tables, faults and what tests inspect (`writes`, `requests`, `busy_s`, `peak_in_flight`)."""

    def __init__(self, config: ShopConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.writes: list[WriteRecord] = []
        self.requests = 0
        self.busy_s = 0.0
        self.in_flight = 0
        self.peak_in_flight = 0  # most requests ever handled at once: what a politeness limit must bound
        self.fault_rng = random.Random(config.seed)
        self.lang_ids = [lang_id for lang_id, _, _ in config.languages]
        self.tables = {name: Table(_INDEXED.get(name, ())) for name in RESOURCES}
        self.stock_of: dict[int, int] = {}  # product id -> its stock row (combination 0, shop 1)
        self.category_sizes: dict[int, int] = {}
        self._words = {i: _WORDS.get(iso, "Product") for i, iso, _ in config.languages}
        self._shorts = {i: _SHORT.get(iso, "<p>A demo product.</p>") for i, iso, _ in config.languages}
        self._template: dict[str, Any] | None = None
        self._seed_static_tables()
        self._seed_products()

    # --- seeding -------------------------------------------------------------------------------

    def _seed_static_tables(self) -> None:
        for lang_id, iso, name in self.config.languages:
            locale = _LOCALES.get(iso, f"{iso}-{iso.upper()}")
            us = iso == "en"
            row = {"id": str(lang_id), "name": name, "iso_code": iso, "locale": locale, "active": "1"}
            row |= {"language_code": locale.lower(), "date_format_lite": "m/d/Y" if us else "Y-m-d"}
            row["date_format_full"] = "m/d/Y H:i:s" if us else "Y-m-d H:i:s"
            self.tables["languages"].add(lang_id, row)
        shop = {"id": "1", "id_shop_group": "1", "id_category": str(SEED_CATEGORY), "active": "1"}
        self.tables["shops"].add(1, shop | {"name": self.config.name, "theme_name": "classic"})

    def _seed_products(self) -> None:
        rng = random.Random(self.config.seed)
        products, stock = self.tables["products"], self.tables["stock_availables"]
        count = self.config.products
        refs, owners = products.index["reference"], stock.index["id_product"]
        for pid in range(1, count + 1):
            refs[f"sku-{pid:05d}"] = [pid]
            owners[repr(float(pid))] = [pid]
            price, sid = f"{rng.randint(100, 99_999) / 100:.6f}", str(pid)
            products.rows[pid] = {"id": sid, "price": price, "_seed": True}
            stock.rows[pid] = {"id": sid, "id_product": sid, "quantity": str(rng.randint(0, 100)), "_seed": True}
            self.stock_of[pid] = pid
        products.ids = list(range(1, count + 1))
        stock.ids = list(products.ids)
        products.next_id = stock.next_id = count + 1
        if count:
            self.category_sizes[SEED_CATEGORY] = count
        res = RESOURCES["products"]
        for pid, overrides in self.config.broken.items():
            row = products.rows.get(pid)
            if row is None:
                continue
            self._index(res, row, -1)
            for name, raw in overrides.items():
                f = res.field(name)
                row[name] = dict.fromkeys(self.lang_ids, raw) if f is not None and f.i18n else raw
            self._index(res, row, +1)

    def _seed_value(self, res: str, row: Row, name: str) -> Any:
        """A lazily derived value of a seeded row, or None when the field has no seeded value."""
        rid = int(row["id"])
        if res == "stock_availables":
            return _STOCK_CONST.get(name)
        if name in _PRODUCT_CONST:
            return _PRODUCT_CONST[name]
        if name == "reference":
            return f"SKU-{rid:05d}"
        if name in ("date_add", "date_upd"):
            days, minutes = divmod(rid, 1440)
            day = date.fromordinal(_EPOCH_DAY + days).isoformat()
            return f"{day} {minutes // 60:02d}:{minutes % 60:02d}:00"
        if name == "name":
            return {i: f"{w} {rid}" for i, w in self._words.items()}
        if name == "link_rewrite":
            return {i: f"{w.lower()}-{rid}" for i, w in self._words.items()}
        if name == "description_short":
            return self._shorts
        if name == "_categories":
            return (SEED_CATEGORY,)
        if name == "_position":
            return rid
        return None

    # --- reading -------------------------------------------------------------------------------

    def raw(self, res: str, row: Row, name: str) -> Any:
        """The stored value of `name` (None when unset), seeded values included."""
        value = row.get(name)
        if value is None and "_seed" in row:
            value = self._seed_value(res, row, name)
        return value

    def value(self, res: Resource, row: Row, f: Field) -> str:
        """The value of a non-i18n field as the webservice renders it (getters computed)."""
        if f.getter:
            return self._getter(row, f.name)
        if f.kind == "virtual":
            return ""  # Product::$new is never filled on a webservice GET (PrestaShop#33429)
        value = self.raw(res.name, row, f.name)
        return f.zero if value is None else str(value)

    def i18n(self, res: Resource, row: Row, f: Field) -> dict[int, str]:
        """The values of an i18n field for every shop language ('' where unset)."""
        values = self.raw(res.name, row, f.name) or {}
        return {lang: values.get(lang, "") for lang in self.lang_ids}

    def _getter(self, row: Row, name: str) -> str:
        if name == "quantity":
            stock_id = self.stock_of.get(int(row["id"]))
            stock = self.tables["stock_availables"].rows.get(stock_id or 0)
            return "0" if stock is None else str(self.raw("stock_availables", stock, "quantity") or "0")
        if name == "type":
            if self.raw("products", row, "cache_is_pack") == "1":
                return "pack"
            return "virtual" if self.raw("products", row, "is_virtual") == "1" else "simple"
        if name == "position_in_category":
            cats = self.raw("products", row, "_categories") or ()
            default = php_int(str(self.raw("products", row, "id_category_default") or 0))
            position = self.raw("products", row, "_position")
            return str(position) if default in cats and position is not None else ""
        if name == "id_default_combination":
            return "0"
        return ""  # id_default_image (no images), manufacturer_name (no manufacturers)

    def assoc_items(self, res: Resource, row: Row, assoc: str) -> list[dict[str, str]]:
        """Items of one association of a product (only categories and stock are modelled)."""
        if res.name != "products":
            return []
        if assoc == "categories":
            return [{"id": str(c)} for c in self.raw("products", row, "_categories") or ()]
        if assoc == "stock_availables":
            stock_id = self.stock_of.get(int(row["id"]))
            return [] if stock_id is None else [{"id": str(stock_id), "id_product_attribute": "0"}]
        return []

    def materialize(self, res: Resource, row: Row) -> Row:
        """A complete, independent copy of a row (what a write starts from)."""
        full: Row = {"id": row["id"]}
        for f in res.fields:
            if f.i18n:
                full[f.name] = self.i18n(res, row, f)
            elif f.kind not in ("id", "getter", "virtual"):
                full[f.name] = self.value(res, row, f)
        for key in ("_categories", "_position"):
            if self.raw(res.name, row, key) is not None:
                full[key] = self.raw(res.name, row, key)
        return full

    # --- writing -------------------------------------------------------------------------------

    def store(self, res: Resource, row: Row) -> int:
        """Insert or replace a complete row; keeps the stock index and category sizes right."""
        table = self.tables[res.name]
        row_id = int(row["id"])
        old = table.rows.get(row_id)
        if old is not None:
            self._index(res, old, -1)
        self._index(res, row, +1)
        if res.name == "products":
            self._count_categories(old, -1)
            self._count_categories(row, +1)
            default = php_int(str(self.raw("products", row, "id_category_default") or 0))
            if self.raw("products", row, "_position") is None and default in (row.get("_categories") or ()):
                row["_position"] = self.category_sizes[default]  # a newcomer goes last in its category
        elif res.name == "stock_availables" and old is not None:
            self._reindex_stock(row_id, old, row)
        table.add(row_id, row)
        return row_id

    def delete(self, res: Resource, row_id: int) -> None:
        """Delete a row; deleting a product also deletes its stock rows (Product::delete)."""
        table = self.tables[res.name]
        if res.name == "products":
            self._count_categories(table.rows[row_id], -1)
            stock_id = self.stock_of.pop(row_id, None)
            if stock_id is not None:
                self.delete(RESOURCES["stock_availables"], stock_id)
        self._index(res, table.rows[row_id], -1)
        table.remove(row_id)

    def _index(self, res: Resource, row: Row, step: int) -> None:
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

    def _count_categories(self, row: Row | None, step: int) -> None:
        if row is None:
            return
        for cat in self.raw("products", row, "_categories") or ():
            self.category_sizes[cat] = self.category_sizes.get(cat, 0) + step

    def _reindex_stock(self, stock_id: int, old: Row, new: Row) -> None:
        def key(row: Row) -> tuple[int, str, str]:
            raw = self.raw
            pid = php_int(str(raw("stock_availables", row, "id_product") or 0))
            return pid, raw("stock_availables", row, "id_product_attribute"), raw("stock_availables", row, "id_shop")

        before, after = key(old), key(new)
        if before != after and self.stock_of.get(before[0]) == stock_id:
            del self.stock_of[before[0]]
        if after[1:] == ("0", "1") and after[0] in self.tables["products"].rows:
            self.stock_of[after[0]] = stock_id

    # --- inspection (thread-safe) --------------------------------------------------------------

    def products(self, fields: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Current product records as plain values, in id order.

        `id` and integer/boolean fields are ints (a raw broken value that is not a number stays a
        string), decimals and dates are strings as stored (`price` `"16.510000"`), i18n fields are
        `{lang_id: str}`, plus `quantity` (int, from the stock row) and `categories` (list of ids).
        Every field is included unless `fields` names the wanted ones: a full copy of a
        100,000-product shop takes seconds and hundreds of MB, `fields=("id", "price")` does not.
        """
        with self.lock:
            table = self.tables["products"]
            if fields is None:
                return [self._plain(table.rows[pid]) for pid in table.ids]
            res = RESOURCES["products"]
            chosen = [f for f in res.fields if f.name in fields]
            out = [self._plain_fields(table.rows[pid], chosen) for pid in table.ids]
            if "categories" in fields:
                for pid, item in zip(table.ids, out, strict=True):
                    item["categories"] = list(self.raw("products", table.rows[pid], "_categories") or ())
            return out

    def product_by_reference(self, ref: str) -> list[dict[str, Any]]:
        """Products whose reference equals `ref` exactly (case-sensitive), in id order."""
        with self.lock:
            table = self.tables["products"]
            rows = (table.rows[pid] for pid in table.ids)
            return [self._plain(r) for r in rows if self.raw("products", r, "reference") == ref]

    def _plain(self, row: Row) -> dict[str, Any]:
        res = RESOURCES["products"]
        if "_seed" in row:
            # Seeded rows differ only in a few fields: copy a template, then fill those in.
            if self._template is None:
                self._template = self._plain_fields({"id": "0", "_seed": True}, res.fields)
            out = {k: dict(v) if isinstance(v, dict) else v for k, v in self._template.items()}
            varying = [res.by_name[n] for n in _SEED_VARYING] + [res.by_name[k] for k in row if k in res.by_name]
            out |= self._plain_fields(row, varying)
        else:
            out = self._plain_fields(row, res.fields)
        out["categories"] = list(self.raw("products", row, "_categories") or ())
        return out

    def _plain_fields(self, row: Row, fields: Iterable[Field]) -> dict[str, Any]:
        res = RESOURCES["products"]
        out: dict[str, Any] = {}
        for f in fields:
            if f.i18n:
                out[f.name] = self.i18n(res, row, f)
            elif f.kind in ("id", "int", "bool") or f.name == "quantity":
                text = self.value(res, row, f)
                out[f.name] = int(text) if text.lstrip("-").isdigit() else text
            elif not f.getter and f.kind != "virtual":
                out[f.name] = self.value(res, row, f)
        return out
