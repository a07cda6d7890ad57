"""Shops and what ties the catalogue to each: the shop row, the ids its records have there
(`RemoteLink`, `Binding`), and its request slots."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from prestasync.models.base import KIND_MAX, LANG_MAX, SHOP_NAME_MAX, SHOP_URL_MAX, Base, BigId, UTCDateTime, utcnow


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
