"""A scriptable shop for client tests: answers shaped like PrestaShop 8's, every request recorded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from prestasync.prestashop import PrestaShopClient
from tests.prestashop.conftest import xml

KEY = "UCCLLQ9N2ARSHWCXLT74KUKSSK34BFKX"
SHOP = "https://shop.example.com"
Answer = httpx.Response | Exception
Route = Callable[[httpx.Request], Answer]


def ok(inner: str | None = None, status: int = 200, version: str = "8.1.2", **headers: str) -> httpx.Response:
    """An answer with PrestaShop's headers and, unless `inner` is None, an XML body."""
    base = {"X-Powered-By": "PrestaShop Webservice", "PSWS-Version": version}
    if inner is not None:
        base["Content-Type"] = "text/xml;charset=utf-8"
    base.update({k.replace("_", "-"): v for k, v in headers.items()})
    return httpx.Response(status, content=b"" if inner is None else xml(inner), headers=base)


def failed(status: int, *errors: tuple[int, str]) -> httpx.Response:
    items = "".join(f"<error><code><![CDATA[{c}]]></code><message><![CDATA[{m}]]></message></error>" for c, m in errors)
    return ok(f"<errors>{items}</errors>", status)


def php_fatal() -> httpx.Response:
    """What PHP sends when it dies mid-request: 500, empty body, no webservice headers (46, 75e)."""
    return httpx.Response(500, headers={"X-Powered-By": "PHP/8.2", "Content-Type": "text/html; charset=utf-8"})


class MockShop:
    """Answers each request with `route(request)` (an answer or an exception to raise)."""

    def __init__(self, route: Route | list[Answer]) -> None:
        self.seen: list[httpx.Request] = []
        self.sleeps: list[float] = []
        if isinstance(route, list):
            answers = route
            route = lambda _: answers[min(len(self.seen), len(answers)) - 1]  # noqa: E731
        self.route = route

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.seen.append(request)
        answer = self.route(request)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def client(self, **options: Any) -> PrestaShopClient:
        options = {
            "retries": 3,
            "sleep": self.sleeps.append,
            "shop_version": "8.1.2",
            "transport": httpx.MockTransport(self),
            **options,
        }
        return PrestaShopClient.connect(SHOP, KEY, **options)

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.path.removeprefix("/api/")) for r in self.seen]

    def params(self, index: int = -1) -> dict[str, str]:
        return dict(self.seen[index].url.params)


def product(pid: int, reference: str, **fields: str) -> str:
    extra = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return (
        f"<product><id><![CDATA[{pid}]]></id><reference><![CDATA[{reference}]]></reference>{extra}"
        '<name><language id="1"><![CDATA[N1]]></language><language id="2"><![CDATA[N2]]></language></name>'
        "</product>"
    )


def products(*items: str) -> str:
    return "<products>\n" + "\n".join(items) + "\n</products>"
