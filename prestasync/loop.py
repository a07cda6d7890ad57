"""The daily loop: the periodic work a worker does besides the reaper, in two daemon threads.

* `schedules`: every `schedule_tick_s`, start the due schedules (`schedules.tick`), on the
  schedule clock (the wall clock; test-only, a faster one, see `schedules.scaled_clock`).
* `notify`: as often, announce ended jobs (`outbox.claim`) and send what is due
  (`deliveries.send_due`), and once a day drop old notifications and deliveries.

They are separate so a slow mail server or webhook never delays a scheduled run. Every
step is a conditional UPDATE, so any number of workers may run the loop (it runs where
`recovery.Scheduler` runs: in workers without `--no-periodic`); more of them only means
more candidates for each lease.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from prestasync import deliveries, outbox, schedules
from prestasync.control import Control
from prestasync.queue import JobQueue
from prestasync.recovery import CLEANUP_EVERY_S
from prestasync.runtime import Runtime

log = logging.getLogger(__name__)


class Loop:
    """Runs `schedules_tick` and `notify_tick` every `schedule_tick_s` until stopped."""

    def __init__(self, rt: Runtime, queue: JobQueue, clock: schedules.Clock | None = None) -> None:
        self.rt = rt
        self.control = Control(rt, queue)
        self.clock = clock or schedules.scaled_clock(rt.settings)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._every, args=(self.schedules_tick,), name="schedules", daemon=True),
            threading.Thread(target=self._every, args=(self.notify_tick,), name="notify", daemon=True),
        ]
        self._last_cleanup = 0.0

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _every(self, step: Callable[[], object]) -> None:
        period = self.rt.settings.schedule_tick_s
        next_at = time.monotonic()
        while not self._stop.is_set():
            try:
                step()
            except Exception:  # the loop must outlive a database hiccup
                log.exception("%s tick failed", threading.current_thread().name)
            next_at += period
            if self._stop.wait(max(0.0, next_at - time.monotonic())):
                return
            next_at = max(next_at, time.monotonic() - period)  # after a long step, do not race to catch up

    def schedules_tick(self) -> schedules.TickReport:
        report = schedules.tick(self.control, self.clock())
        runs = self.rt.telemetry.schedule_runs
        runs.labels("started").inc(len(report.started))
        runs.labels("skipped").inc(len(report.skipped))
        return report

    def notify_tick(self) -> int:
        claimed = outbox.claim(self.rt.engine, self.rt.settings, self.rt.telemetry)
        sent = deliveries.send_due(self.rt)
        if time.monotonic() - self._last_cleanup >= CLEANUP_EVERY_S or not self._last_cleanup:
            outbox.cleanup(self.rt.engine, self.rt.settings.cleanup_days)
            self._last_cleanup = time.monotonic()
        return len(claimed) + sent
