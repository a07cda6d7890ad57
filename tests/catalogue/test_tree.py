"""The category tree: matched by path across shops, names kept per language."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from prestasync.catalogue.tree import ShopCategory, sync_categories
from prestasync.models import Category, RemoteLink
from tests.catalogue.conftest import add_shop, rows


def sync(engine: Engine, shop_id: int, *categories: ShopCategory) -> tuple[dict[int, int], dict[int, str]]:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        result = sync_categories(session, shop_id, categories)
    return result.ids, result.skipped


def test_two_shops_share_categories_by_path_and_keep_each_language(sqlite_engine: Engine) -> None:
    en, pl = add_shop(sqlite_engine, "EN"), add_shop(sqlite_engine, "PL")
    home = ShopCategory(2, None, {"en": "Home"}, {"en": "home"}, True)
    clothes = ShopCategory(3, 2, {"en": "Clothes "}, {"en": "clothes"}, True)
    sync(sqlite_engine, en, home, clothes, ShopCategory(4, 3, {"en": "Men"}, {"en": "men"}, True))
    # Polish shop: its home has another name and id; a child named like the English one.
    ids, skipped = sync(
        sqlite_engine,
        pl,
        ShopCategory(9, None, {"pl": "Strona główna"}, {"pl": "strona-glowna"}, True),
        ShopCategory(12, 9, {"pl": "clothes"}, {"pl": "odziez"}, False),
        ShopCategory(13, 9, {"pl": "CLOTHES"}, {"pl": "odziez-2"}, True),  # a duplicate the shop allows
        ShopCategory(14, 77, {"pl": "Sierota"}, {"pl": "sierota"}, True),  # its parent is not listed
        ShopCategory(15, 14, {"pl": "Wnuk"}, {"pl": "wnuk"}, True),
        ShopCategory(16, 9, {"pl": "  "}, {"pl": ""}, True),
    )
    tree = {c.path: c for c in rows(sqlite_engine, Category)}
    assert set(tree) == {"home", "home > clothes", "home > clothes > men"}
    assert tree["home"].name == {"en": "Home", "pl": "Strona główna"}
    assert tree["home > clothes"].name == {"en": "Clothes ", "pl": "clothes"}  # byte exact; the lowest id's
    assert tree["home > clothes"].active is False  # the shop's word
    assert ids == {9: tree["home"].id, 12: tree["home > clothes"].id, 13: tree["home > clothes"].id}
    assert set(skipped) == {14, 15, 16} and "parent #77" in skipped[14] and "no name" in skipped[16]
    links = {(link.shop_id, link.remote_id) for link in rows(sqlite_engine, RemoteLink)}
    assert links == {(en, 2), (en, 3), (en, 4), (pl, 9), (pl, 12)}  # a duplicate links once: the lowest id
