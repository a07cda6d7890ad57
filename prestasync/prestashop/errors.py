"""Everything that can go wrong talking to a shop, as one exception tree.

    PrestaShopError              any failure; carries .method .url .status .code .message .errors
    ├── ShopUnavailable          no usable answer, or the shop or its hosting said "try later":
    │   │                        connection errors, 5xx without an item-level code, 429, HTML 503
    │   │                        pages. Retryable; the client already retried before raising it.
    │   └── ShopTimeout          connect / read / write / pool timeout
    ├── Unauthorized             the key was refused: 401 (codes 16-21, 26, or a plain-text 401),
    │   │                        403 (code 132, or a WAF/nginx HTML page), 405 code 25
    │   └── WebserviceDisabled   503 code 22: the webservice is switched off in the back office
    ├── NotFound                 404: the record does not exist (empty body), or codes 87/92/131
    ├── NotSupported             405 codes 23/101 and 501: the shop does not offer this method
    │                            (PATCH before PrestaShop 8.0, POST on stock_availables)
    ├── BadResponse              the answer is not a readable webservice document: bad XML, a
    │                            DOCTYPE, an unexpected shape, HTML with a 2xx, a redirect
    └── ValidationFailed         the shop rejected this request or record: 400 with a PrestaShop
                                 code (41, 84, 85, 89-93, …) or 500 with an item-level code
                                 (46, 85, 88, 127, 134, 135)

Webservice disabled (503 code 22) sits under `Unauthorized`, not `ShopUnavailable`: waiting does
not help, a person has to switch the webservice on, exactly as for a refused key.

`str(error)` is one line a person can act on, such as
`PUT https://shop/api/products/12 -> 400: [85] Validation error: "Property Product->price is not valid"`.
The URL never holds the API key: the client sends it as Basic auth, and `ws_key` parameters and
URL credentials are removed from every URL put in an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

import httpx

from prestasync.prestashop import _xml

__all__ = [
    "BadResponse",
    "NotFound",
    "NotSupported",
    "PrestaShopError",
    "ShopTimeout",
    "ShopUnavailable",
    "Unauthorized",
    "ValidationFailed",
    "WebserviceDisabled",
]

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH"})
# Failures that prove the request never reached the shop: the only ones a POST may be retried on.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# 500s carrying one of these codes are about the record sent, not the shop's health: retrying
# cannot help and the caller should report the item as failed.
ITEM_LEVEL_500_CODES = frozenset({46, 85, 88, 127, 134, 135})
QUOTE_LIMIT = 300

ErrorList = Sequence[tuple[int | None, str]]


class PrestaShopError(Exception):
    """A failed exchange with a shop.

    `message` is the first PrestaShop message or a plain description, `code` the first PrestaShop
    error code, `errors` every `(code, message)` the shop sent, `status` the HTTP status (None when
    no answer came back).
    """

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        url: str = "",
        status: int | None = None,
        errors: ErrorList = (),
    ) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.errors: list[tuple[int | None, str]] = list(errors)
        self.code = self.errors[0][0] if self.errors else None
        self.message = self.errors[0][1] if self.errors else message
        self._description = message
        super().__init__(self._line())

    def _line(self) -> str:
        if self.errors:
            joined = "; ".join(_one_line(m) if c is None else f"[{c}] {_one_line(m)}" for c, m in self.errors)
            detail = _one_line(joined, 2 * QUOTE_LIMIT)
        else:
            detail = _one_line(self._description)
        if not self.method:
            return detail
        outcome = "no answer" if self.status is None else str(self.status)
        return f"{self.method} {self.url} -> {outcome}: {detail}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle through `args`; keyword-only context would be lost on the way to a
        # worker or result store without this.
        state = {"method": self.method, "url": self.url, "status": self.status, "errors": self.errors}
        return (_rebuild, (type(self), self._description, state))


class ShopUnavailable(PrestaShopError):
    """The shop gave no usable answer; trying again later may work."""


class ShopTimeout(ShopUnavailable):
    """The shop did not answer in time."""


class Unauthorized(PrestaShopError):
    """The shop refused the key, or the key lacks the permission for this call."""


class WebserviceDisabled(Unauthorized):
    """The webservice is switched off in the shop's back office (503, code 22)."""


