from decimal import Decimal

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from prestasync import catalogue, shops
from prestasync.catalogue import Incoming, ItemFailure, check_record
from prestasync.models import Binding, Product
from prestasync.prestashop import BadRecord, RemoteProduct, StockRow
from prestasync.vault import Vault

LANGS = {1: "pl", 2: "en"}


def remote(id: int, reference: str = "SKU-1", price: str = "19.900000", active: str = "1") -> RemoteProduct:
    return RemoteProduct(
        id=id,
        reference=reference,
        price=price,
        active=active,
        name={1: f"Produkt {id}", 2: f"Product {id}"},
        description={1: "", 2: ""},
        date_upd="2026-01-01 00:00:00",
        fields={},
        i18n={},
    )


def add_shop(engine: Engine, name: str = "Shop A") -> int:
    with Session(engine) as session, session.begin():
        return shops.add_shop(session, Vault("k"), name=name, url="http://shop.test", key="A" * 32).id


def test_check_record_accepts_a_good_record_with_its_stock() -> None:
    got = check_record(remote(3), LANGS, {3: StockRow(9, 3, 0, 12)})
    assert got == Incoming(
        3, "SKU-1", {"pl": "Produkt 3", "en": "Product 3"}, {"pl": "", "en": ""}, Decimal("19.9"), 12, True
    )


def test_check_record_explains_each_defect() -> None:
    no_ref = check_record(remote(5, reference="  "), LANGS, {})
    bad_price = check_record(remote(6, price="abc"), LANGS, {})
    negative = check_record(remote(7, price="-1"), LANGS, {})
    too_long = check_record(remote(8, reference="X" * 65), LANGS, {})
    unreadable = check_record(BadRecord(9, "SKU-9", "id is not a number"), LANGS, {})
    assert isinstance(no_ref, ItemFailure) and no_ref.sku == "#5" and "no reference" in no_ref.message
    assert isinstance(bad_price, ItemFailure) and "'abc' is not a valid price" in bad_price.message
    assert isinstance(negative, ItemFailure) and negative.code == "invalid_price"
    assert isinstance(too_long, ItemFailure) and too_long.code == "reference_too_long"
    assert unreadable == ItemFailure("SKU-9", "id is not a number", "unreadable", 9)


def test_upsert_twice_creates_no_duplicates_and_keeps_updated_at(sqlite_engine: Engine) -> None:
    shop_id = add_shop(sqlite_engine)
    items = [check_record(remote(i, f"SKU-{i}"), LANGS, {}) for i in range(1, 4)]
    with Session(sqlite_engine) as session:
        assert catalogue.import_page(session, shop_id, items) == []  # type: ignore[arg-type]
    with Session(sqlite_engine) as session:
        first = {p.sku: p.updated_at for p in session.execute(select(Product)).scalars()}
    with Session(sqlite_engine) as session:
        assert catalogue.import_page(session, shop_id, items) == []  # type: ignore[arg-type]
    with Session(sqlite_engine) as session:
        assert session.execute(select(func.count(Product.id))).scalar() == 3
        assert {p.sku: p.updated_at for p in session.execute(select(Product)).scalars()} == first
        assert session.execute(select(func.count(Binding.id))).scalar() == 3


def test_upsert_keeps_languages_the_shop_does_not_have(sqlite_engine: Engine) -> None:
    pl_shop, en_shop = add_shop(sqlite_engine, "PL"), add_shop(sqlite_engine, "EN")
    with Session(sqlite_engine) as session:
        catalogue.import_page(session, pl_shop, [Incoming(1, "S", {"pl": "Żółw"}, {}, Decimal(1), 0, True)])
        catalogue.import_page(session, en_shop, [Incoming(4, "S", {"en": "Turtle"}, {}, Decimal(2), 0, True)])
    with Session(sqlite_engine) as session:
        product = session.execute(select(Product)).scalar_one()
        assert product.name == {"pl": "Żółw", "en": "Turtle"}
        assert product.price == Decimal(2)
        assert [p.sku for p in catalogue.search(session, text="żółw")] == ["S"]


def test_duplicate_reference_in_one_shop_is_reported_not_merged(sqlite_engine: Engine) -> None:
    shop_id = add_shop(sqlite_engine)
    a = Incoming(1, "DUP", {"en": "a"}, {}, Decimal(1), 0, True)
    b = Incoming(2, "DUP", {"en": "b"}, {}, Decimal(1), 0, True)
    with Session(sqlite_engine) as session:
        failures = catalogue.import_page(session, shop_id, [a, b])
    assert [(f.sku, f.code, f.remote_id) for f in failures] == [("DUP", "duplicate_reference", 2)]
    with Session(sqlite_engine) as session:
        failures = catalogue.import_page(session, shop_id, [b])
    assert [f.remote_id for f in failures] == [2]


def test_search_treats_like_wildcards_literally(sqlite_engine: Engine) -> None:
    shop_id = add_shop(sqlite_engine)
    with Session(sqlite_engine) as session:
        catalogue.import_page(
            session,
            shop_id,
            [
                Incoming(1, "A%B", {"en": "x"}, {}, Decimal(1), 0, True),
                Incoming(2, "AXB", {"en": "y"}, {}, Decimal(1), 0, True),
            ],
        )
    with Session(sqlite_engine) as session:
        assert [p.sku for p in catalogue.search(session, text="a%b")] == ["A%B"]


def test_stock_comes_only_from_stock_availables_never_from_the_record() -> None:
    """A product's own `<quantity>` is always 0 on a real 8.1.2 shop (wire README, fact 1)."""
    from dataclasses import replace

    carried = replace(remote(1), fields={"quantity": "7"})
    assert check_record(carried, LANGS, {}).quantity == 0  # type: ignore[union-attr]
    assert check_record(carried, LANGS, {1: StockRow(5, 1, 0, 3)}).quantity == 3  # type: ignore[union-attr]
