"""The ASGI app serving one or more emulated shops, and the ways to run it (`serve`, `RunningEmulator`).

Each shop lives under `/<prefix>/api/` (the prefix `""` serves `/api/`). A request goes: latency,
the `down` fault, the key (no key at all is PHP's plain-text 401 before the webservice runs,
`07b_no_key.http`), then the engine (`engine.py`) or the image service (`image_api.py`).
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from prestasync.prestashop.emulator import engine, faults, image_api
from prestasync.prestashop.emulator.config import WriteRecord
from prestasync.prestashop.emulator.engine import WRITE_METHODS, Call
from prestasync.prestashop.emulator.query import php_params
from prestasync.prestashop.emulator.store import EmulatedShop
from prestasync.prestashop.emulator.wire import REALM, Answer, send_answer

_HTML_404 = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n"


class _App:
    """Finds the shop from the path prefix, keeps its counters, runs the request."""

    def __init__(self, shops: dict[str, EmulatedShop]) -> None:
        roots = {("/" + p.strip("/") if p.strip("/") else "") + "/api": (p.strip("/"), s) for p, s in shops.items()}
        self.roots = sorted(roots.items(), key=lambda item: -len(item[0]))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            # Nothing to start or stop; answer the protocol so servers and TestClient are happy.
            for phase in ("startup", "shutdown"):
                await receive()
                await send({"type": f"lifespan.{phase}.complete"})
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = request.url.path
        for root, (prefix, shop) in self.roots:
            if path == root or path.startswith(root + "/"):
                await self._serve_shop(shop, prefix, path[len(root) + 1 :], request, send)
                return
        await send_answer(send, Answer(404, _HTML_404, "text/html", webservice=False), time.perf_counter(), False)

    async def _serve_shop(self, shop: EmulatedShop, prefix: str, rest: str, request: Request, send: Send) -> None:
        arrived, started = time.monotonic(), time.perf_counter()
        call = _call(shop, prefix, rest, request)
        status = 500
        with shop.lock:
            shop.in_flight += 1
            shop.peak_in_flight = max(shop.peak_in_flight, shop.in_flight)
            shop.counts[(call.method, call.resource)] += 1
        try:
            await _delay(shop, call)
            answer = await self._answer(call, request)
            status = answer.status
            await send_answer(send, answer, started, shop.config.set_cookie and answer.webservice)
        finally:
            with shop.lock:
                shop.in_flight -= 1
                shop.requests += 1
                shop.busy_s += time.perf_counter() - started
                if call.method in WRITE_METHODS:
                    shop.writes.append(WriteRecord(arrived, call.method, call.resource, call.ids, status))

    async def _answer(self, call: Call, request: Request) -> Answer:
        shop = call.shop
        if shop.config.down:
            return faults.down_page()
        key = engine.auth_key(call.headers, call.params)
        if key is None:
            # The dispatcher stops before the engine: plain text, PHP's default content type.
            return Answer(401, b"401 Unauthorized", webservice=False, headers=[("WWW-Authenticate", REALM)])
        call.key = key
        call.as_json = engine.output_json(call.headers, call.params)
        if call.resource == "images":
            return await image_api.handle(call, request)
        call.body = await request.body()
        with shop.lock:
            answer = engine.run(call)
        local = call.headers.get("local-content-sha1")
        if answer.body and local is not None and local == hashlib.sha1(answer.body).hexdigest():
            answer.status, answer.body = 304, b""
        return answer


def _call(shop: EmulatedShop, prefix: str, rest: str, request: Request) -> Call:
    params = php_params(request.url.query)
    override = params.get("ps_method")
    # `$_REQUEST['ps_method'] ?? REQUEST_METHOD`: taken as given (`put` is then not a valid method).
    method = override if isinstance(override, str) and override else request.method
    segments = rest.split("/")
    host = request.headers.get("host") or request.url.netloc
    base = f"{request.url.scheme}://{host}{'/' + prefix if prefix else ''}/api/"
    headers = {k.lower(): v for k, v in request.headers.items()}
    return Call(shop, method, segments[0], [s for s in segments[1:] if s], params, headers, base, host)


async def _delay(shop: EmulatedShop, call: Call) -> None:
    cfg = shop.config
    if call.resource == "images":
        extra = cfg.image_latency_ms
    elif call.method in WRITE_METHODS:
        extra = cfg.write_latency_ms
    else:
        extra = cfg.read_latency_ms
    delay = cfg.latency_ms + extra
    if delay > 0:
        await asyncio.sleep(delay / 1000)


def create_app(shops: dict[str, EmulatedShop]) -> ASGIApp:
    """An ASGI app serving each shop under `/<prefix>/api/` (the key `""` serves `/api/`)."""
    return _App(shops)


def serve(shops: dict[str, EmulatedShop], host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve the shops with uvicorn until interrupted (blocking; used by the CLI)."""
    uvicorn.run(create_app(shops), host=host, port=port, log_level="info", lifespan="off", server_header=False)


class RunningEmulator:
    """Context manager running the emulator in a daemon thread on a real socket (`port=0`: any free).

    `url` is the server root without a trailing slash; a shop's base URL is `url + "/" + prefix`.
    """

    def __init__(self, shops: dict[str, EmulatedShop], host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this on Linux; without it Nagle + delayed ACK add ~40 ms
        # to every response (uvicorn does not set it on sockets it is handed).
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind((host, port))
        self.url = f"http://{host}:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(
            create_app(shops), log_level="warning", lifespan="off", server_header=False, access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True, name="prestashop-emulator"
        )

    def __enter__(self) -> RunningEmulator:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the PrestaShop emulator did not start")
            time.sleep(0.01)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
