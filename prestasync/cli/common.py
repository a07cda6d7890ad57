"""What every CLI command needs: settings, a migrated runtime, job control."""

from __future__ import annotations

from rich.text import Text

from prestasync.config import Settings, load_settings
from prestasync.control import Control
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks


def runtime(settings: Settings | None = None) -> Runtime:
    """A runtime whose embedded database is migrated (server databases: `db upgrade`)."""
    rt = Runtime(settings or load_settings())
    if rt.settings.uses_embedded_database:
        rt.migrate()
    return rt


def control(rt: Runtime) -> Control:
    return Control(rt, Tasks(make_huey(rt.settings.resolved_queue_url), rt))


def cells(*values: object) -> list[Text]:
    """Table cells as plain text: a shop name like `[red]x` must not become markup."""
    return [Text(str(v)) for v in values]
