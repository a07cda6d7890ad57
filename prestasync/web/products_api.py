"""One product whole, and its images' bytes: what the products page loads when a row is opened.

The products list (`GET /api/products`, the page) reads no combinations, images or features;
a row's details come from `GET /api/products/{id}` only when someone opens it, so a page of 50
products costs the same few queries however rich the products are. Images are served from the
data dir's content-addressed store by image id: the path is built from the stored checksum
(64 hex digits, checked again by `ImageStore.path`), never from the request.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import FileResponse

from prestasync.catalogue.detail import image_row, product_parts
from prestasync.contract import Problem, ProductDetail, product_detail
from prestasync.errors import ImageNotFound
from prestasync.imagestore import ImageStore
from prestasync.web.api import MAX_ID, _known_query
from prestasync.web.deps import ReadSessionDep, RuntimeDep

# What an image may be served as; anything else stored (a shop's odd answer) goes out as bytes
# to download, never as a type a browser would render as a page (`text/html`, `image/svg+xml`).
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/bmp"})

ProductId = Annotated[int, Path(ge=1, le=MAX_ID, description="A product id.")]
ImageId = Annotated[int, Path(ge=1, le=MAX_ID, description="An image id (`ImageOut.id`).")]

MEANING = {
    401: "no or refused credentials",
    404: "no such product, or no such image (or its bytes are missing)",
    422: "malformed or out-of-range input",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": Problem, "description": MEANING[code]} for code in (401, 422, *codes)}


router = APIRouter(prefix="/api", responses=problems(), dependencies=[Depends(_known_query)])


@router.get(
    "/products/{product_id}",
    response_model=ProductDetail,
    responses=problems(404),
)
def get_product(product_id: ProductId, session: ReadSessionDep) -> ProductDetail:
    """A product with its combinations (reference, attributes, stock, price impact), images
    (each with the URL of its bytes), categories, features and manufacturer."""
    return product_detail(product_parts(session, product_id))


@router.get(
    "/images/{image_id}",
    response_class=FileResponse,
    responses={
        **problems(404),
        200: {"content": {"image/*": {}}, "description": "the image's stored bytes"},
    },
)
def get_image(image_id: ImageId, session: ReadSessionDep, rt: RuntimeDep) -> FileResponse:
    """The stored bytes of a catalogue image, with its content type."""
    image = image_row(session, image_id)
    try:
        path = ImageStore(rt.settings.data_dir / "images").path(image.checksum)
    except ValueError:  # a checksum that is not one cannot name a stored file
        raise ImageNotFound(image_id) from None
    if not path.is_file():
        raise ImageNotFound(image_id)
    media = image.content_type if image.content_type in IMAGE_TYPES else "application/octet-stream"
    headers = {"Cache-Control": "private, max-age=3600", "ETag": f'"{image.checksum}"'}
    return FileResponse(path, media_type=media, headers=headers)
