"""Combinations: matched across imports and shops by link, unique reference, then value set."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine

from prestasync.models import Combination, Product, RemoteLink, SpecificPrice
from tests.catalogue.conftest import add_shop, combination, price, product, rows, write


def test_a_second_shop_matches_by_reference_and_only_adds_its_links(sqlite_engine: Engine) -> None:
    a, b = add_shop(sqlite_engine, "A"), add_shop(sqlite_engine, "B")
    write(sqlite_engine, a, product(1, combinations=(combination(1, "P-1-S", [10]), combination(2, "P-1-M", [11]))))
    first = {c.reference: c.id for c in rows(sqlite_engine, Combination)}
    # Shop B lists them the other way round, with other ids and other stock.
    result = write(
        sqlite_engine,
        b,
        product(7, combinations=(combination(71, "P-1-M", [11], 4), combination(72, "P-1-S", [10], 5))),
    )
    assert result.outcomes == {7: "updated"}
    got = {c.reference: (c.id, c.quantity) for c in rows(sqlite_engine, Combination)}
    assert got == {"P-1-S": (first["P-1-S"], 5), "P-1-M": (first["P-1-M"], 4)}
    links = {(link.shop_id, link.remote_id): link.local_id for link in rows(sqlite_engine, RemoteLink)}
    assert links == {(a, 1): first["P-1-S"], (a, 2): first["P-1-M"], (b, 72): first["P-1-S"], (b, 71): first["P-1-M"]}


def test_references_shared_with_the_product_match_by_value_set(sqlite_engine: Engine) -> None:
    a, b = add_shop(sqlite_engine, "A"), add_shop(sqlite_engine, "B")
    # README fact 4: the demo gives every combination its product's reference.
    write(sqlite_engine, a, product(1, combinations=(combination(1, "P-1", [10, 20]), combination(2, "P-1", [11]))))
    ids = {tuple(c.values): c.id for c in rows(sqlite_engine, Combination)}
    write(sqlite_engine, b, product(3, combinations=(combination(5, "P-1", [11], 9), combination(6, "P-1", [10, 20]))))
    assert {tuple(c.values): (c.id, c.quantity) for c in rows(sqlite_engine, Combination)} == {
        (10, 20): (ids[(10, 20)], 1),
        (11,): (ids[(11,)], 9),
    }


def test_a_combination_gone_from_the_shop_goes_with_its_prices_and_every_link(sqlite_engine: Engine) -> None:
    a, b = add_shop(sqlite_engine, "A"), add_shop(sqlite_engine, "B")
    both = (combination(1, "P-1-S", [10]), combination(2, "P-1-M", [11]))
    write(sqlite_engine, a, product(1, combinations=both, prices=(price(30, combination=2), price(31))))
    write(sqlite_engine, b, product(4, combinations=(combination(41, "P-1-S", [10]), combination(42, "P-1-M", [11]))))
    before = rows(sqlite_engine, Product)[0].updated_at
    result = write(sqlite_engine, a, product(1, combinations=both[:1], prices=(price(31),)))
    assert result.outcomes == {1: "updated"} and rows(sqlite_engine, Product)[0].updated_at > before
    assert [c.reference for c in rows(sqlite_engine, Combination)] == ["P-1-S"]
    assert [(p.combination_id, p.reduction) for p in rows(sqlite_engine, SpecificPrice)] == [(None, Decimal("0.1"))]
    kept = {(link.shop_id, link.kind, link.remote_id) for link in rows(sqlite_engine, RemoteLink)}
    assert kept == {(a, "combination", 1), (a, "specific_price", 31), (b, "combination", 41)}


def test_only_a_stock_change_of_one_combination_moves_updated_at(sqlite_engine: Engine) -> None:
    a = add_shop(sqlite_engine, "A")
    combos = (combination(1, "P-1-S", [10], 3), combination(2, "P-1-M", [11], 3))
    write(sqlite_engine, a, product(1, combinations=combos))
    stamp = rows(sqlite_engine, Product)[0].updated_at
    assert write(sqlite_engine, a, product(1, combinations=combos)).outcomes == {1: "unchanged"}
    assert rows(sqlite_engine, Product)[0].updated_at == stamp
    moved = (combos[0], combination(2, "P-1-M", [11], 2))
    assert write(sqlite_engine, a, product(1, combinations=moved)).outcomes == {1: "updated"}
    assert rows(sqlite_engine, Product)[0].updated_at > stamp