class NotFound(PrestaShopError):
    """The record does not exist on this shop."""


class NotSupported(PrestaShopError):
    """The shop does not offer this method (for example PATCH before PrestaShop 8.0)."""


class BadResponse(PrestaShopError):
    """The answer is not a readable webservice document."""


class ValidationFailed(PrestaShopError):
    """The shop rejected this record or request; sending it again unchanged will fail again."""


def _rebuild(cls: type[PrestaShopError], message: str, state: dict[str, Any]) -> PrestaShopError:
    return cls(message, **state)


def _one_line(text: str, limit: int = QUOTE_LIMIT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def describe_url(url: httpx.URL) -> str:
    """The URL as shown in errors: without credentials or `ws_key`, percent-decoded for reading."""
    clean = url.copy_with(userinfo=b"").copy_remove_param("ws_key")
    return unquote(str(clean))


def error_for_response(method: str, url: str, response: httpx.Response) -> PrestaShopError:
    """Map a non-2xx answer to the exception tree; never raises itself."""
    status = response.status_code
    body = response.content
    errors = _xml.parse_errors(body)
    codes = {code for code, _ in errors}
    cls = _class_for(status, codes, errors, body)
    description = _describe(status, response, errors)
    return cls(description, method=method, url=url, status=status, errors=errors)


def _class_for(status: int, codes: set[int | None], errors: ErrorList, body: bytes) -> type[PrestaShopError]:
    if status in (401, 403):
        return Unauthorized
    if status == 404:
        # A real single-record 404 has an empty body; an HTML 404 means the URL is not the webservice.
        return NotFound if errors or not body.strip() else BadResponse
    if status == 405:
        return Unauthorized if 25 in codes else NotSupported
    if status == 501:
        return NotSupported
    if status == 503 and 22 in codes:
        return WebserviceDisabled
    if status == 400:
        return ValidationFailed if errors else BadResponse
    if status == 500 and codes & ITEM_LEVEL_500_CODES:
        return ValidationFailed
    if status >= 500 or status in (408, 429):
        return ShopUnavailable
    if 300 <= status < 400:
        return BadResponse
    return PrestaShopError


def _describe(status: int, response: httpx.Response, errors: ErrorList) -> str:
    body = response.content
    if errors:
        return errors[0][1]
    if 300 <= status < 400:
        return f"shop redirected to {_location(response)}; use that address as the shop URL"
    if _xml.looks_like_html(body, response.headers.get("Content-Type", "")):
        return html_description(status, body)
    if status == 401:
        return (
            "the shop refused the request without reading a key: the Authorization header may not reach "
            "PrestaShop (on Apache with CGI/FastCGI enable CGIPassAuth)"
        )
    if not body.strip():
        return "not found" if status == 404 else "empty answer"
    return f"unexpected answer: {_xml.quote(body)}"


def _location(response: httpx.Response) -> str:
    target = response.headers.get("Location", "")
    try:
        return describe_url(response.request.url.join(target)) if target else "an unnamed location"
    except (httpx.InvalidURL, RuntimeError):
        # RuntimeError: a response built without a request (only in hand-made tests).
        return _one_line(target, 120)


def html_description(status: int, body: bytes) -> str:
    """Describe an HTML page (hosting, WAF, nginx) without dumping it."""
    title = _xml.html_title(body)
    suffix = f' titled "{title}"' if title else ""
    return f"shop answered {status} with an HTML page{suffix} (not the PrestaShop webservice)"


def error_for_transport(method: str, url: str, exc: httpx.TransportError, tries: int) -> PrestaShopError:
    """Map a failure to get any answer (refused, reset, DNS, timeout) to the exception tree."""
    timed_out = isinstance(exc, httpx.TimeoutException)
    cls = ShopTimeout if timed_out else ShopUnavailable
    what = "timed out" if timed_out else "connection failed"
    detail = f"{what} ({type(exc).__name__}: {str(exc) or 'no detail'})"
    if tries > 1:
        detail += f" after {tries} tries"
    if method not in IDEMPOTENT and not isinstance(exc, NEVER_SENT):
        detail += "; the request may have reached the shop, check before sending it again"
    return cls(detail, method=method, url=url)
