"""The progress-tracking core: job states, legal transitions, rate and ETA. Pure, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class JobType(StrEnum):
    IMPORT = "import"  # shop -> catalogue
    EXPORT = "export"  # catalogue -> shop, all products or chosen SKUs
    SYNC = "sync"  # catalogue -> shop, products changed since the last successful sync


class JobStatus(StrEnum):
    PENDING = "pending"  # created and queued; no worker has picked it up yet
    RUNNING = "running"  # a worker is processing items and heartbeating
    CANCELLING = "cancelling"  # cancel requested; workers stop at the next item
    COMPLETED = "completed"  # every item handled (some may have failed: see `failed`)
    FAILED = "failed"  # a job-level error stopped it (auth, shop down, worker lost)
    CANCELLED = "cancelled"  # stopped on request; unhandled items counted as skipped

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL

    @property
    def is_active(self) -> bool:
        return self in ACTIVE


TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
ACTIVE = frozenset({JobStatus.PENDING, JobStatus.RUNNING, JobStatus.CANCELLING})

# from -> allowed targets. RUNNING -> PENDING is the reaper handing a job whose worker
# died back to the queue to resume from its checkpoint.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.RUNNING, JobStatus.CANCELLED, JobStatus.FAILED}),
    JobStatus.RUNNING: frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLING, JobStatus.PENDING}),
    JobStatus.CANCELLING: frozenset({JobStatus.CANCELLED, JobStatus.COMPLETED, JobStatus.FAILED}),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


class InvalidTransition(Exception):
    """A state change the job's current state does not allow."""

    def __init__(self, job_id: int, current: str, target: str) -> None:
        super().__init__(f"job {job_id}: cannot go from {current} to {target}")
        self.job_id, self.current, self.target = job_id, current, target


class JobError(Exception):
    """A job-level failure (the shop was deleted, …) whose message is for the operator."""


def sources_of(target: JobStatus) -> frozenset[JobStatus]:
    """The states from which `target` may be entered; used in conditional UPDATEs."""
    return frozenset(src for src, targets in TRANSITIONS.items() if target in targets)


def check_transition(job_id: int, current: str, target: JobStatus) -> None:
    if target not in TRANSITIONS[JobStatus(current)]:
        raise InvalidTransition(job_id, current, target)


def percent(processed: int, total: int) -> float:
    if total <= 0:
        return 0.0
    return round(min(100.0, 100.0 * processed / total), 1)


@dataclass
class RateMeter:
    """Smoothed items-per-second from (time, processed) samples.

    An exponentially weighted moving average over sample intervals, so one slow page
    does not swing the ETA. Nothing is reported until `warmup_s` of work and
    `warmup_items` items: early rates mislead more than they help.
    """

    half_life_s: float = 5.0
    warmup_s: float = 2.0
    warmup_items: int = 5
    _rate: float | None = None
    _first_t: float | None = None
    _last_t: float | None = None
    _last_n: int = 0

    def sample(self, t: float, processed: int) -> None:
        if self._last_t is None or self._first_t is None:
            self._first_t, self._last_t, self._last_n = t, t, processed
            return
        dt, dn = t - self._last_t, processed - self._last_n
        if dt <= 0:
            return
        inst = max(dn, 0) / dt
        weight = 1 - 0.5 ** (dt / self.half_life_s)
        self._rate = inst if self._rate is None else self._rate + weight * (inst - self._rate)
        self._last_t, self._last_n = t, processed

    def rate(self) -> float | None:
        warm = (
            self._first_t is not None
            and self._last_t is not None
            and self._last_t - self._first_t >= self.warmup_s
            and self._last_n >= self.warmup_items
        )
        return round(self._rate, 2) if warm and self._rate is not None else None

    def eta(self, processed: int, total: int) -> float | None:
        rate = self.rate()
        if rate is None or rate <= 0 or total <= 0:
            return None
        return round(max(total - processed, 0) / rate, 1)


def estimate(processed: int, total: int, elapsed_s: float | None) -> tuple[float | None, float | None]:
    """Rate and ETA for a reader that only has the row (web, CLI): the mean rate so far.

    Readers see a job at unpredictable moments, so they use the average since start,
    gated by the same warm-up as the writer-side meter.
    """
    if elapsed_s is None or elapsed_s < 2.0 or processed < 5:
        return None, None
    rate = processed / elapsed_s
    eta = max(total - processed, 0) / rate if total > 0 else None
    return round(rate, 2), (round(eta, 1) if eta is not None else None)


_QUOTED = re.compile(r"""(["'])(?:(?!\1).){0,200}\1""")
_NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?\d+(?:[.,]\d+)*")
CAUSE_MAX = 255


def cause_of(message: str, sku: str = "") -> str:
    """The message with its particulars (SKU, quoted values, numbers) replaced by placeholders.

    Failures that differ only in those particulars share a cause, so the error view can
    say "412 x price 'N' is not a valid price" instead of listing 412 near-identical lines.
    """
    text = message.replace(sku, "{sku}") if sku else message
    text = _QUOTED.sub("'…'", text)
    text = _NUMBER.sub("N", text)
    return " ".join(text.split())[:CAUSE_MAX]
