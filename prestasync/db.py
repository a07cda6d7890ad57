"""Engine and session construction for SQLite, PostgreSQL and MariaDB.

SQLite needs discipline to be a multi-process store: WAL, a busy timeout, and every
transaction started with `BEGIN IMMEDIATE`. A deferred transaction that reads and then
writes cannot upgrade its lock once another writer has committed, and fails at once with
"database is locked" without waiting (measured: 1942 of 2000 read-then-write transactions
failed with `BEGIN`, none with `BEGIN IMMEDIATE`).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from prestasync.errors import ConfigError


def make_engine(url: str, *, echo: bool = False, read_only: bool = False) -> Engine:
    """Return an engine for `url` with the per-dialect settings this service relies on.

    `read_only` engines (the SSE poller, dashboards) skip SQLite's `BEGIN IMMEDIATE` so
    that readers never queue behind the job writers.
    """
    if url.startswith("sqlite"):
        return _sqlite_engine(url, echo, immediate=not read_only)
    kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True, "json_serializer": _json}
    if url.startswith(("mariadb", "mysql")):
        # REPEATABLE READ would let a long reader (the SSE poller) see a stale snapshot.
        kwargs["isolation_level"] = "READ COMMITTED"
        kwargs["pool_recycle"] = 3600
    try:
        return create_engine(url, **kwargs)
    except (ArgumentError, ImportError) as exc:  # NoSuchModuleError is an ArgumentError
        # Never the URL itself: it may hold the database password.
        raise ConfigError(f"PRESTASYNC_DATABASE_URL is not a database URL prestasync can use ({_kind(exc)})") from None


def _kind(exc: Exception) -> str:
    return "unknown database kind or driver" if isinstance(exc, (NoSuchModuleError, ImportError)) else "malformed"


def _sqlite_engine(url: str, echo: bool, *, immediate: bool) -> Engine:
    # A pool of open connections: opening one costs little, but closing the last one makes SQLite
    # checkpoint the WAL, and an export that opened and closed one per write spent a tenth of
    # its time there (profiled: 655 closes, 4.3 s of 39 s). Overflow beyond the pool is unbounded
    # (a thread never waits for a connection); only an in-memory database keeps NullPool.
    # Connections are made in the process that uses them: workers start by exec, never by fork.
    memory = url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url
    pooling: dict[str, Any] = {"poolclass": NullPool} if memory else {"pool_size": 8, "max_overflow": -1}
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": 30, "check_same_thread": False},
        json_serializer=_json,
        **pooling,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "synchronous=NORMAL", "foreign_keys=ON"):
            dbapi_conn.execute(f"PRAGMA {pragma}")
        # SQLite's own lower() folds ASCII only; searches must match "Żółw" typed as "żółw".
        dbapi_conn.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _json(value: Any) -> str:
    # Keep non-ASCII names readable in the database, so LIKE searches match "Żółw" as typed.
    return json.dumps(value, ensure_ascii=False)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
