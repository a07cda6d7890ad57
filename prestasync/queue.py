"""The task queue: a Huey instance chosen by `PRESTASYNC_QUEUE_URL`.

`sqlite:///path` (the default, one machine, several worker processes), `redis://…` (many
workers on many machines) and `memory://` (tests). Huey delivers a task at most once; the
job tables, heartbeats and the reaper (`recovery.py`) make up for a worker that dies with
a task in hand. Results are not stored: the job rows are the results.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey


def make_huey(url: str, name: str) -> Huey:
    """The queue at `url`; `name` separates deployments (or test runs) sharing one Redis."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, results=False)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), results=False, timeout=30)
    if url == "memory://":
        return MemoryHuey(name, results=False)
    raise ValueError(f"unsupported queue URL {url!r}: use sqlite:///path, redis://host:port/db or memory://")


class JobQueue(Protocol):
    """What job code may ask of the queue: run a job (again), or one more lane of an export.

    `tasks.Tasks` implements it on Huey; tests pass a recording fake. Job bodies receive one
    through their `JobContext` and never import `tasks.py`.
    """

    def enqueue_job(self, job_id: int, *, delay_s: float = 0.0) -> None: ...

    def enqueue_lane(self, job_id: int, *, delay_s: float = 0.0) -> None: ...
