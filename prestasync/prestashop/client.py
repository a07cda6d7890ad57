"""`PrestaShopClient`: every call prestasync makes to a shop's Webservice (`/api/`).

The client is synchronous and holds no state beyond what it learnt about the shop (its version,
which resources refused PATCH), so one instance can serve several threads. Every request goes
through `_transport.Transport`, which retries what is safe to retry, never sends a cookie, reports
each try to the observer and maps failures to the tree in `errors`.

The class is assembled from one module per concept, each a mixin over `_base.ClientBase`:

* this module: connecting, the connection test, languages, and generic reads of any resource
  (`get`, `list_records`, `iter_records`, `schema`, `head`);
* `_products`: product reads in bulk (by ids, id range, pages, references) and product writes;
* `_catalog`: combinations, options, categories, features, manufacturers, tax groups, specific prices;
* `_stock`: `stock_availables` rows, read in batches and written per row;
* `_images`: product images, streamed both ways;
* `_writes`: `create`, `patch` (with its PUT fallback), `replace`, `delete`, and the rule that a
  multilanguage field is always written in every shop language (README fact 17).

Reads return frozen records with raw string values (`records`); lists are read by id-keyset pages
and by batches of 100 parent ids, never one request per product.
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType

import httpx

from prestasync.prestashop import _decode
from prestasync.prestashop._base import (
    PAGE,
    ClientBase,
    Display,
    Filters,
    display_value,
    extra_params,
    filter_params,
    positive,
    resource_name,
)
from prestasync.prestashop._catalog import CatalogMixin
from prestasync.prestashop._images import ImagesMixin
from prestasync.prestashop._products import ProductsMixin
from prestasync.prestashop._stock import StockMixin
from prestasync.prestashop._transport import Observer, api_url, checked_key
from prestasync.prestashop.errors import NotFound
from prestasync.prestashop.records import BadRecord, Language, Record, Schema

__all__ = ["PrestaShopClient"]


class PrestaShopClient(ProductsMixin, CatalogMixin, StockMixin, ImagesMixin, ClientBase):
    """A client for one shop. `http` must have `base_url` ending in `/api/` and carry the key.

    `retries` extra tries are made for retryable failures, waiting `backoff_s * 2**n` (plus up to
    10 % jitter) through `sleep` between them. `observer`, when given, is called after every try
    with `(method, resource, HTTP status or None, error class name or None, seconds)`, for metrics.
    `secret` (the API key) is kept out of error texts. `id_shop` binds the client to one shop of a
    multistore installation (see `for_shop`). `shop_version`, the `PSWS-Version` of an earlier
    `check()`, saves the probe the client otherwise makes before its first write to choose between
    PATCH and PUT. Build one with `connect()` unless a test injects its own `httpx.Client`.
    """

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
        super().__init__(
            http,
            retries=retries,
            backoff_s=backoff_s,
            sleep=sleep,
            observer=observer,
            secret=secret,
            id_shop=id_shop,
            shop_version=shop_version,
        )

    @classmethod
    def connect(
        cls,
        shop_url: str,
        api_key: str,
        *,
        timeout_s: float = 30.0,
        retries: int = 3,
        transport: httpx.BaseTransport | None = None,
        max_connections: int = 10,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        observer: Observer | None = None,
        id_shop: int | None = None,
        shop_version: str | None = None,
    ) -> PrestaShopClient:
        """Build a client for the shop at `shop_url` (its base address; `/api/` is appended).

        The key goes out as Basic auth, never as `?ws_key=`, so it cannot leak into access logs,
        and the transport keeps it out of error texts. No cookie is ever kept or sent (fact 29).
        Raises ValueError for a URL that is not http(s) with a host, or an unusable key.
        """
        if timeout_s <= 0 or max_connections < 1:
            raise ValueError("timeout_s must be positive and max_connections at least 1")
        http = httpx.Client(
            base_url=api_url(shop_url),
            auth=httpx.BasicAuth(checked_key(api_key), ""),
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            transport=transport,
            verify=_tls(),
            follow_redirects=False,
            headers={"User-Agent": "prestasync", "Accept": "text/xml"},
        )
        return cls(
            http,
            retries=retries,
            backoff_s=backoff_s,
            sleep=sleep,
            observer=observer,
            secret=api_key,
            id_shop=id_shop,
            shop_version=shop_version,
        )

    def close(self) -> None:
        """Close the underlying `httpx.Client` (also when it was injected)."""
        self._http.close()

    def __enter__(self) -> PrestaShopClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def languages(self) -> list[Language]:
        """The shop's languages (their ids key every multilanguage field)."""
        nodes = self._list("languages", {"display": "[id,iso_code,name]"})
        try:
            return [_decode.language(node) for node in nodes]
        except ValueError as exc:
            raise self._bad_page("languages", str(exc)) from None

    # -- generic reads --------------------------------------------------------------------------

    def get(
        self,
        resource: str,
        record_id: int,
        *,
        display: Display | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Record:
        """One record of any resource; NotFound when the shop has no such id.

        `display` limits the fields (`["price", "name"]`; `id` is always included); `params` adds
        query parameters such as computed prices (`{"price[price_ti][use_tax]": "1"}`, rendered only
        in full output, README fact 28).
        """
        resource = resource_name(resource)
        query = {"display": display_value(display)} if display is not None else {}
        return self._fetch(
            resource, f"{resource}/{positive(record_id, 'record_id')}", {**query, **extra_params(params, query)}
        )

    def list_records(
        self,
        resource: str,
        *,
        display: Display = "full",
        filters: Filters | None = None,
        sort: str | None = None,
        limit: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> list[Record | BadRecord]:
        """One list request: `filters` are field → the shop's filter grammar (`"[1|2]"`, `">[5]"`,
        `"[a]%"`, raw: the caller escapes nothing it could not express), `sort` like `"[id_ASC]"`,
        `limit` like `"0,100"`. Prefer `iter_records` for lists that may be long.
        """
        resource = resource_name(resource)
        query = {"display": display_value(display), **filter_params(filters)}
        if sort is not None:
            query["sort"] = sort
        if limit is not None:
            query["limit"] = limit
        nodes = self._list(resource, {**query, **extra_params(params, query)})
        return [_decode.record(node, resource) for node in nodes]

    def iter_records(
        self,
        resource: str,
        *,
        display: Display = "full",
        filters: Filters | None = None,
        page_size: int = PAGE,
        after_id: int = 0,
    ) -> Iterator[list[Record | BadRecord]]:
        """Every matching record, a page at a time, by id (`filter[id]=>[last]`)."""
        resource = resource_name(resource)
        positive(page_size, "page_size")
        if "id" in (filters or {}):
            raise ValueError("a list paged by id cannot also filter on id; use list_records for that")
        pages = self._pages(
            resource, display_value(display), filter_params(filters), page_size=page_size, after_id=after_id
        )
        return ([_decode.record(node, resource) for node in nodes] for nodes in pages)

    def schema(self, resource: str, kind: str = "synopsis", *, params: Mapping[str, str] | None = None) -> Schema:
        """A resource's schema: `synopsis` (formats, sizes, required and read-only fields) or `blank`."""
        resource = resource_name(resource)
        if kind not in ("blank", "synopsis"):
            raise ValueError("kind must be 'blank' or 'synopsis'")
        response = self._call("GET", resource, {"schema": kind, **extra_params(params, {"schema": kind})})
        with self._wire.reading(response):
            return _decode.schema(response.content, resource, kind)

    def head(self, resource: str, record_id: int | None = None) -> bool:
        """Whether a resource (or one record of it) answers: HEAD, True for 2xx, False for 404."""
        path = resource_name(resource) + (f"/{positive(record_id, 'record_id')}" if record_id is not None else "")
        try:
            self._call("HEAD", path)
        except NotFound:
            return False
        return True


@functools.cache
def _tls() -> ssl.SSLContext:
    """httpx's default TLS settings, built once per process: loading the CA bundle costs about
    90 ms of CPU, and an export opens a client per batch of products (profiled)."""
    return httpx.create_ssl_context()
