"""Product images of an import page: which ones we hold already, and streaming down the others.

An image is downloaded only when we do not hold it: a shop image we hold has this shop's link
(`RemoteLink(kind="image")`) to a catalogue image whose bytes are in the image store. So a
re-import downloads nothing it already has, and an image whose bytes went missing from the store
is fetched again. The limit of that rule: an image whose file was replaced in the shop under the
same id (`POST …?ps_method=PUT`) is not noticed, because nothing in the product or its image list
tells a replaced file apart (only a HEAD per image would, through `Content-Sha1`); to pick such a
change up, delete the image's link or the catalogue image, and the next import fetches it again.
A shop image of a product with the same bytes as another of that product has no link of its own
(one catalogue image, one link: see `catalogue.media`), so it is downloaded on every import.

Downloads stream into the store (never whole in memory), `workers` at a time; the client's
connection pool (`shop_concurrency` connections) bounds what is in flight at the shop, downloads
and page reads together. The job's step (`images`, done of total) moves with every image.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import BinaryIO, cast

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from prestasync.catalogue.rows import chunks
from prestasync.imagestore import ImageStore
from prestasync.models import Image, RemoteLink
from prestasync.prestashop import NotFound, PrestaShopClient, PrestaShopError, Unauthorized
from prestasync.tracker import Tracker

GHOST_CODE = 61  # "This image does not exist on disk": a row left by a failed upload (README fact 20)
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


@dataclass(frozen=True)
class Held:
    """Bytes of an image in the store."""

    checksum: str
    size: int
    content_type: str


@dataclass(frozen=True)
class Missing:
    """An image that could not be had; `fails` when a retry could fetch it (see the importer)."""

    code: str
    message: str
    fails: bool


def held_images(
    engine: Engine, shop_id: int, remote_ids: Collection[int], store: ImageStore
) -> tuple[dict[int, Held], dict[int, Held]]:
    """The shop's images we hold (linked, bytes in the store), and those linked whose bytes are
    missing from the store (downloaded again; kept as they are if that fails)."""
    held: dict[int, Held] = {}
    lost: dict[int, Held] = {}
    query = select(RemoteLink.remote_id, Image.checksum, Image.size, Image.content_type).join(
        Image, Image.id == RemoteLink.local_id
    )
    query = query.where(RemoteLink.shop_id == shop_id, RemoteLink.kind == "image")
    with Session(engine) as session:
        for chunk in chunks(sorted(set(remote_ids))):
            for row in session.execute(query.where(RemoteLink.remote_id.in_(chunk))):
                image = Held(row.checksum, row.size, row.content_type)
                (held if store.has(image.checksum) else lost)[row.remote_id] = image
    return held, lost


class Downloader:
    """Streams images from one shop into the store, a few at a time, reporting each one."""

    def __init__(self, client: PrestaShopClient, store: ImageStore, tracker: Tracker, *, workers: int) -> None:
        self.client, self.store, self.tracker = client, store, tracker
        self.workers = max(1, workers)

    def fetch(self, wanted: Sequence[tuple[int, int]]) -> dict[int, Held | Missing]:
        """Download (product id, image id) pairs; the result says, per image id, what came of it.

        A refused key stops the job (raised); a full disk too. Cancelling the job stops the
        downloads not yet started.
        """
        results: dict[int, Held | Missing] = {}
        if not wanted:
            return results
        self.tracker.set_step("images", 0, len(wanted))
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="image") as pool:
            pending: set[Future[tuple[int, Held | Missing]]] = {pool.submit(self._one, p, i) for p, i in wanted}
            try:
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        image_id, outcome = future.result()
                        results[image_id] = outcome
                    self.tracker.set_step("images", len(results), len(wanted))
                    self.tracker.check_cancel()
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        return results

    def _one(self, product_id: int, image_id: int) -> tuple[int, Held | Missing]:
        try:
            with self.store.writer() as sink:
                sniffer = _Sniffer(sink)
                self.client.download_image(product_id, image_id, cast(BinaryIO, sniffer))
            return image_id, Held(sink.checksum, sink.size, sniffer.content_type)
        except Unauthorized:
            raise
        except NotFound as exc:
            if exc.code == GHOST_CODE:
                message = (
                    f"image #{image_id} is listed but the shop has no file for it (500 code {GHOST_CODE}: what a "
                    "failed upload leaves behind); the product was imported without it; delete that image in the shop"
                )
                return image_id, Missing("ghost_image", message, fails=False)
            gone = f"image #{image_id} was deleted in the shop during the import"
            message = f"{gone}; the product was imported without it"
            return image_id, Missing("image_gone", message, fails=False)
        except PrestaShopError as exc:
            message = (
                f"image #{image_id} could not be downloaded ({exc}); the product was imported without it; "
                "retry the failed items to fetch it"
            )
            return image_id, Missing("image_download_failed", message, fails=True)


class _Sniffer:
    """A sink passing bytes on, keeping the first ones to tell the image type."""

    def __init__(self, sink: object) -> None:
        self._write = cast(BinaryIO, sink).write
        self._head = b""

    def write(self, data: bytes) -> int:
        if len(self._head) < 16:
            self._head += data[: 16 - len(self._head)]
        return self._write(data)

    @property
    def content_type(self) -> str:
        if self._head[:4] == b"RIFF" and self._head[8:12] == b"WEBP":
            return "image/webp"
        return next((kind for magic, kind in _MAGIC if self._head.startswith(magic)), "image/unknown")
