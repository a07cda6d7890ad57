"""Where `shops show`, `shops edit` and `shops remove` read and change a shop: the local
database, or a remote server's `/api/shops/{id}`.

Like `files_backend.py`, and built the same way on the backends: `LocalShops` adds the calls
to `LocalBackend` (through `shops.py`, as the API does), `RemoteShops` to `RemoteBackend`. A
separate module rather than more of the backends, so the two grow without stepping on each
other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from prestasync import shops
from prestasync.cli.backend import Backend
from prestasync.cli.common import runtime
from prestasync.cli.local_backend import LocalBackend
from prestasync.cli.remote_backend import RemoteBackend
from prestasync.config import Settings, read_settings
from prestasync.contract import ShopOut, shop_out


class ShopsBackend(Backend, Protocol):
    def get_shop(self, shop_id: int) -> ShopOut:
        """The shop with its settings; ShopNotFound (locally) or RemoteError for an unknown id."""
        ...

    def edit_shop(self, shop_id: int, changes: Mapping[str, object]) -> ShopOut:
        """Apply a partial change (`shops.ShopChanges`) and return the shop as it now is."""
        ...

    def remove_shop(self, shop_id: int) -> None:
        """Remove the shop (`shops.delete_shop`: refused while it has an active job)."""
        ...


def shops_backend(settings: Settings | None = None) -> ShopsBackend:
    """As `backend()`: the server when PRESTASYNC_SERVER_URL is set, else the local database."""
    current = settings or read_settings()  # creates nothing on disk before the mode is known
    if current.remote:
        return RemoteShops(current.server_url, current.api_token)
    return LocalShops(runtime(settings))


class LocalShops(LocalBackend):
    def get_shop(self, shop_id: int) -> ShopOut:
        with self.rt.session() as session:
            return shop_out(shops.get_shop(session, shop_id))

    def edit_shop(self, shop_id: int, changes: Mapping[str, object]) -> ShopOut:
        with self.rt.session() as session:
            with session.begin():
                shop = shops.update_shop(session, self.rt.vault, shops.get_shop(session, shop_id), changes)
            return shop_out(shop)

    def remove_shop(self, shop_id: int) -> None:
        with self.rt.session() as session, session.begin():
            shops.delete_shop(session, shops.get_shop(session, shop_id))


class RemoteShops(RemoteBackend):
    def get_shop(self, shop_id: int) -> ShopOut:
        return self._model(ShopOut, self._call("GET", f"/api/shops/{shop_id}"))

    def edit_shop(self, shop_id: int, changes: Mapping[str, object]) -> ShopOut:
        return self._model(ShopOut, self._call("PATCH", f"/api/shops/{shop_id}", json=dict(changes)))

    def remove_shop(self, shop_id: int) -> None:
        self._call("DELETE", f"/api/shops/{shop_id}")
