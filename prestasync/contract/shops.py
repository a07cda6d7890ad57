"""Shops as the outside sees them: a shop and its settings (never its key), and its statistics."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from prestasync.contract.base import Out
from prestasync.models import Shop


class ShopOut(Out):
    """A shop and its settings, as `GET /api/shops/{id}` and `shops show ID --json` give it: never its key."""

    id: int
    name: str
    url: str
    synced_until: datetime | None = Field(description="`sync` pushes products changed after this instant")
    guard_enabled: bool = Field(description="the change guard holds sweeping exports for a person to confirm")
    guard_share_pct: int = Field(
        description="hold an export that zeroes the stock of, or moves the price of, more than this % of the products"
    )
    guard_price_pct: int = Field(description="a price counts as moved when it changes by more than this %")
    default_tax_group: int | None = Field(
        description="the shop's tax rules group id for products whose group it lacks; null: its lowest active one"
    )
    fallback_language: str | None = Field(
        description="the catalogue language for shop languages the catalogue lacks; null: the shop's default, "
        "else English, else the first one"
    )
    created_at: datetime
    updated_at: datetime


class ShopStats(Out):
    shop_id: int
    days: int
    jobs: int
    completed: int
    failed: int
    cancelled: int
    active: int
    success_rate: float | None
    items_processed: int
    items_failed: int
    avg_duration_s: float | None


class DayStats(Out):
    date: str
    jobs: int
    completed: int
    failed: int
    cancelled: int
    items_processed: int
    items_failed: int


def shop_out(shop: Shop) -> ShopOut:
    return ShopOut(
        id=shop.id,
        name=shop.name,
        url=shop.url,
        synced_until=shop.synced_until,
        guard_enabled=shop.guard_enabled,
        guard_share_pct=shop.guard_share_pct,
        guard_price_pct=shop.guard_price_pct,
        default_tax_group=shop.default_tax_group,
        fallback_language=shop.fallback_language,
        created_at=shop.created_at,
        updated_at=shop.updated_at,
    )
