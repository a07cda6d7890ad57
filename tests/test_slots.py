import threading

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from prestasync import shops, slots
from prestasync.models import ShopSlot, utcnow
from prestasync.vault import Vault


def shop(engine: Engine) -> int:
    with Session(engine) as session, session.begin():
        return shops.add_shop(session, Vault("k"), name="S", url="http://s.test", key="S" * 32).id


def test_no_more_leases_than_slots_and_a_release_frees_one(engine: Engine) -> None:
    shop_id = shop(engine)
    taken = [slots.acquire(engine, shop_id, 2, f"h{i}", 60) for i in range(3)]
    assert taken == [0, 1, None]
    slots.release(engine, shop_id, 1, "h1")
    assert slots.acquire(engine, shop_id, 2, "h3", 60) == 1


def test_an_expired_lease_is_taken_over_and_its_old_holder_learns_it(engine: Engine) -> None:
    shop_id = shop(engine)
    assert slots.acquire(engine, shop_id, 1, "dead", 60) == 0
    with Session(engine) as session, session.begin():
        session.execute(update(ShopSlot).values(until=utcnow()))  # the holder died; its lease ran out
    assert slots.acquire(engine, shop_id, 1, "alive", 60) == 0
    assert slots.renew(engine, shop_id, 0, "dead", 60) is False
    assert slots.renew(engine, shop_id, 0, "alive", 60) is True
    slots.release(engine, shop_id, 0, "dead")  # a late release by the old holder changes nothing
    assert slots.acquire(engine, shop_id, 1, "third", 60) is None


def test_racing_acquirers_never_share_a_slot(engine: Engine) -> None:
    shop_id = shop(engine)
    slots.acquire(engine, shop_id, 3, "warm-up", 60)  # rows exist; the race is on the leases
    slots.release(engine, shop_id, 0, "warm-up")
    results: list[int | None] = []
    barrier = threading.Barrier(8)

    def grab(i: int) -> None:
        barrier.wait()
        results.append(slots.acquire(engine, shop_id, 3, f"h{i}", 60))

    threads = [threading.Thread(target=grab, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r for r in results if r is not None) == [0, 1, 2]
    assert results.count(None) == 5
