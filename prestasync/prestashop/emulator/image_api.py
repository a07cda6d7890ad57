"""`/api/images/…`: image types, a product's image list, image files, uploads, replacement, deletion.

Facts (captures `61*`-`66*` in `tests/wire/prestashop-8.1.2/`, facts 16, 20, 24, 25):
a product's list has one `<declination>` per image and is 404 (empty body) when it has none; an
upload is multipart field `image` and answers 200 with the image record and the stored original in
base64; `POST …/ID/IMAGE?ps_method=PUT` replaces a file and answers the new bytes; a real PUT is 400
code 76 (PHP does not parse multipart PUT bodies), PATCH 405 code 67, a POST onto an existing image
400 code 65; a deleted image deleted again is 400 code 57; over 2,000,000 bytes is 400 code 72, over
PHP's 2 MiB upload limit the file is dropped and the answer is code 76 "Please set an image
parameter", like a wrong field name; a file of an allowed type that is not an image leaves a ghost
row (listed; its GET is 500 code 61).
"""

from __future__ import annotations

import base64
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.datastructures import UploadFile
from starlette.requests import Request

from prestasync.prestashop.emulator import engine, faults
from prestasync.prestashop.emulator.images import GHOST, Image
from prestasync.prestashop.emulator.query import levenshtein_closest, php_int
from prestasync.prestashop.emulator.render import cdata, render_errors, xml_document
from prestasync.prestashop.emulator.schema import RawAnswer, WsError
from prestasync.prestashop.emulator.wire import XML, Answer

if TYPE_CHECKING:
    from prestasync.prestashop.emulator.engine import Call

PS_LIMIT = 2_000_000  # PS_LIMIT_UPLOAD_IMAGE_VALUE (2 MB)
PHP_LIMIT = 2 * 1024 * 1024  # upload_max_filesize = 2M
SIZES = ("cart_default", "home_default", "large_default", "medium_default", "small_default")
_SIZE_IDS = {"cart_default": 1, "small_default": 2, "medium_default": 3, "home_default": 4, "large_default": 5}
_MIMES = ("image/gif", "image/jpg", "image/jpeg", "image/pjpeg", "image/png", "image/webp", "image/x-png")
_TYPES = ("general", "products", "categories", "manufacturers", "suppliers", "stores", "customizations")
_NO_IMAGE = 'Please set an "image" parameter with image data for value'
_BAD_FORMAT = "Image upload error : Image format not recognized, allowed formats are: gif, jpg, jpeg, jpe, png, webp"


async def handle(call: Call, request: Request) -> Answer:
    """Answer one `/images` request (key checks included)."""
    try:
        with call.shop.lock:
            engine.check_access(call)
            faults.before(call.shop, call.method)
        status, body, mime = await _route(call, request)
    except WsError as exc:
        status, body, mime = exc.status, render_errors(exc.errors, call.as_json).encode(), XML
    except RawAnswer as raw:
        return Answer(raw.status, raw.body, raw.content_type, webservice=False, headers=raw.headers)
    version = call.shop.config.version if call.authenticated else "0"
    # The image service sends a Content-Sha1 on every answer, errors included, but for the empty 404
    # of a product without images (64d_images_list_after_deleting_all.http).
    answer = Answer(status, body, mime, headers=call.extra_headers, psws_version=version, sha1=status != 404)
    answer.head_only = call.method == "HEAD"
    return answer


async def _route(call: Call, request: Request) -> tuple[int, bytes, str]:
    parts = call.segments
    if not parts:
        return 200, _types_root(call.base).encode(), XML
    if parts[0] != "products":
        raise WsError((400, 50, f'Image type "{parts[0]}" does not exist'))
    if len(parts) == 1:
        return 200, _products_list(call).encode(), XML
    pid = php_int(parts[1])
    if len(parts) == 2:
        if call.method == "POST":
            return await _upload(call, request, pid, None)
        return _declinations(call, pid)
    image_id = php_int(parts[2])
    with call.shop.lock:
        image = call.shop.images.rows.get(image_id)
    if call.method in ("GET", "HEAD"):
        return _file(call, image, parts[3] if len(parts) > 3 else None)
    if call.method == "DELETE":
        return _delete(call, image_id)
    if call.method == "PATCH":
        raise WsError((405, 67, "This method is not allowed"))
    if call.method == "PUT" and request.method == "POST" and image is not None:
        return await _upload(call, request, pid, image)  # `?ps_method=PUT`
    if call.method == "POST" and image is not None:
        raise WsError((400, 65, "This image already exists. To modify it, please use the PUT method"))
    raise WsError((400, 76, _NO_IMAGE))


def _types_root(base: str) -> str:
    perms = 'get="true" put="false" post="false" patch="false" delete="false" head="true"'
    allowed = ", ".join(_MIMES)
    items = "".join(
        f'<{t} xlink:href="{base}images/{t}" {perms} upload_allowed_mimetypes="{allowed}"/>\n' for t in _TYPES
    )
    return xml_document(f"<image_types>\n{items}</image_types>\n")


