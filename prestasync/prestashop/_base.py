"""The state every part of `PrestaShopClient` shares, and the read plumbing they all use.

`ClientBase` holds the transport, the shop context (`id_shop`) and what the client learnt about
the shop (its version, the resources that refused PATCH). Its helpers build list queries (display,
filters, keyset pages, id batches) so that the mixins in `_products`, `_catalog`, `_writes` and
`_images` only say what they want.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Literal, Self

import httpx

from prestasync.prestashop import _decode, _xml
from prestasync.prestashop._transport import Observer, Transport
from prestasync.prestashop.errors import BadResponse, describe_url
from prestasync.prestashop.records import BadRecord, Record, ShopInfo, version_supports_patch

Display = Literal["full"] | Sequence[str]
Filters = Mapping[str, str]

IDS_PER_QUERY = 100  # `filter[id]=[1|2|…]` of 100 ids stays near 1 KB, far below common 8 KB URL limits
PAGE = 1000
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_RESERVED = frozenset({"ws_key", "id_group_shop", "id_shop_group"})


class ClientBase:
    """Transport, shop context and query helpers; see `PrestaShopClient` for the public calls."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        retries: int = 3,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        observer: Observer | None = None,
        secret: str = "",
        id_shop: int | None = None,
        shop_version: str | None = None,
    ) -> None:
        self._wire = Transport(
            http, retries=retries, backoff_s=backoff_s, sleep=sleep, observer=observer, secret=secret
        )
        self._wire.version = shop_version or None
        self._http = http
        self._patch_refused: set[str] = set()  # resources whose PATCH the shop answered with 405/501
        self._id_shop = positive(id_shop, "id_shop") if id_shop is not None else None

    def for_shop(self, id_shop: int) -> Self:
        """The same client working on one shop of a multistore installation (`?id_shop=N`).

        Reads and writes then address that shop (README fact 22: a PATCH without `id_shop` writes
        the default shop only); stock lists filter on `filter[id_shop]`, because the shop ignores
        `?id_shop` there. `id_group_shop` is never sent: a PATCH with it and one field copied every
        field of one shop over another (capture 76h). The copy shares the connection pool.
        """
        other = copy.copy(self)
        other._id_shop = positive(id_shop, "id_shop")
        return other

    @property
    def id_shop(self) -> int | None:
        """The shop this client addresses, None for the shop's default."""
        return self._id_shop

    def __repr__(self) -> str:
        shop = f" id_shop={self._id_shop}" if self._id_shop else ""
        return f"<PrestaShopClient {describe_url(self._http.base_url)}{shop}>"

    def check(self) -> ShopInfo:
        """The connection test: `GET /api/`, which needs a working key and the webservice on."""
        response = self._wire.request("GET", "")
        with self._wire.reading(response):
            api = _xml.wrapper(_xml.parse(response.content), "api")
        resources = frozenset(str(node.tag) for node in _xml.elements(api))
        return ShopInfo(version=self._wire.version or "", shop_name=api.get("shopName", ""), resources=resources)

    # -- requests ---------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        *,
        shop: bool = True,
    ) -> httpx.Response:
        """One request, with the shop context added unless `shop` is False."""
        query = dict(params or {})
        if shop and self._id_shop is not None:
            query["id_shop"] = str(self._id_shop)
        return self._wire.request(method, path, params=query or None, body=body)

    def _fetch(self, resource: str, path: str, params: Mapping[str, str] | None = None) -> Record:
        """GET one record; a record the reader cannot use is a BadResponse."""
        response = self._call("GET", path, params)
        return self._record_from(response, resource)

    def _record_from(self, response: httpx.Response, resource: str) -> Record:
        with self._wire.reading(response):
            found = _decode.record(_decode.single_source(response.content, resource), resource)
            if isinstance(found, BadRecord):
                raise _xml.DocumentError(found.reason)
        return found

    def _list(self, resource: str, params: Mapping[str, str], *, shop: bool = True) -> list[_decode.Source]:
        response = self._call("GET", resource, params, shop=shop)
        with self._wire.reading(response):
            return _decode.sources(response.content, resource)

    def _pages(
        self,
        resource: str,
        display: str,
        filters: Mapping[str, str],
        *,
        page_size: int = PAGE,
        after_id: int = 0,
        shop: bool = True,
    ) -> Iterator[list[_decode.Source]]:
        """Keyset pagination by id: `filter[id]=>[last]`, `sort=[id_ASC]`, `limit=0,page_size`.

        Pages cut by id stay correct while the shop changes under us, and hold one page at a time.
        """
        if "filter[id]" in filters:
            raise ValueError("a list paged by id cannot also filter on id; use list_records for that")
        cursor = after_id
        while True:
            params = {"display": display, "filter[id]": f">[{cursor}]", "sort": "[id_ASC]", "limit": f"0,{page_size}"}
            nodes = self._list(resource, {**params, **filters}, shop=shop)
            if len(nodes) >= page_size:
                try:
                    cursor = _decode.highest_id(nodes, above=cursor)
                except _xml.DocumentError as exc:
                    raise self._bad_page(resource, str(exc)) from None
            if nodes:
                yield nodes
            if len(nodes) < page_size:
                return

    def _by_parent(
        self,
        resource: str,
        parent: str,
        parent_ids: Sequence[int],
        *,
        display: str = "full",
        filters: Mapping[str, str] | None = None,
        shop: bool = True,
    ) -> Iterator[list[_decode.Source]]:
        """Records whose `parent` field is one of `parent_ids`: batches of 100 ids, each paged by id."""
        wanted = unique_ids(parent_ids, f"{parent} values")
        for start in range(0, len(wanted), IDS_PER_QUERY):
            chunk = {f"filter[{parent}]": any_of(wanted[start : start + IDS_PER_QUERY]), **(filters or {})}
            yield from self._pages(resource, display, chunk, shop=shop)

    def _records(self, resource: str, pages: Iterator[list[_decode.Source]]) -> list[Record | BadRecord]:
        return [_decode.record(node, resource) for nodes in pages for node in nodes]

    def _bad_page(self, resource: str, reason: str) -> BadResponse:
        return BadResponse(f"{resource}: {reason}", method="GET", url=describe_url(self._http.base_url.join(resource)))

    def _patch_supported(self, resource: str) -> bool:
        if resource in self._patch_refused:
            return False
        if self._wire.version is None:
            self.check()  # every answer carries PSWS-Version; ask once if none came yet
        return version_supports_patch(self._wire.version or "")


