"""The wire under `PrestaShopClient`: one `request()` that retries what is safe to retry.

It also checks the shop URL and key before any request, remembers the shop's version
(`PSWS-Version`), and turns unreadable documents into `BadResponse`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import httpx
from lxml import etree

from prestasync.prestashop import _xml
from prestasync.prestashop.errors import (
    IDEMPOTENT,
    NEVER_SENT,
    BadResponse,
    PrestaShopError,
    ShopUnavailable,
    describe_url,
    error_for_response,
    error_for_transport,
    html_description,
)

logger = logging.getLogger("prestasync.prestashop.client")

_XML_HEADERS = {"Content-Type": "text/xml"}
_MAX_RETRY_AFTER_S = 60.0


class Transport:
    """Sends calls through an injected `httpx.Client`; retries with exponential backoff and jitter."""

    def __init__(
        self, http: httpx.Client, *, retries: int, backoff_s: float, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        if retries < 0 or backoff_s < 0:
            raise ValueError("retries and backoff_s must not be negative")
        self.http = http
        self.retries, self.backoff_s, self.sleep = retries, backoff_s, sleep
        self.version: str | None = None  # last real PSWS-Version seen; None until a shop answered

    def request(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, body: bytes | None = None
    ) -> httpx.Response:
        """Send one call, retrying what is safe to retry, and return a 2xx answer or raise."""
        headers = _XML_HEADERS if body is not None else None
        request = self.http.build_request(method, path, params=params, content=body, headers=headers)
        url = describe_url(request.url)
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self.http.send(request)
            except httpx.TransportError as exc:
                if last or not _may_retry(method, exc):
                    raise error_for_transport(method, url, exc, attempt + 1) from exc
                self._pause(method, url, attempt, type(exc).__name__, None)
                continue
            self._note_version(response)
            if response.is_success:
                return response
            error = error_for_response(method, url, response)
            if last or method not in IDEMPOTENT or not isinstance(error, ShopUnavailable):
                raise error
            self._pause(method, url, attempt, str(response.status_code), response.headers.get("Retry-After"))
        raise AssertionError("unreachable: the last attempt always returns or raises")

    @contextmanager
    def reading(self, response: httpx.Response) -> Iterator[None]:
        """Turn a document problem met while reading `response` into BadResponse."""
        try:
            if _xml.looks_like_html(response.content):
                raise _xml.DocumentError(html_description(response.status_code, response.content))
            yield
        except (_xml.DocumentError, etree.LxmlError) as exc:
            raise failure(BadResponse, response, str(exc)) from None

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
