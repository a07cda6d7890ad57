"""Everything that can go wrong talking to a shop, as one exception tree.

    PrestaShopError              any failure; carries .method .url .status .code .message .errors .hint
    ├── ShopUnavailable          no usable answer, or the shop or its hosting said "try later":
    │   │                        connection errors, 5xx without an item-level code, 429, HTML 503
    │   │                        pages. Retryable; the client already retried what was safe.
    │   │                        .maybe_applied: True when a write may have been applied anyway
    │   ├── ShopTimeout          read / write / pool timeout
    │   └── ShopUnreachable      nothing was sent: connection refused, DNS failure, connect timeout
    ├── Unauthorized             the key was refused: 401 (codes 16-21, 26, or a plain-text 401),
    │   │                        403 (code 132, or a WAF/nginx HTML page), 405 code 25
    │   └── WebserviceDisabled   503 code 22: the webservice is switched off in the back office
    ├── NotFound                 the record does not exist: 404 (empty body, or codes 87/92/131),
    │                            an image id that is gone (400 code 57), an image row whose file is
    │                            missing (500 code 61), an unknown `id_shop` (302 to the front office)
    ├── NotSupported             405 codes 23/67/101 and 501: the shop does not offer this method
    │                            (PATCH before PrestaShop 8.0 or on an image, POST on stock_availables)
    ├── BadResponse              the answer is not a readable webservice document: bad XML, a
    │                            DOCTYPE, an unexpected shape, HTML with a 2xx, a redirect
    └── ValidationFailed         the shop rejected this request or record: 400 with a PrestaShop
                                 code (41, 58, 72, 76, 84, 85, 89-93, …) or 500 whose errors carry a
                                 webservice code (35, 38, 46, 85, 127, …: see `_class_for`)

Webservice disabled (503 code 22) sits under `Unauthorized`, not `ShopUnavailable`: waiting does
not help, a person has to switch the webservice on, exactly as for a refused key.

`maybe_applied` answers the question a caller must ask after a failed write: could the shop have
saved it? The real shop answers ~1-5 % of concurrent product writes with an empty-body 500 after
saving (README fact 14), and a read timeout or a dropped connection after sending leaves the same
doubt. It is True for any write (POST, PUT, PATCH, DELETE) that got such an answer on any try, and
False for reads, for `ShopUnreachable` on the only try, and for 429/408 (refused before handling).
Re-read before creating again.

`str(error)` is one line a person can act on, such as
`PUT https://shop/api/products/12 -> 400: [85] Validation error: "Property Product->price is not valid"`.
The URL never holds the API key: the client sends it as Basic auth, `ws_key` parameters and URL
credentials are removed from every URL put in an error, and the transport replaces the key by
`<api key>` in any text that would echo it.
"""

from __future__ import annotations

import re
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
    "ShopUnreachable",
    "Unauthorized",
    "ValidationFailed",
    "WebserviceDisabled",
]

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Failures that prove the request never reached the shop: the only ones a POST may be retried on.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Codes 1-15 are PHP diagnostics (WebserviceRequest::webserviceErrorHandler). Each one raises the
# status to 500, also after a request error was set: a bad `display` field (code 35, capture 44)
# or sort field (code 38, capture 68e2) arrives as a 500. So a 500 is judged by its other codes.
PHP_DIAGNOSTICS = frozenset(range(1, 16))
# Webservice codes that mean the shop itself is broken, not the request: an image file it cannot
# load (47), a webservice account pointing at a missing class (126).
SHOP_FAULT_CODES = frozenset({47, 126})
QUOTE_LIMIT = 300
KEY_PLACEHOLDER = "<api key>"

ErrorList = Sequence[tuple[int | None, str]]