def display_value(display: Display) -> str:
    """`full`, or `[id,a,b]` from field names (`id` is always included: records need it)."""
    if isinstance(display, str):
        if display != "full":
            raise ValueError("display must be 'full' or a sequence of field names")
        return display
    names = ["id", *(name for name in display if name != "id")]
    for name in names:
        if not _NAME.fullmatch(name):
            raise ValueError(f"{name[:40]!r} is not a field name")
    return "[" + ",".join(names) + "]"


def filter_params(filters: Filters | None) -> dict[str, str]:
    """`{"id_product": "[1|2]"}` → `{"filter[id_product]": "[1|2]"}`; values are the shop's grammar, raw."""
    out: dict[str, str] = {}
    for name, value in (filters or {}).items():
        if not _NAME.fullmatch(name):
            raise ValueError(f"{name[:40]!r} is not a field name to filter on")
        out[f"filter[{name}]"] = value
    return out


def extra_params(params: Mapping[str, str] | None, taken: Mapping[str, str]) -> dict[str, str]:
    """Extra query parameters (computed prices, `output_format`…), refusing overrides and secrets."""
    extra = dict(params or {})
    clash = sorted((set(extra) & set(taken)) | (set(extra) & _RESERVED) | ({"id_shop"} & set(extra)))
    if clash:
        raise ValueError(
            f"params must not set {clash}: the call sets them itself, the key goes as Basic auth, and the shop "
            "context comes from for_shop() (id_group_shop is never sent, README fact 22)"
        )
    return extra


def any_of(values: Sequence[int | str]) -> str:
    """The filter grammar's `[a|b|c]` (a single value is `[a]`)."""
    return "[" + "|".join(map(str, values)) + "]"


def positive(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def unique_ids(values: Sequence[int], name: str) -> list[int]:
    if isinstance(values, str | bytes):
        raise ValueError(f"{name} must be a sequence of integers")
    return list(dict.fromkeys(positive(value, name) for value in values))


def resource_name(resource: str) -> str:
    if not _NAME.fullmatch(resource):
        raise ValueError(f"{resource[:40]!r} is not a webservice resource name")
    return resource
