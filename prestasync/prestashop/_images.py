"""Product images: list, stream down, upload from disk, replace, delete.

What the shop does here (README facts 20, 24, 25; captures 61-67):

* a new image is `POST images/products/ID` with the file as multipart field `image`; the answer is
  200 (not 201) with the `<image>` and the stored original in base64, re-encoded by the shop.
* replacing an image's file is `POST images/products/ID/IMAGE?ps_method=PUT` (a real PUT is 400
  code 76, capture 63c), answered with the image bytes; PATCH on an image is 405 (63e).
* the cover is the product's `id_default_image` (`set_cover_image`), nothing on the image itself.
* files over 2,000,000 bytes get 400 code 72; files over PHP's upload limit (2 MiB by default) get
  400 code 76 "Please set an image parameter", the answer for a missing part too (65c-65k).
* a refused file can still leave an image row whose file is missing: listed, but its GET is 500
  code 61 (65l-65n). It reads as NotFound here, and `delete_image` removes it.
* deleting an image that is gone is 400 code 57, which reads as NotFound like any missing record.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

from prestasync.prestashop import _decode, _xml
from prestasync.prestashop._base import ClientBase, positive
from prestasync.prestashop.errors import BadResponse, NotFound, ValidationFailed, describe_url
from prestasync.prestashop.records import BadRecord, ImageUpload

__all__ = ["MAX_IMAGE_BYTES", "ImagesMixin"]

MAX_IMAGE_BYTES = 2_000_000  # PS_LIMIT_UPLOAD_IMAGE_VALUE's default (capture 65d)
CHUNK = 64 * 1024
_SIZE_NAME = re.compile(r"[A-Za-z0-9_-]+")


class ImagesMixin(ClientBase):
    """The `images/products` calls (see the module notes)."""

    def images_of(self, product_id: int) -> list[int]:
        """The ids of a product's images (`<declination>` entries of `images/products/ID`, capture 27).

        `[]` when it has none: the shop answers that with an empty 404 (64d).
        """
        try:
            response = self._call("GET", f"images/products/{positive(product_id, 'product_id')}")
        except NotFound:
            return []
        with self._wire.reading(response):
            image = _xml.wrapper(_xml.parse(response.content), "image")
            return _decode.attribute_ids(image.findall("declination"), "image")

    def products_with_images(self) -> list[int]:
        """Ids of the products that have images (`images/products`, capture 27b)."""
        response = self._call("GET", "images/products")
        with self._wire.reading(response):
            images = _xml.wrapper(_xml.parse(response.content), "images")
            return _decode.attribute_ids(images.findall("image"), "image")

    def image_sizes(self) -> list[str]:
        """The size names `download_image` accepts (`home_default`…), from `images/products`."""
        response = self._call("GET", "images/products")
        with self._wire.reading(response):
            types = _xml.wrapper(_xml.parse(response.content), "image_types")
            return [node.get("name") or "" for node in types.findall("image_type")]

    def image_mime_types(self) -> frozenset[str]:
        """The content types the shop accepts for product images (`images`, capture 27c)."""
        response = self._call("GET", "images")
        with self._wire.reading(response):
            types = _xml.wrapper(_xml.parse(response.content), "image_types")
            node = types.find("products")
            if node is None:
                raise _xml.DocumentError("expected <products> in the image types")
            return frozenset(t.strip() for t in (node.get("upload_allowed_mimetypes") or "").split(",") if t.strip())

    def image_exists(self, product_id: int, image_id: int) -> bool:
        """Whether an image's file can be served (HEAD, capture 61e); False for a ghost too."""
        try:
            self._call("HEAD", _image_path(product_id, image_id))
        except NotFound:
            return False
        return True

    def download_image(self, product_id: int, image_id: int, sink: BinaryIO, *, size: str | None = None) -> int:
        """Stream an image into `sink` in 64 KiB chunks and return the bytes written.

        `size` is a size name (`image_sizes()`); without it the shop serves the stored original.
        The file is never held in memory whole. A failure while reading leaves a partial copy in
        `sink`. NotFound for a missing or ghost image (500 code 61), ValidationFailed for an
        unknown size (400 code 58, capture 61g).
        """
        path = _image_path(product_id, image_id)
        if size is not None:
            if not _SIZE_NAME.fullmatch(size):
                raise ValueError(f"{size[:40]!r} is not an image size name")
            path += f"/{size}"
        params = {"id_shop": str(self._id_shop)} if self._id_shop else None
        written = 0
        with self._wire.stream("GET", path, params=params) as response:
            if not response.headers.get("Content-Type", "").startswith("image/"):
                response.read()
                raise BadResponse(
                    f"expected an image, got {response.headers.get('Content-Type') or 'no content type'}",
                    method="GET",
                    url=describe_url(response.request.url),
                    status=response.status_code,
                )
            for chunk in response.iter_bytes(CHUNK):
                sink.write(chunk)
                written += len(chunk)
        return written

    def upload_image(
        self,
        product_id: int,
        source: BinaryIO | Path,
        filename: str | None = None,
        content_type: str | None = None,
        *,
        replace_image_id: int | None = None,
        max_bytes: int | None = MAX_IMAGE_BYTES,
    ) -> ImageUpload:
        """Upload an image file for a product, streamed from `source` (a path or a binary stream).

        A stream is sent from its current position. `filename` defaults to the path's name and
        `content_type` to what the name suggests; it must be an `image/` type. With
        `replace_image_id` the image's file is replaced instead (`?ps_method=PUT`). A file over
        `max_bytes` (the shop's 2,000,000 by default; None to let the shop decide) is refused
        before sending with ValidationFailed code 72, or, from a stream of unknown size, as soon
        as that much was read. Never retried once it may have reached the shop: after
        `ShopUnavailable.maybe_applied`, list `images_of` before uploading again.
        """
        product_id = positive(product_id, "product_id")
        path = f"images/products/{product_id}"
        params: dict[str, str] = {"id_shop": str(self._id_shop)} if self._id_shop else {}
        if replace_image_id is not None:
            path += f"/{positive(replace_image_id, 'replace_image_id')}"
            params["ps_method"] = "PUT"
        with ExitStack() as stack:
            if isinstance(source, Path):
                stream: BinaryIO = stack.enter_context(source.open("rb"))
                filename = filename or source.name
            else:
                stream = source
                filename = filename or Path(str(getattr(source, "name", "") or "image")).name
            content_type = content_type or mimetypes.guess_type(filename)[0] or ""
            body = _Multipart(stream, _checked_filename(filename), _checked_type(content_type), max_bytes)
            if max_bytes is not None and body.size_hint is not None and body.size_hint > max_bytes:
                raise _too_large(body.size_hint, max_bytes)
            response = self._wire.request("POST", path, params=params or None, content=body, headers=body.headers)
        with self._wire.reading(response):
            record = None
            if not response.headers.get("Content-Type", "").startswith("image/"):
                found = _decode.record(_xml.wrapper(_xml.parse(response.content), "image"), "images")
                if isinstance(found, BadRecord):
                    raise _xml.DocumentError(found.reason)
                record = found
            elif replace_image_id is None:
                raise _xml.DocumentError("a new image was answered with image bytes instead of its <image>")
        image_id = record.id if record is not None else replace_image_id
        assert image_id is not None
        return ImageUpload(product_id, image_id, body.size, body.sha1.hexdigest(), record)

    def delete_image(self, product_id: int, image_id: int) -> None:
        """Delete one image (a ghost too); NotFound when it is already gone (400 code 57, capture 64f).

        Combinations that used it lose it (66i-66j); the cover moves to another image or none.
        """
        self._call("DELETE", _image_path(product_id, image_id))


