"""What an export needs to know about one shop, read lazily and at most once per job.

Languages, the default language, tax rules groups and the category tree are read only when
a product needs them (an unchanged re-export of products without categories reads none of
the latter), then kept for the job in this process. Catalogue records the shop lacks
(categories, and later attribute values, features, manufacturers) are created by
`dependencies.py`, one process at a time per shop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from prestasync.naming import HOME, PATH_SEP, key_of
from prestasync.prestashop import Category, Language, PrestaShopClient, PrestaShopError, Record

T = TypeVar("T")
TTL_S = 300.0  # a job's view of a shop is refreshed after this long (a long export meets shop edits)


@dataclass
class RemoteTree:
    """The shop's categories by path (`naming.path_of`), and its home category's id."""

    by_path: dict[str, int]
    paths: dict[int, str]
    home: int | None

    def add(self, remote_id: int, path: str) -> None:
        self.by_path.setdefault(path, remote_id)
        self.paths[remote_id] = path


@dataclass
class Options:
    """The shop's attribute groups by key, their values by (group, key), and every value id."""

    groups: dict[str, int]
    values: dict[tuple[int, str], int]
    value_ids: set[int]


@dataclass
class Features:
    """The shop's features by key, their shared values by (feature, key), and every value id."""

    features: dict[str, int]
    values: dict[tuple[int, str], int]
    value_ids: set[int]


@dataclass
class Facts:
    """What was read of one shop for one job, shared by the job's lanes in this process."""

    values: dict[str, object] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)  # a fact may need another (languages)


@dataclass
class ShopView:
    """One shop as one export job sees it, through this lane's client; each fact is read once
    per job and process (`Facts`), whichever lane needs it first."""

    client: PrestaShopClient
    facts: Facts
    fallback_setting: str | None = None
    default_tax_setting: int | None = None

    def _once(self, name: str, read: Callable[[], T]) -> T:
        with self.facts.lock:
            if name not in self.facts.values:
                self.facts.values[name] = read()
            return self.facts.values[name]  # type: ignore[return-value]

    def forget(self, name: str) -> None:
        """Drop a fact so the next use reads it again (the tree after creating categories)."""
        with self.facts.lock:
            self.facts.values.pop(name, None)

    @property
    def languages(self) -> list[Language]:
        return self._once("languages", self.client.languages)

    @property
    def iso_of(self) -> dict[int, str]:
        return {lang.id: lang.iso_code for lang in self.languages}

    @property
    def id_of(self) -> dict[str, int]:
        return {lang.iso_code: lang.id for lang in self.languages}

    def fallback_language(self, available: set[str]) -> str | None:
        """The catalogue language whose text fills shop languages the catalogue lacks: the shop's
        setting, else the shop's default language, else English, else the first one there is."""
        for choice in (self.fallback_setting, self.default_language, "en"):
            if choice and choice in available:
                return choice
        return min(available) if available else None

    @property
    def default_language(self) -> str | None:
        return self._once("default_language", self._read_default_language)

    def _read_default_language(self) -> str | None:
        # PS_LANG_DEFAULT is only readable when the key may read `configurations`; without it the
        # fallback order goes on (English, then the first language the product has).
        try:
            rows = self.client.list_records(
                "configurations", display=["name", "value"], filters={"name": "[PS_LANG_DEFAULT]"}
            )
        except PrestaShopError:
            return None
        for row in rows:
            if isinstance(row, Record) and row.fields.get("value", "").isdigit():
                return self.iso_of.get(int(row.fields["value"]))
        return None

    def tax_group(self, name: str | None) -> tuple[int | None, str | None]:
        """The shop's id of the tax rules group called `name`, else the shop's default group;
        with a note when the name was not found."""
        groups, lowest = self._once("tax_groups", self._read_tax_groups)
        if name:
            found = groups.get(" ".join(name.split()).casefold())
            if found is not None:
                return found, None
        fallback = self.default_tax_setting or lowest
        if name:
            return fallback, f"the shop has no tax rules group named {name!r}; used its default #{fallback}"
        return fallback, None

    def _read_tax_groups(self) -> tuple[dict[str, int], int | None]:
        """Groups by name, and the lowest-id active one (the default when the shop sets none)."""
        groups: dict[str, int] = {}
        active: list[int] = []
        for row in self.client.tax_rule_groups():
            if isinstance(row, Record) and row.fields.get("deleted", "0") != "1":
                groups.setdefault(" ".join(row.fields.get("name", "").split()).casefold(), row.id)
                active += [row.id] if row.fields.get("active", "1") == "1" else []
        return groups, min(active, default=None)

    @property
    def options(self) -> Options:
        return self._once("options", self._read_options)

    def _read_options(self) -> Options:
        groups = {self._key(r): r.id for r in self.client.product_options() if isinstance(r, Record)}
        values: dict[tuple[int, str], int] = {}
        ids: set[int] = set()
        for r in self.client.product_option_values():
            if isinstance(r, Record) and r.fields.get("id_attribute_group", "").isdigit():
                values.setdefault((int(r.fields["id_attribute_group"]), self._key(r)), r.id)
                ids.add(r.id)
        return Options(groups, values, ids)

    @property
    def features(self) -> Features:
        return self._once("features", self._read_features)

    def _read_features(self) -> Features:
        features = {self._key(r): r.id for r in self.client.product_features() if isinstance(r, Record)}
        values: dict[tuple[int, str], int] = {}
        ids: set[int] = set()
        for r in self.client.product_feature_values():
            if isinstance(r, Record) and r.fields.get("id_feature", "").isdigit():
                if r.fields.get("custom", "0") != "1":
                    values.setdefault((int(r.fields["id_feature"]), self._key(r, "value")), r.id)
                ids.add(r.id)
        return Features(features, values, ids)

    @property
    def manufacturers(self) -> dict[str, int]:
        def read() -> dict[str, int]:
            found: dict[str, int] = {}
            for r in self.client.manufacturers():
                if isinstance(r, Record):
                    found.setdefault(key_of({"en": r.fields.get("name", "")}), r.id)
            return found

        return self._once("manufacturers", read)

    def _key(self, record: Record, field: str = "name") -> str:
        names = {self.iso_of.get(lang, str(lang)): text for lang, text in record.i18n.get(field, {}).items()}
        return key_of(names)

    @property
    def tree(self) -> RemoteTree:
        return self._once("tree", lambda: read_tree(self.client, self.iso_of))


