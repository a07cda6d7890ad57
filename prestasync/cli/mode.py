"""Which backend the commands use: the local database, or a remote server.

When `PRESTASYNC_SERVER_URL` is set, every call goes to that server's JSON API with
`PRESTASYNC_API_TOKEN` as a bearer token and nothing local (data dir, database, queue,
secret key) is touched; otherwise the local database is used as before. A module of its
own because it names both backends, which themselves build on `backend.py`.
"""

from __future__ import annotations

from prestasync.cli.backend import Backend
from prestasync.cli.common import runtime
from prestasync.cli.local_backend import LocalBackend
from prestasync.cli.remote_backend import RemoteBackend
from prestasync.config import Settings, read_settings
from prestasync.errors import RemoteError


def backend(settings: Settings | None = None) -> Backend:
    """The remote server when `server_url` is set (a token is then required), else the local database.

    The mode is decided before anything local is created: `runtime()` makes the data dir
    and secret key, which a remote user must not find littered on their machine.
    """
    current = settings or _from_environment()
    if current.remote:
        return RemoteBackend(current.server_url, current.api_token)
    return LocalBackend(runtime(settings))


def local_only(command: str) -> None:
    """Refuse a command that has no API counterpart while remote mode is on.

    Running it against the local database instead would look like success while doing
    nothing to the server the user is pointed at.
    """
    if _from_environment().remote:
        raise RemoteError(f"`{command}` runs on the server only: run it there, with PRESTASYNC_SERVER_URL unset")


def _from_environment() -> Settings:
    # Unlike `load_settings()`, creates nothing on disk.
    return read_settings()
