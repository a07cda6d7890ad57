"""Round trips through shops change nothing: shop A → catalogue → empty shop B → a fresh
catalogue holds exactly what the first one did, and a second export writes nothing.

Run on the real PrestaShop 8.1.2 demo catalogue (rebuilt from the captures: \r\n in texts,
products with combinations, virtual products, en + fr) and on a seeded shop with the whole
product (combinations, images, categories three deep, features, a manufacturer).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from huey import MemoryHuey
from sqlalchemy import select
from sqlalchemy.orm import Session

from prestasync import shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.imagestore import ImageStore
from prestasync.models import (
    AttributeGroup,
    AttributeValue,
    Category,
    Combination,
    Feature,
    FeatureValue,
    Image,
    Manufacturer,
    Product,
    ProductCategory,
    ProductFeature,
    SpecificPrice,
)
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from prestasync.progress import JobType
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks
from tests.export.harness import counts
from tests.prestashop.emulator.demo_state import KEY as DEMO_KEY
from tests.prestashop.emulator.demo_state import LANGUAGES, demo_shop


def runtime(tmp_path: Path, name: str) -> tuple[Runtime, Control]:
    settings = Settings(data_dir=tmp_path / name, secret_key="round-trip",
                        database_url=f"sqlite:///{tmp_path / f'{name}.db'}", queue_url="memory://",
                        progress_interval_s=0.05, heartbeat_every_s=0.5)  # fmt: skip
    rt = Runtime(settings)
    rt.migrate()
    return rt, Control(rt, Tasks(MemoryHuey(name, immediate=True, results=False), rt))


def run(rt: Runtime, control: Control, type: JobType, shop: str) -> dict[str, Any]:
    with Session(rt.engine) as session:
        shop_id = shops.find_shop(session, shop).id
    (job,) = control.start(type, [shop_id], {})
    with Session(rt.engine) as session:
        from prestasync import queries

        row = queries.get_job(session, job.id)
        return {"status": row.status, "failed": row.failed, "created": row.created, "total": row.total}


def snapshot(rt: Runtime) -> dict[str, dict[str, Any]]:
    """Every product as a plain dict of what it is, without ids: comparable across databases."""
    store = ImageStore(rt.settings.data_dir / "images")
    with Session(rt.engine) as s:
        paths = {c.id: c.path for c in s.execute(select(Category)).scalars()}
        brands = {m.id: m.name for m in s.execute(select(Manufacturer)).scalars()}
        groups = {g.id: g.key for g in s.execute(select(AttributeGroup)).scalars()}
        values = {v.id: (groups[v.group_id], v.key) for v in s.execute(select(AttributeValue)).scalars()}
        features = {f.id: f.key for f in s.execute(select(Feature)).scalars()}
        feature_values = {v.id: (v.key, v.custom) for v in s.execute(select(FeatureValue)).scalars()}
        out: dict[str, dict[str, Any]] = {}
        for p in s.execute(select(Product)).scalars():
            links = sorted(
                paths[c]
                for (c,) in s.execute(select(ProductCategory.category_id).where(ProductCategory.product_id == p.id))
            )
            combos = s.execute(select(Combination).where(Combination.product_id == p.id)).scalars()
            images = list(s.execute(select(Image).where(Image.product_id == p.id).order_by(Image.position)).scalars())
            assert all(store.has(i.checksum) for i in images)
            out[p.sku] = {
                "name": p.name, "description": p.description, "description_short": p.description_short,
                "price": p.price, "quantity": p.quantity, "active": p.active, "tax_group": p.tax_group,
                "category": paths.get(p.category_id) if p.category_id else None, "categories": links,
                "manufacturer": brands.get(p.manufacturer_id) if p.manufacturer_id else None,
                "weight": p.weight, "ean13": p.ean13, "wholesale_price": p.wholesale_price,
                "combinations": sorted(
                    (c.reference, sorted(values[v] for v in c.values), c.price_impact, c.quantity, c.minimal_quantity)
                    for c in combos
                ),
                "images": [(i.checksum, i.cover) for i in images],
                "features": sorted(
                    (features[f], feature_values[v]) for f, v in
                    s.execute(select(ProductFeature.feature_id, ProductFeature.value_id).where(ProductFeature.product_id == p.id))
                ),
                "prices": sorted(
                    (r.reduction, r.reduction_type, r.from_quantity, r.price)
                    for r in s.execute(select(SpecificPrice).where(SpecificPrice.product_id == p.id)).scalars()
                ),
            }  # fmt: skip
        return out


def round_trip(tmp_path: Path, a: EmulatedShop, b: EmulatedShop) -> tuple[dict[str, Any], dict[str, Any], EmulatedShop]:
    with RunningEmulator({"a": a, "b": b}) as emulator:
        first, first_control = runtime(tmp_path, "first")
        fresh, fresh_control = runtime(tmp_path, "fresh")
        with Session(first.engine) as session, session.begin():
            shops.add_shop(session, first.vault, name="A", url=f"{emulator.url}/a", key=a.config.key)
            shops.add_shop(session, first.vault, name="B", url=f"{emulator.url}/b", key=b.config.key)
        with Session(fresh.engine) as session, session.begin():
            shops.add_shop(session, fresh.vault, name="B", url=f"{emulator.url}/b", key=b.config.key)
        imported = run(first, first_control, JobType.IMPORT, "A")
        assert imported["status"] == "completed", imported
        exported = run(first, first_control, JobType.EXPORT, "B")
        assert (exported["status"], exported["failed"]) == ("completed", 0), exported
        again = run(fresh, fresh_control, JobType.IMPORT, "B")
        assert again["status"] == "completed", again
        b.reset_counters()
        second = run(first, first_control, JobType.EXPORT, "B")
        assert second["status"] == "completed"
        assert counts(b)[1] == 0, b.counts  # nothing to write the second time
        return snapshot(first), snapshot(fresh), b


def test_the_real_demo_catalogue_survives_a_round_trip(tmp_path: Path) -> None:
    a = demo_shop()
    b = EmulatedShop(ShopConfig(key=DEMO_KEY, name="B", version="8.1.2", languages=LANGUAGES))
    first, fresh, _ = round_trip(tmp_path, a, b)
    assert set(first) == set(fresh) and len(first) >= 19
    for sku in first:
        assert fresh[sku] == _named(first[sku]), sku
    texts = [t for p in first.values() for t in p["description_short"].values()]
    assert any("\r\n" in t for t in texts)  # the captured \r\n came back byte for byte
    assert any(p["quantity"] > 0 for p in first.values())  # stock is real, not the product's <quantity> 0


def _named(product: dict[str, Any]) -> dict[str, Any]:
    """What B holds for a product of A: the same, except that a name A left empty in a language
    (capture 77 blanked one) is never sent empty: it has the English name (the fallback)."""
    names = {iso: text or product["name"]["en"] for iso, text in product["name"].items()}
    return {**product, "name": names}


def test_the_whole_product_survives_a_round_trip(tmp_path: Path) -> None:
    seeded = ShopConfig(key=DEMO_KEY, products=300, combinations_per_product=4, images_per_product=3,
                        category_depth=3, features=2, manufacturers=3)  # fmt: skip
    a = EmulatedShop(seeded)
    b = EmulatedShop(ShopConfig(key=DEMO_KEY, name="B"))
    first, fresh, b_shop = round_trip(tmp_path, a, b)
    assert len(first) == 300
    assert sum(len(p["combinations"]) for p in first.values()) == 1200
    assert sum(len(p["images"]) for p in first.values()) >= 300
    for sku in first:
        assert fresh[sku] == first[sku], sku
    assert all(isinstance(p["price"], Decimal) for p in fresh.values())
