"""Two real worker processes and a schedule every minute for five minutes, on a schedule clock running
30 times faster (`schedule_time_scale`, test-only): exactly five runs, none overlapping.

The compression is honest: both workers compute the same schedule time from the shared wall clock
and origin, lease slots in the real database and start real jobs through the real queue; only the
length of a minute changes. bench/ has no real-time variant: the clock is the only difference.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from prestasync import schedules, shops
from prestasync.config import Settings
from prestasync.models import Job, Schedule
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from prestasync.runtime import Runtime
from prestasync.schedules import Rule
from tests.conftest import WorkerFactory, wait_for

KEY = "LOOPKEY" + "5" * 25
SCALE = 30.0  # one schedule minute is two real seconds


def test_two_workers_run_a_minutely_schedule_exactly_five_times_in_five_minutes(
    settings: Settings, start_worker: WorkerFactory, tmp_path: Path
) -> None:
    s = settings.model_copy(
        update={"schedule_time_scale": SCALE, "schedule_time_origin": time.time(), "schedule_tick_s": 0.05}
    )
    rt = Runtime(s)
    rt.migrate()
    clock = schedules.scaled_clock(s)
    with RunningEmulator({"": EmulatedShop(ShopConfig(key=KEY, products=5))}) as emulator:
        with rt.session() as session, session.begin():
            shop = shops.add_shop(session, rt.vault, name="Shop A", url=emulator.url, key=KEY)
        for _ in range(2):
            start_worker(s, "--concurrency", "2")  # both do periodic work: both race for every slot
        logs = [tmp_path / f"worker-{n}.log" for n in range(2)]
        wait_for(lambda: all("worker started" in p.read_text() for p in logs), 30, "both workers to start")
        start = clock()
        with rt.session() as session, session.begin():
            schedule_id = schedules.add(session, shop_id=shop.id, type="sync", rule=Rule(every_min=1), now=start).id
        end = start + timedelta(minutes=5, seconds=30)
        wait_for(lambda: clock() >= end, 20, "five schedule minutes")
        with rt.session() as session, session.begin():
            schedules.set_paused(session, schedule_id, True, now=clock())
        wait_for(lambda: all(j.finished_at for j in jobs(rt)), 20, "the last run to finish")

    runs = jobs(rt)
    assert len(runs) == 5, [(j.id, j.created_at) for j in runs]
    assert all(j.status == "completed" and j.type == "sync" for j in runs)
    for before, after in zip(runs, runs[1:], strict=False):
        assert before.finished_at and after.started_at and before.finished_at <= after.started_at
    with Session(rt.engine) as session:
        row = session.execute(select(Schedule)).scalar_one()
    assert (row.runs, row.skips) == (5, 0)
    assert row.last_slot_at == start + timedelta(minutes=5)
    # Precision: a run's job is created within a few ticks of its slot (in real seconds).
    origin = s.schedule_time_origin
    slots = [origin + ((start + timedelta(minutes=k)).timestamp() - origin) / SCALE for k in range(1, 6)]
    lags = [j.created_at.timestamp() - slot for j, slot in zip(runs, slots, strict=True)]
    logging.getLogger(__name__).warning(f"schedule lag (real s): {', '.join(f'{lag:.3f}' for lag in lags)}")
    assert all(0 <= lag < 1.0 for lag in lags), lags


def jobs(rt: Runtime) -> list[Job]:
    with Session(rt.engine) as session:
        return list(session.execute(select(Job).order_by(Job.id)).scalars())
