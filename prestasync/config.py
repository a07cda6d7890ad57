"""Settings: one object, built in the entry points and passed down.

Values come from `PRESTASYNC_*` environment variables and an optional `.env` file
(see the README's settings table). Nothing here is read at import time: `load_settings()`
is called by the CLI, the web app factory and the worker, and tests build `Settings(...)`
directly.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from prestasync.errors import ConfigError

SECRET_FILE = "secret.key"


class Settings(BaseSettings):
    """Everything the service can be told from outside."""

    model_config = SettingsConfigDict(env_prefix="PRESTASYNC_", env_file=".env", extra="ignore", frozen=True)

    data_dir: Path = Path(".prestasync")
    database_url: str = ""
    queue_url: str = ""
    # Several deployments can share one Redis: each uses its own queue name.
    queue_name: str = Field("prestasync", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    secret_key: str = ""

    # Progress tracking: at most one counter write per job per interval (plus state changes).
    progress_interval_s: float = Field(0.25, gt=0)
    # A running job whose heartbeat is older than this is taken for lost and recovered.
    heartbeat_timeout_s: float = Field(60.0, gt=0)
    heartbeat_every_s: float = Field(10.0, gt=0)
    # A job stuck in `cancelling` this long is moved to `cancelled` by the watchdog.
    cancel_timeout_s: float = Field(60.0, gt=0)
    reaper_every_s: int = Field(30, gt=0)
    cleanup_days: int = Field(7, ge=0)
    # Politeness: requests in flight per shop, across all workers (see slots.py).
    shop_concurrency: int = Field(4, ge=1)
    page_size: int = Field(100, ge=1, le=1000)
    # Export items per lane batch: one bulk read of products, references and stock rows each.
    chunk_size: int = Field(100, ge=1, le=100)
    http_timeout_s: float = Field(30.0, gt=0)
    http_retries: int = Field(3, ge=0)
    # An export fails as a whole once the shop gave no usable answer to this many writes in a row
    # (a lone 500 fails only its product: see export/lane.py).
    shop_down_after: int = Field(10, ge=1)
    # Threads per worker: jobs wait on HTTP, not CPU. Twice the per-shop limit lets two shops'
    # exports run side by side in one worker.
    worker_concurrency: int = Field(8, ge=1)

    # Catalogue files (fileimport.py): an upload over `file_max_bytes` is refused before it is
    # read; a file over `file_max_rows` rows, or an XLSX whose parts unpack to more than
    # `file_max_unpacked_bytes` (a zip bomb), fails with a clear message. Rows are written
    # and checkpointed `file_batch_rows` at a time.
    file_max_bytes: int = Field(100 * 1024 * 1024, ge=1024)
    file_max_rows: int = Field(1_000_000, ge=1)
    file_max_unpacked_bytes: int = Field(1024 * 1024 * 1024, ge=1024)
    file_batch_rows: int = Field(500, ge=1, le=5000)

    admin_user: str = "admin"
    admin_password: str = ""
    # Mark the session cookie `Secure` (set it when the dashboard is served over HTTPS).
    cookie_secure: bool = False

    # Remote mode: the job and catalogue commands talk to this server's JSON API instead of
    # the local database, authenticated by an API token (`prestasync tokens create` there).
    server_url: str = ""
    api_token: str = Field(default="", repr=False)  # kept out of reprs, so a logged Settings shows no token

    # The daily loop (schedules, notifications, metrics; see loop.py). Schedules are looked at
    # this often, so a run starts at most this late after its slot.
    schedule_tick_s: float = Field(2.0, gt=0)
    # Test-only: schedule time runs this many times faster than the wall clock, counted from
    # `schedule_time_origin` (a Unix time every process must share), so a suite can run five
    # one-minute slots in seconds with real workers. Leave both alone in production.
    schedule_time_scale: float = Field(1.0, gt=0)
    schedule_time_origin: float = Field(0.0, ge=0)
    # The dashboard's address as people reach it, for links in e-mails and webhooks.
    public_url: str = "http://127.0.0.1:8000"
    smtp_host: str = ""  # empty: no e-mail is sent
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = Field(default="", repr=False)
    smtp_from: str = "prestasync@localhost"
    smtp_starttls: bool = True
    smtp_timeout_s: float = Field(20.0, gt=0)
    webhook_timeout_s: float = Field(10.0, gt=0)
    # A failed delivery (e-mail or webhook) is tried again after backoff * 2^(attempt-1), capped at an hour.
    delivery_backoff_s: float = Field(30.0, gt=0)
    delivery_attempts: int = Field(8, ge=1, le=50)
    # Worker metrics: a worker serves its own /metrics on this port (0: none) at this address.
    worker_metrics_port: int = Field(0, ge=0, le=65535)
    worker_metrics_host: str = "127.0.0.1"
    # The web server ends open event streams and waits at most this long for requests at shutdown.
    shutdown_timeout_s: float = Field(5.0, gt=0)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'prestasync.db'}"

    @property
    def resolved_queue_url(self) -> str:
        return self.queue_url or f"sqlite:///{self.data_dir / 'queue.db'}"

    @property
    def remote(self) -> bool:
        """True when the CLI's job and catalogue commands go to a remote server."""
        return bool(self.server_url.strip())

    @property
    def uses_embedded_database(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


def read_settings(**overrides: object) -> Settings:
    """Settings from the environment (and `.env`), creating nothing; a bad value is a ConfigError
    naming its variable (never its value: it may be a secret)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"PRESTASYNC_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()[:3]
        )
        raise ConfigError(f"invalid setting: {problems}") from None


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, create the data dir and settle the secret key.

    When no secret key is configured, one is generated once into `<data_dir>/secret.key`
    (mode 0600) and reused on every later start, so encrypted shop keys stay readable.
    """
    settings = read_settings(**overrides)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.secret_key:
        return settings
    path = settings.data_dir / SECRET_FILE
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return settings.model_copy(update={"secret_key": path.read_text().strip()})
