"""Builders for catalogue writer tests: products with details, written page by page."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from prestasync import catalogue, shops
from prestasync.catalogue import Details, Incoming, IncomingCombination, IncomingImage, IncomingPrice, PageResult
from prestasync.vault import Vault

SUM_A, SUM_B, SUM_C = "a" * 64, "b" * 64, "c" * 64


def add_shop(engine: Engine, name: str) -> int:
    with Session(engine) as session, session.begin():
        return shops.add_shop(session, Vault("k"), name=name, url="http://shop.test", key="A" * 32).id


def combination(
    remote_id: int, reference: str, values: Sequence[int], quantity: int = 1, **extra: Any
) -> IncomingCombination:
    fields: dict[str, Any] = {
        "remote_id": remote_id,
        "reference": reference,
        "ean13": "",
        "isbn": "",
        "upc": "",
        "mpn": "",
        "price_impact": Decimal(0),
        "weight_impact": Decimal(0),
        "minimal_quantity": 1,
        "is_default": False,
        "quantity": quantity,
        "position": 0,
        "values": tuple(values),
    }
    return IncomingCombination(**(fields | extra))


def image(remote_id: int, checksum: str, position: int, cover: bool = False) -> IncomingImage:
    return IncomingImage(remote_id, checksum, 10, "image/png", position, cover)


def price(remote_id: int, combination: int | None = None, reduction: str = "0.1") -> IncomingPrice:
    return IncomingPrice(remote_id, combination, None, Decimal(reduction), "percentage", True, 1, "0", "0")


def product(remote_id: int, sku: str = "P-1", **details: Any) -> Incoming:
    return Incoming(remote_id, sku, {"en": sku}, {}, Decimal(5), 0, True, Details(**details))


def write(engine: Engine, shop_id: int, *items: Incoming) -> PageResult:
    with Session(engine, expire_on_commit=False) as session:
        return catalogue.import_products(session, shop_id, list(items))


def rows(engine: Engine, model: Any) -> list[Any]:
    with Session(engine) as session:
        return list(session.execute(select(model).order_by(model.id)).scalars())
