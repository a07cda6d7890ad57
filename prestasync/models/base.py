"""What every table stands on: the declarative `Base` with its constraint names, aware-UTC
timestamps, the id, money and measure types, and the column widths, named once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Integer, MetaData, Numeric, TypeDecorator
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, naive UTC with microseconds in the database."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# Named constraints let Alembic alter them on every engine (SQLite batch mode included).
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

BigId = BigInteger().with_variant(Integer(), "sqlite")
Money = Numeric(20, 6)
Measure = Numeric(20, 6)  # weights and dimensions: PrestaShop keeps six decimals

# Column widths, named once. Every check of an input against a column uses these.
SKU_MAX = 64  # a catalogue SKU is a PrestaShop reference: Reference::MAX_LENGTH is 64 (8.x)
ITEM_KEY_MAX = 255  # a ledger row's key: a SKU, `#<shop id>` for a record without one, a file row
SHOP_NAME_MAX = 100
SHOP_URL_MAX = 500
CODE_MAX = 100  # an item's error code (`ps_85`, `invalid_price`, …)
CAUSE_MAX = 255  # an item's normalised cause, the error modal's group key
MESSAGE_MAX = 4000  # an item's or a job's error message
USERNAME_MAX = 100
LANG_MAX = 8  # an ISO language code as PrestaShop stores it (`pl`, `en`, `pt-br` is `br`)
KIND_MAX = 20  # small enumerations: product kind, reduction type, link kind, content type
NAME_MAX = 128  # tax group, manufacturer, attribute and feature names (PrestaShop: 64-128)
PATH_MAX = 500  # a category's path from the top
CODE13_MAX, ISBN_MAX, UPC_MAX, MPN_MAX = 13, 32, 12, 40  # PrestaShop's product identifier widths
EMAIL_MAX = 254  # RFC 5321's limit on a forward path
WEBHOOK_URL_MAX = 500
CRON_MAX = 100
ANSWER_MAX = 500  # the excerpt of a delivery's answer kept in the log
PROFILE_NAME_MAX = 100


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
