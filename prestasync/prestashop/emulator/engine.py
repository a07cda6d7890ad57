"""The webservice engine: key and shop checks, resource and method checks, then the request itself.

Checks run in the dispatcher's order: webservice switched off (503 code 22), key empty or
malformed (17, 18), key unknown (20 + 21 together, `PSWS-Version: 0`, `07_wrong_key.http`), shop
(an unknown `id_shop` is a 302 to the shop front with no webservice headers,
`76r_get_product_bad_shop.http`), resource (26, 27) and method (23, 101).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from prestasync.prestashop.emulator import delete, faults
from prestasync.prestashop.emulator.listing import get_records
from prestasync.prestashop.emulator.parse import child, element_text, parse_entities
from prestasync.prestashop.emulator.query import levenshtein_closest, php_int
from prestasync.prestashop.emulator.render import Renderer, render_errors
from prestasync.prestashop.emulator.render_meta import api_root
from prestasync.prestashop.emulator.resources import PS_RESOURCE_NAMES, RESOURCES
from prestasync.prestashop.emulator.schema import RawAnswer, Resource, WsError
from prestasync.prestashop.emulator.wire import JSON, REALM, XML, Answer
from prestasync.prestashop.emulator.write import save_entities

if TYPE_CHECKING:
    from prestasync.prestashop.emulator.store import EmulatedShop

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
VALID_METHODS = frozenset({"GET", "HEAD"}) | WRITE_METHODS
_PHP_NUMERIC = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


@dataclass
class Call:
    """One request as the engine sees it."""

    shop: EmulatedShop
    method: str
    resource: str
    segments: list[str]  # the path after the resource name
    params: dict[str, Any]
    headers: dict[str, str]
    base: str  # absolute "<scheme>://<host>[/<prefix>]/api/"
    host: str
    body: bytes = b""
    key: str = ""
    as_json: bool = False
    authenticated: bool = False
    ids: tuple[int, ...] = ()
    extra_headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def row_id(self) -> str | None:
        return self.segments[0] if self.segments else None


def output_json(headers: dict[str, str], params: dict[str, Any]) -> bool:
    """Io-Format > Output-Format > output_format > io_format, compared with exactly 'JSON'."""
    for value in (headers.get("io-format"), headers.get("output-format"), params.get("output_format")):
        if value is not None:
            return value == "JSON"
    return params.get("io_format") == "JSON"


def auth_key(headers: dict[str, str], params: dict[str, Any]) -> str | None:
    """Basic auth user (wins) or `ws_key`, tags stripped like the dispatcher does."""
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


def check_access(call: Call) -> None:
    """Activation (22), key (17, 18, 20 + 21), shop group (999) and shop (302)."""
    cfg = call.shop.config
    if not cfg.webservice_enabled:
        msg = "The PrestaShop webservice is disabled. Please activate it in the PrestaShop Back Office"
        raise WsError((503, 22, msg))
    key = call.key
    call.extra_headers = [("WWW-Authenticate", REALM)]
    if key in ("", "0"):  # PHP empty()
        raise WsError((401, 17, "Authentication key is empty"))
    if len(key) != 32:
        raise WsError((401, 18, "Invalid authentication key format"))
    if key.lower() != cfg.key.lower():  # the key column uses a case-insensitive collation
        raise WsError(
            (401, 20, "Authentification key is not active"), (401, 21, "No permission for this authentication key")
        )
    call.extra_headers = []
    call.authenticated = True
    group = call.params.get("id_group_shop")
    if isinstance(group, str) and _PHP_NUMERIC.fullmatch(group) and php_int(group) != 1:
        raise WsError((500, 999, "This group shop doesn't have shops"))
    shop_id = call.params.get("id_shop")
    if shop_id is not None and shop_id != "all":
        known = isinstance(shop_id, str) and php_int(shop_id) in call.shop.tables["shops"].rows
        if not known:
            target = "/".join([call.resource, *call.segments])
            location = f"http://{call.host}/index.php?url={quote(target, safe='')}"
            raise RawAnswer(302, headers=[("Location", location)])
        # A shop with its own virtual URI links its records under it (76e_get_product_shop2_after_patch.http).
        uri = call.shop.tables["shops"].rows[php_int(str(shop_id))].get("_uri")
        if uri:
            call.base = f"{call.base.split('://')[0]}://{call.host}/{uri.strip('/')}/api/"


def check_resource(call: Call) -> Resource | None:
    """`checkResource` (26, 27) and `checkHTTPMethod` (23, 101); None for the root."""
    name = call.resource
    if call.method not in VALID_METHODS:
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
    return res


def execute(call: Call, res: Resource | None) -> tuple[int, str | None]:
    """Run the request; returns (status, body or None when output is disabled)."""
    shop = call.shop
    renderer = Renderer(shop, call.base, shop.lang_ids, call.as_json)
    if res is None:
        return 200, api_root(call.base, shop.config.name, call.as_json)
    if call.method in ("GET", "HEAD"):
        return get_records(call.shop, res, call.row_id, call.params, renderer)
    if call.method == "DELETE":
        requested = delete.requested_ids(call.row_id, call.params.get("id"))
        call.ids = tuple(dict.fromkeys(php_int(r) for r in requested))
        delete.delete_ids(shop, res, requested)
        return 200, None
    entities = parse_entities(call.body)
    if call.method != "POST":
        call.ids = tuple(php_int(element_text(e)) for x in entities if (e := child(x, "id")) is not None)
    saved = save_entities(shop, res, call.method, entities)
    call.ids = tuple(int(s.row["id"]) for s in saved)
    rows = [s.row for s in saved]
    built = None if call.method == "PATCH" else [s.built or {} for s in saved]
    body = renderer.records(res, rows, "full", wrapped=False, json_plural=len(rows) != 1, built=built)
    faults.after_write(call.shop, res.name, call.method)
    return (201 if call.method == "POST" else 200), body


def run(call: Call) -> Answer:
    """Everything after the dispatcher found a key: checks, faults, execution, the answer."""
    shop = call.shop
    try:
        check_access(call)
        res = check_resource(call)
        faults.before(shop, call.method)
        status, body = execute(call, res)
    except WsError as exc:
        status, body = exc.status, render_errors(exc.errors, call.as_json)
    except RawAnswer as raw:
        return Answer(raw.status, raw.body, raw.content_type, webservice=False, headers=raw.headers)
    data = b"" if body is None else body.encode("utf-8")
    content_type = "" if body is None else JSON if call.as_json else XML
    version = shop.config.version if call.authenticated else "0"
    answer = Answer(status, data, content_type, headers=call.extra_headers, psws_version=version)
    answer.head_only = call.method == "HEAD"
    return answer
