"""The remote backend against a scripted server: error mapping, paging, and a token kept secret."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from prestasync.cli.local_backend import LocalBackend
from prestasync.cli.mode import backend
from prestasync.cli.remote_backend import RemoteBackend
from prestasync.cli.shops_backend import LocalShops, RemoteShops, shops_backend
from prestasync.config import Settings
from prestasync.errors import RemoteError, ShopNotFound
from prestasync.progress import JobType

URL = "https://sync.example.test"
AT = "2026-01-01T00:00:00Z"


def job(job_id: int, **fields: object) -> dict[str, object]:
    """A whole job as the API sends it (`contract.JobOut`)."""
    base: dict[str, object] = {
        "id": job_id, "uuid": f"u-{job_id}", "type": "export", "status": "completed", "shop_id": 1,
        "shop_name": "Alpha", "total": 0, "processed": 0, "failed": 0, "skipped": 0, "created": 0,
        "updated": 0, "unchanged": 0, "percent": 0.0, "rate_per_s": None, "eta_s": None, "elapsed_s": None,
        "created_at": AT, "started_at": None, "finished_at": None, "updated_at": AT, "heartbeat_at": None,
        "error_message": None, "params": {}, "retry_of": None, "group_uuid": None, "cancel_requested": False,
        "attempts": 0, "version": 0, "preview": False, "actions": [],
    }  # fmt: skip
    return {**base, **fields}


def item(item_id: int) -> dict[str, object]:
    return {
        "id": item_id, "sku": f"S-{item_id}", "remote_id": None, "state": "failed", "outcome": None,
        "error_code": None, "message": "boom", "cause": "boom", "changes": None, "attempt": 1,
        "created_at": AT, "updated_at": AT,
    }  # fmt: skip


def shop(shop_id: int, name: str, **fields: object) -> dict[str, object]:
    """A whole shop as the API sends it (`contract.ShopOut`)."""
    base: dict[str, object] = {
        "id": shop_id, "name": name, "url": "http://a.test", "synced_until": None, "guard_enabled": True,
        "guard_share_pct": 20, "guard_price_pct": 50, "default_tax_group": None, "fallback_language": None,
        "created_at": AT, "updated_at": AT,
    }  # fmt: skip
    return {**base, **fields}


TOKEN = "pst_" + "S3cret" * 7
Handler = Callable[[httpx.Request], httpx.Response]


def remote(handler: Handler) -> RemoteBackend:
    return RemoteBackend(URL, TOKEN, transport=httpx.MockTransport(handler))


def answer(status: int, body: object) -> Handler:
    return lambda request: httpx.Response(status, json=body)


def failure(handler: Handler, call: Callable[[RemoteBackend], object] = lambda b: b.get_job(7)) -> str:
    with pytest.raises(RemoteError) as caught:
        call(remote(handler))
    message = str(caught.value)
    assert TOKEN not in message and "\n" not in message
    return message


VALIDATION = [
    {
        "type": "string_too_short",
        "loc": ["body", "name"],
        "msg": "String should have at least 1 character",
        "input": "",
    },
    {"type": "missing", "loc": ["body", "key"], "msg": "Field required", "input": {"name": "", "url": "x"}},
]


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (answer(401, {"detail": "authentication required"}), "the server refused the API token (PRESTASYNC_API_TOKEN)"),
        (answer(404, {"detail": "job 7 does not exist"}), "job 7 does not exist"),
        (answer(409, {"detail": "job 7 is completed; only active jobs can be cancelled"}), "job 7 is completed; only"),
        (answer(422, {"detail": VALIDATION}), "name: String should have at least 1 character; key: Field required"),
        (answer(422, {"detail": [{"loc": ["query", "limit"], "msg": "bad"}] * 5}), "limit: bad; and 2 more"),
        (answer(500, {"detail": "boom"}), "server error 500"),
        (lambda request: httpx.Response(502, text="<html>Bad Gateway</html>"), "server error 502"),
        (answer(404, {"detail": "Not Found"}), "the server has no /api/jobs/7; is PRESTASYNC_SERVER_URL"),
        (answer(403, {"detail": "forbidden"}), "the server answered 403: forbidden"),
        (lambda request: httpx.Response(200, text="<html>a blog</html>"), "is not JSON"),
        (lambda request: httpx.Response(302, headers={"location": "https://elsewhere.test/"}), "redirects to https://"),
    ],
)
def test_every_failed_answer_becomes_one_line(handler: Handler, expected: str) -> None:
    assert expected in failure(handler)


def test_a_validation_answer_never_echoes_the_input() -> None:
    shop_key = "KEY" + "9" * 29
    rejected = [{"loc": ["body", "url"], "msg": "too long", "input": shop_key}]
    message = failure(answer(422, {"detail": rejected}), lambda b: b.add_shop("A", "http://a.test", shop_key))
    assert message == "url: too long" and shop_key not in message


def test_a_network_error_names_the_server_and_never_the_token() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        # Some transport errors quote the request they failed on; the token must not get through.
        raise httpx.ConnectError(f"[Errno 111] Connection refused (sent Bearer {TOKEN})", request=request)

    message = failure(refuse)
    assert message.startswith(f"cannot reach the server at {URL}: [Errno 111] Connection refused")
    assert "[token]" in message


def test_requests_carry_the_token_as_a_bearer_header() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=job(7, status="running"))

    assert remote(record).get_job(7).status == "running"
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert str(seen[0].url) == f"{URL}/api/jobs/7"


@pytest.mark.parametrize(("count", "pages"), [(2500, [0, 1000, 2000]), (2000, [0, 1000, 2000]), (0, [0])])
def test_failed_items_fetches_every_page(count: int, pages: list[int]) -> None:
    items = [item(i) for i in range(count)]
    offsets: list[int] = []

    def serve(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/jobs/7/errors"
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        offsets.append(offset)
        return httpx.Response(200, json={"items": items[offset : offset + limit], "total": count})

    assert [found.id for found in remote(serve).failed_items(7)] == list(range(count))
    assert offsets == pages


def test_lists_longer_than_an_api_page_are_fetched_in_pages() -> None:
    asked: list[tuple[str, str, str]] = []

    def serve(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        asked.append((params["offset"], params["limit"], params.get("status", "")))
        return httpx.Response(200, json={"items": [job(0)] * int(params["limit"]), "total": 10_000})

    listing = remote(serve).list_jobs("active", None, 700)
    assert listing.total == 10_000 and len(list(listing.items)) == 700
    assert asked == [("0", "500", "active"), ("500", "200", "active")]


SHOPS = [shop(4, "Alpha"), shop(9, "Beta")]


def test_start_resolves_shop_names_on_the_server() -> None:
    posted: list[object] = []

    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/shops":
            return httpx.Response(200, json=SHOPS)
        posted.append(json.loads(request.content))
        return httpx.Response(202, json={"jobs": [job(1), job(2)], "group_uuid": "g"})

    started = remote(serve).start(JobType.EXPORT, ["Beta", "Alpha"], {"skus": ["A"]})
    assert [started_job.id for started_job in started] == [1, 2]
    assert posted == [{"type": "export", "shop_ids": [9, 4], "params": {"skus": ["A"]}}]


def test_an_unknown_shop_name_gets_the_local_message() -> None:
    with pytest.raises(ShopNotFound, match=r"no shop named 'Gamma' \(known: Alpha, Beta\)"):
        remote(answer(200, SHOPS)).start(JobType.IMPORT, ["Gamma"], {})


@pytest.mark.parametrize(
    ("url", "token", "expected"),
    [
        (URL, "", "PRESTASYNC_API_TOKEN is not"),
        (URL, "pst_with space", "PRESTASYNC_API_TOKEN holds spaces"),
        ("sync.example.test", TOKEN, "must start with http:// or https://"),
        ("https://me:pw@sync.example.test", TOKEN, "must hold no credentials"),
    ],
)
def test_bad_remote_settings_are_refused_before_any_request(url: str, token: str, expected: str) -> None:
    with pytest.raises(RemoteError, match=expected) as caught:
        backend(Settings(server_url=url, api_token=token))  # type: ignore[call-arg]
    assert not token or token not in str(caught.value)


def test_the_mode_follows_the_server_url(settings: Settings) -> None:
    assert isinstance(backend(settings), LocalBackend)
    chosen = backend(settings.model_copy(update={"server_url": URL, "api_token": TOKEN}))
    assert isinstance(chosen, RemoteBackend) and TOKEN not in repr(settings.model_copy(update={"api_token": TOKEN}))


def test_shop_settings_are_read_changed_and_removed_through_the_shops_api() -> None:
    asked: list[tuple[str, str, object]] = []

    def serve(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        asked.append((request.method, request.url.path, body))
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(200, json=shop(4, "Alpha", guard_share_pct=35, default_tax_group=None))

    be = RemoteShops(URL, TOKEN, transport=httpx.MockTransport(serve))
    assert be.get_shop(4).guard_share_pct == 35
    assert be.edit_shop(4, {"guard_share_pct": 35, "default_tax_group": None}).name == "Alpha"
    assert be.remove_shop(4) is None
    assert asked == [
        ("GET", "/api/shops/4", None),
        ("PATCH", "/api/shops/4", {"guard_share_pct": 35, "default_tax_group": None}),
        ("DELETE", "/api/shops/4", None),
    ]


def test_a_shops_refusal_is_the_servers_one_line() -> None:
    busy = {"detail": "shop 'Alpha' has 1 active job(s); cancel them or wait for them to end"}
    be = RemoteShops(URL, TOKEN, transport=httpx.MockTransport(answer(409, busy)))
    with pytest.raises(RemoteError, match=r"^shop 'Alpha' has 1 active job\(s\)"):
        be.remove_shop(4)
    old_server = RemoteShops(URL, TOKEN, transport=httpx.MockTransport(answer(200, {"id": 4, "name": "Alpha"})))
    with pytest.raises(RemoteError, match="does not have the shape of a ShopOut"):
        old_server.get_shop(4)


def test_the_shops_backend_follows_the_server_url(settings: Settings) -> None:
    assert isinstance(shops_backend(settings), LocalShops)
    assert isinstance(shops_backend(settings.model_copy(update={"server_url": URL, "api_token": TOKEN})), RemoteShops)
