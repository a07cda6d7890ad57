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
    chunk_size: int = Field(25, ge=1)
    http_timeout_s: float = Field(30.0, gt=0)
    http_retries: int = Field(3, ge=0)
    worker_concurrency: int = Field(4, ge=1)

    admin_user: str = "admin"
    admin_password: str = ""
    # Mark the session cookie `Secure` (set it when the dashboard is served over HTTPS).
    cookie_secure: bool = False

    # Remote mode: the job and catalogue commands talk to this server's JSON API instead of
    # the local database, authenticated by an API token (`prestasync tokens create` there).
    server_url: str = ""
    api_token: str = Field(default="", repr=False)  # kept out of reprs, so a logged Settings shows no token

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
