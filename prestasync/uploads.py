"""Where catalogue files wait for their import jobs: `<data dir>/uploads/<random>.<csv|xlsx>`.

A file is written here chunk by chunk (an HTTP upload, or the CLI copying a local file),
counting its bytes: one over `file_max_bytes` is refused as soon as it passes the limit
and its partial copy removed, so neither the memory nor the disk holds more than the limit.
Jobs name the file by its path relative to the data dir (`job.params["file"]`), so a retry
or a resumed job reads the same bytes. Every worker must see the same data dir (one
machine, or a shared volume).

`prune()` (run daily by the scheduler) deletes the files no job refers to any more (their
jobs were cleaned up), once they are an hour old: a file being uploaded has no job yet.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from prestasync.config import Settings
from prestasync.errors import FileRejected, TooLarge
from prestasync.filereader import format_of
from prestasync.models import Job
from prestasync.progress import JobType

log = logging.getLogger(__name__)
FOLDER = "uploads"
STORED = re.compile(r"uploads/[0-9a-f]{32}\.(csv|xlsx)")
PRUNE_AFTER_S = 3600.0
COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Stored:
    """A file kept for a job: where (relative to the data dir), its format, size and display name."""

    relative: str
    format: str
    size: int
    name: str


def display_name(filename: str) -> str:
    """The name a person gave the file, without any folder part and control characters."""
    base = re.split(r"[\\/]", filename.strip())[-1]
    return "".join(ch for ch in base if ch.isprintable())[:200] or "file"


def too_large(settings: Settings, size: int | None = None) -> TooLarge:
    limit = settings.file_max_bytes
    told = f" ({size:,} bytes)" if size is not None else ""
    return TooLarge(f"the file is too large{told}: the limit is {limit:,} bytes (PRESTASYNC_FILE_MAX_BYTES)")


class Receiver:
    """Writes one incoming file into the uploads folder, chunk by chunk, within the size limit."""

    def __init__(self, settings: Settings, filename: str) -> None:
        self.settings = settings
        self.name = display_name(filename)
        self.format = format_of(self.name)
        self.relative = f"{FOLDER}/{uuid.uuid4().hex}.{self.format}"
        self.path = settings.data_dir / self.relative
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.size = 0
        self._out: IO[bytes] | None = self.path.open("xb")

    def write(self, data: bytes) -> None:
        if self._out is None:
            raise ValueError("the upload is already closed")
        self.size += len(data)
        if self.size > self.settings.file_max_bytes:
            self.discard()
            raise too_large(self.settings)
        self._out.write(data)

    def finish(self) -> Stored:
        if self._out is not None:
            self._out.close()
            self._out = None
        if self.size == 0:
            self.discard()
            raise FileRejected(f"{self.name!r} is empty")
        return Stored(self.relative, self.format, self.size, self.name)

    def discard(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        self.path.unlink(missing_ok=True)


def store_chunks(settings: Settings, filename: str, chunks: Iterable[bytes]) -> Stored:
    """Keep a file given as chunks; nothing is kept when it fails."""
    receiver = Receiver(settings, filename)
    try:
        for chunk in chunks:
            receiver.write(chunk)
        return receiver.finish()
    except BaseException:
        receiver.discard()
        raise


def store_file(settings: Settings, source: Path) -> Stored:
    """Copy a local file into the uploads folder (the CLI's import); its size is checked first."""
    if not source.is_file():
        raise FileRejected(f"{str(source)!r} is not a file")
    size = source.stat().st_size
    if size > settings.file_max_bytes:
        raise too_large(settings, size)
    with source.open("rb") as src:
        return store_chunks(settings, source.name, iter(lambda: src.read(COPY_CHUNK), b""))


def resolve(settings: Settings, relative: str) -> Path:
    """The stored file's path; only names this module made are accepted."""
    if not STORED.fullmatch(relative):
        raise FileRejected("the job does not name a stored file")
    return settings.data_dir / relative


def remove(settings: Settings, relative: str) -> None:
    resolve(settings, relative).unlink(missing_ok=True)


def prune(settings: Settings, engine: Engine, *, now: float | None = None) -> int:
    """Delete stored files that no job names and that are over an hour old; returns how many."""
    folder = settings.data_dir / FOLDER
    if not folder.is_dir():
        return 0
    with Session(engine) as session:
        query = select(Job.params).where(Job.type == JobType.FILE_IMPORT.value)
        wanted = {params.get("file") for params in session.execute(query).scalars()}
    cutoff = (now if now is not None else time.time()) - PRUNE_AFTER_S
    removed = 0
    for path in folder.iterdir():
        relative = f"{FOLDER}/{path.name}"
        if relative not in wanted and STORED.fullmatch(relative) and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.info("uploads: removed %d files no job refers to", removed)
    return removed
