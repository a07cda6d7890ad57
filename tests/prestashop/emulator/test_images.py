"""Image uploads, replacement, deletion and their limits (facts 20, 24, 25)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from lxml import etree

from tests.prestashop.captures import DEFAULT_DIR
from tests.prestashop.conftest import AUTH, shop_client

RED = (DEFAULT_DIR / "images" / "red.jpg").read_bytes()
PNG = (DEFAULT_DIR / "images" / "yellow.png").read_bytes()


def code(content: bytes) -> str | None:
    return etree.fromstring(content).findtext("errors/error/code")


def test_upload_keeps_the_bytes_on_disk_and_answers_200_with_base64() -> None:
    client, shop = shop_client(products=1)
    r = client.post("/api/images/products/1", files={"image": ("red.jpg", RED, "image/jpeg")}, auth=AUTH)
    assert r.status_code == 200
    answer = etree.fromstring(r.content)
    assert answer.findtext("image/id") == "1" and answer.findtext("image/cover") == "1"
    image = shop.images.rows[1]
    assert Path(image.source).read_bytes() == RED  # stored as sent, outside memory
    got = client.get("/api/images/products/1/1", auth=AUTH)
    assert (got.headers["content-type"], hashlib.sha1(got.content).digest()) == (
        "image/jpeg",
        hashlib.sha1(RED).digest(),
    )
    second = client.post("/api/images/products/1", files={"image": ("y.png", PNG, "image/png")}, auth=AUTH)
    assert etree.fromstring(second.content).findtext("image/cover") == ""
    listed = etree.fromstring(client.get("/api/images/products/1", auth=AUTH).content)
    assert [d.get("id") for d in listed[0]] == ["1", "2"]


def test_replace_delete_and_the_refusals() -> None:
    client, shop = shop_client(products=1)
    client.post("/api/images/products/1", files={"image": ("red.jpg", RED, "image/jpeg")}, auth=AUTH)
    files = {"image": ("y.png", PNG, "image/png")}
    replaced = client.post("/api/images/products/1/1", params={"ps_method": "PUT"}, files=files, auth=AUTH)
    assert (replaced.status_code, replaced.content) == (200, PNG)
    assert code(client.put("/api/images/products/1/1", files=files, auth=AUTH).content) == "76"
    assert client.patch("/api/images/products/1/1", content=b"<x/>", auth=AUTH).status_code == 405
    assert code(client.post("/api/images/products/1/1", files=files, auth=AUTH).content) == "65"
    assert code(client.get("/api/images/products/1/1/huge", auth=AUTH).content) == "58"
    assert client.delete("/api/images/products/1/1", auth=AUTH).status_code == 200
    assert code(client.delete("/api/images/products/1/1", auth=AUTH).content) == "57"
    assert client.get("/api/images/products/1", auth=AUTH).status_code == 404
    assert shop.images.rows == {}


def test_upload_limits_and_the_ghost_row() -> None:
    client, shop = shop_client(products=1, fail_image_products={"SKU-00001"}, fail_image_code=72)
    r = client.post("/api/images/products/1", files={"image": ("a.jpg", RED, "image/jpeg")}, auth=AUTH)
    assert (r.status_code, code(r.content)) == (400, "72")  # configured fault
    shop.config.fail_image_products = set()
    big = RED + b"\0" * (2_050_000 - len(RED))
    assert (
        code(client.post("/api/images/products/1", files={"image": ("b.jpg", big, "image/jpeg")}, auth=AUTH).content)
        == "72"
    )
    huge = RED + b"\0" * (3_000_000 - len(RED))
    r = client.post("/api/images/products/1", files={"image": ("c.jpg", huge, "image/jpeg")}, auth=AUTH)
    assert "Please set" in (etree.fromstring(r.content).findtext("errors/error/message") or "")
    assert (
        code(client.post("/api/images/products/1", files={"file": ("d.jpg", RED, "image/jpeg")}, auth=AUTH).content)
        == "76"
    )
    assert (
        code(client.post("/api/images/products/9", files={"image": ("e.jpg", RED, "image/jpeg")}, auth=AUTH).content)
        == "76"
    )
    text = client.post("/api/images/products/1", files={"image": ("n.txt", b"not an image", "text/plain")}, auth=AUTH)
    assert code(text.content) == "76" and shop.images.rows == {}
    fake = client.post("/api/images/products/1", files={"image": ("f.jpg", b"not an image", "image/jpeg")}, auth=AUTH)
    assert code(fake.content) == "76"
    [ghost] = shop.images.rows
    assert client.get(f"/api/images/products/1/{ghost}", auth=AUTH).status_code == 500  # listed, no file (fact 20)
    assert shop.counts[("POST", "images")] == 7
