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
    Float,
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


class Shop(Base):
    """A PrestaShop shop. The API key is stored encrypted (see `vault.py`)."""

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(SHOP_NAME_MAX), unique=True)
    url: Mapped[str] = mapped_column(String(SHOP_URL_MAX))
    api_key_encrypted: Mapped[str] = mapped_column(Text)
    # Products changed after this instant are what the next `sync` pushes.
    synced_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The tax rules group a product gets when the catalogue names none this shop has (None: the
    # shop's lowest-id active group, as `shops test` shows).
    default_tax_group: Mapped[int | None] = mapped_column(BigInteger)
    # Texts for shop languages the catalogue lacks come from this catalogue language (None: the
    # shop's default language when the catalogue has it, else English, else the first one).
    fallback_language: Mapped[str | None] = mapped_column(String(LANG_MAX))
    # The change guard (`export/guard.py`): hold an export whose plan zeroes the stock of, or moves
    # the price by more than `guard_price_pct` % of, more than `guard_share_pct` % of the products.
    guard_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    guard_share_pct: Mapped[int] = mapped_column(Integer, default=20)
    guard_price_pct: Mapped[int] = mapped_column(Integer, default=50)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Product(Base):
    """A catalogue product. Text fields map ISO language codes to text, byte exact.

    `kind` is simple, combinations, pack or virtual. A product with combinations keeps its
    stock per combination (`Combination.quantity`); its own `quantity` is their sum, shown but
    never written to a shop. Optional fields are None when the catalogue does not know them,
    so an export leaves the shop's value alone instead of writing an empty one.
    """

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku: Mapped[str] = mapped_column(String(SKU_MAX), unique=True)
    kind: Mapped[str] = mapped_column(String(KIND_MAX), default="simple")
    name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    description: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    description_short: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    slug: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    price: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    wholesale_price: Mapped[Decimal | None] = mapped_column(Money)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    tax_group: Mapped[str | None] = mapped_column(String(NAME_MAX))  # the tax rules group's name
    manufacturer_id: Mapped[int | None] = mapped_column(ForeignKey("manufacturers.id", ondelete="SET NULL"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))
    weight: Mapped[Decimal | None] = mapped_column(Measure)
    width: Mapped[Decimal | None] = mapped_column(Measure)
    height: Mapped[Decimal | None] = mapped_column(Measure)
    depth: Mapped[Decimal | None] = mapped_column(Measure)
    ean13: Mapped[str | None] = mapped_column(String(CODE13_MAX))
    isbn: Mapped[str | None] = mapped_column(String(ISBN_MAX))
    upc: Mapped[str | None] = mapped_column(String(UPC_MAX))
    mpn: Mapped[str | None] = mapped_column(String(MPN_MAX))
    minimal_quantity: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Manufacturer(Base):
    """A brand, matched in shops by name."""

    __tablename__ = "manufacturers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)


class Category(Base):
    """A node of the catalogue's category tree; `path` is its place from the top, the names
    in the key language joined by " > " (`catalogue_tree.path_of`), unique."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(PATH_MAX), unique=True)
    name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    slug: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ProductCategory(Base):
    """A product's link to a category (its default category is `Product.category_id`)."""

    __tablename__ = "product_categories"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True)


class AttributeGroup(Base):
    """An attribute group (PrestaShop `product_options`: Size, Color), matched by `key`."""

    __tablename__ = "attribute_groups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    public_name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    group_type: Mapped[str] = mapped_column(String(KIND_MAX), default="select")


