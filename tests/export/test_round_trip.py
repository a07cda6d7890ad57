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

from prestasync import queries, shops
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
        row = queries.get_job(session, job.id)
        return {"status": row.status, "failed": row.failed, "created": row.created, "total": row.total}


def snapshot(rt: Runtime) -> dict[str, dict[str, Any]]:
    """Every product as a plain dict of what it is, without ids: comparable across databases."""
    store = ImageStore(rt.settings.data_dir / "images")
    with Session(rt.engine) as s:
        names = _names(s)
        out: dict[str, dict[str, Any]] = {}
        for p in s.execute(select(Product)).scalars():
            images = list(s.execute(select(Image).where(Image.product_id == p.id).order_by(Image.position)).scalars())
            assert all(store.has(i.checksum) for i in images)
            out[p.sku] = {
                **{f: getattr(p, f) for f in FIELDS},
                "category": names["path"].get(p.category_id) if p.category_id else None,
                "manufacturer": names["brand"].get(p.manufacturer_id) if p.manufacturer_id else None,
                "categories": sorted(names["path"][r.category_id] for r in _rows(s, ProductCategory, p.id)),
                "combinations": sorted(_combination(c, names) for c in _rows(s, Combination, p.id)),
                "images": [(i.checksum, i.cover) for i in images],
                "features": sorted(_feature(s, p.id, names)),
                "prices": sorted(
                    (r.reduction, r.reduction_type, r.from_quantity, r.price) for r in _rows(s, SpecificPrice, p.id)
                ),
            }
        return out


FIELDS = ("name", "description", "description_short", "price", "quantity", "active", "tax_group", "weight",
          "ean13", "wholesale_price")  # fmt: skip


def _names(s: Session) -> dict[str, dict[int, Any]]:
    groups = {g.id: g.key for g in s.execute(select(AttributeGroup)).scalars()}
    return {
        "path": {c.id: c.path for c in s.execute(select(Category)).scalars()},
        "brand": {m.id: m.name for m in s.execute(select(Manufacturer)).scalars()},
        "value": {v.id: (groups[v.group_id], v.key) for v in s.execute(select(AttributeValue)).scalars()},
        "feature": {f.id: f.key for f in s.execute(select(Feature)).scalars()},
        "feature_value": {v.id: (v.key, v.custom) for v in s.execute(select(FeatureValue)).scalars()},
    }


def _price(r: SpecificPrice) -> tuple[Any, ...]:
    return (r.reduction, r.reduction_type, r.from_quantity, r.price)


def _rows(s: Session, table: Any, product_id: int) -> list[Any]:
    return list(s.execute(select(table).where(table.product_id == product_id)).scalars())


def _combination(c: Combination, names: dict[str, dict[int, Any]]) -> tuple[Any, ...]:
    return (c.reference, sorted(names["value"][v] for v in c.values), c.price_impact, c.quantity, c.minimal_quantity)


def _feature(s: Session, product_id: int, names: dict[str, dict[int, Any]]) -> list[tuple[Any, Any]]:
    rows = _rows(s, ProductFeature, product_id)
    return [(names["feature"][r.feature_id], names["feature_value"][r.value_id]) for r in rows]


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
