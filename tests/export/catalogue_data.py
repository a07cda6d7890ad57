"""Whole catalogue products for export tests, written straight into the catalogue tables: a
category tree, Size and Color attributes, combinations with stock, images in the image store,
a feature, a manufacturer and a specific price."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

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
    utcnow,
)
from prestasync.naming import PATH_SEP, key_of
from prestasync.runtime import Runtime

IMAGES = Path(__file__).resolve().parents[1] / "wire" / "prestashop-8.1.2" / "images"
SIZES = ("S", "M", "L", "XL")


def add_whole_products(rt: Runtime, n: int, *, combinations: int = 4, images: int = 3) -> None:
    """Products `W-00001`… in `home > clothes > men > shirts`, each with `combinations` sizes
    (references `W-00001-S`…, stock 1-4), `images` pictures (the first the cover), a material
    feature, the manufacturer "Studio Design" and 10 % off from 2 items."""
    store = ImageStore(rt.settings.data_dir / "images")
    stored = [store.save((IMAGES / name).open("rb")) for name in ("red.jpg", "blue.jpg", "green.jpg")]
    now = utcnow()
    with Session(rt.engine) as session, session.begin():
        tree = _tree(session, ["Home", "Clothes", "Men", "Shirts"])
        size = AttributeGroup(
            key="size", name={"en": "Size", "pl": "Rozmiar"}, public_name={"en": "Size", "pl": "Rozmiar"}
        )
        session.add(size)
        session.flush()
        values = [AttributeValue(group_id=size.id, key=s.lower(), name={"en": s, "pl": s}) for s in SIZES]
        material = Feature(key="material", name={"en": "Material", "pl": "Materiał"})
        brand = Manufacturer(name="Studio Design")
        session.add_all([*values, material, brand])
        session.flush()
        cotton = FeatureValue(feature_id=material.id, key="cotton", value={"en": "Cotton", "pl": "Bawełna"})
        session.add(cotton)
        session.flush()
        for i in range(1, n + 1):
            product = Product(
                sku=f"W-{i:05d}", kind="combinations" if combinations else "simple",
                name={"en": f"Shirt {i}", "pl": f"Koszula {i}"}, description={"en": f"A shirt.\r\nNumber {i}."},
                price=Decimal("19.90") + i, quantity=sum(range(1, combinations + 1)) if combinations else 5,
                active=True, tax_group=None, manufacturer_id=brand.id, category_id=tree[-1].id,
                weight=Decimal("0.3"), ean13=None, created_at=now, updated_at=now,
            )  # fmt: skip
            session.add(product)
            session.flush()
            session.add_all([ProductCategory(product_id=product.id, category_id=c.id) for c in tree[1:]])
            session.add(ProductFeature(product_id=product.id, feature_id=material.id, value_id=cotton.id))
            pictures = [
                Image(
                    product_id=product.id,
                    checksum=stored[k % 3][0],
                    size=stored[k % 3][1],
                    position=k,
                    cover=k == 0,
                    legend={"en": f"Shirt {i} view {k + 1}"},
                )  # fmt: skip
                for k in range(images)
            ]
            session.add_all(pictures)
            session.flush()
            for k in range(combinations):
                session.add(
                    Combination(
                        product_id=product.id, reference=f"W-{i:05d}-{SIZES[k]}", price_impact=Decimal(k),
                        weight_impact=Decimal(0), minimal_quantity=1, is_default=k == 0, quantity=k + 1,
                        position=k, values=[values[k].id], images=[pictures[k % len(pictures)].id] if pictures else [],
                    )
                )  # fmt: skip
            session.add(SpecificPrice(product_id=product.id, reduction=Decimal("0.1"), reduction_type="percentage",
                                      from_quantity=2))  # fmt: skip


def _tree(session: Session, names: list[str]) -> list[Category]:
    nodes: list[Category] = []
    keys: list[str] = []
    for name in names:
        keys.append(key_of({"en": name}))
        path = PATH_SEP.join(["home", *keys[1:]])
        node = Category(parent_id=nodes[-1].id if nodes else None, path=path, name={"en": name, "pl": name},
                        slug={}, active=True)  # fmt: skip
        session.add(node)
        session.flush()
        nodes.append(node)
    return nodes
