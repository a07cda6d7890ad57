"""Statistics over the job history: counts by status, per-shop figures and a daily series."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prestasync.contract import DayStats, ShopStats
from prestasync.models import Job, utcnow
from prestasync.progress import TERMINAL, JobStatus


def summary(session: Session) -> dict[str, int]:
    """Job counts by status, for the dashboard and `/metrics`."""
    rows = session.execute(select(Job.status, func.count(Job.id)).group_by(Job.status)).all()
    counts = {s.value: 0 for s in JobStatus}
    counts.update({status: int(n) for status, n in rows})
    return counts


def shop_stats(session: Session, shop_id: int, days: int) -> ShopStats:
    """Per-shop statistics over the last `days`: jobs, success rate, items, mean duration."""
    since = utcnow() - timedelta(days=days)
    rows = session.execute(
        select(Job.status, Job.processed, Job.failed, Job.started_at, Job.finished_at).where(
            Job.shop_id == shop_id, Job.created_at >= since
        )
    ).all()
    finished = [j for j in rows if j.status in {s.value for s in TERMINAL}]
    completed = [j for j in finished if j.status == JobStatus.COMPLETED]
    durations = [(j.finished_at - j.started_at).total_seconds() for j in finished if j.started_at and j.finished_at]
    return ShopStats(
        shop_id=shop_id,
        days=days,
        jobs=len(rows),
        completed=len(completed),
        failed=sum(1 for j in finished if j.status == JobStatus.FAILED),
        cancelled=sum(1 for j in finished if j.status == JobStatus.CANCELLED),
        active=len(rows) - len(finished),
        success_rate=round(100.0 * len(completed) / len(finished), 1) if finished else None,
        items_processed=sum(j.processed for j in rows),
        items_failed=sum(j.failed for j in rows),
        avg_duration_s=round(sum(durations) / len(durations), 1) if durations else None,
    )


def daily_stats(session: Session, shop_id: int, days: int) -> list[DayStats]:
    """Per UTC day of the last `days` (oldest first): jobs by outcome and items handled.

    Days are bucketed in Python: date functions differ between the three engines, and a
    shop's jobs over a month are few enough to read.
    """
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    rows = session.execute(
        select(Job.created_at, Job.status, Job.processed, Job.failed).where(
            Job.shop_id == shop_id, Job.created_at >= since
        )
    ).all()
    series = {first + timedelta(days=i): _Day() for i in range(days)}
    for created, status, processed, failed in rows:
        day = series.get(created.date())
        if day is None:
            continue
        day.jobs += 1
        day.by_status[status] = day.by_status.get(status, 0) + 1
        day.processed += processed
        day.failed += failed
    return [day.out(when) for when, day in series.items()]


class _Day:
    def __init__(self) -> None:
        self.jobs = self.processed = self.failed = 0
        self.by_status: dict[str, int] = {}

    def out(self, when: date) -> DayStats:
        return DayStats(
            date=when.isoformat(),
            jobs=self.jobs,
            completed=self.by_status.get(JobStatus.COMPLETED, 0),
            failed=self.by_status.get(JobStatus.FAILED, 0),
            cancelled=self.by_status.get(JobStatus.CANCELLED, 0),
            items_processed=self.processed,
            items_failed=self.failed,
        )
