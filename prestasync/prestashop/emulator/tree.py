"""The category tree: children in position order, products per category, subtree counts, depth.

PrestaShop keeps a nested set (`nleft`/`nright`) besides `id_parent`; the webservice does not
expose it (sorting on `nleft` is a 500, `68e2_categories_sort_nleft_500.http`), so the emulator
walks `id_parent` instead. Deleting a category deletes its whole subtree; products keep the
deleted id as their default category and lose the links (fact 21, `70*.http`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prestasync.prestashop.emulator.query import php_int

if TYPE_CHECKING:
    from prestasync.prestashop.emulator.state import ShopState


def parent_of(shop: ShopState, category: int) -> int:
    row = shop.tables["categories"].rows.get(category)
    return 0 if row is None else php_int(str(row.get("id_parent") or "0"))


def children(shop: ShopState, category: int) -> list[int]:
    """Direct children, by position then id."""
    rows = shop.tables["categories"].rows
    found = [
        (php_int(str(r.get("position") or "0")), cid) for cid, r in rows.items() if parent_of(shop, cid) == category
    ]
    return [cid for _, cid in sorted(found)]


def subtree(shop: ShopState, category: int) -> list[int]:
    """The category and all its descendants."""
    out, todo = [], [category]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children(shop, current))
    return out


def subtree_preorder(shop: ShopState, category: int) -> list[int]:
    """The category and its descendants, parents before children, siblings by position."""
    out = [category]
    for child in children(shop, category):
        out += subtree_preorder(shop, child)
    return out


def products_of(shop: ShopState, category: int) -> list[int]:
    """Products linked to the category, by id."""
    table = shop.tables["products"]
    return [pid for pid in table.ids if category in (shop.raw("products", table.rows[pid], "_categories") or ())]


def products_in_subtree(shop: ShopState, category: int) -> int:
    """Distinct products linked to the category or any of its descendants."""
    wanted = set(subtree(shop, category))
    table = shop.tables["products"]
    return sum(
        1 for pid in table.ids if wanted.intersection(shop.raw("products", table.rows[pid], "_categories") or ())
    )


def depth_under(shop: ShopState, parent: int) -> int:
    """`level_depth` of a new child of `parent`."""
    row = shop.tables["categories"].rows.get(parent)
    return 0 if row is None else php_int(str(row.get("level_depth") or "0")) + 1


def next_position(shop: ShopState, parent: int) -> int:
    """Position of a new child: after its last sibling."""
    rows = shop.tables["categories"].rows
    siblings = [php_int(str(rows[c].get("position") or "0")) for c in children(shop, parent)]
    return max(siblings) + 1 if siblings else 0
