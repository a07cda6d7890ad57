"""Product images in the catalogue: rows pointing at bytes in the image store by SHA-256.

A shop's images of a product are matched to the product's catalogue images first by this shop's
link (`RemoteLink(kind="image")`), then by checksum; what matches nothing is new, and catalogue
images the shop no longer has are deleted (the shop is the truth for the product's parts; the
bytes stay in the store, which other products may share). Two shop images of one product with
the same bytes are one catalogue image (the first by position); only that one is linked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from prestasync.catalogue.incoming import IncomingImage
from prestasync.catalogue.links import drop_links, links_of, sync_links
from prestasync.catalogue.rows import assign, rows_where
from prestasync.models import Image


def sync_images(
    session: Session, shop_id: int, wanted: Mapping[int, Sequence[IncomingImage]]
) -> tuple[set[int], dict[tuple[int, int], int]]:
    """Make each product's images exactly `wanted[product id]`.

    Returns the products whose images changed, and the catalogue image id of each
    (product id, shop image id) written, for the combinations that use them.
    """
    rows: dict[int, list[Image]] = {pid: [] for pid in wanted}
    for row in rows_where(session, Image, Image.product_id, list(wanted)):
        rows[row.product_id].append(row)
    remote_ids = {image.remote_id for images in wanted.values() for image in images}
    local_ids = {row.id for group in rows.values() for row in group}
    linked = {
        link.remote_id: link.local_id
        for link in links_of(session, shop_id, "image", local_ids=local_ids, remote_ids=remote_ids)
    }
    changed: set[int] = set()
    chosen: dict[tuple[int, int], Image] = {}
    first: dict[int, tuple[int, Image]] = {}  # remote id -> (product id, row): the ones linked
    for pid, images in wanted.items():
        free = {row.id: row for row in sorted(rows[pid], key=lambda r: r.id)}
        by_sum: dict[str, Image] = {}
        for image in sorted(images, key=lambda i: (i.position, i.remote_id)):
            row = by_sum.get(image.checksum)
            if row is None:
                row = _match(free, linked.get(image.remote_id), image.checksum)
                if row is None:
                    row = Image(product_id=pid, checksum=image.checksum, legend={})
                    session.add(row)
                    changed.add(pid)
                if _update(row, image):
                    changed.add(pid)
                by_sum[image.checksum] = row
                first[image.remote_id] = (pid, row)
            chosen[(pid, image.remote_id)] = row
        if free:
            changed.add(pid)
            drop_links(session, "image", free)
            for row in free.values():
                session.delete(row)
    session.flush()
    sync_links(
        session,
        shop_id,
        "image",
        {remote: row.id for remote, (_, row) in first.items()},
        checksums={remote: row.checksum for remote, (_, row) in first.items()},
        local_scope=local_ids,
        remote_scope=remote_ids,
    )
    return changed, {key: row.id for key, row in chosen.items()}


def _match(free: dict[int, Image], linked: int | None, checksum: str) -> Image | None:
    if linked is not None and linked in free:
        return free.pop(linked)
    for row_id, row in free.items():
        if row.checksum == checksum:
            return free.pop(row_id)
    return None


def _update(row: Image, image: IncomingImage) -> bool:
    """Bring a row to the shop's image; True when something changed."""
    legend = {**(row.legend or {}), **image.legend}
    same_bytes = not assign(row, checksum=image.checksum, size=image.size, content_type=image.content_type)
    return assign(row, position=image.position, cover=image.cover, legend=legend) or not same_bytes