class _Multipart:
    """A `multipart/form-data` body with one part, `image`, read from a stream in chunks.

    Iterable again from the stream's starting position, so a try that never reached the shop can
    be repeated; it counts and hashes what it sends.
    """

    def __init__(self, stream: BinaryIO, filename: str, content_type: str, limit: int | None) -> None:
        self._stream, self._limit = stream, limit
        self._start = _position(stream)
        self._used = False
        boundary = os.urandom(16).hex()
        self._head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{boundary}--\r\n".encode()
        self.size_hint = _remaining(stream, self._start)
        self.headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if self.size_hint is not None:
            self.headers["Content-Length"] = str(len(self._head) + self.size_hint + len(self._tail))
        self.size = 0
        self.sha1 = hashlib.sha1()

    def __iter__(self) -> Iterator[bytes]:
        if self._start is not None:
            self._stream.seek(self._start)
        elif self._used:
            raise ValueError("the image stream cannot seek, so it cannot be sent a second time")
        self._used = True
        self.size, self.sha1 = 0, hashlib.sha1()
        yield self._head
        while chunk := self._stream.read(CHUNK):
            self.size += len(chunk)
            if self._limit is not None and self.size > self._limit:
                raise _too_large(self.size, self._limit, streamed=True)
            self.sha1.update(chunk)
            yield chunk
        yield self._tail


def _position(stream: BinaryIO) -> int | None:
    try:
        return stream.tell() if stream.seekable() else None
    except (OSError, ValueError):
        return None


def _remaining(stream: BinaryIO, start: int | None) -> int | None:
    if start is None:
        return None
    try:
        end = stream.seek(0, io.SEEK_END)
    finally:
        stream.seek(start)
    return max(end - start, 0)


def _too_large(size: int, limit: int, *, streamed: bool = False) -> ValidationFailed:
    what = f"more than {limit:,} bytes were read" if streamed else f"the file is {size:,} bytes"
    message = (
        f"image refused before sending: {what}; the shop takes at most {limit:,} and would answer 400 code 72 "
        "(pass max_bytes=None if the shop's limit was raised)"
    )
    return ValidationFailed(message, errors=[(72, message)])


def _checked_filename(filename: str) -> str:
    if not filename or any(ord(ch) < 32 or ord(ch) == 127 for ch in filename):
        raise ValueError("filename must be non-empty and hold no control characters")
    return filename.replace("\\", "\\\\").replace('"', "%22")


def _checked_type(content_type: str) -> str:
    if not re.fullmatch(r"image/[A-Za-z0-9.+-]+", content_type):
        raise ValueError(f"content_type must be an image/ type, got {content_type[:60]!r}")
    return content_type


def _image_path(product_id: int, image_id: int) -> str:
    return f"images/products/{positive(product_id, 'product_id')}/{positive(image_id, 'image_id')}"
