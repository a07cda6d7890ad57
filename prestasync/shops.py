"""The shop registry: add, change, list and look up shops."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prestasync.errors import ControlError, Refused, ShopError, ShopNotFound
from prestasync.models import SHOP_NAME_MAX, Binding, Job, Shop
from prestasync.progress import ACTIVE
from prestasync.vault import Vault

__all__ = ["ShopError", "ShopNotFound", "add_shop", "delete_shop", "find_shop", "get_shop", "list_shops"]


def normalise_url(url: str) -> str:
    """The shop's base URL without a trailing `/api/` or slash; http(s) with a host only."""
    url = url.strip()
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


def add_shop(session: Session, vault: Vault, *, name: str, url: str, key: str) -> Shop:
    name = name.strip()
    if not name or len(name) > SHOP_NAME_MAX:
        raise ShopError(f"shop name must be 1 to {SHOP_NAME_MAX} characters")
    shop = Shop(name=name, url=normalise_url(url), api_key_encrypted=vault.seal(check_key(key)))
    session.add(shop)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Refused(f"a shop named {name!r} already exists") from exc
    return shop


def update_shop(
    session: Session, vault: Vault, shop: Shop, *, name: str | None, url: str | None, key: str | None
) -> Shop:
    if name is not None:
        shop.name = name.strip()
    if url is not None:
        shop.url = normalise_url(url)
    if key:  # an empty key field in a form means "keep the current key"
        shop.api_key_encrypted = vault.seal(check_key(key))
    try:
        session.flush()
    except IntegrityError as exc:
        raise ShopError(f"a shop named {name!r} already exists") from exc
    return shop


def delete_shop(session: Session, shop: Shop) -> None:
    """Remove a shop and its product bindings; the caller commits. Refused while it has active jobs.

    Its finished jobs stay in the history under their `shop_name` (their `shop_id`
    becomes NULL), so statistics and error reports survive the shop.
    """
    active = session.execute(
        select(func.count(Job.id)).where(Job.shop_id == shop.id, Job.status.in_([s.value for s in ACTIVE]))
    ).scalar()
    if active:
        raise ControlError(f"shop {shop.name!r} has {active} active job(s); cancel them or wait for them to end")
    # Explicit rather than relying on ON DELETE: SQLite applies it only with foreign_keys=ON.
    session.execute(delete(Binding).where(Binding.shop_id == shop.id).execution_options(synchronize_session=False))
    session.execute(
        update(Job).where(Job.shop_id == shop.id).values(shop_id=None).execution_options(synchronize_session=False)
    )
    session.delete(shop)
    session.flush()


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


def to_dict(shop: Shop) -> dict[str, object]:
    """A shop as the API shows it: never the key."""
    return {
        "id": shop.id,
        "name": shop.name,
        "url": shop.url,
        "synced_until": shop.synced_until.isoformat().replace("+00:00", "Z") if shop.synced_until else None,
        "created_at": shop.created_at.isoformat().replace("+00:00", "Z"),
    }
