"""A PrestaShop 8.1 Webservice emulator: an ASGI app serving one or more in-memory shops.

It answers like `webservice/dispatcher.php` + `WebserviceRequest` do, quirks included (see
`/work/shared/research/prestashop-webservice.md`): the plain-text 401 without a key, errors 20 and
21 together, 404 with an empty body on a single GET, PUT wiping absent fields, `[]` for an empty
JSON list. Resources: `products` and `stock_availables` (read/write), `languages` and `shops`
(read only: the emulated key is granted GET/HEAD there, so writes get 405 code 25).

Faults for tests (`ShopConfig`): `down` answers a hosting 503 HTML page; `fail_rate` answers
500 with `<code>3</code>` `[PHP Warning #2] mysqli::query(): MySQL server has gone away …`
(the shape PHP warnings take in the webservice) before anything is read or written; `fail_skus`
refuses writes of those references with a validation error; latencies use `asyncio.sleep`.

    app = create_app({"": EmulatedShop(ShopConfig(products=100))})   # http://host/api/…
    with RunningEmulator({"pl": shop}) as emu:                       # emu.url + "/pl/api/…"
        ...
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from prestasync.prestashop.emulator.query import (
    levenshtein_closest,
    parse_display,
    parse_languages,
    parse_list_query,
    php_int,
    php_params,
)
from prestasync.prestashop.emulator.schema import PS_RESOURCE_NAMES, RESOURCES, Resource, WsError
from prestasync.prestashop.emulator.select import select_rows
from prestasync.prestashop.emulator.store import EmulatedShop, ShopConfig, WriteRecord
from prestasync.prestashop.emulator.write import delete_ids, requested_ids, save_entities
from prestasync.prestashop.emulator.xml import Renderer, child, element_text, parse_entities, render_errors

__all__ = ["EmulatedShop", "RunningEmulator", "ShopConfig", "WriteRecord", "create_app", "serve"]

REALM = (
    'Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the login. '
    'No password required."'
)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_VALID_METHODS = frozenset({"GET", "HEAD"}) | WRITE_METHODS
_PHP_NUMERIC = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")
_DB_GONE = (
    "[PHP Warning #2] mysqli::query(): MySQL server has gone away (/var/www/html/classes/db/DbMySQLi.php, line 135)"
)
_HTML_503 = (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>503 Service Unavailable</title>\n'
    "</head><body>\n<h1>Service Unavailable</h1>\n<p>The server is temporarily unable to service your\n"
    "request due to maintenance downtime or capacity problems. Please try again later.</p>\n</body></html>\n"
)
_HTML_404 = "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n"


@dataclass
class _Call:
    """One request as the engine sees it."""

    shop: EmulatedShop
    method: str
    resource: str
    row_id: str | None
    params: dict[str, Any]
    headers: dict[str, str]
    body: bytes
    base: str  # absolute "<scheme>://<host>[/<prefix>]/api/"
    key: str = ""
    as_json: bool = False
    authenticated: bool = False
    ids: tuple[int, ...] = ()
    extra_headers: dict[str, str] = field(default_factory=dict)


def _output_json(headers: dict[str, str], params: dict[str, Any]) -> bool:
    """Io-Format > Output-Format > output_format > io_format, compared with exactly 'JSON' (§0.4)."""
    for value in (headers.get("io-format"), headers.get("output-format"), params.get("output_format")):
        if value is not None:
            return value == "JSON"
    return params.get("io_format") == "JSON"


def _auth_key(headers: dict[str, str], params: dict[str, Any]) -> str | None:
    """Basic auth user (wins) or `ws_key`, tags stripped like the dispatcher does (§1.1)."""
    auth = headers.get("authorization", "")
    if auth[:6].lower() == "basic ":
        try:
            user = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8", "replace").partition(":")[0]
        except ValueError:
            user = None
        if user is not None:
            return re.sub(r"<[^>]*>", "", user)
    key = params.get("ws_key")
    return key if isinstance(key, str) else None


def _check_access(call: _Call, key: str) -> None:
    """`webserviceChecks`: activation (22), key (17/18/20+21), shop group and shop (999, 132)."""
    cfg = call.shop.config
    if not cfg.webservice_enabled:
        msg = "The PrestaShop webservice is disabled. Please activate it in the PrestaShop Back Office"
        raise WsError((503, 22, msg))
    call.extra_headers["WWW-Authenticate"] = REALM
    if key in ("", "0"):  # PHP empty()
        raise WsError((401, 17, "Authentication key is empty"))
    if len(key) != 32:
        raise WsError((401, 18, "Invalid authentication key format"))
    if key.lower() != cfg.key.lower():  # the key column uses a case-insensitive collation
        raise WsError(
            (401, 20, "Authentification key is not active"), (401, 21, "No permission for this authentication key")
        )
    del call.extra_headers["WWW-Authenticate"]
    call.authenticated = True
    group = call.params.get("id_group_shop")
    if isinstance(group, str) and _PHP_NUMERIC.fullmatch(group) and php_int(group) != 1:
        raise WsError((500, 999, "This group shop doesn't have shops"))
    shop_id = call.params.get("id_shop")
    if shop_id is not None and shop_id != "all":
        if not isinstance(shop_id, str) or not _PHP_NUMERIC.fullmatch(shop_id):
            raise WsError((404, 999, "This shop id does not exist"))
        if int(float(shop_id)) != 1:
            raise WsError((403, 132, "No permission for this key on this shop"))


def _check_resource(call: _Call) -> Resource | None:
    """`checkResource` (26, 27) and `checkHTTPMethod` (23, 101, 25); None for the root."""
    name = call.resource
    if call.method not in _VALID_METHODS:
        raise WsError((405, 23, f"Method {call.method} is not valid"))
    if name == "":
        if call.method not in ("GET", "HEAD"):
            raise WsError((405, 23, f"Method {call.method} is not valid"))
        return None
    res = RESOURCES.get(name)
    if res is None:
        if name in PS_RESOURCE_NAMES:
            raise WsError((401, 26, f'Resource of type "{name}" is not allowed with this authentication key'))
        closest = levenshtein_closest(name, PS_RESOURCE_NAMES)
        full = '", "'.join(PS_RESOURCE_NAMES)
        msg = f'Resource of type "{name}" does not exists. Did you mean: "{closest}"? The full list is: "{full}"'
        raise WsError((400, 27, msg))
    if call.method in res.forbidden:
        raise WsError((405, 101, f"Method {call.method} is not allowed for the resource {name}"))
    if call.method not in res.key_methods:
        msg = f"Method {call.method} is not allowed for the resource {name} with this authentication key"
        raise WsError((405, 25, msg))
    return res


def _execute(call: _Call, res: Resource | None) -> tuple[int, str | None]:
    """Run the request; returns (status, body or None when output is disabled)."""
    shop = call.shop
    renderer = Renderer(shop, call.base, shop.lang_ids, call.as_json)
    if res is None:
        visible = [r for _, r in sorted(RESOURCES.items())]
        return 200, renderer.api_root(shop.config.name, visible)
    if call.method in ("GET", "HEAD"):
        return _execute_get(call, res, renderer)
    if call.method == "DELETE":
        requested = requested_ids(call.row_id, call.params.get("id"))
        call.ids = tuple(dict.fromkeys(php_int(r) for r in requested))
        delete_ids(shop, res, requested)
        return 200, None
    entities = parse_entities(call.body)
    if call.method != "POST":
        call.ids = tuple(php_int(element_text(e)) for x in entities if (e := child(x, "id")) is not None)
    rows = save_entities(shop, res, call.method, entities)
    call.ids = tuple(int(r["id"]) for r in rows)
    body = renderer.records(res, rows, "full", wrapped=False, json_plural=len(rows) != 1)
    return (201 if call.method == "POST" else 200), body


def _execute_get(call: _Call, res: Resource, renderer: Renderer) -> tuple[int, str | None]:
    table = call.shop.tables[res.name]
    if call.row_id:
        # A single record goes through neither filters nor schema (WR getFilteredObjectDetails).
        renderer.languages = parse_languages(call.params.get("language"), call.shop.lang_ids)
        display = parse_display(res, call.params.get("display"))
        row = table.rows.get(php_int(call.row_id))
        if row is None:
            return 404, None  # no <errors>: output disabled
        display = "full" if display == "minimum" else display
        return 200, renderer.records(res, [row], display, wrapped=False, json_plural="display" in call.params)
    schema = call.params.get("schema")
    if schema is not None:
        if schema not in ("blank", "synopsis"):
            msg = (
                "Please select a schema of type 'synopsis' to get the whole schema informations (which fields "
                "are required, which kind of content...) or 'blank' to get an empty schema to fill before "
                "using POST request"
            )
            raise WsError((400, 28, msg))
        return 200, renderer.schema(res, str(schema))
    q = parse_list_query(res, call.params, call.shop.lang_ids)
    renderer.languages = q.languages
    rows = select_rows(call.shop, res, q)
    if q.display == "minimum":
        return 200, renderer.minimum_list(res, rows)
    return 200, renderer.records(res, rows, q.display, wrapped=True, json_plural=True)


def _engine(call: _Call) -> Response:
    """Everything after the dispatcher found a key: checks, execution, headers (§0.5, §0.6)."""
    started = time.perf_counter()
    shop = call.shop
    try:
        _check_access(call, call.key)
        failing = shop.fault_rng.random() < shop.config.fail_rate
        if failing:
            raise WsError((500, 3, _DB_GONE))
        status, body = _execute(call, _check_resource(call))
    except WsError as exc:
        status, body = exc.status, render_errors(exc.errors, call.as_json)
    headers = {
        "Access-Time": str(int(time.time())),
        "X-Powered-By": "PrestaShop Webservice",
        "PSWS-Version": shop.config.version if call.authenticated else "0",
        "Content-Type": "" if body is None else "application/json" if call.as_json else "text/xml;charset=utf-8",
        "Execution-Time": f"{time.perf_counter() - started:.3f}".rstrip("0").rstrip("."),
    }
    data = b"" if body is None else body.encode("utf-8")
    if body is not None:
        headers["Content-Sha1"] = hashlib.sha1(data).hexdigest()
    headers |= call.extra_headers
    if body is not None and call.headers.get("local-content-sha1") == headers["Content-Sha1"]:
        return Response(b"", 304, headers)
    if call.method == "HEAD" or body is None:
        # HEAD: same processing as GET; the web server drops the body but keeps its length.
        return Response(b"", status, headers | {"Content-Length": str(len(data))})
    return Response(data, status, headers)


class _App:
    """The ASGI app: finds the shop from the path prefix, applies faults, runs the engine."""

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
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        for root, (prefix, shop) in self.roots:
            if path == root or path.startswith(root + "/"):
                return await self._serve_shop(shop, prefix, path[len(root) + 1 :], request)
        return Response(_HTML_404, 404, media_type="text/html")

    async def _serve_shop(self, shop: EmulatedShop, prefix: str, rest: str, request: Request) -> Response:
        arrived, started = time.monotonic(), time.perf_counter()
        params = php_params(request.url.query)
        override = params.get("ps_method")
        # `$_REQUEST['ps_method'] ?? REQUEST_METHOD`: taken as given (`put` is then not a valid method).
        method = override if isinstance(override, str) and override else request.method
        segments = rest.split("/")
        host = request.headers.get("host") or request.url.netloc
        base = f"{request.url.scheme}://{host}{'/' + prefix if prefix else ''}/api/"
        headers = {k.lower(): v for k, v in request.headers.items()}
        call = _Call(shop, method, segments[0], segments[1] if len(segments) > 1 else None, params, headers, b"", base)
        status = 500
        with shop.lock:
            shop.in_flight += 1
            shop.peak_in_flight = max(shop.peak_in_flight, shop.in_flight)
        try:
            call.body = await request.body()
            cfg = shop.config
            delay = cfg.latency_ms + (cfg.write_latency_ms if method in WRITE_METHODS else 0)
            if delay > 0:
                await asyncio.sleep(delay / 1000)
            response = self._respond(call)
            status = response.status_code
            return response
        finally:
            with shop.lock:
                shop.in_flight -= 1
                shop.requests += 1
                shop.busy_s += time.perf_counter() - started
                if method in WRITE_METHODS:
                    shop.writes.append(WriteRecord(arrived, method, call.resource, call.ids, status))

    def _respond(self, call: _Call) -> Response:
        shop = call.shop
        if shop.config.down:
            return Response(_HTML_503, 503, media_type="text/html; charset=iso-8859-1")
        key = _auth_key(call.headers, call.params)
        if key is None:
            # The dispatcher stops before the engine: plain text, PHP's default content type.
            headers = {"WWW-Authenticate": REALM}
            return Response("401 Unauthorized", 401, headers, media_type="text/html; charset=UTF-8")
        call.key = key
        call.as_json = _output_json(call.headers, call.params)
        with shop.lock:
            return _engine(call)


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
