"""`PrestaShopClient`: the calls prestasync makes to a shop's Webservice (`/api/`).

The client is synchronous and holds no state beyond the shop version it has seen, so one instance
can serve several threads. Every request goes through `_request()`, which retries what is safe to
retry and maps failures to the tree in `errors`.

Decisions worth knowing:

* PATCH (PrestaShop 8.0+) is used when the shop's `PSWS-Version` allows it. On older shops, and on
  shops that refuse the method (405/501), `patch_product` and `set_stock` fall back to a full-record
  PUT built from a fresh GET, so callers need not care about the version.
* `update_product` PUTs the complete record minus the read-only `quantity` and `manufacturer_name`
  and the buggy `position_in_category`. It sends no `<associations>` at all: the shop only touches
  associations present in the body, and sending them back would replace-write categories and delete
  any combination added between our GET and PUT (`setWsCombinations`).
* `find_products_by_reference` never puts a character the filter grammar cannot escape into a
  filter; see that method.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType

import httpx
from lxml import etree

from prestasync.prestashop import _xml
from prestasync.prestashop._transport import Transport, api_url, checked_key, failure
from prestasync.prestashop.errors import NotFound, NotSupported, describe_url
from prestasync.prestashop.records import (
    BadRecord,
    Language,
    ProductDraft,
    RemoteProduct,
    ShopInfo,
    StockRow,
    version_supports_patch,
)

__all__ = ["PrestaShopClient"]


_READ_ONLY = frozenset({"quantity", "manufacturer_name"})
_NOT_SENT_ON_PUT = _READ_ONLY | {"position_in_category"}
# Product columns declared `allow_null`: PHP casts a sent '' to 0 (formatValue), while an
# absent field stays NULL. So an empty value is left out of a PUT rather than sent back.
_NULLABLE = frozenset({"low_stock_threshold"})
_CREATE_DEFAULTS = {
    "state": "1",
    "available_for_order": "1",
    "show_price": "1",
    "minimal_quantity": "1",
    "id_category_default": "2",
}
_NOT_IN_EXTRA = _NOT_SENT_ON_PUT | {"id", "reference", "price", "active", "name", "description"}
_COUNT_PAGE = 1000
_SCAN_PAGE = 1000
_IDS_PER_QUERY = 100  # keeps `filter[id_product]=[1|2|…]` URLs far below common 8 KB limits

# Characters a reference may hold and still go verbatim into `filter[reference]=[…]`: the grammar
# has no escape for `|` (OR), `[` `]` (brackets), `,` (range) or `%` (LIKE); `<` `>` are eaten by
# pSQL's strip_tags, `\` is LIKE's escape, and the bracket regex does not cross line breaks.
_FILTER_SAFE = re.compile(r"[^\x00-\x1f\x7f|\[\],%<>\\]+")
_MAX_REFERENCE = 64  # PrestaShop's Reference::MAX_LENGTH
_MIN_PREFIX, _MAX_PREFIX = 3, 32


class PrestaShopClient:
    """A client for one shop. `http` must have `base_url` ending in `/api/` and carry the key.

    `retries` extra tries are made for retryable failures, waiting `backoff_s * 2**n` (plus up to
    10 % jitter) through `sleep` between them. Build one with `connect()` unless a test injects
    its own `httpx.Client`.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        retries: int = 3,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._wire = Transport(http, retries=retries, backoff_s=backoff_s, sleep=sleep)
        self._http = http
        self._patch_refused = False  # set when the shop answered a PATCH with 405/501

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
    ) -> PrestaShopClient:
        """Build a client for the shop at `shop_url` (its base address; `/api/` is appended).

        The key goes out as Basic auth, never as `?ws_key=`, so it cannot leak into access logs.
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
            # A redirect would turn a POST into a GET (PrestaShop#28489); report it instead.
            follow_redirects=False,
            headers={"User-Agent": "prestasync", "Accept": "text/xml"},
        )
        return cls(http, retries=retries, backoff_s=backoff_s, sleep=sleep)

    def __repr__(self) -> str:
        return f"<PrestaShopClient {describe_url(self._http.base_url)}>"

    def close(self) -> None:
        """Close the underlying `httpx.Client` (also when it was injected)."""
        self._http.close()

    def __enter__(self) -> PrestaShopClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- reads ------------------------------------------------------------------------------

    def check(self) -> ShopInfo:
        """The connection test: `GET /api/`, which needs a working key and the webservice on."""
        response = self._wire.request("GET", "")
        with self._wire.reading(response):
            api = _xml.wrapper(_xml.parse(response.content), "api")
        resources = frozenset(str(node.tag) for node in _xml.elements(api))
        return ShopInfo(version=self._wire.version or "", shop_name=api.get("shopName", ""), resources=resources)

    def languages(self) -> list[Language]:
        """The shop's languages (their ids key every multilanguage field)."""
        response = self._wire.request("GET", "languages", params={"display": "[id,iso_code,name]"})
        with self._wire.reading(response):
            return [_xml.language(node) for node in _xml.list_items(response.content, "languages")]

    def count_products(self, *, since: datetime | None = None, page_size: int = _COUNT_PAGE) -> int:
        """Count products (changed after `since`) by paging through id-only lists."""
        _positive(page_size, "page_size")
        total = offset = 0
        while True:
            params = {"sort": "[id_ASC]", "limit": f"{offset},{page_size}", **_since_filter(since)}
            response = self._wire.request("GET", "products", params=params)
            with self._wire.reading(response):
                found = len(_xml.list_items(response.content, "products"))
            total += found
            if found < page_size:
                return total
            offset += page_size

    def iter_product_pages(
        self, *, since: datetime | None = None, after_id: int = 0, page_size: int = 100
    ) -> Iterator[list[RemoteProduct | BadRecord]]:
        """Yield full products a page at a time, by id, starting after `after_id`.

        Keyset pagination (`filter[id]=>[last id]`) stays correct while the shop changes under us,
        and only one page is held in memory. `since` keeps products whose `date_upd` is strictly
        later, formatted as given (an aware datetime is converted to UTC first); PrestaShop stores
        `date_upd` in the shop's local time, which the caller has to account for.
        """
        _positive(page_size, "page_size")
        if after_id < 0:
            raise ValueError("after_id must not be negative")
        pages = self._pages("products", "full", _since_filter(since), after_id=after_id, page_size=page_size)
        # A generator expression, not a generator function: bad arguments fail at the call.
        return ([_xml.product(node) for node in nodes] for nodes in pages)

    def iter_product_ids(
        self, *, since: datetime | None = None, after_id: int = 0, page_size: int = _COUNT_PAGE
    ) -> Iterator[int]:
        """Ids of the products (changed after `since`) above `after_id`, ascending.

        Keyset pages of `display=[id]`: a few bytes per product, so listing a large shop
        first costs little and tells the exact total before any product is read.
        """
        _positive(page_size, "page_size")
        pages = self._pages("products", "[id]", _since_filter(since), after_id=after_id, page_size=page_size)
        return (product_id for nodes in pages for product_id in _xml.ids(nodes))

    def products_between(
        self, first_id: int, last_id: int, *, since: datetime | None = None
    ) -> list[RemoteProduct | BadRecord]:
        """Full products with `first_id <= id <= last_id` (and changed after `since`), by id.

        Pages cut by id range instead of by cursor do not depend on each other, so several
        can be in flight at once.
        """
        if not 0 < first_id <= last_id:
            raise ValueError("need 0 < first_id <= last_id")
        params = {
            "display": "full",
            "filter[id]": f"[{first_id},{last_id}]",
            "sort": "[id_ASC]",
            **_since_filter(since),
        }
        response = self._wire.request("GET", "products", params=params)
        with self._wire.reading(response):
            return [_xml.product(node) for node in _xml.list_items(response.content, "products")]

    def get_product(self, product_id: int) -> RemoteProduct:
        """One full product; NotFound when the shop has no such id."""
        response = self._wire.request("GET", f"products/{_positive(product_id, 'product_id')}")
        return self._product_from(response)

    def find_products_by_reference(self, reference: str) -> list[int]:
        """Ids of the products whose reference is exactly `reference`, ascending.

        The shop compares case-insensitively and ignores trailing spaces, so candidates are always
        re-checked here, byte for byte. A reference that is safe for the filter grammar is queried
        as `filter[reference]=[ref]`. Otherwise (it holds `| [ ] , %`, `< > \\`, a control
        character, or is longer than 64) the query is a LIKE on its longest safe prefix (3 to 32
        characters); with no such prefix, every reference is scanned in pages of 1000 ids, which
        is slow on big catalogues but still exact.
        """
        if not reference:
            raise ValueError("reference must not be empty")
        pattern = _reference_filter(reference)
        filters = {"filter[reference]": pattern} if pattern else {}
        return [
            found.id
            for nodes in self._pages("products", "[id,reference]", filters, page_size=_SCAN_PAGE)
            for found in map(_xml.product, nodes)
            if isinstance(found, RemoteProduct) and found.reference == reference
        ]

    def stock_rows(self, product_ids: Sequence[int]) -> dict[int, StockRow]:
        """Each product's own stock row (`id_product_attribute=0`), keyed by product id.

        Products without a row are absent from the result. Long id lists go in chunks of 100.
        """
        ids = _ids(product_ids)
        rows: dict[int, StockRow] = {}
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start : start + _IDS_PER_QUERY]
            params = {
                "filter[id_product]": "[" + "|".join(map(str, chunk)) + "]",
                "filter[id_product_attribute]": "0",
                "display": "[id,id_product,id_product_attribute,quantity]",
                "sort": "[id_ASC]",
            }
            response = self._wire.request("GET", "stock_availables", params=params)
            with self._wire.reading(response):
                for node in _xml.list_items(response.content, "stock_availables"):
                    row = _xml.stock_row(node)
                    rows.setdefault(row.id_product, row)  # several shops: keep the lowest row id
        return rows

    # -- writes -----------------------------------------------------------------------------

    def create_product(self, draft: ProductDraft, *, extra: Mapping[str, str] | None = None) -> RemoteProduct:
        """POST a new product and return it as the shop stored it.

        Sends `state=1` (else the product is a hidden draft), `available_for_order`, `show_price`,
        `minimal_quantity=1` and default category 2 with its `categories` association, each of
        which `extra` may override. Not retried once the request may have reached the shop: a
        retry could create the product twice. After ShopUnavailable (a 5xx, possibly from PHP
        warnings raised after the save) or ShopTimeout, the product may exist: look it up with
        `find_products_by_reference` before creating it again.
        """
        blocked = sorted(set(extra or {}) & _NOT_IN_EXTRA)
        if blocked:
            raise ValueError(f"extra must not set {blocked}: they come from the draft or cannot be written")
        fields = {**_CREATE_DEFAULTS, **_xml.draft_fields(draft), **(extra or {})}
        category = {"categories": [("category", {"id": fields["id_category_default"]})]}
        body = _xml.build_body("product", fields, _xml.draft_i18n(draft), category)
        return self._product_from(self._wire.request("POST", "products", body=body))

    def update_product(self, product_id: int, draft: ProductDraft) -> RemoteProduct:
        """Write the draft over a product with a full-record PUT (see the module notes)."""
        return self._put_merged(_positive(product_id, "product_id"), _xml.draft_fields(draft), _xml.draft_i18n(draft))

    def patch_product(
        self, product_id: int, fields: Mapping[str, str], i18n: Mapping[str, Mapping[int, str]] | None = None
    ) -> RemoteProduct:
        """Change only the given fields (and only the given languages).

        PATCH on PrestaShop 8.0+; on older shops, or when the shop refuses PATCH, the same change
        is made with GET + merge + PUT. The shop blanks every language not sent for a non-required
        multilanguage field (it nulls the field before assigning the languages, on PUT and PATCH
        alike), so when `i18n` is given the product is read first and each touched field is sent
        with all its languages.
        """
        product_id = _positive(product_id, "product_id")
        blocked = sorted(set(fields) & (_READ_ONLY | {"id"}))
        if blocked:
            raise ValueError(f"fields {blocked} cannot be written")
        if self._patch_supported():
            languages = _overlay({}, i18n or {}, self.get_product(product_id).i18n if i18n else {})
            body = _xml.build_body("product", {"id": str(product_id), **fields}, languages)
            try:
                return self._product_from(self._wire.request("PATCH", f"products/{product_id}", body=body))
            except NotSupported:
                self._patch_refused = True
        return self._put_merged(product_id, dict(fields), i18n or {})

    def set_stock(self, product_id: int, quantity: int) -> StockRow:
        """Set a product's own stock (`id_product_attribute=0` row); PATCH on 8.x, else PUT."""
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise ValueError(f"quantity must be an integer, got {quantity!r}")
        fields = self._stock_fields(_positive(product_id, "product_id"))
        path = f"stock_availables/{fields['id']}"
        if self._patch_supported():
            body = _xml.build_body("stock_available", {"id": fields["id"], "quantity": str(quantity)})
            try:
                return self._stock_from(self._wire.request("PATCH", path, body=body))
            except NotSupported:
                self._patch_refused = True
        body = _xml.build_body("stock_available", {**fields, "quantity": str(quantity)})
        return self._stock_from(self._wire.request("PUT", path, body=body))

    # -- helpers ------------------------------------------------------------------------------

    def _put_merged(
        self, product_id: int, fields: dict[str, str], i18n: Mapping[str, Mapping[int, str]]
    ) -> RemoteProduct:
        current = self.get_product(product_id)
        merged = {
            name: value
            for name, value in current.fields.items()
            if name not in _NOT_SENT_ON_PUT and not (name in _NULLABLE and value == "")
        }
        merged.update(fields)
        merged["id"] = str(product_id)
        body = _xml.build_body("product", merged, _overlay(current.i18n, i18n, current.i18n))
        return self._product_from(self._wire.request("PUT", f"products/{product_id}", body=body))

    def _stock_fields(self, product_id: int) -> dict[str, str]:
        params = {
            "filter[id_product]": f"[{product_id}]",
            "filter[id_product_attribute]": "0",
            "display": "full",
            "sort": "[id_ASC]",
        }
        response = self._wire.request("GET", "stock_availables", params=params)
        with self._wire.reading(response):
            nodes = _xml.list_items(response.content, "stock_availables")
            if not nodes:
                raise failure(NotFound, response, f"product {product_id} has no stock row (id_product_attribute=0)")
            fields = _xml.read_record(nodes[0])[0]
            _xml.stock_row(nodes[0])  # validates the ids before they go into a URL
        return fields

    def _pages(
        self, resource: str, display: str, filters: Mapping[str, str], *, page_size: int, after_id: int = 0
    ) -> Iterator[list[etree._Element]]:
        """Keyset pagination by id: `filter[id]=>[last]`, `sort=[id_ASC]`, `limit=0,page_size`."""
        cursor = after_id
        while True:
            params = {
                "display": display,
                "filter[id]": f">[{cursor}]",
                "sort": "[id_ASC]",
                "limit": f"0,{page_size}",
                **filters,
            }
            response = self._wire.request("GET", resource, params=params)
            with self._wire.reading(response):
                nodes = _xml.list_items(response.content, resource)
                if len(nodes) >= page_size:
                    cursor = _xml.highest_id(nodes, above=cursor)
            if nodes:
                yield nodes
            if len(nodes) < page_size:
                return

    def _patch_supported(self) -> bool:
        if self._patch_refused:
            return False
        if self._wire.version is None:
            self.check()  # every answer carries PSWS-Version; ask once if none came yet
        return version_supports_patch(self._wire.version or "")

    def _product_from(self, response: httpx.Response) -> RemoteProduct:
        with self._wire.reading(response):
            found = _xml.product(_xml.wrapper(_xml.parse(response.content), "product"))
            if isinstance(found, BadRecord):
                raise _xml.DocumentError(found.reason)
        return found

    def _stock_from(self, response: httpx.Response) -> StockRow:
        with self._wire.reading(response):
            return _xml.stock_row(_xml.wrapper(_xml.parse(response.content), "stock_available"))


