"""The shop registry on every database: partial changes and their checks, the name rule, and a
removal that takes the shop's own rows with it and leaves its job history readable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from prestasync import ledger, shops
from prestasync.errors import ControlError, Refused, ShopError, ShopNotFound
from prestasync.models import Binding, Job, Product, RemoteLink, Schedule, Shop, ShopSlot, utcnow
from prestasync.progress import JobStatus, JobType
from prestasync.vault import Vault

VAULT = Vault("k")
KEY = "SHOPS" + "1" * 27


def add(engine: Engine, name: str = "Shop A") -> int:
    with Session(engine) as session, session.begin():
        return shops.add_shop(session, VAULT, name=name, url="http://a.test", key=KEY).id


def change(engine: Engine, shop_id: int, **changes: Any) -> Shop:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        return shops.update_shop(session, VAULT, shops.get_shop(session, shop_id), changes)


def test_a_new_shop_has_the_documented_defaults(engine: Engine) -> None:
    with Session(engine) as session:
        shop = shops.get_shop(session, add(engine))
        settings = (shop.guard_enabled, shop.guard_share_pct, shop.guard_price_pct)
        assert settings == (True, 20, 50)
        assert (shop.default_tax_group, shop.fallback_language) == (None, None)


def test_a_partial_change_touches_only_what_it_names(engine: Engine) -> None:
    shop_id = add(engine)
    before = change(engine, shop_id)  # nothing: nothing moves
    after = change(engine, shop_id, guard_share_pct=35, fallback_language=" PL ", default_tax_group=2**32 - 1)
    assert (after.guard_share_pct, after.fallback_language, after.default_tax_group) == (35, "pl", 2**32 - 1)
    assert (after.name, after.url, after.guard_enabled, after.guard_price_pct) == ("Shop A", "http://a.test", True, 50)
    assert after.updated_at >= before.updated_at
    cleared = change(engine, shop_id, default_tax_group=None, fallback_language=None, url="https://b.test/api/")
    assert (cleared.default_tax_group, cleared.fallback_language, cleared.url) == (None, None, "https://b.test")
    rekeyed = change(engine, shop_id, key=" " + "B" * 32 + "\n")
    assert VAULT.open(rekeyed.api_key_encrypted) == "B" * 32


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"guard_share_pct": 0}, "guard_share_pct must be a whole number from 1 to 100"),
        ({"guard_share_pct": 101}, "from 1 to 100"),
        ({"guard_share_pct": 2**70}, "from 1 to 100"),
        ({"guard_share_pct": -5}, "from 1 to 100"),
        ({"guard_share_pct": "20"}, "from 1 to 100"),
        ({"guard_share_pct": True}, "from 1 to 100"),
        ({"guard_share_pct": 20.0}, "from 1 to 100"),
        ({"guard_price_pct": 1001}, "guard_price_pct must be a whole number from 1 to 1000"),
        ({"guard_enabled": "yes"}, "guard_enabled must be true or false"),
        ({"guard_enabled": None}, "guard_enabled cannot be null"),
        ({"default_tax_group": 2**32}, "default_tax_group must be a whole number"),
        ({"default_tax_group": 0}, "default_tax_group must be a whole number"),
        ({"fallback_language": "english"}, "two-letter language code"),
        ({"fallback_language": 12}, "two-letter language code"),
        ({"name": "   "}, "shop name must be 1 to 100 characters"),
        ({"name": "x" * 101}, "shop name must be 1 to 100 characters"),
        ({"name": "a\x00b"}, "shop name must be 1 to 100 characters"),
        ({"name": None}, "name cannot be null"),
        ({"url": "ftp://a.test"}, "must start with http"),
        ({"url": "http://a.test/" + "p" * 500}, "longer than 500"),
        ({"key": "short"}, "32 letters and digits"),
        ({"key": ""}, "the API key is empty"),
        ({"api_key_encrypted": "x"}, "unknown shop setting"),
    ],
)
def test_a_bad_value_is_refused_and_nothing_changes(
    sqlite_engine: Engine, changes: dict[str, Any], message: str
) -> None:
    # Checked before anything is written, so one database is enough.
    engine = sqlite_engine
    shop_id = add(engine)
    with pytest.raises(ShopError, match=message):
        change(engine, shop_id, **{"guard_price_pct": 70, **changes})
    with Session(engine) as session:
        assert shops.get_shop(session, shop_id).guard_price_pct == 50  # the good half was not written either


def test_another_shops_name_is_refused_like_adding_it(engine: Engine) -> None:
    add(engine, "Taken")
    shop_id = add(engine, "Mine")
    with pytest.raises(Refused, match="a shop named 'Taken' already exists"):
        change(engine, shop_id, name=" Taken ")
    assert change(engine, shop_id, name="Mine").name == "Mine"  # its own name is no clash


def test_an_unknown_shop_is_not_found(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(ShopNotFound, match="no shop with id 424242"):
        shops.get_shop(session, 424242)


def _job(engine: Engine, shop_id: int, status: JobStatus) -> int:
    with Session(engine) as session, session.begin():
        job_id = ledger.create_job(session, type=JobType.EXPORT, shop=shops.get_shop(session, shop_id), params={})
        if status != JobStatus.PENDING:
            ledger.transition(session, job_id, JobStatus.RUNNING, started_at=utcnow() - timedelta(seconds=5))
        if status not in (JobStatus.PENDING, JobStatus.RUNNING):
            ledger.transition(session, job_id, status)
    return job_id


def _own_rows(session: Session, shop_id: int) -> dict[str, int]:
    return {
        table.__name__: session.execute(
            select(func.count()).select_from(table).where(table.shop_id == shop_id)
        ).scalar()
        or 0
        for table in (Binding, RemoteLink, Schedule, ShopSlot)
    }


@pytest.mark.parametrize("status", [JobStatus.PENDING, JobStatus.RUNNING, JobStatus.HELD])
def test_a_shop_with_an_active_job_is_not_removed(engine: Engine, status: JobStatus) -> None:
    shop_id = add(engine)
    _job(engine, shop_id, status)
    with Session(engine) as session, session.begin(), pytest.raises(ControlError, match="1 active job"):
        shops.delete_shop(session, shops.get_shop(session, shop_id))
    with Session(engine) as session:
        assert shops.get_shop(session, shop_id).name == "Shop A"


def test_removing_a_shop_takes_its_rows_and_keeps_its_history(engine: Engine) -> None:
    shop_id, other = add(engine), add(engine, "Other")
    done = _job(engine, shop_id, JobStatus.COMPLETED)
    kept = _job(engine, other, JobStatus.COMPLETED)
    now = utcnow()
    with Session(engine) as session, session.begin():
        product = Product(sku="P-1", name={"en": "One"}, created_at=now, updated_at=now)
        session.add(product)
        session.flush()
        for sid in (shop_id, other):
            session.add(Binding(shop_id=sid, product_id=product.id, remote_id=7, last_status="synced"))
            session.add(RemoteLink(shop_id=sid, kind="category", local_id=1, remote_id=2))
            session.add(Schedule(shop_id=sid, type="sync", every_min=60, next_run_at=now))
            session.add(ShopSlot(shop_id=sid, slot=0))
    with Session(engine) as session, session.begin():
        shops.delete_shop(session, shops.get_shop(session, shop_id))
    with Session(engine) as session:
        assert _own_rows(session, shop_id) == dict.fromkeys(("Binding", "RemoteLink", "Schedule", "ShopSlot"), 0)
        assert _own_rows(session, other) == dict.fromkeys(("Binding", "RemoteLink", "Schedule", "ShopSlot"), 1)
        history = session.get(Job, done)
        assert history is not None and (history.shop_id, history.shop_name, history.status) == (
            None,
            "Shop A",
            "completed",
        )
        assert (session.get(Job, kept) or Job()).shop_id == other
        with pytest.raises(ShopNotFound):
            shops.get_shop(session, shop_id)


@pytest.mark.parametrize(
    ("text", "number"), [("20", 20), (" 7 ", 7), ("abc", "abc"), ("-5", "-5"), ("9" * 13, "9" * 13), ("", "")]
)
def test_typed_numbers_become_numbers_only_when_they_are_digits(text: str, number: object) -> None:
    assert shops.number_from_text(text) == number