def _image_types(base: str) -> str:
    items = "".join(
        f'<image_type id="{_SIZE_IDS[s]}" name="{s}" xlink:href="{base}image_types/{_SIZE_IDS[s]}"/>\n' for s in SIZES
    )
    return f"<image_types>\n{items}</image_types>\n"


def _products_list(call: Call) -> str:
    with call.shop.lock:
        products = call.shop.images.products_with_images()
    items = "".join(f'<image id="{p}" xlink:href="{call.base}images/products/{p}"/>\n' for p in products)
    return xml_document(_image_types(call.base) + f"<images>\n{items}</images>\n")


def _declinations(call: Call, pid: int) -> tuple[int, bytes, str]:
    with call.shop.lock:
        ids = call.shop.images.ids_of(pid)
    if not ids:
        return 404, b"", ""
    href = f"{call.base}images/products/{pid}"
    items = "".join(f'<declination id="{i}" xlink:href="{href}/{i}"/>\n' for i in ids)
    return 200, xml_document(f'<image id="{pid}">\n{items}</image>\n').encode(), XML


def _file(call: Call, image: Image | None, size: str | None) -> tuple[int, bytes, str]:
    if size is not None and size not in SIZES:
        closest = levenshtein_closest(size, list(SIZES))
        full = '", "'.join(SIZES)
        raise WsError(
            (400, 58, f'This image size does not exist. Did you mean: "{closest}"? The full list is: "{full}"')
        )
    if image is None:
        raise WsError((404, 66, "This image id does not exist"))
    if image.source == GHOST:
        raise WsError((500, 61, "This image does not exist on disk"))
    # Every size serves the stored bytes: the emulator does not resize.
    return 200, call.shop.images.read(image), image.mime


def _delete(call: Call, image_id: int) -> tuple[int, bytes, str]:
    with call.shop.lock:
        if not call.shop.images.exists(image_id):
            raise WsError((400, 57, "This image id does not exist"))
        call.shop.images.delete(image_id)
    call.ids = (image_id,)
    return 200, b"", ""


async def _upload(call: Call, request: Request, pid: int, replacing: Image | None) -> tuple[int, bytes, str]:
    shop = call.shop
    with shop.lock:
        reference = None
        product = shop.tables["products"].rows.get(pid)
        if product is not None:
            reference = shop.raw("products", product, "reference")
    if product is None:
        raise WsError((400, 76, f"Product {pid} does not exist"))
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise WsError((400, 76, _NO_IMAGE))
    async with request.form(max_files=4, max_fields=16) as form:
        upload = form.get("image")
        if not isinstance(upload, UploadFile) or (upload.size or 0) > PHP_LIMIT:
            raise WsError((400, 76, _NO_IMAGE))
        if (upload.size or 0) > PS_LIMIT:
            raise WsError((400, 72, "The image size is too large (maximum allowed is 2000 KB)"))
        mime = upload.content_type or ""
        if mime not in _MIMES:
            raise WsError((400, 76, _BAD_FORMAT))
        if pid in shop.config.fail_image_products or reference in shop.config.fail_image_products:
            raise WsError((400, shop.config.fail_image_code, "Image upload failed (configured fault)"))
        path = _spool(upload)
    return _store(call, pid, path, mime, replacing)


def _spool(upload: UploadFile) -> Path:
    """Copy the upload to a file of its own, in chunks (it never sits in memory whole)."""
    upload.file.seek(0)
    with tempfile.NamedTemporaryFile(prefix="upload-", delete=False) as out:
        shutil.copyfileobj(upload.file, out, 1024 * 1024)
        return Path(out.name)


def _store(call: Call, pid: int, path: Path, mime: str, replacing: Image | None) -> tuple[int, bytes, str]:
    store = call.shop.images
    with path.open("rb") as f:
        looks_like_image = _is_image(f.read(16))
    with call.shop.lock:
        if not looks_like_image:
            path.unlink(missing_ok=True)
            if replacing is None:
                ghost = store.add(pid, GHOST, mime)  # the row is inserted before the copy fails
                call.ids = (ghost.id,)
            raise WsError((400, 76, "An error occurred while copying image"))
        if replacing is not None:
            store.replace(replacing, path, mime)
            call.ids = (replacing.id,)
            return 200, store.read(replacing), mime
        image = store.add(pid, GHOST, mime)
        image.source = store.keep_file(image.id, path)
        call.ids = (image.id,)
        return 200, _upload_answer(call, image).encode(), XML


def _is_image(head: bytes) -> bool:
    return head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")) or (
        head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    )


def _upload_answer(call: Call, image: Image) -> str:
    store = call.shop.images
    cover = "1" if store.cover_of(image.product) == image.id else ""
    langs = "".join(
        f'<language id="{i}" xlink:href="{call.base}languages/{i}">{cdata("")}</language>' for i in call.shop.lang_ids
    )
    record = f"<image>\n<id>{cdata(str(image.id))}</id>\n<id_product>{cdata(str(image.product))}</id_product>\n"
    record += f"<position>{cdata(str(image.position))}</position>\n<cover>{cdata(cover)}</cover>\n"
    record += f"<legend>{langs}</legend>\n</image>\n"
    content = base64.b64encode(store.read(image)).decode()
    return xml_document(record + f'<content encode="base64">{cdata(content)}</content>\n')
