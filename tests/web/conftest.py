"""Web test fixtures: the app on a real uvicorn server in a thread, signed-in clients, a worker, Chromium.

Chromium is Debian's `/usr/bin/chromium` driven by Playwright's Python package; browser
tests skip with the reason when either is missing, and fail instead under
PRESTASYNC_REQUIRE_SERVICES=1 (as `need_service` does for databases).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from prestasync import accounts
from prestasync.config import Settings
from prestasync.runtime import Runtime
from prestasync.web import events
from prestasync.web.app import create_app
from tests.conftest import RecordingQueue, wait_for
from tests.web import seed

PASSWORD = "correct horse battery"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FAST_LIVE = events.LiveSettings(interval_s=0.05, keepalive_s=1.0, idle_after_s=60.0)


@dataclass
class LiveServer:
    """The app served by uvicorn on a loopback port, in a daemon thread."""

    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread
    url: str

    @property
    def rt(self) -> Runtime:
        rt: Runtime = self.app.state.runtime
        return rt

    @property
    def broadcaster(self) -> events.Broadcaster:
        b: events.Broadcaster = self.app.state.broadcaster
        return b

    @classmethod
    def start(cls, app: FastAPI) -> LiveServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=3,
            backlog=2048,
            limit_concurrency=None,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="web")
        thread.start()
        wait_for(lambda: server.started or not thread.is_alive(), 20, "the web server to start")
        assert server.started, "the web server did not start"
        return cls(app, server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}")

    def stop(self) -> None:
        self.broadcaster.close_threadsafe()
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"admin_password": PASSWORD})


@pytest.fixture
def stub_queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
def live(web_settings: Settings, stub_queue: RecordingQueue) -> Iterator[LiveServer]:
    """The app on a real server, with a stub queue (no worker)."""
    server = LiveServer.start(create_app(Runtime(web_settings), queue=stub_queue, live=FAST_LIVE))
    yield server
    server.stop()


def sign_in(client: httpx.Client, username: str = "admin", password: str = PASSWORD) -> str:
    """Sign `client` in through the login form; returns the session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "the login form has a CSRF token"
    done = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token[1], "next": "/products"}
    )
    assert done.status_code == 303, done.text
    home = client.get("/products")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', home.text)
    assert csrf
    return csrf[1]


def make_token(rt: Runtime, name: str = "test") -> str:
    with rt.session() as session, session.begin():
        user = accounts.find_user(session, rt.settings.admin_user)
        assert user is not None
        _, plain = accounts.create_token(session, user, name)
    return plain


@pytest.fixture
def token(live: LiveServer) -> str:
    return make_token(live.rt)


@pytest.fixture
def worker(web_settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    """A real worker process (`python -m prestasync worker`) on the test's database and queue."""
    env = {
        **os.environ,
        "PRESTASYNC_DATA_DIR": str(web_settings.data_dir),
        "PRESTASYNC_DATABASE_URL": web_settings.resolved_database_url,
        "PRESTASYNC_QUEUE_URL": web_settings.resolved_queue_url,
        "PRESTASYNC_QUEUE_NAME": web_settings.queue_name,
        "PRESTASYNC_SECRET_KEY": web_settings.secret_key,
        "PRESTASYNC_PROGRESS_INTERVAL_S": "0.1",
        "PRESTASYNC_HEARTBEAT_EVERY_S": "1",
        "PRESTASYNC_PAGE_SIZE": "20",
        "PRESTASYNC_CHUNK_SIZE": "10",
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "prestasync", "worker", "--concurrency", "4", "--no-periodic"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    yield child
    child.terminate()
    try:
        child.wait(timeout=15)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def need_chromium() -> None:
    """Skip (or, under CI, fail) when Debian's Chromium or the Playwright package is missing."""
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed"
    if reason is None:
        return
    if os.environ.get("PRESTASYNC_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (PRESTASYNC_REQUIRE_SERVICES=1: CI must have every service)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class SeededApi:
    """A live server on a seeded database, with an API token: shared by a module's API tests."""

    live: LiveServer
    seeded: seed.Seeded
    token: str
    queue: RecordingQueue

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.live.url, headers=self.headers, timeout=30)


@contextmanager
def seeded_server(base: Path, database_url: str = "") -> Iterator[SeededApi]:
    """The app on a real server over a freshly seeded database (SQLite in `base` by default)."""
    settings = Settings(
        data_dir=base / "data",
        secret_key="test-secret-key",
        database_url=database_url or f"sqlite:///{base / 'app.db'}",
        queue_url=f"sqlite:///{base / 'queue.db'}",
        admin_password=PASSWORD,
    )
    queue = RecordingQueue()
    rt = Runtime(settings)
    rt.migrate()
    seeded = seed.seed(rt)
    server = LiveServer.start(create_app(rt, queue=queue, live=FAST_LIVE))
    try:
        yield SeededApi(server, seeded, make_token(rt), queue)
    finally:
        server.stop()
        rt.dispose()


@pytest.fixture(scope="module")
def seeded_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededApi]:
    """A seeded SQLite server shared by a module's API tests (seeding is not free)."""
    with seeded_server(tmp_path_factory.mktemp("api")) as api:
        yield api