class AttributeValue(Base):
    """A value of an attribute group (`product_option_values`: S, M, Red)."""

    __tablename__ = "attribute_values"
    __table_args__ = (UniqueConstraint("group_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("attribute_groups.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(NAME_MAX))
    name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    color: Mapped[str] = mapped_column(String(KIND_MAX), default="")


class Combination(Base):
    """One variant of a product: its own reference, codes, impacts and stock, and the set of
    attribute values that makes it (`values`, sorted value ids, the match key when the
    reference is empty or shared with the product)."""

    __tablename__ = "combinations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(SKU_MAX), default="")
    ean13: Mapped[str] = mapped_column(String(CODE13_MAX), default="")
    isbn: Mapped[str] = mapped_column(String(ISBN_MAX), default="")
    upc: Mapped[str] = mapped_column(String(UPC_MAX), default="")
    mpn: Mapped[str] = mapped_column(String(MPN_MAX), default="")
    price_impact: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    weight_impact: Mapped[Decimal] = mapped_column(Measure, default=Decimal(0))
    minimal_quantity: Mapped[int] = mapped_column(Integer, default=1)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    values: Mapped[list[int]] = mapped_column(JSON, default=list)
    images: Mapped[list[int]] = mapped_column(JSON, default=list)  # catalogue image ids


class Feature(Base):
    """A product feature (Material), matched by `key`."""

    __tablename__ = "features"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class FeatureValue(Base):
    """A value of a feature (Cotton); `custom` values belong to one product in PrestaShop."""

    __tablename__ = "feature_values"
    __table_args__ = (UniqueConstraint("feature_id", "key", "custom"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feature_id: Mapped[int] = mapped_column(ForeignKey("features.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(NAME_MAX))
    value: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    custom: Mapped[bool] = mapped_column(Boolean, default=False)


class ProductFeature(Base):
    __tablename__ = "product_features"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    feature_id: Mapped[int] = mapped_column(ForeignKey("features.id", ondelete="CASCADE"), primary_key=True)
    value_id: Mapped[int] = mapped_column(ForeignKey("feature_values.id", ondelete="CASCADE"))


class Image(Base):
    """A product image: its bytes live in the data dir by content address (`checksum`, SHA-256),
    never in the database; `position`, `cover` and legends per language as the shop shows them."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    checksum: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    content_type: Mapped[str] = mapped_column(String(KIND_MAX), default="image/jpeg")
    position: Mapped[int] = mapped_column(Integer, default=0)
    cover: Mapped[bool] = mapped_column(Boolean, default=False)
    legend: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class SpecificPrice(Base):
    """A price rule of a product (or of one of its combinations): a reduction or a fixed price
    from a quantity, between two dates. `price` is None for "the product's price"."""

    __tablename__ = "specific_prices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    combination_id: Mapped[int | None] = mapped_column(ForeignKey("combinations.id", ondelete="CASCADE"))
    price: Mapped[Decimal | None] = mapped_column(Money)
    reduction: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    reduction_type: Mapped[str] = mapped_column(String(KIND_MAX), default="amount")
    reduction_tax: Mapped[bool] = mapped_column(Boolean, default=True)
    from_quantity: Mapped[int] = mapped_column(Integer, default=1)
    date_from: Mapped[str] = mapped_column(String(19), default="0000-00-00 00:00:00")
    date_to: Mapped[str] = mapped_column(String(19), default="0000-00-00 00:00:00")


class RemoteLink(Base):
    """What a catalogue record (a category, an attribute value, a combination, an image…) is
    called in one shop: `kind` names the table, `local_id` its row, `remote_id` the shop's id.
    `checksum` remembers what was sent (an image's SHA-256 as uploaded: a shop re-encodes images,
    so only what we sent can be compared next time)."""

    __tablename__ = "remote_links"
    __table_args__ = (
        UniqueConstraint("shop_id", "kind", "local_id"),
        UniqueConstraint("shop_id", "kind", "remote_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(KIND_MAX))
    local_id: Mapped[int] = mapped_column(BigInteger)
    remote_id: Mapped[int] = mapped_column(BigInteger)
    checksum: Mapped[str | None] = mapped_column(String(64))


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
        # The notification outbox looks for ended jobs not yet announced (`notified IS NULL`).
        Index("ix_jobs_notified", "notified"),
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
    # What the job is doing now inside its current items (`{"phase": "images", "done": 3,
    # "total": 40}`), NULL between steps; progress a card can show before the counters move.
    step: Mapped[dict[str, Any] | None] = mapped_column(JSON)
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
    # The status last announced (e-mail, webhooks, notification centre); see `outbox.py`.
    notified: Mapped[str | None] = mapped_column(String(20))


class JobItem(Base):
    """The item ledger: one row per planned item (exports, syncs, files) and per failed or
    skipped item of any job.

    Never capped: a job with 10,000 failures has 10,000 rows, read page by page. `state` is a
    `progress.ItemState`, changed only through `ledger`; `outcome` a `progress.Outcome`.
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
    # Notifications: where and in which language to write, which job events by e-mail, and
    # for which shops (None: all of them).
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    language: Mapped[str | None] = mapped_column(String(5))
    email_events: Mapped[list[str] | None] = mapped_column(JSON)
    email_shops: Mapped[list[int] | None] = mapped_column(JSON)


class ApiToken(Base):
    """A bearer token for scripts and the CLI. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Schedule(Base):
    """A job started by the clock: a shop's `sync` or `import` every N minutes or on a cron expression.

    `next_run_at` is the slot the schedule waits for; the worker that moves it on to the
    next slot (a conditional UPDATE) is the one that starts the run (see `schedules.py`).
    """

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    every_min: Mapped[int | None] = mapped_column(Integer)
    cron: Mapped[str | None] = mapped_column(String(CRON_MAX))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    last_slot_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    last_job_id: Mapped[int | None] = mapped_column(BigInteger)
    last_message: Mapped[str | None] = mapped_column(String(500))
    runs: Mapped[int] = mapped_column(Integer, default=0)
    skips: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Webhook(Base):
    """An endpoint told about job events. The signing secret is sealed like a shop key."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url: Mapped[str] = mapped_column(String(WEBHOOK_URL_MAX))
    events: Mapped[list[str]] = mapped_column(JSON)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Delivery(Base):
    """One event owed to one recipient: an e-mail to a user or a POST to a webhook, tried until done.

    `body` is frozen when the event happens, so every attempt sends the same bytes. A sender
    leases a due row (`lease_until`) before trying it, so two workers never send it twice at once.
    """

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int] = mapped_column(BigInteger)
    event: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_answer: Mapped[str | None] = mapped_column(String(ANSWER_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeliveryAttempt(Base):
    """One try of a delivery: when, the answer's status and excerpt, or the error."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[int | None] = mapped_column(Integer)
    answer: Mapped[str | None] = mapped_column(String(ANSWER_MAX))
    seconds: Mapped[float] = mapped_column(Float)


class Notification(Base):
    """An entry in one user's notification centre. Its text is written when read, in the reader's language."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    job_id: Mapped[int] = mapped_column(BigInteger)
    event: Mapped[str] = mapped_column(String(20))
    job_type: Mapped[str] = mapped_column(String(20))
    shop_name: Mapped[str] = mapped_column(String(SHOP_NAME_MAX))
    processed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(ANSWER_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
