"""The JSON API of shops under `/api/shops`: register, read, change and remove a shop, and its
statistics. Same rules as `api.py`: typed answers, bounded inputs, documented `Problem`s. A
shop's key goes in (POST, PATCH) and never comes out: `ShopOut` has no field for it.

Every check of what a shop may be lives in `shops.py`; the request models here say the same
rules in the schema, so a client can tell a good request from a bad one before sending it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from prestasync import shops, stats
from prestasync.contract import DayStats, ShopOut, ShopStats, shop_out
from prestasync.models import SHOP_NAME_MAX, SHOP_URL_MAX
from prestasync.web.api import MAX_ID, NOT_BLANK, Days, _json_integer, _known_query, _problems
from prestasync.web.deps import ReadSessionDep, RuntimeDep, SessionDep

# The shapes `shops.normalise_url` and `shops.check_key` accept (no credentials, query or fragment;
# a port of 1 to 65535), so a client can tell a good shop from a bad one before sending it.
_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
SHOP_URL = rf"^\s*https?://[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?(:{_PORT})?(/[^?#\s\x00]*)?\s*$"
SHOP_KEY = r"^\s*[A-Za-z0-9]{32}\s*$"

ShopId = Annotated[int, Path(ge=1, le=MAX_ID, description="A shop id.")]
Name = Annotated[str, Field(min_length=1, max_length=SHOP_NAME_MAX, pattern=NOT_BLANK)]
Url = Annotated[
    str, Field(min_length=1, max_length=SHOP_URL_MAX, pattern=SHOP_URL, description="http(s)://host[:port][/path]")
]
Key = Annotated[
    str, Field(min_length=32, max_length=200, pattern=SHOP_KEY, description="the 32-character webservice key")
]
SharePct = Annotated[int, Field(ge=1, le=shops.SHARE_PCT_MAX), BeforeValidator(_json_integer)]
PricePct = Annotated[int, Field(ge=1, le=shops.PRICE_PCT_MAX), BeforeValidator(_json_integer)]
TaxGroup = Annotated[int, Field(ge=1, le=shops.TAX_GROUP_MAX), BeforeValidator(_json_integer)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$")]

router = APIRouter(prefix="/api", responses=_problems(), dependencies=[Depends(_known_query)])


class ShopRequest(BaseModel):
    """A shop to register; `shops.add_shop` checks the same rules (the schema says them for clients)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    url: Url
    key: Key


def _no_defaults(schema: JsonDict) -> None:
    # "Not sent" is the default of every field; `"default": null` on a string would contradict its type.
    properties = schema.get("properties")
    for prop in properties.values() if isinstance(properties, dict) else ():
        if isinstance(prop, dict):
            prop.pop("default", None)


class ShopChange(BaseModel):
    """A partial change of a shop: only the fields sent change (`shops.ShopChanges`).

    `null` is taken only by the two settings it means something for: `default_tax_group`
    and `fallback_language` go back to the automatic choice. The schema gives the other
    fields no `null`; one sent anyway is refused by `shops.check_changes` (422).
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=_no_defaults)

    name: Name | SkipJsonSchema[None] = None
    url: Url | SkipJsonSchema[None] = None
    key: Key | SkipJsonSchema[None] = None
    guard_enabled: StrictBool | SkipJsonSchema[None] = Field(
        None, description="hold sweeping exports for a person to confirm"
    )
    guard_share_pct: SharePct | SkipJsonSchema[None] = Field(
        None, description="hold an export that zeroes the stock of, or moves the price of, more than this % of products"
    )
    guard_price_pct: PricePct | SkipJsonSchema[None] = Field(
        None, description="a price counts as moved when it changes by more than this %"
    )
    default_tax_group: TaxGroup | None = Field(None, description="the shop's tax rules group id; null: automatic")
    fallback_language: Language | None = Field(None, description="a catalogue language code; null: automatic")


@router.get("/shops", response_model=list[ShopOut])
def list_shops(session: ReadSessionDep) -> list[ShopOut]:
    return [shop_out(s) for s in shops.list_shops(session)]


@router.post("/shops", status_code=201, response_model=ShopOut, responses=_problems(403, 409))
def add_shop(body: ShopRequest, rt: RuntimeDep, session: SessionDep) -> ShopOut:
    with session.begin():
        shop = shops.add_shop(session, rt.vault, name=body.name, url=body.url, key=body.key)
    return shop_out(shop)


@router.get("/shops/{shop_id}", response_model=ShopOut, responses=_problems(404))
def get_shop(shop_id: ShopId, session: ReadSessionDep) -> ShopOut:
    """One shop with its settings (never its key)."""
    return shop_out(shops.get_shop(session, shop_id))


@router.patch("/shops/{shop_id}", response_model=ShopOut, responses=_problems(403, 404, 409))
def edit_shop(shop_id: ShopId, body: ShopChange, rt: RuntimeDep, session: SessionDep) -> ShopOut:
    """Change what is sent and keep the rest; 409 when the new name is another shop's."""
    with session.begin():
        shop = shops.update_shop(
            session, rt.vault, shops.get_shop(session, shop_id), body.model_dump(exclude_unset=True)
        )
    return shop_out(shop)


@router.delete("/shops/{shop_id}", status_code=204, responses=_problems(403, 404, 409))
def delete_shop(shop_id: ShopId, session: SessionDep) -> None:
    """Remove the shop with its bindings, links, schedules; its jobs stay in the history under
    the shop's name (`shops.delete_shop`). 409 while it has a pending, running or held job."""
    with session.begin():
        shops.delete_shop(session, shops.get_shop(session, shop_id))


@router.get("/shops/{shop_id}/stats", response_model=ShopStats, responses=_problems(404))
def shop_stats(shop_id: ShopId, session: ReadSessionDep, days: Days = 7) -> ShopStats:
    shops.get_shop(session, shop_id)
    return stats.shop_stats(session, shop_id, days)


@router.get("/shops/{shop_id}/stats/daily", response_model=list[DayStats], responses=_problems(404))
def shop_daily_stats(shop_id: ShopId, session: ReadSessionDep, days: Days = 7) -> list[DayStats]:
    """Jobs by outcome and items handled per UTC day, oldest first (the sync centre's chart)."""
    shops.get_shop(session, shop_id)
    return stats.daily_stats(session, shop_id, days)
