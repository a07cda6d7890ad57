"""Product images: streamed down into a sink, streamed up from disk, size limits, replace and delete."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from prestasync.prestashop import BadResponse, NotFound, ValidationFailed
from tests.prestashop.mockshop import MockShop, failed, ok
from tests.prestashop.replay import part

IMAGE_ANSWER = (
    "<image>\n<id><![CDATA[24]]></id>\n<id_product><![CDATA[20]]></id_product>\n<position><![CDATA[1]]></position>\n"
    "<cover><![CDATA[1]]></cover>\n"
    '<legend><language id="1"><![CDATA[]]></language><language id="2"><![CDATA[]]></language></legend>\n</image>\n'
    '<content encode="base64"><![CDATA[/9j/4AAQ]]></content>'
)


class ChunkedImage(httpx.SyncByteStream):
    """An image body produced chunk by chunk, logging when each chunk is made."""

    def __init__(self, chunks: int, size: int, log: list[str]) -> None:
        self.chunks, self.size, self.log = chunks, size, log

    def __iter__(self) -> Iterator[bytes]:
        for n in range(self.chunks):
            self.log.append("made")
            yield bytes([n]) * self.size


class Sink(io.BytesIO):
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log, self.sizes = log, []

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.log.append("written")
        self.sizes.append(len(data))
        return super().write(data)


class Reader(io.BytesIO):
    """A file that records how much each read asked for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(-1 if size is None else size)
        return super().read(size)


