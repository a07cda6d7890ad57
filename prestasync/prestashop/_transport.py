"""The wire under `PrestaShopClient`: one retrying request path for every call.

`Transport.request()` sends a call and returns a 2xx answer or raises from the tree in `errors`;
`Transport.stream()` is the same path for answers read in chunks (image downloads). Both:

* retry what is safe to retry: GET, HEAD, PUT and PATCH on transport errors and on 5xx without an
  item-level code; POST and DELETE only when nothing was sent (connect errors). Waits grow
  exponentially with jitter and honour `Retry-After` up to a minute.
* mark a failed write `maybe_applied` when any try may have reached the shop (see `errors`).
* never send a cookie: the shop sets a `PrestaShop-*` session cookie on most answers and does not
  need it back (README fact 29), so the `Cookie` header is removed from every request, whatever
  jar the injected `httpx.Client` keeps.
* never follow a redirect: it would turn a POST into a GET (PrestaShop#28489), and an unknown
  `id_shop` answers one (fact 22).
* report every try to the observer, if one was given, as `(method, resource, HTTP status or None,
  error class name or None, seconds)`; the observer's own failures are logged, never raised.
* remember the shop's version (`PSWS-Version`) and keep the API key out of every error text.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

import httpx
from lxml import etree

from prestasync.prestashop import _xml
from prestasync.prestashop.errors import (
    IDEMPOTENT,
    NEVER_SENT,
    WRITES,
    BadResponse,
    PrestaShopError,
    ShopUnavailable,
    describe_url,
    error_for_response,
    error_for_transport,
    html_description,
)

logger = logging.getLogger("prestasync.prestashop.client")

Observer = Callable[[str, str, int | None, str | None, float], None]
Content = bytes | Iterable[bytes]

_XML_HEADERS = {"Content-Type": "text/xml"}
_MAX_RETRY_AFTER_S = 60.0
# Answers that show the request was refused before the shop handled it.
_NOT_HANDLED = frozenset({408, 429})


class Transport:
    """Sends calls through an injected `httpx.Client`; retries with exponential backoff and jitter."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        retries: int,
        backoff_s: float,
        sleep: Callable[[float], None] = time.sleep,
        observer: Observer | None = None,
        secret: str = "",
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if retries < 0 or backoff_s < 0:
            raise ValueError("retries and backoff_s must not be negative")
        self.http = http
        self.retries, self.backoff_s, self.sleep = retries, backoff_s, sleep
        self.observer, self.secret, self.clock = observer, secret, clock
        self.version: str | None = None  # last real PSWS-Version seen; None until a shop answered

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        content: Content | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one call, retrying what is safe to retry, and return a 2xx answer or raise.

        `body` is an XML document; `content` with `headers` is any other body (a multipart
        upload), which must be iterable more than once when it may be retried.
        """
        if body is not None:
            content, headers = body, _XML_HEADERS
        return self._send(method, path, params, content, headers, stream=False)

    @contextmanager
    def stream(self, method: str, path: str, *, params: Mapping[str, str] | None = None) -> Iterator[httpx.Response]:
        """The same call with its answer left unread, to be consumed in chunks inside the block.

        Retries happen only until an answer's headers arrive; a transport error while reading the
        body is raised as ShopUnavailable (the caller's sink holds a partial copy then).
        """
        response = self._send(method, path, params, None, None, stream=True)
        try:
            yield response
        except httpx.TransportError as exc:
            raise self._redacted(error_for_transport(method, describe_url(response.request.url), exc, 1)) from exc
        finally:
            response.close()

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        content: Content | None,
        headers: Mapping[str, str] | None,
        *,
        stream: bool,
    ) -> httpx.Response:
        request = self.http.build_request(method, path, params=params, content=content, headers=headers)
        request.headers.pop("Cookie", None)  # README fact 29: the shop never needs it back
        url = describe_url(request.url)
        resource = _resource(path)
        reached = False  # whether a try of this write may have reached the shop and been applied
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            started = self.clock()
            try:
                response = self.http.send(request, stream=stream, follow_redirects=False)
            except httpx.TransportError as exc:
                error = error_for_transport(method, url, exc, attempt + 1)
                self._observe(method, resource, None, error, started)
                reached = reached or (method in WRITES and not isinstance(exc, NEVER_SENT))
                if last or not _may_retry(method, exc):
                    raise self._final(error, reached) from exc
                self._pause(method, url, attempt, type(exc).__name__, None)
                continue
            except PrestaShopError as refused:  # raised by the body while it was sent (an upload over its limit)
                self._observe(method, resource, None, refused, started)
                self._redacted(refused)
                raise
            self._note_version(response)
            if response.is_success:
                self._observe(method, resource, response.status_code, None, started)
                return response
            if stream:
                response.read()
                response.close()
            error = error_for_response(method, url, response)
            self._observe(method, resource, response.status_code, error, started)
            if isinstance(error, ShopUnavailable) and method in WRITES and response.status_code not in _NOT_HANDLED:
                reached = True
            if last or method not in IDEMPOTENT or not isinstance(error, ShopUnavailable):
                raise self._final(error, reached)
            self._pause(method, url, attempt, str(response.status_code), response.headers.get("Retry-After"))
        raise AssertionError("unreachable: the last attempt always returns or raises")

    def _final(self, error: PrestaShopError, reached: bool) -> PrestaShopError:
        if isinstance(error, ShopUnavailable):
            error.maybe_applied = reached
        return self._redacted(error)

    def _redacted(self, error: PrestaShopError) -> PrestaShopError:
        error.redact(self.secret)
        return error

    def _observe(
        self, method: str, resource: str, status: int | None, error: PrestaShopError | None, started: float
    ) -> None:
        if self.observer is None:
            return
        try:
            self.observer(method, resource, status, type(error).__name__ if error else None, self.clock() - started)
        except Exception:  # a metrics bug must not fail a sync
            logger.exception("the request observer failed")

    @contextmanager
    def reading(self, response: httpx.Response) -> Iterator[None]:
        """Turn a document problem met while reading `response` into BadResponse."""
        try:
            if _xml.looks_like_html(response.content):
                raise _xml.DocumentError(html_description(response.status_code, response.content))
            yield
        except (_xml.DocumentError, etree.LxmlError) as exc:
            raise self._redacted(failure(BadResponse, response, str(exc))) from None

    def _pause(self, method: str, url: str, attempt: int, cause: str, retry_after: str | None) -> None:
        delay = self.backoff_s * (2**attempt) * (1 + random.random() * 0.1)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), _MAX_RETRY_AFTER_S))
        tries = self.retries + 1
        logger.warning("%s %s failed (%s); try %d of %d in %.2fs", method, url, cause, attempt + 2, tries, delay)
        self.sleep(delay)

    def _note_version(self, response: httpx.Response) -> None:
        # PrestaShop sends "0" until the key is authenticated; only a real version is kept.
        version = response.headers.get("PSWS-Version", "").strip()
        if version and version != "0":
            self.version = version


def _resource(path: str) -> str:
    """The resource a path addresses, for the observer: `products/12` → `products`, `` → `api`."""
    return path.split("/", 1)[0].split("?", 1)[0] or "api"


def api_url(shop_url: str) -> str:
    """The webservice root for a shop base URL; ValueError with a clear message when unusable.

    The message never repeats the URL: one pasted with credentials would leak them.
    """
    try:
        url = httpx.URL(shop_url.strip())
    except (httpx.InvalidURL, TypeError):
        raise ValueError("shop URL is not a valid URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("shop URL must start with http:// or https:// and name a host, e.g. https://shop.example.com")
    if url.userinfo:
        raise ValueError("shop URL must not contain credentials; pass the API key separately")
    if url.query or url.fragment:
        raise ValueError("shop URL must not contain a query string or fragment")
    path = url.path.rstrip("/")
    if path.endswith("/api"):  # tolerate a pasted webservice address
        path = path[: -len("/api")]
    return str(url.copy_with(path=path + "/api/"))


def checked_key(api_key: str) -> str:
    if not api_key or not api_key.strip():
        raise ValueError("API key is empty")
    if ":" in api_key or any(ch.isspace() or not ch.isprintable() for ch in api_key):
        raise ValueError("API key must not contain ':', spaces or control characters")
    return api_key


def failure(cls: type[PrestaShopError], response: httpx.Response, message: str) -> PrestaShopError:
    request = response.request
    return cls(message, method=request.method, url=describe_url(request.url), status=response.status_code)


def _may_retry(method: str, exc: httpx.TransportError) -> bool:
    if isinstance(exc, httpx.UnsupportedProtocol):
        return False
    return method in IDEMPOTENT or isinstance(exc, NEVER_SENT)
