"""`GET /api/products/{id}` (one product whole), `GET /api/images/{id}` (its images' bytes), and
the changes list's filters (`sku`, kinds of change), on a seeded server."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from prestasync.models import Image, Product, Shop
from prestasync.queries import change_kind
from tests.web.conftest import SeededApi
from tests.web.seed import PIXEL, preview_in

HOSTILE_IDS = ["0", "-1", "abc", "1.5", "9007199254740992", "1%3BDROP%20TABLE%20images", "%2e%2e%2f%2e%2e%2fetc"]


def test_a_product_comes_whole_with_its_variants_images_categories_and_features(seeded_api: SeededApi) -> None:
    with seeded_api.client() as client:
        answer = client.get(f"/api/products/{seeded_api.seeded.product_id}")
    assert answer.status_code == 200, answer.text
    product = answer.json()
    assert (product["sku"], product["kind"], product["manufacturer"]) == ("SEED-0", "combinations", "Acme <Tools>")
    [variant] = product["combinations"]
    assert variant["reference"] == "SEED-0-RED" and variant["quantity"] == 4 and variant["price_impact"] == "1.50"
    assert variant["attributes"] == [
        {"group": {"en": "Colour", "pl": "Kolor"}, "value": {"en": "Red", "pl": "Czerwony"}, "color": "#ff0000"}
    ]
    [image] = product["images"]
    assert image["url"] == f"/api/images/{seeded_api.seeded.image_id}" and image["cover"] is True
    assert variant["image_ids"] == [image["id"]]
    assert [(c["path"], c["main"]) for c in product["categories"]] == [("Home/Tools", True)]
    assert product["features"] == [
        {"name": {"en": "Material", "pl": "Materiał"}, "value": {"en": "Steel", "pl": "Stal"}, "custom": False}
    ]
    assert [s["status"] for s in product["shops"]] == ["synced"]


def test_a_product_without_parts_has_empty_lists(seeded_api: SeededApi) -> None:
    with Session(seeded_api.live.rt.engine) as session:
        plain = session.execute(select(Product.id).where(Product.sku == "SEED-1")).scalar_one()
    with seeded_api.client() as client:
        product = client.get(f"/api/products/{plain}").json()
    assert (product["combinations"], product["images"], product["categories"], product["features"]) == ([], [], [], [])
    assert product["manufacturer"] is None


def test_an_image_is_served_with_its_type(seeded_api: SeededApi) -> None:
    with seeded_api.client() as client:
        answer = client.get(f"/api/images/{seeded_api.seeded.image_id}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png" and answer.content == PIXEL
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/api/products/999999", "/api/images/999999"])
def test_unknown_ids_are_a_404_problem(seeded_api: SeededApi, path: str) -> None:
    with seeded_api.client() as client:
        answer = client.get(path)
    assert answer.status_code == 404 and set(answer.json()) == {"detail"}
    assert "does not exist" in answer.json()["detail"]


@pytest.mark.parametrize("raw", HOSTILE_IDS)
@pytest.mark.parametrize("route", ["products", "images"])
def test_hostile_ids_are_refused_never_a_500_or_a_file(seeded_api: SeededApi, route: str, raw: str) -> None:
    with seeded_api.client() as client:
        answer = client.get(f"/api/{route}/{raw}")
    assert answer.status_code in (404, 422), (raw, answer.status_code, answer.text)
    assert answer.headers["content-type"] == "application/json"


def _image(api: SeededApi, **values: Any) -> int:
    with Session(api.live.rt.engine) as session, session.begin():
        product = session.execute(select(Product.id).where(Product.sku == "SEED-2")).scalar_one()
        image = Image(product_id=product, size=1, position=9, **values)
        session.add(image)
        session.flush()
        return image.id


def test_a_stored_type_that_a_browser_would_render_goes_out_as_bytes(seeded_api: SeededApi) -> None:
    with Session(seeded_api.live.rt.engine) as session:
        checksum = session.get(Image, seeded_api.seeded.image_id).checksum  # type: ignore[union-attr]
    html = _image(seeded_api, checksum=checksum, content_type="text/html")
    with seeded_api.client() as client:
        answer = client.get(f"/api/images/{html}")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/octet-stream"


@pytest.mark.parametrize("checksum", ["../../app.db", "0" * 64, "A" * 64])
def test_an_image_whose_bytes_are_missing_or_misnamed_is_a_404(seeded_api: SeededApi, checksum: str) -> None:
    broken = _image(seeded_api, checksum=checksum, content_type="image/png")
    with seeded_api.client() as client:
        answer = client.get(f"/api/images/{broken}")
    assert answer.status_code == 404 and answer.json()["detail"] == f"image {broken} does not exist"


def test_changes_are_filtered_by_sku_and_by_kind_of_change(seeded_api: SeededApi) -> None:
    with Session(seeded_api.live.rt.engine, expire_on_commit=False) as session:
        shop = session.execute(select(Shop).order_by(Shop.id)).scalars().first()
    assert shop is not None
    changes = {
        "AB-1": {"combination[Red, M].stock": [1, 0], "price[#3]": ["present", "removed"]},
        "ab-2": {"image[1]": [None, "p.jpg"], "cover": [1, "image 2"], "name.pl": ["a", "b"]},
        "CD_3": {"price": ["1.00", "2.00"]},
    }
    job = preview_in(seeded_api.live.rt, shop, changes, created=0)
    with seeded_api.client() as client:
        summary = client.get(f"/api/jobs/{job}/changes/summary").json()
        by = {
            flt: [i["sku"] for i in client.get(f"/api/jobs/{job}/changes", params=params).json()["items"]]
            for flt, params in {
                "ab": {"sku": "ab"},
                "underscore": {"sku": "_"},
                "combination": {"field": "combination"},
                "image": {"field": "image"},
                "price": {"field": "price"},
                "specific": {"field": "specific_price"},
                "both": {"field": "name", "sku": "AB"},
            }.items()
        }
    assert summary["fields"] == {"combination": 1, "image": 1, "name": 1, "price": 1, "specific_price": 1}
    assert by["ab"] == ["AB-1", "ab-2"] and by["underscore"] == ["CD_3"]  # `_` is a character, not a wildcard
    assert (by["combination"], by["image"], by["price"], by["specific"]) == (["AB-1"], ["ab-2"], ["CD_3"], ["AB-1"])
    assert by["both"] == ["ab-2"]


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("price", "price"),
        ("name.en", "name"),
        ("combination[Red, M].stock", "combination"),
        ("combination[Red]", "combination"),
        ("image[3]", "image"),
        ("cover", "image"),
        ("price[from 2 pcs]", "specific_price"),
        ("new in the shop", "new_in_the_shop"),
    ],
)
def test_change_kinds(key: str, kind: str) -> None:
    assert change_kind(key) == kind
