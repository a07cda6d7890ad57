"""A small, realistic database for API tests: shops, products with bindings, and jobs in every state.

Written through the ledger (the same writes workers make), never by inserting finished rows,
so what the API reads is what a real run leaves behind.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prestasync import ledger, shops
from prestasync.imagestore import ImageStore
from prestasync.ledger import Close, Delta, NewItem
from prestasync.models import (
    AttributeGroup,
    AttributeValue,
    Binding,
    Category,
    Combination,
    Feature,
    FeatureValue,
    Image,
    JobItem,
    Manufacturer,
    Product,
    ProductCategory,
    ProductFeature,
    Shop,
    utcnow,
)
from prestasync.progress import ItemState, JobStatus, JobType, Outcome
from prestasync.runtime import Runtime

KEY = "SEEDKEY" + "0" * 25


@dataclass
class Seeded:
    shop_ids: list[int] = field(default_factory=list)
    # one job id per status (the job of that status with failed items, where it can have them)
    jobs: dict[JobStatus, int] = field(default_factory=dict)
    clean_failed: int = 0  # a failed job without failed items
    preview: int = 0  # a completed preview (dry run) with planned changes
    product_id: int = 0  # SEED-0: with a variant, an image, a category, a feature and a maker
    image_id: int = 0


def seed(rt: Runtime) -> Seeded:
    """Two shops, a few products (one bound and synced, one failed), one job per status."""
    out = Seeded()
    with Session(rt.engine, expire_on_commit=False) as session, session.begin():
        shop_a = shops.add_shop(session, rt.vault, name="Seed A", url="http://127.0.0.1:9/a", key=KEY)
        shop_b = shops.add_shop(session, rt.vault, name="Seed B", url="http://127.0.0.1:9/b", key=KEY)
        out.shop_ids = [shop_a.id, shop_b.id]
        _products(session, shop_a)
        out.product_id, out.image_id = whole_product(session, ImageStore(rt.settings.data_dir / "images"), "SEED-0")
    for status in JobStatus:
        out.jobs[status] = job_in(rt, status, shop_a if status != JobStatus.FAILED else shop_b)
    out.clean_failed = job_in(rt, JobStatus.FAILED, shop_a, failures=0)
    out.preview = job_in(rt, JobStatus.COMPLETED, shop_a, failures=0, params={"dry_run": True})
    return out


# The smallest valid PNG: one transparent pixel.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def whole_product(session: Session, store: ImageStore, sku: str) -> tuple[int, int]:
    """Give product `sku` a variant (Colour: Red), a stored image, a category, a feature and a
    manufacturer; returns (product id, image id)."""
    product = session.execute(select(Product).where(Product.sku == sku)).scalar_one()
    maker = Manufacturer(name="Acme <Tools>")
    category = Category(path="Home/Tools", name={"en": "Tools", "pl": "Narzędzia"}, slug={})
    group = AttributeGroup(key="colour", name={"en": "Colour", "pl": "Kolor"}, public_name={})
    feature = Feature(key="material", name={"en": "Material", "pl": "Materiał"})
    session.add_all([maker, category, group, feature])
    session.flush()
    value = AttributeValue(group_id=group.id, key="red", name={"en": "Red", "pl": "Czerwony"}, color="#ff0000")
    material = FeatureValue(feature_id=feature.id, key="steel", value={"en": "Steel", "pl": "Stal"})
    session.add_all([value, material])
    session.flush()
    checksum, size = store.save(io.BytesIO(PIXEL))
    image = Image(product_id=product.id, checksum=checksum, size=size, content_type="image/png", position=1, cover=True)
    session.add(image)
    session.flush()
    product.manufacturer_id, product.category_id, product.kind = maker.id, category.id, "combinations"
    session.add_all(
        [
            Combination(
                product_id=product.id,
                reference=f"{sku}-RED",
                quantity=4,
                price_impact=Decimal("1.50"),
                values=[value.id],
                images=[image.id],
                is_default=True,
            ),
            ProductCategory(product_id=product.id, category_id=category.id),
            ProductFeature(product_id=product.id, feature_id=feature.id, value_id=material.id),
        ]
    )
    session.flush()
    return product.id, image.id


def preview_in(rt: Runtime, shop: Shop, updated: dict[str, dict[str, list[Any]]], *, created: int = 1) -> int:
    """A completed export preview (a dry run) whose plan updates the products in `updated`
    (SKU -> field -> [before, after]) and creates `created` new ones."""
    with Session(rt.engine) as session, session.begin():
        job_id = ledger.create_job(session, type=JobType.EXPORT, shop=shop, params={"dry_run": True})
        ledger.transition(session, job_id, JobStatus.RUNNING, started_at=utcnow(), attempts=1)
        new = [f"NEW-{i}" for i in range(created)]
        ledger.plan(session, job_id, [*updated, *new])
        ids = ledger.claim(session, job_id, _item_ids(session, job_id), "lease", ItemState.QUEUED)
        closes = [
            Close(i, ItemState.PLANNED, Outcome.UPDATED, changes=updated[sku])
            if sku in updated
            else Close(i, ItemState.PLANNED, Outcome.CREATED, changes={"price": [None, "5.00"]})
            for i, sku in ids
        ]
        ledger.record(session, job_id, Delta(closes=closes, total=len(closes)))
        ledger.finish(session, job_id, JobStatus.COMPLETED)
    return job_id


def _products(session: Session, shop: Shop) -> None:
    now = utcnow()
    for i, (status, error) in enumerate([("synced", None), ("failed", "price 'x' is not valid"), (None, None)]):
        product = Product(
            sku=f"SEED-{i}",
            name={"en": f"Seed {i}", "pl": f"Ziarno {i}"},
            description={},
            price=Decimal("9.99") + i,
            quantity=i,
            active=True,
            created_at=now,
            updated_at=now,
        )
        session.add(product)
        session.flush()
        if status:
            binding = Binding(shop_id=shop.id, product_id=product.id, remote_id=100 + i, last_status=status)
            binding.last_error = error
            binding.last_synced_at = now if status == "synced" else None
            session.add(binding)


def job_in(
    rt: Runtime,
    status: JobStatus,
    shop: Shop,
    *,
    failures: int = 3,
    type: JobType = JobType.EXPORT,
    params: dict[str, object] | None = None,
) -> int:
    """An export job driven through the ledger into `status`, with `failures` failed items.

    Its one successful item updated a price and a stock level (its `changes`, as exports record them).
    """
    with Session(rt.engine) as session, session.begin():
        params = {"skus": ["SEED-0", "SEED-1"], **(params or {})}
        job_id = ledger.create_job(session, type=type, shop=shop, params=params)
    if status == JobStatus.PENDING:
        return job_id
    with Session(rt.engine) as session, session.begin():
        ledger.transition(session, job_id, JobStatus.RUNNING, started_at=utcnow(), attempts=1)
        ledger.plan(session, job_id, [f"SKU-{i}" for i in range(failures + 2)])
        ids = [i for i, _ in ledger.claim(session, job_id, _item_ids(session, job_id), "lease", ItemState.QUEUED)]
        closes = [Close(i, ItemState.FAILED, message=f"price '{i}' is not valid", code="ps_85") for i in ids[:failures]]
        changes = {"price": ["9.99", "10.99"], "stock": [5, 0]}
        closes.append(Close(ids[failures], ItemState.DONE, Outcome.UPDATED, changes=changes))
        ledger.record(session, job_id, Delta(closes=closes, total=failures + 2))
        ledger.record(session, job_id, Delta(items=[NewItem("#9", ItemState.SKIPPED, "gone", "vanished", 9)]))
    with Session(rt.engine) as session, session.begin():
        if status == JobStatus.HELD:
            ledger.transition(session, job_id, JobStatus.HELD)
        elif status in (JobStatus.CANCELLING, JobStatus.CANCELLED):
            ledger.request_cancel(session, job_id)
        if status.is_terminal:
            ledger.finish(session, job_id, status, "shop down" if status == JobStatus.FAILED else None)
    return job_id


def _item_ids(session: Session, job_id: int) -> list[int]:
    return list(session.execute(select(JobItem.id).where(JobItem.job_id == job_id).order_by(JobItem.id)).scalars())
