"""Image bytes by content address: `<data dir>/images/ab/cdef…` named by their SHA-256.

Bytes are written as they stream in (to a temporary file, renamed into place once complete,
so a crash never leaves half an image under a real name) and read back as a stream: an
image is never held whole in memory. The same bytes are stored once, whatever the number of
products and shops that use them.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

CHUNK = 64 * 1024


class ImageStore:
    """The image folder of one data dir."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, checksum: str) -> Path:
        if len(checksum) != 64 or not all(c in "0123456789abcdef" for c in checksum):
            raise ValueError("an image checksum is 64 lower-case hex digits")
        return self.root / checksum[:2] / checksum[2:]

    def has(self, checksum: str) -> bool:
        return self.path(checksum).is_file()

    @contextmanager
    def writer(self) -> Iterator[_Writer]:
        """A sink to stream bytes into; on a clean exit they are stored under their checksum
        (`writer.checksum`, `writer.size`), on an error nothing is left behind."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=self.root, prefix=".incoming-", delete=False)
        sink = _Writer(handle)
        try:
            yield sink
            handle.close()
            target = self.path(sink.checksum)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(handle.name, target)
        except BaseException:
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
            raise

    def save(self, source: BinaryIO) -> tuple[str, int]:
        """Store what `source` yields; returns (checksum, size)."""
        with self.writer() as sink:
            while chunk := source.read(CHUNK):
                sink.write(chunk)
        return sink.checksum, sink.size

    def open(self, checksum: str) -> BinaryIO:
        return self.path(checksum).open("rb")


class _Writer:
    """A file-like sink (`write`) that hashes what passes through it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self.size += len(data)
        return self._handle.write(data)

    @property
    def checksum(self) -> str:
        return self._hash.hexdigest()
