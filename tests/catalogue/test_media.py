"""Images: one catalogue image per distinct content of a product; gone images are deleted."""

from __future__ import annotations

from sqlalchemy import Engine

from prestasync.models import Combination, Image, RemoteLink
from tests.catalogue.conftest import SUM_A, SUM_B, SUM_C, add_shop, combination, image, product, rows, write


def test_the_same_bytes_twice_are_one_image_and_combinations_point_at_it(sqlite_engine: Engine) -> None:
    a = add_shop(sqlite_engine, "A")
    pictures = (image(1, SUM_A, 1, cover=True), image(2, SUM_B, 2), image(3, SUM_A, 3))
    combos = (combination(9, "P-1-S", [10], images=(3, 2)),)
    write(sqlite_engine, a, product(1, images=pictures, combinations=combos))
    stored = {i.checksum: i for i in rows(sqlite_engine, Image)}
    assert sorted(stored) == [SUM_A, SUM_B]
    assert (stored[SUM_A].position, stored[SUM_A].cover, stored[SUM_B].position) == (1, True, 2)
    assert rows(sqlite_engine, Combination)[0].images == [stored[SUM_A].id, stored[SUM_B].id]
    links = {link.remote_id: (link.local_id, link.checksum) for link in rows(sqlite_engine, RemoteLink)}
    assert {r: v for r, v in links.items() if r in (1, 2, 3)} == {
        1: (stored[SUM_A].id, SUM_A),
        2: (stored[SUM_B].id, SUM_B),
    }


def test_an_image_gone_from_the_shop_is_deleted_and_the_cover_follows_the_shop(sqlite_engine: Engine) -> None:
    a, b = add_shop(sqlite_engine, "A"), add_shop(sqlite_engine, "B")
    write(sqlite_engine, a, product(1, images=(image(1, SUM_A, 1, cover=True), image(2, SUM_B, 2))))
    write(sqlite_engine, b, product(5, images=(image(51, SUM_A, 1, cover=True), image(52, SUM_B, 2))))
    kept = next(i.id for i in rows(sqlite_engine, Image) if i.checksum == SUM_B)
    result = write(sqlite_engine, a, product(1, images=(image(2, SUM_B, 1, cover=True), image(4, SUM_C, 2))))
    assert result.outcomes == {1: "updated"}
    got = {i.checksum: (i.id, i.position, i.cover) for i in rows(sqlite_engine, Image)}
    assert got[SUM_B] == (kept, 1, True) and set(got) == {SUM_B, SUM_C}
    links = {(link.shop_id, link.remote_id) for link in rows(sqlite_engine, RemoteLink)}
    assert links == {(a, 2), (a, 4), (b, 52)}  # shop B's link to the deleted image went with it
