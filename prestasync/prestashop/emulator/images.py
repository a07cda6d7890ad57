"""Product images: rows (id, product, position, cover) and their bytes.

The emulator keeps an uploaded file's bytes exactly as sent (a real shop re-encodes it, fact 24:
compare checksums of what you uploaded). Bytes never stay in memory: uploads are written to a
temporary folder, one file per image, removed with the shop; seeded images are generated on demand
(a small PNG whose colour depends on the image id), so a seed of thousands of images costs a few
bytes each. A "ghost" is a row left by a failed upload: listed, but without a file (fact 20).
"""

from __future__ import annotations

import shutil
import struct
import tempfile
import weakref
import zlib
from dataclasses import dataclass
from pathlib import Path

SEEDED = "seeded"
GHOST = "ghost"


@dataclass
class Image:
    """One image row; `source` is SEEDED, GHOST or the path of the stored file."""

    id: int
    product: int
    position: int
    source: str
    mime: str = "image/png"


class ImageStore:
    """All images of one shop, by id and by product (in position order)."""

    def __init__(self, shop: object) -> None:
        self.rows: dict[int, Image] = {}
        self.by_product: dict[int, list[int]] = {}
        self.covers: dict[int, int] = {}
        self.next_id = 1
        self._folder: Path | None = None
        del shop  # the store needs no back reference; the argument documents ownership

    # --- reading ---------------------------------------------------------------------------------

    def exists(self, image_id: int) -> bool:
        return image_id in self.rows

    def ids_of(self, product: int) -> list[int]:
        return list(self.by_product.get(product, ()))

    def cover_of(self, product: int) -> int | None:
        return self.covers.get(product)

    def products_with_images(self) -> list[int]:
        return sorted(p for p, ids in self.by_product.items() if ids)

    def read(self, image: Image) -> bytes:
        """The bytes of an image (generated for seeded ones); GHOST has none."""
        if image.source == SEEDED:
            return seed_png(image.id)
        return Path(image.source).read_bytes()

    # --- writing ---------------------------------------------------------------------------------

    def add(self, product: int, source: str, mime: str, image_id: int | None = None) -> Image:
        """A new image at the end of the product's list; the first one becomes the cover."""
        image_id = image_id if image_id is not None else self.next_id
        self.next_id = max(self.next_id, image_id + 1)
        ids = self.by_product.setdefault(product, [])
        position = max((self.rows[i].position for i in ids), default=0) + 1
        image = Image(image_id, product, position, source, mime)
        self.rows[image_id] = image
        ids.append(image_id)
        self.covers.setdefault(product, image_id)
        return image

    def keep_file(self, image_id: int, upload: Path) -> str:
        """Move an uploaded temporary file into the store; returns its new path."""
        target = self._dir() / str(image_id)
        shutil.move(str(upload), target)
        return str(target)

    def replace(self, image: Image, upload: Path, mime: str) -> None:
        image.source = self.keep_file(image.id, upload)
        image.mime = mime

    def delete(self, image_id: int) -> None:
        """Delete an image; a deleted cover passes to the first remaining image."""
        image = self.rows.pop(image_id)
        ids = self.by_product.get(image.product, [])
        ids.remove(image_id)
        if self.covers.get(image.product) == image_id:
            del self.covers[image.product]
            if ids:
                self.covers[image.product] = ids[0]
        if image.source not in (SEEDED, GHOST):
            Path(image.source).unlink(missing_ok=True)

    def delete_product(self, product: int) -> None:
        for image_id in list(self.by_product.get(product, ())):
            self.delete(image_id)

    def set_cover(self, product: int, image_id: int) -> None:
        if image_id in self.by_product.get(product, ()):
            self.covers[product] = image_id

    def _dir(self) -> Path:
        if self._folder is None:
            folder = Path(tempfile.mkdtemp(prefix="prestashop-emulator-images-"))
            weakref.finalize(self, shutil.rmtree, folder, True)
            self._folder = folder
        return self._folder


def seed_png(image_id: int, size: int = 8) -> bytes:
    """A small solid-colour PNG, its colour derived from the image id (deterministic)."""
    colour = bytes(((image_id * 67) % 256, (image_id * 131) % 256, (image_id * 29) % 256))
    raw = b"".join(b"\x00" + colour * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