class PrestaShopError(Exception):
    """A failed exchange with a shop.

    `message` is the first PrestaShop message or a plain description, `code` the first PrestaShop
    error code, `errors` every `(code, message)` the shop sent, `status` the HTTP status (None when
    no answer came back, or when the client refused to send), `hint` what the client knows about
    the cause beyond the shop's words.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        url: str = "",
        status: int | None = None,
        errors: ErrorList = (),
        hint: str = "",
    ) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.errors: list[tuple[int | None, str]] = list(errors)
        self.hint = hint
        self._description = message
        super().__init__(message)

    @property
    def code(self) -> int | None:
        return self.errors[0][0] if self.errors else None

    @property
    def message(self) -> str:
        return self.errors[0][1] if self.errors else self._description

    def __str__(self) -> str:
        if self.errors:
            joined = "; ".join(_one_line(m) if c is None else f"[{c}] {_one_line(m)}" for c, m in self.errors)
            detail = _one_line(joined, 2 * QUOTE_LIMIT)
        else:
            detail = _one_line(self._description)
        detail += "".join(f" — {_one_line(extra)}" for extra in self._notes())
        if not self.method:
            return detail
        outcome = "no answer" if self.status is None else str(self.status)
        return f"{self.method} {self.url} -> {outcome}: {detail}"

    def _notes(self) -> list[str]:
        return [self.hint] if self.hint else []

    def _state(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url, "status": self.status, "errors": self.errors, "hint": self.hint}

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle through `args`; keyword-only context would be lost on the way to a
        # worker or result store without this.
        return (_rebuild, (type(self), self._description, self._state()))

    def redact(self, secret: str) -> None:
        """Replace `secret` (the API key) wherever this error would show it."""
        if not secret:
            return
        self._description = self._description.replace(secret, KEY_PLACEHOLDER)
        self.url = self.url.replace(secret, KEY_PLACEHOLDER)
        self.hint = self.hint.replace(secret, KEY_PLACEHOLDER)
        self.errors = [(c, m.replace(secret, KEY_PLACEHOLDER)) for c, m in self.errors]
        self.args = tuple(a.replace(secret, KEY_PLACEHOLDER) if isinstance(a, str) else a for a in self.args)


class ShopUnavailable(PrestaShopError):
    """The shop gave no usable answer; trying again later may work.

    `maybe_applied` is True when this was a write that may have reached the shop and been saved
    (see the module notes): re-read before sending it again.
    """

    def __init__(self, message: str, *, maybe_applied: bool = False, **context: Any) -> None:
        super().__init__(message, **context)
        self.maybe_applied = maybe_applied

    def _notes(self) -> list[str]:
        notes = super()._notes()
        if self.maybe_applied:
            notes.append("the request may have reached the shop and been applied: re-read before sending it again")
        return notes

    def _state(self) -> dict[str, Any]:
        return {**super()._state(), "maybe_applied": self.maybe_applied}


class ShopTimeout(ShopUnavailable):
    """The shop did not answer in time (or the connection pool stayed full)."""


class ShopUnreachable(ShopUnavailable):
    """The shop could not be reached at all on the last try: refused, DNS failure, connect timeout.

    Nothing of that try was sent; `maybe_applied` still tells whether an earlier try of a write
    may have reached the shop.
    """


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
    params = response.request.url.params if _has_request(response) else httpx.QueryParams()
    shop_param = next((k for k in ("id_shop", "id_group_shop", "id_shop_group") if k in params), None)
    cls = _class_for(status, codes, errors, body, shop_param is not None)
    if shop_param and 300 <= status < 400:
        description = (
            f"the shop redirected to its front office: PrestaShop does that for an unknown shop "
            f"({shop_param}={params[shop_param]}), README fact 22"
        )
    else:
        description = _describe(status, response, errors)
    hint = _hint(method, url, status, errors, response)
    return cls(description, method=method, url=url, status=status, errors=errors, hint=hint)


def _class_for(
    status: int, codes: set[int | None], errors: ErrorList, body: bytes, shop_param: bool
) -> type[PrestaShopError]:
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
    # 57: "This image id does not exist" (a deleted image, capture 64f); 61: "This image does not
    # exist on disk" (the ghost a failed upload leaves, 65m); 76 "Product N does not exist" (65i).
    if (status == 400 and 57 in codes) or (status == 500 and 61 in codes) or _missing_product(status, errors):
        return NotFound
    if status == 400:
        return ValidationFailed if errors else BadResponse
    if status == 500 and {c for c in codes if c is not None} - PHP_DIAGNOSTICS - SHOP_FAULT_CODES:
        return ValidationFailed
    if status >= 500 or status in (408, 429):
        return ShopUnavailable
    if 300 <= status < 400:
        return NotFound if shop_param else BadResponse
    return PrestaShopError


def _missing_product(status: int, errors: ErrorList) -> bool:
    return status == 400 and any(c == 76 and re.fullmatch(r"Product \d+ does not exist", m) for c, m in errors)


def _describe(status: int, response: httpx.Response, errors: ErrorList) -> str:
    body = response.content
    if errors:
        return errors[0][1]
    if 300 <= status < 400:
        return f"shop redirected to {_location(response)}; use that address as the shop URL"
    # PHP labels every answer text/html by default, a plain `401 Unauthorized` too (capture 07b):
    # only a body holding markup is a page.
    if _xml.looks_like_html(body, response.headers.get("Content-Type", "")) and body.lstrip().startswith(b"<"):
        return html_description(status, body)
    if status == 401:
        return (
            "the shop refused the request without reading a key: the Authorization header may not reach "
            "PrestaShop (on Apache with CGI/FastCGI enable CGIPassAuth)"
        )
    if not body.strip():
        return "not found" if status == 404 else "empty answer"
    return f"unexpected answer: {_xml.quote(body)}"


def _hint(method: str, url: str, status: int, errors: ErrorList, response: httpx.Response) -> str:
    codes = {code for code, _ in errors}
    text = " ".join(message for _, message in errors)
    upload = method == "POST" and "/images/" in url
    if 84 in codes and "->name" in text:
        # Validate::isCatalogName is /^[^<>;=#{}]*$/u (captures 32, 33, 35).
        return "a name may not contain < > ; = # { }"
    if 85 in codes and "->price is not valid" in text:
        return "a price is a decimal number such as 12.50"  # captures 34, 39, 40
    if 85 in codes and "product_bundle" in text:
        return "a PUT of a virtual product fails when it carries <associations>; send it without them"  # 45, 45b
    if 72 in codes:
        return "the shop takes images up to 2,000,000 bytes (PS_LIMIT_UPLOAD_IMAGE_VALUE)"  # capture 65d
    if 76 in codes and upload and "does not exist" not in text:
        # The same code for a file over PHP's upload_max_filesize (65e-65g), a text file (65, 65b)
        # and a missing part (65j, 65k); such a refusal can still leave a ghost row (fact 20).
        return (
            "the shop refused the file (it may be over PHP's upload limit, 2 MiB by default, or not an image); "
            "a refused upload can leave an image row without a file behind: check the product's images"
        )
    if status >= 500 and not errors and method in WRITES:
        # An empty 500 without webservice headers is a PHP fatal error: after the save in the
        # shop's update hook under concurrent writes (fact 14, capture 46), or for a refused
        # duplicate specific price (75e) or a category with a missing parent (68g).
        return "an empty 500 on a write can come after the record was saved"
    return ""


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018  # raises RuntimeError on a response built without a request
    except RuntimeError:
        return False
    return True


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
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
        cls: type[ShopUnavailable] = ShopUnreachable
        what = "connection failed, nothing was sent"
    elif isinstance(exc, httpx.TimeoutException):
        cls, what = ShopTimeout, "timed out"
    else:
        cls, what = ShopUnavailable, "connection failed"
    detail = f"{what} ({type(exc).__name__}: {str(exc) or 'no detail'})"
    if tries > 1:
        detail += f" after {tries} tries"
    return cls(detail, method=method, url=url)
