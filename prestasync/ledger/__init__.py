"""The job ledger's writes: jobs and their items change state here and nowhere else.

Every state change is a conditional UPDATE (`... WHERE status IN (:allowed)`) built from the
tables in `progress.py`, so two processes racing to change one job or item can never both
win, and nothing is read, changed in Python and written back.

Lock order. A transaction that touches a job's items first locks the job's row (`lock()`:
`SELECT … FOR UPDATE`; SQLite's `BEGIN IMMEDIATE` already serialises writers), then its
items. Taking them in the opposite order in two writers is how MariaDB deadlocks (a tracker
closing items then counting them on the job row, against a finisher changing the job then
skipping its items). With one order there is no cycle.

A job in a final state is frozen: `record()` and every item write check, under the job's
lock, that the job is still being worked on, and drop late writes of a chunk that outlived
its job instead of changing the counts of an ended job.
"""

from prestasync.ledger.items import (
    Close,
    NewItem,
    add_items,
    claim,
    count_items,
    plan,
    release,
    skip_open,
)
from prestasync.ledger.jobs import BATCH, cleanup, create_job, heartbeat, lock, transition
from prestasync.ledger.report import Delta, finish, record, request_cancel

__all__ = [
    "BATCH",
    "Close",
    "Delta",
    "NewItem",
    "add_items",
    "claim",
    "cleanup",
    "count_items",
    "create_job",
    "finish",
    "heartbeat",
    "lock",
    "plan",
    "record",
    "release",
    "request_cancel",
    "skip_open",
    "transition",
]
