"""Bad shop data and failing downloads become ledger rows a person can act on; the rest imports.
And a shop in other languages never erases the catalogue's texts in the languages it lacks."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest

from prestasync.config import Settings
from prestasync.models import AttributeValue, Category, Combination, Feature, Image, Product
from prestasync.prestashop import PrestaShopClient, ValidationFailed
from prestasync.prestashop.emulator import EmulatedShop, ShopConfig
from tests.importer.conftest import Rig

KEY = "TROUBLE" + "3" * 25


class FailingImage(httpx.BaseTransport):
    """The real socket, except that one image's download breaks off while `failing`."""

    def __init__(self, path: str) -> None:
        self.real, self.path, self.failing = httpx.HTTPTransport(), path, True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.failing and request.url.path.endswith(self.path):
            raise httpx.ReadError("connection reset by peer", request=request)
        return self.real.handle_request(request)


def test_ghost_image_broken_download_and_orphan_option_value(settings: Settings, serve: Any) -> None:
    shop = EmulatedShop(ShopConfig(key=KEY, products=6, combinations_per_product=2, images_per_product=2))
    (url,) = serve(shop)
    with PrestaShopClient.connect(url, KEY) as client:
        # A text file sent as a JPEG is refused but leaves a ghost row behind (README fact 20).
        with pytest.raises(ValidationFailed):
            client.upload_image(2, io.BytesIO(b"not an image, just text"), "photo.jpg", "image/jpeg")
        ghost = max(client.images_of(2))
        # An option value in a group the shop does not have is accepted (fact 19) and used.
        orphan = client.create("product_option_values", {"id_attribute_group": "99"}, {"name": {1: "Odd", 2: "Dziw"}})
        (combination, _) = client.products_by_ids([4])[0].combination_ids  # type: ignore[union-attr]
        client.patch("combinations", combination, associations={"product_option_values": [1, orphan.id]})
        broken = client.images_of(3)[0]
    transport = FailingImage(f"/images/products/3/{broken}")
    rig = Rig(settings.model_copy(update={"http_retries": 0}), transport)
    rig.add("Trouble", url, KEY)

    job = rig.run()
    assert (job.status, job.processed, job.failed, job.created) == ("completed", 6, 1, 5)
    items = rig.items(job.id)
    assert set(items) == {"SKU-00002", "SKU-00003", "SKU-00004"}
    ghosted, failed, odd = items["SKU-00002"], items["SKU-00003"], items["SKU-00004"]
    assert (ghosted.state, ghosted.outcome, ghosted.error_code) == ("done", "created", "ghost_image")
    assert f"image #{ghost} " in (ghosted.message or "") and "delete that image in the shop" in (ghosted.message or "")
    assert (failed.state, failed.error_code, failed.remote_id) == ("failed", "image_download_failed", 3)
    assert f"image #{broken} could not be downloaded" in (failed.message or "")
    assert "retry the failed items" in (failed.message or "")
    assert (odd.state, odd.error_code) == ("done", "unknown_option_value")
    assert f"option value #{orphan.id} belongs to group #99" in (odd.message or "")

    products = {p.sku: p for p in rig.all(Product)}
    images = rig.all(Image)
    assert len(products) == 6
    per_product = {sku: sum(i.product_id == p.id for i in images) for sku, p in products.items()}
    assert per_product == {f"SKU-0000{n}": 1 if n == 3 else 2 for n in range(1, 7)}
    size_value = next(v.id for v in rig.all(AttributeValue) if v.key == "s1")
    odd_combination = rig.links(1, "combination")[combination]
    assert next(c for c in rig.all(Combination) if c.id == odd_combination).values == [size_value]

    transport.failing = False
    retry = rig.retry_failed(job.id)
    assert (retry.status, retry.total, retry.processed, retry.failed, retry.updated) == ("completed", 1, 1, 0, 1)
    assert sum(i.product_id == products["SKU-00003"].id for i in rig.all(Image)) == 2


def test_a_polish_shop_keeps_the_english_texts_another_shop_supplied(settings: Settings, serve: Any) -> None:
    config = {"products": 3, "combinations_per_product": 2, "images_per_product": 1, "category_depth": 1}
    english = EmulatedShop(ShopConfig(key=KEY, languages=[(1, "en", "English")], features=1, **config))  # type: ignore[arg-type]
    polish = EmulatedShop(ShopConfig(key=KEY, languages=[(1, "pl", "Polski")], features=1, **config))  # type: ignore[arg-type]
    en_url, pl_url = serve(english, polish)
    rig = Rig(settings)
    rig.add("EN", en_url, KEY)
    rig.add("PL", pl_url, KEY)
    assert rig.run(1).created == 3
    first = {p.sku: p.updated_at for p in rig.all(Product)}
    assert rig.run(2).updated == 3  # the Polish texts are new
    for product in rig.all(Product):
        n = product.sku[-1]
        assert product.name == {"en": f"Product {n}", "pl": f"Produkt {n}"}
        assert set(product.description_short) == {"en", "pl"} and set(product.slug) == {"en", "pl"}
        assert product.updated_at > first[product.sku]
    assert rig.count(Category) == 3 and all(set(c.name) == {"en", "pl"} for c in rig.all(Category))
    assert all(set(v.name) == {"en", "pl"} for v in rig.all(AttributeValue))
    assert all(set(f.name) == {"en", "pl"} for f in rig.all(Feature))
    assert rig.count(Image) == 3  # the same bytes in both shops: one image each
    settled = {p.sku: p.updated_at for p in rig.all(Product)}
    assert rig.run(1).unchanged == 3
    assert {p.sku: p.updated_at for p in rig.all(Product)} == settled
    assert all(set(p.name) == {"en", "pl"} for p in rig.all(Product))
