"""The progress-tracking core: job and item states, their legal transitions, the actions a
person may take on a job, rate and ETA. Pure: the standard library only, no I/O.

Everything that changes a state elsewhere asks these tables first and then writes with a
conditional UPDATE (`... WHERE status IN sources_of(target)`), so the tables are the whole
truth about what may happen to a job or an item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class JobType(StrEnum):
    IMPORT = "import"  # shop -> catalogue
    EXPORT = "export"  # catalogue -> shop, all products or chosen SKUs
    SYNC = "sync"  # catalogue -> shop, products changed since the last successful sync
    FILE_IMPORT = "file_import"  # a CSV or XLSX file -> catalogue; no shop (`shop_name` is the file's name)


class JobStatus(StrEnum):
    PENDING = "pending"  # created and queued; no worker has picked it up yet
    RUNNING = "running"  # a worker is processing items and heartbeating
    HELD = "held"  # the change guard stopped it before writing; waits for a person to confirm
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
ACTIVE = frozenset({JobStatus.PENDING, JobStatus.RUNNING, JobStatus.HELD, JobStatus.CANCELLING})
# States in which workers may still write counts and items; a held job is parked, not worked on.
WORKING = frozenset({JobStatus.RUNNING, JobStatus.CANCELLING})

# from -> allowed targets. RUNNING -> PENDING is the reaper handing a job whose worker
# died back to the queue to resume from its checkpoint; HELD -> PENDING is a confirmation.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.RUNNING, JobStatus.CANCELLED, JobStatus.FAILED}),
    JobStatus.RUNNING: frozenset(
        {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLING, JobStatus.PENDING, JobStatus.HELD}
    ),
    JobStatus.HELD: frozenset({JobStatus.PENDING, JobStatus.CANCELLED, JobStatus.FAILED}),
    JobStatus.CANCELLING: frozenset({JobStatus.CANCELLED, JobStatus.COMPLETED, JobStatus.FAILED}),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


class ItemState(StrEnum):
    """Where one item (a product, a file row, a shop record) of a job stands."""

    QUEUED = "queued"  # planned; no worker has it
    RUNNING = "running"  # claimed by one worker (its lease); being read, compared or written
    PLANNED = "planned"  # read and compared: changes wait for the write phase (or, in a preview, for apply)
    DONE = "done"  # handled; `outcome` says created, updated or unchanged
    FAILED = "failed"  # handled and failed; `message` and `cause` say why
    SKIPPED = "skipped"  # not handled: the job ended first, the record vanished, or it drifted

    @property
    def is_final(self) -> bool:
        return self in ITEM_FINAL


ITEM_FINAL = frozenset({ItemState.DONE, ItemState.FAILED, ItemState.SKIPPED})
ITEM_OPEN = frozenset({ItemState.QUEUED, ItemState.RUNNING, ItemState.PLANNED})
# RUNNING -> QUEUED: the reaper takes items back from a dead worker; they are read again.
ITEM_TRANSITIONS: dict[ItemState, frozenset[ItemState]] = {
    ItemState.QUEUED: frozenset({ItemState.RUNNING, ItemState.SKIPPED}),
    ItemState.RUNNING: frozenset(
        {ItemState.DONE, ItemState.FAILED, ItemState.SKIPPED, ItemState.PLANNED, ItemState.QUEUED}
    ),
    ItemState.PLANNED: frozenset({ItemState.RUNNING, ItemState.SKIPPED}),
    ItemState.DONE: frozenset(),
    ItemState.FAILED: frozenset(),
    ItemState.SKIPPED: frozenset(),
}
# An item may be written straight into these states (an import's failures and skips, a plan).
ITEM_INITIAL = frozenset({ItemState.QUEUED, ItemState.DONE, ItemState.FAILED, ItemState.SKIPPED})


class Outcome(StrEnum):
    """What happened (or, for a planned item, will happen) to an item's record."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DRIFT = "drift"  # the shop's record changed since the preview; not overwritten


class Action(StrEnum):
    """What a person may do to a job; the API sends the allowed ones and pages only read them."""

    CANCEL = "cancel"
    RETRY = "retry"
    RETRY_FAILED = "retry_failed"
    CONFIRM = "confirm"  # release a held job: write what the guard stopped
    APPLY = "apply"  # run exactly what a completed preview planned


# A file's failed rows are fixed in the file, not retried one by one: its jobs offer no `retry_failed`.
RETRIES_FAILED_ITEMS = frozenset({JobType.IMPORT, JobType.EXPORT, JobType.SYNC})


def allowed_actions(status: str, *, failed: int, preview: bool = False, kind: str | None = None) -> frozenset[Action]:
    """The actions a job in `status` (of type `kind`, when known) allows. Rules that need the
    database (one active retry per job) are checked again when the action is taken."""
    state = JobStatus(status)
    actions: set[Action] = set()
    if state in (JobStatus.PENDING, JobStatus.RUNNING, JobStatus.HELD):
        actions.add(Action.CANCEL)
    if state == JobStatus.HELD:
        actions.add(Action.CONFIRM)
    if state in TERMINAL:
        actions.add(Action.RETRY)
        if failed > 0 and (kind is None or kind in RETRIES_FAILED_ITEMS):
            actions.add(Action.RETRY_FAILED)
    if preview and state == JobStatus.COMPLETED:
        actions.add(Action.APPLY)
    return frozenset(actions)


def item_sources_of(target: ItemState) -> frozenset[ItemState]:
    """The item states from which `target` may be entered; used in conditional UPDATEs."""
    return frozenset(src for src, targets in ITEM_TRANSITIONS.items() if target in targets)


def sources_of(target: JobStatus) -> frozenset[JobStatus]:
    """The states from which `target` may be entered; used in conditional UPDATEs."""
    return frozenset(src for src, targets in TRANSITIONS.items() if target in targets)


def may_transition(current: str, target: JobStatus) -> bool:
    """Whether a job in `current` may move to `target` (the ledger raises when it may not)."""
    return target in TRANSITIONS[JobStatus(current)]


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
_RECORD = re.compile(r"\b(product|combination|image|category|row|item)\s+#?\d+", re.IGNORECASE)
CAUSE_MAX = 255


def cause_of(message: str, sku: str = "") -> str:
    """The message as a sentence that failures of the same kind share: its particulars taken out.

    The SKU becomes "the product", a record number ("product #12") "a product", and a quoted
    value "…", so the error view can say "412 × price '…' is not a valid price" and group them,
    and still read as a sentence, without template placeholders. Where a message carries other
    particulars, its writer passes an explicit cause instead (`ledger.NewItem.cause`).
    """
    text = message.replace(sku, "the product") if sku and len(sku) > 1 else message
    text = _QUOTED.sub("'…'", text)
    text = _RECORD.sub(lambda m: f"a {m.group(1).lower()}", text)
    return " ".join(text.split())[:CAUSE_MAX]
