"""Who is asking, and may they: sessions, bearer tokens, CSRF, and the gate in front of every route.

Browsers sign in with a password and get a signed session cookie (HttpOnly,
SameSite=Lax) holding the user id, a fingerprint of the password hash (so changing the
password ends every session) and a CSRF token. Scripts send `Authorization: Bearer
<token>` (see `accounts.create_token`).

`AuthGate` is an ASGI middleware rather than a per-route dependency so that nothing
added later (or mounted by FastAPI itself, like `/docs` and `/openapi.json`) can be
reached without credentials by mistake. Only `/healthz`, `/login` and `/static/*` are
open. API requests without credentials get 401 JSON; page requests are sent to the
login page. A state-changing request authenticated by the session cookie must carry the
session's CSRF token in the `X-CSRF-Token` header or a `csrf_token` form field, or it
gets 403; bearer requests need no CSRF token, since a browser never adds that header
on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

import anyio.to_thread
from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prestasync import accounts
from prestasync.accounts import Principal
from prestasync.models import User
from prestasync.runtime import Runtime

SESSION_COOKIE = "prestasync_session"
SESSION_MAX_AGE = 7 * 24 * 3600
OPEN_PATHS = frozenset({"/healthz", "/login"})
OPEN_PREFIXES = ("/static/",)
# Paths a program, not a person, asks for: refused with 401 rather than sent to the login page.
MACHINE_PATHS = frozenset({"/metrics", "/openapi.json"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_LIMIT = 64 * 1024
TOUCH_EVERY_S = 60.0


def session_key(secret_key: str) -> str:
    """The session-signing key, derived so it differs from the key that encrypts shop keys."""
    return hmac.new(secret_key.encode(), b"prestasync-session", hashlib.sha256).hexdigest()


def start_session(request: Request, user: User) -> None:
    """Sign `user` in: a fresh session (and CSRF token), so a pre-login session is not reused."""
    request.session.clear()
    request.session["uid"] = user.id
    request.session["fp"] = accounts.fingerprint(user)
    request.session["csrf"] = secrets.token_urlsafe(32)


def end_session(request: Request) -> None:
    request.session.clear()


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (the login form needs one before sign-in)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_matches(session: dict[str, Any], given: str | None) -> bool:
    expected = session.get("csrf")
    return isinstance(expected, str) and bool(given) and hmac.compare_digest(expected, given or "")


def require_principal(request: Request) -> Principal:
    """The principal the gate let in; a 401 if a route is somehow reached without one."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise HTTPException(status_code=401, detail="authentication required")
    return principal


CurrentUser = Annotated[Principal, Depends(require_principal)]


class LoginLimiter:
    """Per-address backoff after repeated failed logins: free tries, then doubling waits."""

    def __init__(self, free: int = 5, max_wait_s: float = 300.0) -> None:
        self.free, self.max_wait_s = free, max_wait_s
        self._failures: dict[str, tuple[int, float]] = {}

    def wait_s(self, key: str) -> float:
        """Seconds until `key` may try again (0 when it may now)."""
        _, until = self._failures.get(key, (0, 0.0))
        return max(0.0, until - time.monotonic())

    def failed(self, key: str) -> None:
        if len(self._failures) > 10_000:  # bound the memory an address scan can take
            self._failures.clear()
        count = self._failures.get(key, (0, 0.0))[0] + 1
        wait = min(2.0 ** (count - self.free), self.max_wait_s) if count >= self.free else 0.0
        self._failures[key] = (count, time.monotonic() + wait)

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)


class AuthGate:
    """The ASGI middleware that authenticates every request and enforces CSRF (see module doc)."""

    def __init__(self, app: ASGIApp, *, rt: Runtime, reader: Engine) -> None:
        self.app, self.rt, self.reader = app, rt, reader
        self._touched: dict[int, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        principal = await self._principal(scope, headers)
        if principal is None:
            await _deny(scope, send)
            return
        if scope["method"] in UNSAFE_METHODS and principal.via == "session":
            given, receive = await _csrf_from_request(headers, receive)
            if given is None:
                await _json(send, 413, "form too large")
                return
            if not csrf_matches(scope.get("session") or {}, given):
                await _json(send, 403, "CSRF token missing or wrong; reload the page")
                return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    async def _principal(self, scope: Scope, headers: Headers) -> Principal | None:
        authorization = headers.get("authorization")
        if authorization is not None:  # explicit credentials decide, even next to a session cookie
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return None
            return await anyio.to_thread.run_sync(self._by_token, token.strip())
        session = scope.get("session") or {}
        uid, fp = session.get("uid"), session.get("fp")
        if isinstance(uid, int) and isinstance(fp, str):
            return await anyio.to_thread.run_sync(self._by_session, uid, fp)
        return None

    def _by_session(self, uid: int, fp: str) -> Principal | None:
        with Session(self.reader) as session:
            user = session.execute(select(User).where(User.id == uid)).scalar()
            if user is None or not hmac.compare_digest(accounts.fingerprint(user), fp):
                return None
            return Principal(user.id, user.username, "session")

    def _by_token(self, token: str) -> Principal | None:
        with Session(self.reader) as session:
            principal = accounts.verify_token(session, token)
        if principal is not None and principal.token_id is not None:
            self._touch(principal.token_id)
        return principal

    def _touch(self, token_id: int) -> None:
        # Last-use is bookkeeping: at most one write per token per minute per process.
        now = time.monotonic()
        if now - self._touched.get(token_id, -TOUCH_EVERY_S) < TOUCH_EVERY_S:
            return
        self._touched[token_id] = now
        with self.rt.session() as session, session.begin():
            accounts.touch_token(session, token_id)


def _is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


async def _csrf_from_request(headers: Headers, receive: Receive) -> tuple[str | None, Receive]:
    """The CSRF token from the header, or from a urlencoded form body (which is then replayed).

    Returns `None` as the token when a form body is too large to inspect.
    """
    given = headers.get("x-csrf-token")
    if given or not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return given or "", receive
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > FORM_LIMIT:
            return None, receive
        if not message.get("more_body", False):
            break
    field = parse_qs(body.decode("latin-1")).get("csrf_token", [""])[0]
    return field, _replay(body, receive)


def _replay(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


async def _deny(scope: Scope, send: Send) -> None:
    path: str = scope["path"]
    if scope["method"] == "GET" and not path.startswith("/api/") and path not in MACHINE_PATHS:
        target = path + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else "")
        location = "/login?next=" + quote(target, safe="")
        await send({"type": "http.response.start", "status": 303, "headers": [(b"location", location.encode())]})
        await send({"type": "http.response.body", "body": b""})
        return
    await _json(send, 401, "authentication required", [(b"www-authenticate", b"Bearer")])


async def _json(send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Headers every response gets: no MIME sniffing, no framing, no cross-site referrers."""

    HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"))

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.HEADERS:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
