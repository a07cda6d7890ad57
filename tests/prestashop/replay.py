"""Serving a recorded exchange to the client and checking the request it sends against the recording.

`replay(exchange)` gives a client whose transport answers with the recorded status, headers and
body, byte for byte, after checking that the request is the recorded one: same method, path and
query (but for parameters a test names as free), and the same record in the body (fields and
associations equal, each recorded language present with the same text; the client may add
languages, which is its multilanguage rule) or the same multipart part.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field

import httpx
from lxml import etree

from prestasync.prestashop import PrestaShopClient
from tests.prestashop.captures import Exchange

SHOP = "http://127.0.0.1:8080"
KEY = "WIREKEY0WIREKEY0WIREKEY0WIREKEY0"
_PLACEHOLDER = re.compile(rb"<<(\d+) bytes [^\n]*?sha1 ([0-9a-f]{40})")


@dataclass
class Replay:
    """A client wired to one recorded answer, and the requests it made."""

    client: PrestaShopClient
    seen: list[httpx.Request] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)


def replay(exchange: Exchange, *, free: Collection[str] = (), check: bool = True) -> Replay:
    """A client for the recorded shop whose every request gets `exchange`'s answer."""
    sleeps: list[float] = []
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        if check:
            assert_same_request(request, exchange, free)
        return httpx.Response(exchange.status, headers=list(exchange.response_headers), content=exchange.response_body)

    version = exchange.header("psws-version")
    client = PrestaShopClient.connect(
        SHOP,
        KEY,
        transport=httpx.MockTransport(handler),
        retries=2,
        sleep=sleeps.append,
        shop_version=version if version and version != "0" else "8.1.2",
    )
    return Replay(client, seen, sleeps)


def assert_same_request(request: httpx.Request, exchange: Exchange, free: Collection[str] = ()) -> None:
    recorded = httpx.URL(exchange.target)
    assert request.method == exchange.method, f"{exchange.name}: method {request.method}"
    assert request.url.path == recorded.path, f"{exchange.name}: path {request.url.path} != {recorded.path}"
    ours = sorted((k, v) for k, v in request.url.params.multi_items() if k not in free)
    theirs = sorted((k, v) for k, v in recorded.params.multi_items() if k not in free)
    assert ours == theirs, f"{exchange.name}: query {ours} != recorded {theirs}"
    assert "cookie" not in {k.lower() for k in request.headers}
    if exchange.request_body.lstrip().startswith(b"<"):
        assert_same_record(request.content, exchange.request_body, exchange.name)
    elif exchange.request_body:
        mine = part(request.content, request.headers["Content-Type"])
        theirs = part(exchange.request_body, exchange.request_header("content-type") or "")
        if not exchange.complete:  # the file was not kept: the test sends as many other bytes
            mine = dataclasses.replace(mine, sha1=theirs.sha1)
        assert mine == theirs, f"{exchange.name}: multipart part {mine} != recorded {theirs}"


@dataclass(frozen=True)
class Body:
    tag: str
    fields: dict[str, str]
    i18n: dict[str, dict[str, str]]
    associations: dict[str, list[dict[str, str]]]


def body_record(body: bytes) -> Body:
    """A write body's record: leaf fields, language fields and associations (item tags ignored)."""
    (record,) = [c for c in etree.fromstring(body) if isinstance(c.tag, str)]
    fields: dict[str, str] = {}
    i18n: dict[str, dict[str, str]] = {}
    associations: dict[str, list[dict[str, str]]] = {}
    for child in record:
        kids = list(child)
        if child.tag == "associations":
            associations = {str(a.tag): [{str(f.tag): f.text or "" for f in item} for item in a] for a in child}
        elif kids and all(k.tag == "language" for k in kids):
            i18n[str(child.tag)] = {str(k.get("id")): k.text or "" for k in kids}
        else:
            fields[str(child.tag)] = child.text or ""
    return Body(str(record.tag), fields, i18n, associations)


def assert_same_record(ours: bytes, recorded: bytes, name: str) -> None:
    mine, theirs = body_record(ours), body_record(recorded)
    assert (mine.tag, mine.fields, mine.associations) == (theirs.tag, theirs.fields, theirs.associations), name
    assert set(mine.i18n) == set(theirs.i18n), f"{name}: multilanguage fields {set(mine.i18n)} != {set(theirs.i18n)}"
    for field_name, languages in theirs.i18n.items():
        for language, text in languages.items():
            assert mine.i18n[field_name].get(language) == text, f"{name}: {field_name}[{language}]"


@dataclass(frozen=True)
class Part:
    name: str
    filename: str
    content_type: str
    size: int
    sha1: str


def part(body: bytes, content_type: str) -> Part:
    """The one part of a multipart body; a recorded placeholder gives its size and SHA-1."""
    boundary = content_type.split("boundary=", 1)[1].strip().encode()
    inner = body.split(b"--" + boundary)[1]
    head, _, data = inner.removeprefix(b"\r\n").partition(b"\r\n\r\n")
    data = data.removesuffix(b"\r\n")
    disposition = re.search(rb'name="([^"]*)"; filename="([^"]*)"', head)
    kind = re.search(rb"Content-Type: (\S+)", head)
    assert disposition and kind
    placeholder = _PLACEHOLDER.fullmatch(data) or _PLACEHOLDER.match(data)
    if placeholder and data.endswith(b">>"):
        size, sha1 = int(placeholder.group(1)), placeholder.group(2).decode()
    else:
        size, sha1 = len(data), hashlib.sha1(data).hexdigest()
    return Part(disposition.group(1).decode(), disposition.group(2).decode(), kind.group(1).decode(), size, sha1)
