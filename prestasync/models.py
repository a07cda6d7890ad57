"""Database tables: shops, the catalogue, per-shop bindings, jobs and the job item ledger.

All timestamps are stored as naive UTC (microsecond precision on every engine) and read
back as aware UTC datetimes. The schema is owned by the Alembic migrations in
`prestasync/migrations`; a test checks that they produce exactly these tables.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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

# Column widths, named once. Every check of an input against a column uses these.
SKU_MAX = 64  # a catalogue SKU is a PrestaShop reference: Reference::MAX_LENGTH is 64 (8.x)
ITEM_KEY_MAX = 255  # a ledger row's key: a SKU, `#<shop id>` for a record without one, a file row
SHOP_NAME_MAX = 100
SHOP_URL_MAX = 500
CODE_MAX = 100  # an item's error code (`ps_85`, `invalid_price`, …)
CAUSE_MAX = 255  # an item's normalised cause, the error modal's group key
MESSAGE_MAX = 4000  # an item's or a job's error message
USERNAME_MAX = 100
PROFILE_NAME_MAX = 100


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Shop(Base):
    """A PrestaShop shop. The API key is stored encrypted (see `vault.py`)."""

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(SHOP_NAME_MAX), unique=True)
    url: Mapped[str] = mapped_column(String(SHOP_URL_MAX))
    api_key_encrypted: Mapped[str] = mapped_column(Text)
    # Products changed after this instant are what the next `sync` pushes.
    synced_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Product(Base):
    """A catalogue product. `name` and `description` map ISO language codes to text."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku: Mapped[str] = mapped_column(String(SKU_MAX), unique=True)
    name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    description: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    price: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Binding(Base):
    """Links a catalogue product to its record in one shop, with the last sync outcome."""

    __tablename__ = "product_bindings"
    __table_args__ = (
        UniqueConstraint("shop_id", "product_id"),
        UniqueConstraint("shop_id", "remote_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    remote_id: Mapped[int | None] = mapped_column(BigInteger)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[str] = mapped_column(String(20), default="never")
    last_error: Mapped[str | None] = mapped_column(Text)


class ShopSlot(Base):
    """One of a shop's request slots. An export chunk holds one while it talks to the shop,
    so all workers on all machines together keep at most `shop_concurrency` requests in
    flight per shop. A lease whose holder died expires at `until`."""

    __tablename__ = "shop_slots"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holder: Mapped[str | None] = mapped_column(String(64))
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Job(Base):
    """One bulk job against one shop: the seed's `job_progress`, extended.

    Counters are only ever changed by relative updates (`processed = processed + n`), so
    many writers on one row never lose an update. `version` grows on every write; the
    live-update poller uses it to tell changed rows apart.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_created", "status", "created_at"),
        Index("ix_jobs_shop_created", "shop_id", "created_at"),
        Index("ix_jobs_updated", "updated_at"),
        Index("ix_jobs_finished", "finished_at"),
        # "All jobs, newest first" (history, the poller's snapshot): without it, a table scan.
        Index("ix_jobs_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="SET NULL"))
    shop_name: Mapped[str] = mapped_column(String(SHOP_NAME_MAX))
    group_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    # Outcomes of the handled items (issue 8): records created, updated, left unchanged.
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    checkpoint: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    retry_of: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JobItem(Base):
    """The item ledger: one row per planned item (exports, syncs, files) and per failed or
    skipped item of any job.

    Never capped: a job with 10,000 failures has 10,000 rows, read page by page. `state` is a
    `progress.ItemState`, changed only through `ledger.py`; `outcome` a `progress.Outcome`.
    `changes` maps each changed field to `[before, after]`; `digest` fingerprints the shop's
    record as it was read, so applying a preview can tell whether it changed since.
    """

    __tablename__ = "job_items"
    __table_args__ = (
        Index("ix_job_items_job_state", "job_id", "state"),
        Index("ix_job_items_job_cause", "job_id", "cause"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(ITEM_KEY_MAX))
    remote_id: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(10), default="failed")
    outcome: Mapped[str | None] = mapped_column(String(10))
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    digest: Mapped[str | None] = mapped_column(String(40))
    # Who claimed a planned item (`running`); duplicate chunk deliveries claim nothing.
    lease: Mapped[str | None] = mapped_column(String(36))
    error_code: Mapped[str | None] = mapped_column(String(CODE_MAX))
    message: Mapped[str | None] = mapped_column(Text)
    # `message` with SKUs, quoted values and numbers normalised (see `progress.cause_of`).
    cause: Mapped[str | None] = mapped_column(String(CAUSE_MAX))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ImportProfile(Base):
    """A saved way to read a catalogue file: which file column feeds which catalogue column
    (`mapping`, file header -> catalogue column, "" to ignore one), and how to read the file
    (`options`: delimiter, encoding, decimal comma, sheet). See `profiles.py`."""

    __tablename__ = "import_profiles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(PROFILE_NAME_MAX), unique=True)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class User(Base):
    """A dashboard account. Passwords are stored as scrypt hashes (see `accounts.py`)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiToken(Base):
    """A bearer token for scripts and the CLI. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
