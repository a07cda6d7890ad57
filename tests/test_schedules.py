"""Schedules on every engine with a hand-driven clock: one run per slot however many tickers race,
one run for a missed window, none while paused, a skip (recorded) while the shop is busy."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from prestasync import ledger, schedules, shops
from prestasync.config import Settings
from prestasync.control import Control
from prestasync.errors import InvalidInput
from prestasync.models import Job, Schedule
from prestasync.progress import JobStatus, JobType
from prestasync.runtime import Runtime
from prestasync.schedules import Rule
from tests.conftest import RecordingQueue

T0 = datetime(2026, 12, 2, 10, 0, 0, 500_000, tzinfo=UTC)


@pytest.fixture
def world(engine: Engine, settings: Settings) -> tuple[Runtime, int]:
    rt = Runtime(settings.model_copy(update={"database_url": str(engine.url.render_as_string(hide_password=False))}))
    with rt.session() as session, session.begin():
        shop = shops.add_shop(session, rt.vault, name="Shop A", url="http://127.0.0.1:9", key="K" * 32)
        return rt, shop.id


def add(rt: Runtime, shop_id: int, rule: Rule, now: datetime = T0, type: str = "sync") -> int:
    with rt.session() as session, session.begin():
        return schedules.add(session, shop_id=shop_id, type=type, rule=rule, now=now).id


def jobs(rt: Runtime) -> list[Job]:
    with Session(rt.engine) as session:
        return list(session.execute(select(Job).order_by(Job.id)).scalars())


def end_all(rt: Runtime) -> None:
    """Finish every active job, as a worker would, so the next slot is not skipped."""
    with rt.session() as session, session.begin():
        for job in session.execute(select(Job).where(Job.status == "pending")).scalars():
            ledger.finish(session, job.id, JobStatus.CANCELLED)


def test_two_racing_tickers_start_exactly_one_run_per_slot(world: tuple[Runtime, int]) -> None:
    rt, shop_id = world
    add(rt, shop_id, Rule(every_min=1))
    tickers = [Control(rt, RecordingQueue()), Control(rt, RecordingQueue())]
    started: list[int] = []
    for second in range(0, 5 * 60 + 1, 5):  # five minutes on the schedule clock, a tick every 5 s
        now = T0 + timedelta(seconds=second)
        barrier = threading.Barrier(len(tickers))

        def tick(control: Control, now: datetime = now, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            started.extend(schedules.tick(control, now).started)

        threads = [threading.Thread(target=tick, args=(c,)) for c in tickers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        end_all(rt)
    assert len(started) == 5 and len(jobs(rt)) == 5
    assert sorted(tickers[0].queue.ids + tickers[1].queue.ids) == [j.id for j in jobs(rt)]  # type: ignore[attr-defined]
    with Session(rt.engine) as session:
        row = session.execute(select(Schedule)).scalar_one()
    assert (row.runs, row.skips, row.last_outcome) == (5, 0, "started")
    assert row.next_run_at == T0 + timedelta(minutes=6)


def test_a_missed_window_runs_once_and_stays_on_the_grid(world: tuple[Runtime, int]) -> None:
    rt, shop_id = world
    add(rt, shop_id, Rule(every_min=10))
    control = Control(rt, RecordingQueue())
    later = T0 + timedelta(hours=3, minutes=5)  # 18 slots went by while no worker ran
    assert len(schedules.tick(control, later).started) == 1
    assert schedules.tick(control, later + timedelta(seconds=30)).started == []
    with Session(rt.engine) as session:
        row = session.execute(select(Schedule)).scalar_one()
    assert row.next_run_at == T0 + timedelta(hours=3, minutes=10)
    assert row.last_slot_at == T0 + timedelta(minutes=10)


def test_a_paused_schedule_does_not_run_and_resumes_from_the_next_slot(world: tuple[Runtime, int]) -> None:
    rt, shop_id = world
    schedule_id = add(rt, shop_id, Rule(every_min=1))
    with rt.session() as session, session.begin():
        schedules.set_paused(session, schedule_id, True, now=T0)
    control = Control(rt, RecordingQueue())
    for minute in range(1, 6):
        assert schedules.tick(control, T0 + timedelta(minutes=minute, seconds=1)).started == []
    resumed_at = T0 + timedelta(minutes=5, seconds=2)
    with rt.session() as session, session.begin():
        row = schedules.set_paused(session, schedule_id, False, now=resumed_at)
        assert row.next_run_at == resumed_at + timedelta(minutes=1)
    assert len(schedules.tick(control, resumed_at + timedelta(minutes=1)).started) == 1
    assert len(jobs(rt)) == 1


def test_a_slot_while_the_same_kind_runs_on_the_shop_is_skipped_and_recorded(world: tuple[Runtime, int]) -> None:
    rt, shop_id = world
    add(rt, shop_id, Rule(every_min=1))
    busy = Control(rt, RecordingQueue()).start(JobType.SYNC, [shop_id], {})[0]
    with rt.session() as session, session.begin():
        session.execute(update(Job).where(Job.id == busy.id).values(status="running"))
    control = Control(rt, RecordingQueue())
    report = schedules.tick(control, T0 + timedelta(minutes=1))
    assert report.started == [] and len(report.skipped) == 1
    with Session(rt.engine) as session:
        row = session.execute(select(Schedule)).scalar_one()
        assert session.execute(select(func.count(Job.id))).scalar() == 1
    assert (row.skips, row.runs, row.last_outcome, row.last_job_id) == (1, 0, "skipped", busy.id)
    assert f"job {busy.id} is running" in (row.last_message or "")
    # An import of the same shop is another kind: it runs.
    add(rt, shop_id, Rule(every_min=1), type="import")
    assert len(schedules.tick(control, T0 + timedelta(minutes=2)).started) == 1


def test_cron_slots_follow_the_time_zone_across_dst() -> None:
    rule = Rule(cron="0 3 * * *", timezone="Europe/Warsaw").check()
    winter = rule.first_after(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    summer = rule.first_after(winter)
    assert winter == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST is 01:00 UTC after the switch
    assert summer == datetime(2026, 3, 30, 1, 0, tzinfo=UTC)
    assert Rule(cron="*/15 * * * *").check().first_after(T0) == datetime(2026, 12, 2, 10, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (Rule(), "either an interval"),
        (Rule(every_min=5, cron="* * * * *"), "either an interval"),
        (Rule(every_min=0), "1 to"),
        (Rule(cron="61 * * * *"), "not a cron expression"),
        (Rule(cron="* * * * * *"), "five fields"),
        (Rule(every_min=5, timezone="Mars/Olympus"), "unknown time zone"),
    ],
)
def test_unusable_rules_are_refused_with_the_reason(rule: Rule, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        rule.check()
