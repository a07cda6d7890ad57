"""Receiving an uploaded catalogue file: a multipart/form-data body parsed as it arrives and
written straight into the uploads folder (`uploads.Receiver`), never held whole in memory.

A body whose declared length is already over the limit is refused before a byte of it is
read; one without a length (chunked) is cut off as soon as it passes the limit, and its
partial copy removed. Only the part named `file` is kept; other parts are read and dropped.
"""

from __future__ import annotations

import anyio.to_thread
from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from prestasync.config import Settings
from prestasync.errors import InvalidInput
from prestasync.uploads import Receiver, Stored, too_large

# Multipart framing around the file: boundaries and part headers. A body declaring more
# than the file limit plus this is refused unread.
FRAMING = 64 * 1024
PART_HEADERS_MAX = 8 * 1024


class _Parts:
    """The parser's callbacks: finds the `file` part and feeds its bytes to a Receiver."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.receiver: Receiver | None = None
        self.stored: Stored | None = None
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}
        self._other = 0

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda data, start, end: self._add("_field", data[start:end]),
            "on_header_value": lambda data, start, end: self._add("_value", data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self._headers, self._field, self._value = {}, b"", b""

    def _add(self, name: str, data: bytes) -> None:
        value = getattr(self, name) + data
        if len(value) > PART_HEADERS_MAX:
            raise InvalidInput("a part header of the upload is too long")
        setattr(self, name, value)

    def _header_end(self) -> None:
        self._headers[self._field.strip().lower()] = self._value.strip()
        self._field, self._value = b"", b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        filename = options.get(b"filename")
        if options.get(b"name") == b"file" and filename is not None and self.stored is None and self.receiver is None:
            self.receiver = Receiver(self.settings, filename.decode("utf-8", "replace"))

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self.receiver is not None:
            self.receiver.write(data[start:end])
        else:
            self._other += end - start
            if self._other > FRAMING:
                raise InvalidInput("the upload has large parts besides the file; send only the part named file")

    def _end(self) -> None:
        if self.receiver is not None:
            self.stored, self.receiver = self.receiver.finish(), None

    def discard(self) -> None:
        if self.receiver is not None:
            self.receiver.discard()


async def receive_upload(request: Request, settings: Settings) -> Stored:
    """Store the request's `file` part; TooLarge, FileRejected or InvalidInput when it cannot be."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InvalidInput("send the file as multipart/form-data, in a part named file")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.file_max_bytes + FRAMING:
        raise too_large(settings, int(declared))
    parts = _Parts(settings)
    try:
        parser = MultipartParser(boundary, parts.callbacks())  # type: ignore[arg-type]
        async for chunk in request.stream():
            if chunk:
                await anyio.to_thread.run_sync(parser.write, chunk)
        parser.finalize()
    except MultipartParseError as exc:
        parts.discard()
        raise InvalidInput(f"the upload is not valid multipart/form-data ({exc})") from None
    except BaseException:
        parts.discard()
        raise
    if parts.stored is None:
        parts.discard()
        raise InvalidInput("the upload has no file: send it in a multipart part named file, with a file name")
    return parts.stored
