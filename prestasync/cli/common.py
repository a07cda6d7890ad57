"""What every CLI command needs: settings, a migrated runtime, job control."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from pydantic import BaseModel
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
    return Control(rt, Tasks(make_huey(rt.settings.resolved_queue_url, rt.settings.queue_name), rt))


def cells(*values: object) -> list[Text]:
    """Table cells as plain text: a shop name like `[red]x` must not become markup."""
    return [Text(str(v)) for v in values]


def print_json_list(rows: Iterable[BaseModel]) -> int:
    """Print `rows` as one JSON array, a row at a time (constant memory); returns how many."""
    n = 0
    sys.stdout.write("[")
    for row in rows:
        sys.stdout.write(("," if n else "") + "\n  " + row.model_dump_json())
        n += 1
    sys.stdout.write("\n]\n" if n else "]\n")
    return n


def print_json(row: BaseModel) -> None:
    sys.stdout.write(row.model_dump_json(indent=2) + "\n")


def shown(count: int, total: int) -> str | None:
    """The line under a table that was cut: `showing 50 of 300 (--limit N for more)`."""
    return f"showing {count} of {total} (use --limit to see more)" if count < total else None
