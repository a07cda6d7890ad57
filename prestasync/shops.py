"""The shop registry: add, change, list, look up and remove shops. Every write to a shop goes
through here, whichever front end asks (API, dashboard, CLI), so the rules are checked once."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TypedDict, cast
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prestasync.errors import ControlError, Refused, ShopError, ShopNotFound
from prestasync.models import SHOP_NAME_MAX, SHOP_URL_MAX, Binding, Job, RemoteLink, Schedule, Shop, ShopSlot
from prestasync.progress import ACTIVE
from prestasync.vault import Vault

__all__ = [
    "ShopChanges",
    "ShopError",
    "ShopNotFound",
    "add_shop",
    "check_changes",
    "number_from_text",
    "delete_shop",
    "find_shop",
    "get_shop",
    "list_shops",
    "update_shop",
]

SHARE_PCT_MAX = 100  # the guard's share: a percentage of the products
PRICE_PCT_MAX = 1000  # the guard's price move: a tenfold price is still a move one may allow
# PrestaShop's ids are INT(10) UNSIGNED.
TAX_GROUP_MAX = 2**32 - 1
LANGUAGE = re.compile(r"[a-z]{2}")  # a catalogue language: PrestaShop's two-letter `iso_code`


class ShopChanges(TypedDict, total=False):
    """A partial change of a shop: a field left out is kept as it is. `default_tax_group` and
    `fallback_language` also take None: back to the automatic choice (see `models.Shop`)."""

    name: str
    url: str
    key: str
    guard_enabled: bool
    guard_share_pct: int
    guard_price_pct: int
    default_tax_group: int | None
    fallback_language: str | None


def normalise_url(url: str) -> str:
    """The shop's base URL without a trailing `/api/` or slash; http(s) with a host only."""
    url = url.strip()
    if len(url) > SHOP_URL_MAX:
        raise ShopError(f"shop URL is longer than {SHOP_URL_MAX} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise ShopError("shop URL is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # The URL is not repeated: one pasted with credentials would leak them into logs and screens.
        raise ShopError("shop URL must start with http:// or https:// and name a host, e.g. https://shop.example.com")
    if parts.query or parts.fragment:
        raise ShopError("shop URL must not have a query string or fragment")
    if parts.username or parts.password:
        raise ShopError("put the API key in --key, not in the URL")
    base = url.rstrip("/")
    return base[: -len("/api")] if base.endswith("/api") else base


def check_key(key: str) -> str:
    key = key.strip()
    if not key:
        raise ShopError("the API key is empty")
    if len(key) != 32 or not (key.isascii() and key.isalnum()):  # `isalnum` alone takes "é"
        raise ShopError("a PrestaShop webservice key is 32 letters and digits")
    return key


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > SHOP_NAME_MAX or "\x00" in name:  # PostgreSQL refuses NUL in text
        raise ShopError(f"shop name must be 1 to {SHOP_NAME_MAX} characters")
    return name


def number_from_text(text: str) -> object:
    """A number typed in a form or on a command line: digits become an int for `check_changes`
    to bound; anything else is passed on as it is, for `check_changes` to refuse with the same
    message the API gives. (Twelve digits at most: `int()` of thousands is slow, then refused.)"""
    return int(text) if re.fullmatch(r"\s*\d{1,12}\s*", text) else text


def check_changes(changes: Mapping[str, object]) -> ShopChanges:
    """`changes` checked and normalised (name trimmed, URL without `/api`, language in lower
    case); a ShopError names the first unusable one. Pure, so a client can check before it sends."""
    unknown = sorted(set(changes) - set(_CHECKS))
    if unknown:
        raise ShopError(f"unknown shop setting(s): {', '.join(repr(u[:40]) for u in unknown[:5])}")
    return cast(ShopChanges, {field: _CHECKS[field](value) for field, value in changes.items()})


def _text(field: str, check: Callable[[str], object]) -> Callable[[object], object]:
    def checked(value: object) -> object:
        _not_null(field, value)
        if not isinstance(value, str):
            raise ShopError(f"{field} must be text")
        return check(value)

    return checked


def _flag(value: object) -> bool:
    _not_null("guard_enabled", value)
    if not isinstance(value, bool):
        raise ShopError("guard_enabled must be true or false")
    return value


def _whole(field: str, high: int, *, nullable: bool = False) -> Callable[[object], object]:
    def checked(value: object) -> object:
        if value is None and nullable:
            return None
        _not_null(field, value)
        # `bool` is an `int` to Python; `True` for a percentage is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            raise ShopError(f"{field} must be a whole number from 1 to {high}")
        return value

    return checked


def _language(value: object) -> str | None:
    if value is None:
        return None
    code = value.strip().lower() if isinstance(value, str) else ""
    if not LANGUAGE.fullmatch(code):
        raise ShopError("fallback_language must be a two-letter language code such as en or pl")
    return code


def _not_null(field: str, value: object) -> None:
    if value is None:
        raise ShopError(f"{field} cannot be null; leave it out to keep it as it is")


_CHECKS: dict[str, Callable[[object], object]] = {
    "name": _text("name", check_name),
    "url": _text("url", normalise_url),
    "key": _text("key", check_key),
    "guard_enabled": _flag,
    "guard_share_pct": _whole("guard_share_pct", SHARE_PCT_MAX),
    "guard_price_pct": _whole("guard_price_pct", PRICE_PCT_MAX),
    "default_tax_group": _whole("default_tax_group", TAX_GROUP_MAX, nullable=True),
    "fallback_language": _language,
}


def add_shop(session: Session, vault: Vault, *, name: str, url: str, key: str) -> Shop:
    shop = Shop(name=check_name(name), url=normalise_url(url), api_key_encrypted=vault.seal(check_key(key)))
    session.add(shop)
    _flush(session, shop.name)
    return shop


def update_shop(session: Session, vault: Vault, shop: Shop, changes: Mapping[str, object]) -> Shop:
    """Apply a partial change (see `ShopChanges`); the caller commits. The key is sealed before
    it is stored; a name another shop has is refused (Refused: 409), like adding one."""
    for field, value in check_changes(changes).items():
        if field == "key":
            shop.api_key_encrypted = vault.seal(str(value))
        else:
            setattr(shop, field, value)
    _flush(session, shop.name)
    return shop


def _flush(session: Session, name: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # the only unique column is the name
        raise Refused(f"a shop named {name!r} already exists") from exc


def delete_shop(session: Session, shop: Shop) -> None:
    """Remove a shop with what only it uses: its product bindings, remote links (what its
    categories, images, combinations are called there), schedules and request slots. The caller
    commits. Refused (409) while it has an active job: pending, running, held or cancelling.

    Its jobs are not deleted: history, statistics and error reports outlive the shop. They keep
    the shop's name (`Job.shop_name`) and lose its id (`shop_id` becomes NULL, as the foreign
    key's ON DELETE SET NULL also says), so no id points at a shop that is gone or, on SQLite
    (which reuses the highest id), at a later shop. A job started while the shop is removed
    finds no shop when it runs and fails saying the shop was deleted (`context.py`).
    """
    active = session.execute(
        select(func.count(Job.id)).where(Job.shop_id == shop.id, Job.status.in_([s.value for s in ACTIVE]))
    ).scalar()
    if active:
        raise ControlError(f"shop {shop.name!r} has {active} active job(s); cancel them or wait for them to end")
    # Explicit rather than relying on ON DELETE: one rule on every database, whatever its settings.
    for table in (Binding, RemoteLink, Schedule, ShopSlot):
        session.execute(delete(table).where(table.shop_id == shop.id).execution_options(synchronize_session=False))
    session.execute(
        update(Job).where(Job.shop_id == shop.id).values(shop_id=None).execution_options(synchronize_session=False)
    )
    session.delete(shop)
    session.flush()


def lock(session: Session, shop_id: int) -> None:
    """Hold the shop's row lock until this transaction ends: whoever writes the shop's links
    (`RemoteLink`: an import's reference data, an export's dependencies and product parts)
    takes it first, so two jobs of one shop never insert the same link at once."""
    session.execute(select(Shop.id).where(Shop.id == shop_id).with_for_update())


def list_shops(session: Session) -> list[Shop]:
    return list(session.execute(select(Shop).order_by(Shop.name)).scalars())


def get_shop(session: Session, shop_id: int) -> Shop:
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise ShopNotFound(f"no shop with id {shop_id}")
    return shop


def find_shop(session: Session, name: str) -> Shop:
    shop = session.execute(select(Shop).where(Shop.name == name)).scalar()
    if shop is None:
        known = ", ".join(s.name for s in list_shops(session)) or "none registered"
        raise ShopNotFound(f"no shop named {name!r} (known: {known})")
    return shop