def _positive(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _ids(values: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(_positive(value, "product ids") for value in values))


def _since_filter(since: datetime | None) -> dict[str, str]:
    if since is None:
        return {}
    if since.tzinfo is not None:
        since = since.astimezone(UTC).replace(tzinfo=None)
    # `date=1` unlocks date_upd in filters; without it the shop answers 400 code 32.
    return {"date": "1", "filter[date_upd]": f">[{since:%Y-%m-%d %H:%M:%S}]"}


def _overlay(
    base: Mapping[str, Mapping[int, str]],
    changes: Mapping[str, Mapping[int, str]],
    current: Mapping[str, Mapping[int, str]],
) -> dict[str, dict[int, str]]:
    """`base` plus each changed field, completed with the shop's `current` text for other languages."""
    merged = {name: dict(values) for name, values in base.items()}
    for name, values in changes.items():
        merged[name] = {**current.get(name, {}), **values}
    return merged


def _reference_filter(reference: str) -> str | None:
    if len(reference) <= _MAX_REFERENCE and _FILTER_SAFE.fullmatch(reference):
        return f"[{reference}]"
    prefix = _FILTER_SAFE.match(reference)
    safe = prefix.group()[:_MAX_PREFIX] if prefix else ""
    return f"[{safe}]%" if len(safe) >= _MIN_PREFIX else None
