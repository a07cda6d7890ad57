"""Authentication, CSRF and the open/closed routes, over a real server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from prestasync import accounts, shops
from prestasync.config import Settings
from tests.web.conftest import PASSWORD, LiveServer, RecordingQueue, make_token, sign_in

OPEN = {"/healthz", "/login"}


def _walk(routes: list[Any]) -> Iterator[APIRoute | Route]:
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI keeps included routers as nodes
            yield from _walk(route.original_router.routes)
        elif isinstance(route, APIRoute | Route) and not isinstance(route, Mount):
            yield route


def _routes(live: LiveServer) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, path parameters filled with 1."""
    found = []
    for route in _walk(live.app.routes):
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in sorted(route.methods or ()):
            if method != "HEAD" and route.path not in OPEN:
                found.append((method, path))
    return found


def test_every_route_but_the_open_ones_needs_credentials(live: LiveServer) -> None:
    routes = _routes(live)
    assert ("GET", "/api/events") in routes and ("POST", "/api/jobs") in routes and ("GET", "/docs") in routes
    with httpx.Client(base_url=live.url, follow_redirects=False) as client:
        for method, path in routes:
            response = client.request(method, path)
            if method == "GET" and not path.startswith("/api/") and path not in ("/metrics", "/openapi.json"):
                assert response.status_code == 303, (method, path)
                assert response.headers["location"].startswith("/login?next="), path
            else:
                assert response.status_code == 401, (method, path, response.status_code)
                assert response.json() == {"detail": "authentication required"}


def test_open_routes_answer_without_credentials(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        assert client.get("/login").status_code == 200
        css = client.get("/static/app.css")
        assert css.status_code == 200 and "text/css" in css.headers["content-type"]


def test_a_cookie_post_needs_the_csrf_token(live: LiveServer, stub_queue: RecordingQueue) -> None:
    with live.rt.session() as session, session.begin():
        shop_id = shops.add_shop(session, live.rt.vault, name="Demo", url="http://127.0.0.1:9", key="K" * 32).id
    with httpx.Client(base_url=live.url) as client:
        csrf = sign_in(client)
        body = {"type": "import", "shop_ids": [shop_id]}
        refused = client.post("/api/jobs", json=body)
        assert refused.status_code == 403
        assert "CSRF" in refused.json()["detail"]
        assert client.post("/api/jobs", json=body, headers={"X-CSRF-Token": "nope"}).status_code == 403
        assert client.post("/logout").status_code == 403  # a form post without its field
        assert stub_queue.ids == []
        allowed = client.post("/api/jobs", json=body, headers={"X-CSRF-Token": csrf})
        assert allowed.status_code == 202
    assert stub_queue.ids == [allowed.json()["jobs"][0]["id"]]


def test_a_form_post_passes_with_the_csrf_field(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url) as client:
        csrf = sign_in(client)
        form = {"name": "Shop A", "url": "http://127.0.0.1:9", "key": "K" * 32}
        assert client.post("/shops", data=form).status_code == 403
        added = client.post("/shops", data={**form, "csrf_token": csrf})
        assert added.status_code == 303 and added.headers["location"] == "/shops"
        assert "Shop A" in client.get("/shops").text


def test_bearer_tokens_need_no_csrf_and_wrong_ones_are_refused(live: LiveServer, token: str) -> None:
    with httpx.Client(base_url=live.url) as client:
        ok = client.get("/api/jobs", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and ok.json()["items"] == []
        shop = {"name": "Scripted", "url": "http://127.0.0.1:9", "key": "K" * 32}
        created = client.post("/api/shops", json=shop, headers={"Authorization": f"Bearer {token}"})
        assert created.status_code == 201
        for bad in (f"Bearer {token}x", "Bearer pst_nothing", "Basic YWRtaW46eA==", "Bearer"):
            assert client.get("/api/jobs", headers={"Authorization": bad}).status_code == 401, bad
        assert client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_revoked_token_stops_working(live: LiveServer) -> None:
    plain = make_token(live.rt, "short-lived")
    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {plain}"}) as client:
        assert client.get("/api/shops").status_code == 200
        with live.rt.session() as session, session.begin():
            (row,) = [t for t in accounts.list_tokens(session) if t.name == "short-lived"]
            accounts.revoke_token(session, row.id)
        assert client.get("/api/shops").status_code == 401


def test_login_refuses_a_wrong_password_and_backs_off(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url) as client:
        page = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        form = {"username": "admin", "password": "wrong", "csrf_token": csrf[1]}
        codes = [client.post("/login", data=form).status_code for _ in range(7)]
        assert codes[:5] == [401] * 5 and 429 in codes[5:]
        assert client.get("/api/jobs").status_code == 401
        assert client.post("/login", data={**form, "csrf_token": "forged"}).status_code == 403


def test_login_redirects_only_to_local_paths(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url) as client:
        page = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        form = {"username": "admin", "password": PASSWORD, "csrf_token": csrf[1], "next": "//evil.example/x"}
        assert client.post("/login", data=form).headers["location"] == "/products"


def test_changing_the_password_ends_open_sessions(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url) as client:
        sign_in(client)
        assert client.get("/api/jobs").status_code == 200
        with live.rt.session() as session, session.begin():
            accounts.set_password(session, "admin", "a brand new password")
        assert client.get("/api/jobs").status_code == 401


def test_logout_ends_the_session(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url) as client:
        csrf = sign_in(client)
        assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
        assert client.get("/api/jobs").status_code == 401


@pytest.mark.parametrize("path", ["/products", "/shops/sync", "/shops", "/login"])
def test_pages_are_sent_with_a_strict_content_security_policy(live: LiveServer, path: str) -> None:
    with httpx.Client(base_url=live.url) as client:
        sign_in(client)
        page = client.get(path)
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"


def test_the_session_cookie_is_httponly_and_samesite(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url) as client:
        cookie = client.get("/login").headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie


def test_cookie_secure_marks_the_session_cookie_secure(web_settings: Settings, stub_queue: RecordingQueue) -> None:
    from fastapi.testclient import TestClient

    from prestasync.runtime import Runtime
    from prestasync.web.app import create_app

    rt = Runtime(web_settings.model_copy(update={"cookie_secure": True}))
    with TestClient(create_app(rt, queue=stub_queue)) as client:
        cookie = client.get("/login").headers["set-cookie"].lower()
    assert "secure" in [part.strip() for part in cookie.split(";")]
