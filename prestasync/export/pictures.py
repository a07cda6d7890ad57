"""A product's images in one shop: uploaded only when the shop does not have what we sent.

A shop re-encodes the images it receives (wire README, fact 24): what it serves back differs
from what was sent, so comparing with the shop's bytes would upload every image every time.
Instead the link (`RemoteLink` kind `image`) remembers the checksum of the bytes we sent: an
image whose link names an image the product still has, with the checksum of the catalogue's
bytes, is left alone; a changed file replaces the linked image in place (`ps_method=PUT`, same
id); any other image is uploaded, in position order. The cover is set through the product's
`id_default_image`, the only way the webservice allows. Shop images the catalogue does not
know are left alone. Files go out streamed from the image store, never read whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from prestasync.errors import ItemError
from prestasync.imagestore import ImageStore
from prestasync.models import Image
from prestasync.prestashop import PrestaShopClient, RemoteProduct


@dataclass(frozen=True)
class Upload:
    """One image to send: new (`replace` None) or replacing the linked shop image."""

    local: Image
    position: int  # 1-based, for people: "image 3/7"
    replace: int | None


@dataclass(frozen=True)
class ImagePlan:
    uploads: tuple[Upload, ...] = ()
    kept: dict[int, int] | None = None  # catalogue image id -> shop image id, already right
    cover: int | None = None  # the catalogue's cover image id
    cover_now: int | None = None  # the shop's cover (`id_default_image`)
    total: int = 0
    shown: dict[str, list[Any]] | None = None


def plan(
    images: tuple[Image, ...], record: RemoteProduct | None, links: Mapping[int, tuple[int, str | None]]
) -> ImagePlan:
    """What to upload so the product shows the catalogue's images; `links`: image id -> (shop id, checksum sent)."""
    if not images:
        return ImagePlan()
    present = set(record.image_ids) if record else set()
    kept: dict[int, int] = {}
    uploads: list[Upload] = []
    shown: dict[str, list[Any]] = {}
    for position, image in enumerate(images, start=1):
        remote, sent = links.get(image.id, (None, None))
        if remote is not None and remote in present and sent == image.checksum:
            kept[image.id] = remote
            continue
        replace = remote if remote is not None and remote in present else None
        uploads.append(Upload(image, position, replace))
        shown[f"image[{position}]"] = [None if replace is None else "other file", _short(image)]
    cover = next((i.id for i in images if i.cover), images[0].id)
    cover_now = _int(record.fields.get("id_default_image", "")) if record else None
    if cover in kept and kept[cover] != cover_now:
        shown["cover"] = [cover_now, f"image {1 + [i.id for i in images].index(cover)}"]
    return ImagePlan(tuple(uploads), kept, cover, cover_now, len(images), shown)


def apply(
    client: PrestaShopClient,
    store: ImageStore,
    product_id: int,
    images: ImagePlan,
    remember: Callable[[int, int, str], None],
    progress: Callable[[int, int], None],
) -> dict[int, int]:
    """Upload what the plan says, set the cover; returns catalogue image id -> shop image id.

    `remember(image id, shop id, checksum)` links each upload as soon as it is done, so a
    failure at image 5 of 7 keeps the first four and a retry sends only what is left.
    """
    ids = dict(images.kept or {})
    cover_now = images.cover_now
    for upload in images.uploads:
        progress(upload.position, images.total)
        image = upload.local
        if not store.has(image.checksum):
            raise ItemError(f"image {upload.position}/{images.total}: its file is missing from the data dir")
        with store.open(image.checksum) as source:
            sent = client.upload_image(
                product_id, source, f"{image.checksum[:16]}{_suffix(image)}", image.content_type,
                replace_image_id=upload.replace,
            )  # fmt: skip
        ids[image.id] = upload.replace or sent.id
        remember(image.id, ids[image.id], image.checksum)
        if sent.record is not None and sent.record.fields.get("cover") == "1":
            cover_now = sent.id  # a product's first image becomes its cover (capture 61b): no PATCH needed
    if images.cover is not None and images.cover in ids and ids[images.cover] != cover_now:
        client.patch("products", product_id, {"id_default_image": str(ids[images.cover])})
    return ids


def _suffix(image: Image) -> str:
    return {"image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}.get(image.content_type, ".jpg")


def _short(image: Image) -> str:
    return f"{image.checksum[:12]} ({image.size} bytes)"


def _int(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None