class Pipe(io.RawIOBase):
    """A stream that cannot seek, like a pipe or a socket."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self.data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_download_streams_into_the_sink_without_holding_the_file() -> None:
    log: list[str] = []
    answer = httpx.Response(200, headers={"Content-Type": "image/jpeg"}, stream=ChunkedImage(8, 100_000, log))
    shop = MockShop([answer])
    sink = Sink(log)
    written = shop.client().download_image(20, 24, sink)
    assert written == 800_000 == len(sink.getvalue())
    assert max(sink.sizes) <= 64 * 1024
    assert log.index("written") < len(log) - 1 - log[::-1].index("made")  # writing began before the last chunk was made
    assert shop.calls() == [("GET", "images/products/20/24")]


def test_download_of_a_size_and_of_something_that_is_not_an_image() -> None:
    shop = MockShop([httpx.Response(200, headers={"Content-Type": "image/jpeg"}, content=b"\xff\xd8")])
    assert shop.client().download_image(20, 24, io.BytesIO(), size="home_default") == 2
    assert shop.calls() == [("GET", "images/products/20/24/home_default")]
    with pytest.raises(ValueError, match="size name"):
        shop.client().download_image(20, 24, io.BytesIO(), size="../24")
    shop = MockShop([ok("<image/>")])
    with pytest.raises(BadResponse, match="expected an image"):
        shop.client().download_image(20, 24, io.BytesIO())


def test_download_of_a_ghost_image_is_not_found() -> None:
    shop = MockShop([failed(500, (61, "This image does not exist on disk"))])
    sink = io.BytesIO()
    with pytest.raises(NotFound) as caught:
        shop.client().download_image(20, 28, sink)
    assert caught.value.code == 61 and sink.getvalue() == b"" and len(shop.seen) == 1


def test_upload_from_disk_is_streamed_with_its_length_and_checksum(tmp_path: Path) -> None:
    data = bytes(range(256)) * 1000
    path = tmp_path / "red shoe.jpg"
    path.write_bytes(data)
    shop = MockShop([ok(IMAGE_ANSWER)])
    bodies: list[httpx.SyncByteStream] = []

    class Watching(httpx.MockTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            assert isinstance(request.stream, httpx.SyncByteStream)
            bodies.append(request.stream)  # as the client handed it over, before anything read it
            return super().handle_request(request)

    upload = shop.client(transport=Watching(shop)).upload_image(20, path)
    (request,) = shop.seen
    assert not isinstance(bodies[0], httpx.ByteStream)  # an iterator over the file, not one bytes object
    assert request.headers["Content-Length"] == str(len(request.content))
    sent = part(request.content, request.headers["Content-Type"])
    assert (sent.name, sent.filename, sent.content_type, sent.size) == (
        "image",
        "red shoe.jpg",
        "image/jpeg",
        len(data),
    )
    assert (upload.product_id, upload.id, upload.size) == (20, 24, len(data))
    assert upload.sha1 == hashlib.sha1(data).hexdigest() == sent.sha1
    assert (
        upload.record is not None
        and upload.record.fields["cover"] == "1"
        and upload.record.i18n["legend"] == {1: "", 2: ""}
    )


def test_upload_reads_a_stream_from_its_position_in_chunks_and_again_after_a_refused_connection() -> None:
    data = b"\x89PNG" + b"x" * 200_000
    reader = Reader(b"HEADER" + data)
    reader.seek(6)
    shop = MockShop([httpx.ConnectError("refused"), ok(IMAGE_ANSWER)])
    upload = shop.client().upload_image(20, reader, "y.png")
    assert len(shop.seen) == 2 and shop.sleeps
    assert part(shop.seen[1].content, shop.seen[1].headers["Content-Type"]).sha1 == hashlib.sha1(data).hexdigest()
    assert upload.size == len(data) and upload.sha1 == hashlib.sha1(data).hexdigest()
    assert max(reader.asked) <= 64 * 1024


def test_a_file_over_the_shops_limit_is_refused_before_sending(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    with path.open("wb") as f:
        f.truncate(2_000_001)
    shop = MockShop([ok(IMAGE_ANSWER)])
    with pytest.raises(ValidationFailed) as caught:
        shop.client().upload_image(20, path)
    assert (caught.value.code, caught.value.status, shop.seen) == (72, None, [])
    assert "before sending" in str(caught.value) and "2,000,000" in str(caught.value)
    assert shop.client().upload_image(20, path, max_bytes=None).id == 24  # the shop's limit was raised


def test_a_stream_of_unknown_size_is_sent_chunked_and_cut_off_at_the_limit() -> None:
    shop = MockShop([ok(IMAGE_ANSWER)])
    upload = shop.client().upload_image(20, io.BufferedReader(Pipe(b"\xff\xd8" * 1000)), "a.jpg")
    assert upload.size == 2000 and shop.seen[0].headers.get("Transfer-Encoding") == "chunked"
    seen: list[tuple[object, ...]] = []
    client = shop.client(observer=lambda *call: seen.append(call[:4]))
    with pytest.raises(ValidationFailed, match="more than 100 bytes were read"):
        client.upload_image(20, io.BufferedReader(Pipe(b"\xff" * 5000)), "a.jpg", max_bytes=100)
    assert seen == [("POST", "images", None, "ValidationFailed")]


def test_replacing_a_file_posts_with_ps_method_put_and_gets_the_image_back() -> None:
    shop = MockShop([httpx.Response(200, headers={"Content-Type": "image/jpeg"}, content=b"\xff\xd8stored")])
    upload = shop.client().upload_image(20, io.BytesIO(b"\xff\xd8new"), "g.jpg", replace_image_id=25)
    assert shop.calls() == [("POST", "images/products/20/25")] and shop.params() == {"ps_method": "PUT"}
    assert (upload.id, upload.record, upload.size) == (25, None, 5)


def test_upload_arguments_are_checked_before_sending() -> None:
    shop = MockShop([ok(IMAGE_ANSWER)])
    client = shop.client()
    with pytest.raises(ValueError, match="image/"):
        client.upload_image(20, io.BytesIO(b"x"), "notes.txt")
    with pytest.raises(ValueError, match="control"):
        client.upload_image(20, io.BytesIO(b"x"), "a\r\nb.jpg")
    assert shop.seen == []
    client.upload_image(20, io.BytesIO(b"x"), 'say "cheese".jpg')
    assert part(shop.seen[0].content, shop.seen[0].headers["Content-Type"]).filename == "say %22cheese%22.jpg"


def test_the_shops_refusal_of_a_file_says_what_it_may_mean() -> None:
    shop = MockShop([failed(400, (76, 'Please set an "image" parameter with image data for value'))])
    with pytest.raises(ValidationFailed) as caught:
        shop.client().upload_image(20, io.BytesIO(b"x" * 10), "a.jpg")
    assert "2 MiB" in str(caught.value) and "not an image" in str(caught.value)


def test_deleting_a_deleted_image_is_not_found_and_a_product_without_images_lists_none() -> None:
    shop = MockShop([failed(400, (57, "This image id does not exist"))])
    with pytest.raises(NotFound) as caught:
        shop.client().delete_image(20, 25)
    assert (caught.value.code, caught.value.status) == (57, 400)
    shop = MockShop([httpx.Response(404, headers={"PSWS-Version": "8.1.2", "Content-Type": ""})])
    assert shop.client().images_of(20) == []
    assert shop.client().image_exists(20, 24) is False


def test_the_cover_is_set_on_the_product() -> None:
    shop = MockShop(
        [ok("<product><id><![CDATA[20]]></id><id_default_image><![CDATA[25]]></id_default_image></product>")]
    )
    assert shop.client().set_cover_image(20, 25).fields["id_default_image"] == "25"
    assert shop.calls() == [("PATCH", "products/20")]
    assert b"<id_default_image><![CDATA[25]]></id_default_image>" in shop.seen[0].content
