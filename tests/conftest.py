"""Shared fixtures: real databases (SQLite always; PostgreSQL, MariaDB and Redis when running).

A test that needs a service skips with the reason when the service is absent, unless
PRESTASYNC_REQUIRE_SERVICES=1 (set by `.ci/run`), which turns that skip into a failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from prestasync.config import Settings
from prestasync.db import make_engine
from prestasync.schema import upgrade

PG_ADMIN = os.environ.get("PRESTASYNC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIA_ADMIN = os.environ.get("PRESTASYNC_TEST_MARIADB", "mariadb+pymysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("PRESTASYNC_TEST_REDIS", "redis://127.0.0.1:6379/15")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    """Skip (or, under CI, fail) when a service is not listening."""
    if _port_open(host, port):
        return
    reason = f"{name} is not running on {host}:{port}"
    if os.environ.get("PRESTASYNC_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (PRESTASYNC_REQUIRE_SERVICES=1: CI must have every service)")
    pytest.skip(reason)


def _server_database(admin_url: str, name: str) -> Iterator[str]:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    base, _, _ = admin_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            if admin.dialect.name == "postgresql":
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each engine."""
    name = f"ps_test_{uuid.uuid4().hex[:10]}"
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    elif request.param == "postgres":
        need_service("PostgreSQL", "127.0.0.1", 5432)
        yield from _server_database(PG_ADMIN, name)
    else:
        need_service("MariaDB", "127.0.0.1", 3306)
        yield from _server_database(MARIA_ADMIN, name)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database."""
    need_service("PostgreSQL", "127.0.0.1", 5432)
    yield from _server_database(PG_ADMIN, f"ps_test_{uuid.uuid4().hex[:10]}")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on each database."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a private data dir with fast timings for tests."""
    return Settings(
        data_dir=tmp_path / "data",
        secret_key="test-secret-key",
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        queue_url=f"sqlite:///{tmp_path / 'queue.db'}",
        progress_interval_s=0.05,
        heartbeat_every_s=0.5,
        # A queue of its own: test runs sharing the machine's Redis never take each other's tasks.
        queue_name=f"ps-test-{uuid.uuid4().hex[:12]}",
    )


@pytest.fixture
def redis_url() -> str:
    need_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process exactly these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESTASYNC_")}
    for name, value in settings.model_dump().items():
        env[f"PRESTASYNC_{name.upper()}"] = str(value)
    env["PRESTASYNC_DATABASE_URL"] = settings.resolved_database_url
    env["PRESTASYNC_QUEUE_URL"] = settings.resolved_queue_url
    return env


WorkerFactory = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[WorkerFactory]:
    """Start real `prestasync worker` processes; all are stopped (or killed) at teardown."""
    started: list[subprocess.Popen[bytes]] = []

    def start(settings: Settings, *args: str) -> subprocess.Popen[bytes]:
        with open(tmp_path / f"worker-{len(started)}.log", "wb") as log:  # the child keeps its own copy
            proc = subprocess.Popen(
                [sys.executable, "-m", "prestasync", "worker", *args],
                env=settings_env(settings),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    for proc in started:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class RecordingQueue:
    """A `JobQueue` that only records what was enqueued, for tests that decide when tasks run.

    `ids` are the jobs enqueued, `chunks` the jobs one or more chunks were enqueued for.
    """

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.chunks: list[int] = []

    def enqueue_job(self, job_id: int, *, delay_s: float = 0.0) -> None:
        self.ids.append(job_id)

    def enqueue_lane(self, job_id: int, *, delay_s: float = 0.0) -> None:
        if job_id not in self.chunks:
            self.chunks.append(job_id)


def wait_for(condition: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> object:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
