"""Records a product depends on, found in the shop or created there before the product.

A catalogue category is looked up by its `RemoteLink` for this shop (checked against the
shop's tree: a category deleted in the shop is found again or re-created), else by path
(`naming.path_of`), else created, parents first. PrestaShop checks no duplicates (wire
README, fact 19), so two lanes creating the same missing category would make twins: creation
runs under the shop's row lock in the database (every process, every machine) and looks at
the links again once it holds it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from prestasync.errors import JobError
from prestasync.export.shopview import ShopView
from prestasync.export.text import for_languages
from prestasync.models import Category, RemoteLink, Shop
from prestasync.naming import slug_of

CATEGORY = "category"
_local = threading.Lock()  # lanes of one process queue here before taking the database lock


def categories(
    engine: Engine, shop_id: int, view: ShopView, known: dict[int, Category], wanted: Iterable[int]
) -> dict[int, int]:
    """Catalogue category id -> shop category id for every id in `wanted`."""
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        return {}
    linked = _links(engine, shop_id, CATEGORY, known)
    tree = view.tree
    resolved: dict[int, int] = {}

    def resolve(category_id: int) -> int:
        if category_id in resolved:
            return resolved[category_id]
        category = known[category_id]
        remote = linked.get(category_id)
        if remote is None or remote not in tree.paths:  # never linked, or deleted in the shop since
            remote = tree.by_path.get(category.path)
            if remote is not None:
                _link(engine, shop_id, CATEGORY, category_id, remote)
            else:
                parent = resolve(category.parent_id) if category.parent_id is not None else tree.home
                if parent is None:
                    raise JobError("the shop has no home category to put new categories under")
                remote = _create(engine, shop_id, view, category, parent)
        resolved[category_id] = remote
        return remote

    return {category_id: resolve(category_id) for category_id in wanted}


def _create(engine: Engine, shop_id: int, view: ShopView, category: Category, parent: int) -> int:
    with _local, shop_lock(engine, shop_id) as session:
        again = session.execute(
            select(RemoteLink.remote_id).where(
                RemoteLink.shop_id == shop_id, RemoteLink.kind == CATEGORY, RemoteLink.local_id == category.id
            )
        ).scalar()
        if again is not None:  # another lane created it while we waited for the lock
            view.tree.add(again, category.path)
            return int(again)
        names = for_languages(category.name, view)
        slugs = {lang: category.slug.get(view.iso_of[lang]) or slug_of(text) for lang, text in names.items()}
        record = view.client.create(
            "categories",
            {"id_parent": str(parent), "active": "1" if category.active else "0"},
            {"name": names, "link_rewrite": slugs},
        )
    _link(engine, shop_id, CATEGORY, category.id, record.id)
    view.tree.add(record.id, category.path)
    return record.id


@contextmanager
def shop_lock(engine: Engine, shop_id: int) -> Iterator[Session]:
    """A transaction holding the shop's row lock: one creator of shared records per shop."""
    with Session(engine) as session, session.begin():
        session.execute(select(Shop.id).where(Shop.id == shop_id).with_for_update())
        yield session


def _links(engine: Engine, shop_id: int, kind: str, local_ids: Iterable[int]) -> dict[int, int]:
    ids = list(local_ids)
    with Session(engine) as session:
        rows = session.execute(
            select(RemoteLink.local_id, RemoteLink.remote_id).where(
                RemoteLink.shop_id == shop_id, RemoteLink.kind == kind, RemoteLink.local_id.in_(ids)
            )
        )
        return {int(local): int(remote) for local, remote in rows}


def _link(engine: Engine, shop_id: int, kind: str, local_id: int, remote_id: int) -> None:
    """Remember (or correct) what `local_id` is called in the shop; one link per local and per remote id."""
    with Session(engine) as session, session.begin():
        for row in session.execute(
            select(RemoteLink).where(
                RemoteLink.shop_id == shop_id,
                RemoteLink.kind == kind,
                (RemoteLink.local_id == local_id) | (RemoteLink.remote_id == remote_id),
            )
        ).scalars():
            session.delete(row)
        session.flush()
        session.add(RemoteLink(shop_id=shop_id, kind=kind, local_id=local_id, remote_id=remote_id))
