"""The HTTP side of an answer: status, headers spelt as PrestaShop spells them, body.

A webservice answer carries `Access-Time`, `X-Powered-By: PrestaShop Webservice`, `PSWS-Version`
(`0` before the key is accepted, `07_wrong_key.http`), `Content-type` (empty when there is no body,
`08_product_missing_404.http`, `19_delete_product_19.http`), `Execution-Time`, `Content-Sha1` when
there is a body, and usually a `Set-Cookie` nobody needs (fact 11, 29). Answers PHP gives before or
outside the webservice (the plain-text 401, an empty 500 after a fatal error, the 302 of an unknown
shop) carry only `X-Powered-By: PHP/…` and `Content-type: text/html; charset=utf-8`.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

from starlette.types import Send

REALM = (
    'Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the login. '
    'No password required."'
)
PHP_HTML = "text/html; charset=utf-8"
XML = "text/xml;charset=utf-8"
JSON = "application/json"
_COOKIE_NAME = "PrestaShop-25f57fa575b416702f0bb6ac806d61e0"


@dataclass
class Answer:
    """What to send: `webservice=False` for answers PHP gives outside the webservice."""

    status: int
    body: bytes = b""
    content_type: str = ""
    webservice: bool = True
    headers: list[tuple[str, str]] = field(default_factory=list)
    psws_version: str = ""
    head_only: bool = False
    sha1: bool | None = None  # None: only on a body that is not an error
    php: bool = True  # False for pages of the hosting itself (no `X-Powered-By: PHP`)


def webservice_headers(answer: Answer, started: float, cookie: bool) -> list[tuple[str, str]]:
    headers = [
        ("Access-Time", str(int(time.time()))),
        ("X-Powered-By", "PrestaShop Webservice"),
        ("PSWS-Version", answer.psws_version),
        ("Content-type", answer.content_type),
        ("Execution-Time", f"{time.perf_counter() - started:.3f}".rstrip("0").rstrip(".") or "0"),
    ]
    if answer.sha1 if answer.sha1 is not None else answer.content_type and answer.status < 400:
        headers.append(("Content-Sha1", hashlib.sha1(answer.body).hexdigest()))
    if cookie:
        stamp = hashlib.sha1(str(time.time_ns()).encode()).hexdigest()
        headers.append(("Set-Cookie", f"{_COOKIE_NAME}=def50200{stamp}; path=/; HttpOnly; SameSite=Lax"))
    return headers + answer.headers


def php_headers(answer: Answer) -> list[tuple[str, str]]:
    powered = [("X-Powered-By", "PHP/8.2")] if answer.php else []
    return [*powered, *answer.headers, ("Content-type", answer.content_type or PHP_HTML)]


async def send_answer(send: Send, answer: Answer, started: float, cookie: bool) -> None:
    """Send with the header names exactly as spelt (a raw ASGI response keeps their case)."""
    headers = webservice_headers(answer, started, cookie) if answer.webservice else php_headers(answer)
    body = b"" if answer.head_only else answer.body
    headers.append(("Content-Length", str(len(answer.body))))
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    await send({"type": "http.response.start", "status": answer.status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