def read_tree(client: PrestaShopClient, iso_of: dict[int, str]) -> RemoteTree:
    """The shop's category tree by path: one paged read of every category."""
    rows = [c for c in client.categories() if isinstance(c, Category)]
    by_id = {c.id: c for c in rows}
    tree = RemoteTree({}, {}, None)
    for category in rows:
        path = _path(category, by_id, iso_of)
        if path is not None:
            tree.add(category.id, path)
            if path == HOME:
                tree.home = tree.home or category.id
    return tree


def _path(category: Category, by_id: dict[int, Category], iso_of: dict[int, str]) -> str | None:
    """The category's path from the home category, or None for the hidden root (level 0)."""
    keys: list[str] = []
    node: Category | None = category
    seen: set[int] = set()
    while node is not None and node.id not in seen:
        seen.add(node.id)
        if node.level_depth.strip() == "0":
            break
        names = {iso_of.get(lang_id, str(lang_id)): text for lang_id, text in node.name.items()}
        keys.append(key_of(names) if node.level_depth.strip() != "1" else HOME)
        parent = node.parent_id.strip()
        node = by_id.get(int(parent)) if parent.isdigit() else None
    if not keys:
        return None
    keys.reverse()
    return PATH_SEP.join(keys)


class FactsCache:
    """`Facts` by job (its uuid: unique across databases too), kept a few minutes: the lanes of
    one job in one process share them."""

    def __init__(self) -> None:
        self._facts: dict[str, tuple[float, Facts]] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Facts:
        now = time.monotonic()
        with self._lock:
            for stale in [k for k, (at, _) in self._facts.items() if now - at > TTL_S]:
                del self._facts[stale]
            if job_id not in self._facts:
                self._facts[job_id] = (now, Facts())
            return self._facts[job_id][1]
