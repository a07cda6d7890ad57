"""The category tree: a shop's categories folded into the catalogue's, and products' links to it.

Catalogue categories are matched across shops by `path` (`naming.path_of`): the keys of the
names from the shop's home category down, so "Home > Clothes > Men" of one shop is the same
catalogue category as in another, whatever the ids. Names and slugs are kept per language, byte
exact; a shop's languages replace those languages only, other languages are kept. Two sibling
categories with the same key in one shop (PrestaShop allows it) are one catalogue category.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from prestasync.catalogue.links import one_to_one, sync_links
from prestasync.catalogue.rows import assign, rows_where
from prestasync.models import PATH_MAX, Category, ProductCategory
from prestasync.naming import key_of, path_of


@dataclass(frozen=True)
class ShopCategory:
    """A shop category in catalogue terms; `parent_id` is None for a top (home) category."""

    remote_id: int
    parent_id: int | None
    name: dict[str, str]
    slug: dict[str, str]
    active: bool


@dataclass
class TreeResult:
    """Catalogue category ids by the shop's ids, and why some shop categories were left out."""

    ids: dict[int, int] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)


def sync_categories(session: Session, shop_id: int, categories: Sequence[ShopCategory]) -> TreeResult:
    """Upsert a shop's whole category tree by path and link it to the shop (in the caller's
    transaction). A category without a usable name, whose parent is missing, or whose path is
    too long is left out with its subtree (`TreeResult.skipped` says why)."""
    result = TreeResult()
    chains = _chains(categories, result.skipped)
    by_path: dict[str, list[ShopCategory]] = {}
    for category in sorted(categories, key=lambda c: c.remote_id):
        if category.remote_id in chains:
            by_path.setdefault(path_of(chains[category.remote_id]), []).append(category)
    existing = {c.path: c for c in session.execute(select(Category)).scalars()}
    local: dict[str, int] = {}
    for depth in sorted({len(chains[group[0].remote_id]) for group in by_path.values()}):
        level = {p: g for p, g in by_path.items() if len(chains[g[0].remote_id]) == depth}
        for path, group in level.items():
            chain = chains[group[0].remote_id]
            parent = local.get(path_of(chain[:-1])) if depth > 1 else None
            _upsert(session, existing, path, group[0], parent)
        session.flush()
        for path in level:
            local[path] = existing[path].id
    for path, group in by_path.items():
        for category in group:
            result.ids[category.remote_id] = local[path]
    sync_links(session, shop_id, "category", one_to_one(result.ids.items()))
    return result


def _chains(categories: Sequence[ShopCategory], skipped: dict[int, str]) -> dict[int, list[str]]:
    """Each usable category's keys from its top category down to itself."""
    by_id = {c.remote_id: c for c in categories}
    chains: dict[int, list[str]] = {}

    def chain_of(remote_id: int, seen: frozenset[int]) -> list[str] | None:
        if remote_id in chains:
            return chains[remote_id]
        category = by_id[remote_id]
        key = key_of(category.name)
        if remote_id in skipped:
            return None
        if not key:
            skipped[remote_id] = f"category #{remote_id} has no name"
            return None
        if category.parent_id is None:
            keys = [key]
        elif category.parent_id not in by_id or category.parent_id in seen:
            skipped[remote_id] = f"category #{remote_id}'s parent #{category.parent_id} is not in the shop's tree"
            return None
        else:
            above = chain_of(category.parent_id, seen | {remote_id})
            if above is None:
                skipped[remote_id] = f"category #{remote_id} is under a category that was left out"
                return None
            keys = [*above, key]
        if len(path_of(keys)) > PATH_MAX:
            skipped[remote_id] = f"category #{remote_id}'s path is over {PATH_MAX} characters"
            return None
        chains[remote_id] = keys
        return keys

    for category in categories:
        chain_of(category.remote_id, frozenset())
    return chains


def _upsert(session: Session, existing: dict[str, Category], path: str, shop: ShopCategory, parent: int | None) -> None:
    found = existing.get(path)
    if found is None:
        found = Category(path=path, parent_id=parent, name=dict(shop.name), slug=dict(shop.slug), active=shop.active)
        session.add(found)
        existing[path] = found
        return
    assign(found, name={**found.name, **shop.name}, slug={**found.slug, **shop.slug})
    assign(found, active=shop.active, parent_id=parent)


def sync_product_categories(session: Session, wanted: Mapping[int, Sequence[int]]) -> set[int]:
    """Make each product's category links exactly `wanted[product id]`; returns the products
    whose links changed."""
    have: dict[int, set[int]] = {pid: set() for pid in wanted}
    for row in rows_where(session, ProductCategory, ProductCategory.product_id, list(wanted)):
        have[row.product_id].add(row.category_id)
    fresh: list[dict[str, int]] = []
    gone: list[dict[str, int]] = []
    changed: set[int] = set()
    for pid, categories in wanted.items():
        want = set(categories)
        fresh += [{"product_id": pid, "category_id": c} for c in sorted(want - have[pid])]
        gone += [{"p": pid, "c": c} for c in sorted(have[pid] - want)]
        if want != have[pid]:
            changed.add(pid)
    if gone:
        stmt = delete(ProductCategory).where(
            ProductCategory.product_id == bindparam("p"), ProductCategory.category_id == bindparam("c")
        )
        session.connection().execute(stmt, gone)
    if fresh:
        session.execute(insert(ProductCategory), fresh)
    return changed
