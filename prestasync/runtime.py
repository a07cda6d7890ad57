"""The runtime a process works with: settings plus the engine, vault and shop clients built from them.

Built once per process by an entry point (CLI command, web app factory, worker) and passed
down. Nothing is created at import time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from prestasync.config import Settings
from prestasync.db import make_engine
from prestasync.models import Shop
from prestasync.prestashop import PrestaShopClient
from prestasync.schema import upgrade
from prestasync.telemetry import Telemetry
from prestasync.tracker import Tracker
from prestasync.vault import Vault


@dataclass
class Runtime:
    settings: Settings
    # Tests hand in an in-process transport (e.g. an emulator app) instead of a socket.
    transport: httpx.BaseTransport | None = None
    _engine: Engine | None = field(default=None, init=False, repr=False)
    _reader: Engine | None = field(default=None, init=False, repr=False)
    # This process's Prometheus metrics (telemetry.py); the web app and the worker serve them.
    telemetry: Telemetry = field(default_factory=Telemetry, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = make_engine(self.settings.resolved_database_url)
            return self._engine

    @property
    def reader(self) -> Engine:
        """An engine for transactions that only read. On SQLite its transactions do not take the
        write lock (`BEGIN`, not `BEGIN IMMEDIATE`), so an export lane reading its batch does not
        queue behind, or hold up, the writers; elsewhere it is `engine`."""
        if not self.settings.resolved_database_url.startswith("sqlite"):
            return self.engine
        with self._lock:
            if self._reader is None:
                self._reader = make_engine(self.settings.resolved_database_url, read_only=True)
            return self._reader

    @property
    def vault(self) -> Vault:
        return Vault(self.settings.secret_key)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        upgrade(self.engine)

    def connect(self, shop: Shop) -> PrestaShopClient:
        """A client for `shop`, its key decrypted only in memory."""
        return PrestaShopClient.connect(
            shop.url,
            self.vault.open(shop.api_key_encrypted),
            timeout_s=self.settings.http_timeout_s,
            retries=self.settings.http_retries,
            transport=self.transport,
            max_connections=self.settings.shop_concurrency,
            observer=self.telemetry.shop_observer(shop.name),
        )

    def tracker(self, job_id: int) -> Tracker:
        """A progress tracker for `job_id` with this runtime's flush and heartbeat timings."""
        s = self.settings
        observer = self.telemetry.flush_observer(self.engine, job_id)
        return Tracker(
            self.engine, job_id, interval_s=s.progress_interval_s, heartbeat_s=s.heartbeat_every_s, observer=observer
        )

    def dispose(self) -> None:
        with self._lock:
            for engine in (self._engine, self._reader):
                if engine is not None:
                    engine.dispose()
            self._engine = self._reader = None
