"""Schedules: a shop's `sync` or `import` started by the clock, every N minutes or on a cron expression.

A schedule waits for one slot, `next_run_at`. Every tick (`tick()`, run by the loop in each
worker that does periodic work) reads the due schedules, and for each one tries to move
`next_run_at` from the due slot to the next one with a conditional UPDATE
(`... WHERE id = :id AND next_run_at = :slot AND NOT paused`). However many workers tick at
once, one UPDATE matches; only that worker starts the run, through `Control.start`, so it
is an ordinary tracked job. The next slot is the first one after *now*, not after the due
slot: after downtime the missed slots collapse into one run. A run whose shop still has an
active job of the same kind is skipped (never two at once) and the skip is recorded on the
schedule. The lease is committed before the job is created, so a worker dying in between
loses that one run; it can never make two.

Cron expressions have the five classic fields and are read by croniter in the schedule's
time zone (so "0 3 * * *" in Europe/Warsaw stays at 3 a.m. across DST); slots are stored
in UTC like every other instant.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from prestasync.config import Settings
from prestasync.control import Control
from prestasync.errors import InvalidInput, NotFoundError, PrestasyncError
from prestasync.models import CRON_MAX, Job, Schedule, Shop, utcnow
from prestasync.progress import ACTIVE, JobType

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
KINDS = (JobType.SYNC, JobType.IMPORT)
MAX_EVERY_MIN = 366 * 24 * 60


class ScheduleNotFound(NotFoundError):
    """No schedule with that id."""


def scaled_clock(settings: Settings) -> Clock:
    """The clock schedules run on: the wall clock, or (test-only) one running `schedule_time_scale`
    times faster from `schedule_time_origin`, the same in every process that shares the origin."""
    scale, origin = settings.schedule_time_scale, settings.schedule_time_origin
    if scale == 1.0:
        return utcnow

    def now() -> datetime:
        return datetime.fromtimestamp(origin + (time.time() - origin) * scale, UTC)

    return now


@dataclass(frozen=True)
class Rule:
    """When a schedule fires: every `every_min` minutes, or on `cron` read in `timezone`."""

    every_min: int | None = None
    cron: str | None = None
    timezone: str = "UTC"

    def check(self) -> Rule:
        """This rule, cleaned; raises InvalidInput with the reason when it is unusable."""
        cron = (self.cron or "").strip() or None
        if (self.every_min is None) == (cron is None):
            raise InvalidInput("give either an interval in minutes or a cron expression, not both")
        if self.every_min is not None and not 1 <= self.every_min <= MAX_EVERY_MIN:
            raise InvalidInput(f"the interval is 1 to {MAX_EVERY_MIN} minutes")
        if cron is not None:
            if len(cron) > CRON_MAX or len(cron.split()) != 5 or not croniter.is_valid(cron):
                raise InvalidInput(f"{cron!r} is not a cron expression (five fields: minute hour day month weekday)")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"unknown time zone {self.timezone!r} (e.g. UTC, Europe/Warsaw)") from None
        return Rule(self.every_min, cron, self.timezone)

    def first_after(self, now: datetime, *, grid: datetime | None = None) -> datetime:
        """The first slot strictly after `now`. Interval slots stay on the grid through `grid`
        (the previous slot) when given, else start one interval from now."""
        if self.every_min is not None:
            step = timedelta(minutes=self.every_min)
            if grid is None:
                return now + step
            behind = max(0, int((now - grid) / step))
            slot = grid + behind * step
            return slot if slot > now else slot + step
        local = now.astimezone(ZoneInfo(self.timezone))
        nxt: datetime = croniter(self.cron, local).get_next(datetime)
        return nxt.astimezone(UTC)

    def describe(self) -> str:
        return f"every {self.every_min} min" if self.every_min is not None else f"cron {self.cron} ({self.timezone})"


def rule_of(row: Schedule) -> Rule:
    return Rule(row.every_min, row.cron, row.timezone)


# -- changes made by people ---------------------------------------------------------------------


def add(session: Session, *, shop_id: int, type: str, rule: Rule, now: datetime) -> Schedule:
    """A new schedule for the shop; its first slot is the rule's first after `now`. The caller commits."""
    kind = _kind(type)
    if session.get(Shop, shop_id) is None:
        raise InvalidInput(f"no shop with id {shop_id}")
    clean = rule.check()
    row = Schedule(
        shop_id=shop_id,
        type=kind.value,
        every_min=clean.every_min,
        cron=clean.cron,
        timezone=clean.timezone,
        paused=False,
        next_run_at=clean.first_after(now),
        runs=0,
        skips=0,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def edit(session: Session, schedule_id: int, *, type: str | None, rule: Rule, now: datetime) -> Schedule:
    """Change the kind or the rule; the next slot is computed afresh from `now`."""
    row = get(session, schedule_id)
    clean = rule.check()
    row.type = _kind(type).value if type else row.type
    row.every_min, row.cron, row.timezone = clean.every_min, clean.cron, clean.timezone
    row.next_run_at = clean.first_after(now)
    row.updated_at = utcnow()
    session.flush()
    return row


def set_paused(session: Session, schedule_id: int, paused: bool, *, now: datetime) -> Schedule:
    """Pause, or resume from the next slot after `now` (a paused stretch is not made up for)."""
    row = get(session, schedule_id)
    if row.paused != paused:
        row.paused = paused
        if not paused:
            row.next_run_at = rule_of(row).first_after(now)
        row.updated_at = utcnow()
        session.flush()
    return row


def delete(session: Session, schedule_id: int) -> None:
    session.delete(get(session, schedule_id))
    session.flush()


def get(session: Session, schedule_id: int) -> Schedule:
    row = session.get(Schedule, schedule_id)
    if row is None:
        raise ScheduleNotFound(f"no schedule with id {schedule_id}")
    return row


def list_schedules(session: Session, shop_id: int | None = None) -> list[Schedule]:
    """Schedules by next run (paused ones last)."""
    query = select(Schedule).order_by(Schedule.paused, Schedule.next_run_at, Schedule.id)
    if shop_id is not None:
        query = query.where(Schedule.shop_id == shop_id)
    return list(session.execute(query).scalars())


def _kind(type: str | None) -> JobType:
    if type not in {k.value for k in KINDS}:
        raise InvalidInput(f"a schedule runs sync or import, not {type!r}")
    return JobType(type)


# -- the clock's side ---------------------------------------------------------------------------


@dataclass
class TickReport:
    started: list[int] = field(default_factory=list)  # job ids
    skipped: list[int] = field(default_factory=list)  # schedule ids
    lost: int = 0  # due schedules another worker took first


def tick(control: Control, now: datetime) -> TickReport:
    """Start every due schedule this worker wins the lease for (see the module doc)."""
    report = TickReport()
    with Session(control.rt.engine) as session:
        due = list(
            session.execute(
                select(Schedule.id, Schedule.next_run_at).where(Schedule.paused.is_(False), Schedule.next_run_at <= now)
            )
        )
    for schedule_id, slot in due:
        try:
            _fire(control, schedule_id, slot, now, report)
        except Exception:  # one broken schedule must not stop the others
            log.exception("schedule %s: tick failed", schedule_id)
    return report


def _fire(control: Control, schedule_id: int, slot: datetime, now: datetime, report: TickReport) -> None:
    engine = control.rt.engine
    with Session(engine) as session, session.begin():
        row = session.get(Schedule, schedule_id)
        if row is None:
            return
        nxt = rule_of(row).first_after(now, grid=slot)
        won = session.execute(
            update(Schedule)
            .where(Schedule.id == schedule_id, Schedule.next_run_at == slot, Schedule.paused.is_(False))
            .values(next_run_at=nxt, last_slot_at=slot, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if won != 1:
            report.lost += 1
            return
        shop_id, kind = row.shop_id, JobType(row.type)
        busy = session.execute(
            select(Job.id, Job.status)
            .where(Job.shop_id == shop_id, Job.type == kind.value, Job.status.in_([s.value for s in ACTIVE]))
            .limit(1)
        ).first()
    if busy is not None:
        _record(
            engine, schedule_id, "skipped", busy[0], f"slot {slot:%Y-%m-%d %H:%M} skipped: job {busy[0]} is {busy[1]}"
        )
        report.skipped.append(schedule_id)
        log.info("schedule %s: slot %s skipped, job %s is still %s", schedule_id, slot, busy[0], busy[1])
        return
    try:
        job = control.start(kind, [shop_id], {})[0]
    except PrestasyncError as exc:
        _record(engine, schedule_id, "refused", None, str(exc))
        log.warning("schedule %s: could not start: %s", schedule_id, exc)
        return
    _record(engine, schedule_id, "started", job.id, None)
    report.started.append(job.id)


def _record(engine: Engine, schedule_id: int, outcome: str, job_id: int | None, message: str | None) -> None:
    counter = {"started": Schedule.runs, "skipped": Schedule.skips}.get(outcome)
    values: dict[str, object] = {"last_outcome": outcome, "last_message": (message or "")[:500] or None}
    if job_id is not None:
        values["last_job_id"] = job_id
    if counter is not None:
        values[counter.key] = counter + 1
    with Session(engine) as session, session.begin():
        session.execute(
            update(Schedule)
            .where(Schedule.id == schedule_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
