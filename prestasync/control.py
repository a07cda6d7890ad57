"""Job control shared by the API and the CLI: start, cancel, retry.

Owns the rules both front ends must agree on: parameter validation, one job per shop
grouped under one `group_uuid`, enqueue only after the job row is committed, and at most
one active retry per job.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from prestasync import ledger, queries
from prestasync.contract import ID_MAX
from prestasync.errors import ControlError, InvalidInput, InvalidTransition, JobNotFound, ShopNotFound
from prestasync.importer import parse_since
from prestasync.models import SKU_MAX, Job, JobItem, Shop
from prestasync.progress import ACTIVE, Action, ItemState, JobStatus, JobType, allowed_actions
from prestasync.queue import JobQueue
from prestasync.runtime import Runtime

SKU_LIMIT = 100_000
log = logging.getLogger(__name__)


ALLOWED = {
    JobType.IMPORT: {"since", "remote_ids"},
    JobType.EXPORT: {"skus", "dry_run", "confirmed"},
    JobType.SYNC: {"dry_run", "confirmed"},
}


def validate_params(type: JobType, params: dict[str, Any]) -> dict[str, Any]:
    """Return the cleaned parameters a job of `type` accepts, or raise InvalidInput.

    `skus` given but empty (or only blanks) is refused: a script passing an empty variable
    must not export the whole catalogue; so is an empty id list or an empty `since` (leave a
    parameter out for "everything"). `dry_run` makes a preview; `confirmed` lets the change
    guard pass (the person starting the job has seen what it does).
    """
    if type == JobType.FILE_IMPORT:
        raise ControlError("a file import starts with its file: POST /api/catalogue/imports or `catalogue import`")
    unknown = set(params) - ALLOWED.get(type, set())
    if unknown:
        raise InvalidInput(f"unknown parameter(s) for {type.value}: {', '.join(sorted(unknown))}")
    clean: dict[str, Any] = {}
    if "since" in params:
        clean["since"] = _since(params["since"])
    if "skus" in params:
        clean["skus"] = _skus(params["skus"])
    if "remote_ids" in params:
        clean["remote_ids"] = _remote_ids(params["remote_ids"])
    for flag in ("dry_run", "confirmed"):
        if params.get(flag) not in (None, False, True):
            raise InvalidInput(f"{flag} must be true or false")
        if params.get(flag):
            clean[flag] = True
    return clean


def _since(value: Any) -> str:
    try:
        since = parse_since(value) if isinstance(value, str) and value.strip() else None
    except (ValueError, OverflowError):  # "9999-12-31T23:59-05:00" is past the last UTC datetime
        since = None
    if since is None:
        raise InvalidInput(f"since must be an ISO date or datetime, got {str(value)[:40]!r}")
    return since.isoformat()


def _skus(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise InvalidInput("skus must be a list of strings")
    if not value or any(not s.strip() for s in value):
        raise InvalidInput("skus must not be empty and no SKU may be blank; leave skus out to export everything")
    skus = sorted({s.strip() for s in value})
    if len(skus) > SKU_LIMIT:
        raise InvalidInput(f"at most {SKU_LIMIT} SKUs per job")
    if any(len(s) > SKU_MAX for s in skus):
        raise InvalidInput(f"a SKU is at most {SKU_MAX} characters")
    return skus


def _remote_ids(value: Any) -> list[int]:
    # bool is an int subclass: `true` is not an id.
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise InvalidInput("remote_ids must be a list of shop product ids")
    if not value or not all(1 <= i <= ID_MAX for i in value):
        raise InvalidInput(f"remote_ids must not be empty, and each id is 1 to {ID_MAX}")
    return sorted(set(value))


@dataclass
class Control:
    rt: Runtime
    queue: JobQueue

    def start(self, type: JobType, shop_ids: Sequence[int], params: dict[str, Any]) -> list[Job]:
        """Create one job per shop (grouped when several) and enqueue them after commit."""
        clean = validate_params(type, params)
        if not shop_ids:
            raise InvalidInput("name at least one shop")
        group = str(uuid.uuid4()) if len(shop_ids) > 1 else None
        with Session(self.rt.engine, expire_on_commit=False) as session:
            with session.begin():
                ids = [
                    ledger.create_job(session, type=type, shop=self._shop(session, sid), params=clean, group_uuid=group)
                    for sid in shop_ids
                ]
            for job_id in ids:
                self._enqueue(job_id)
            return [queries.get_job(session, job_id) for job_id in ids]

    def _enqueue(self, job_id: int) -> None:
        """Hand a committed job to the queue. If the queue is down, the job stays pending and
        the reaper enqueues it again once the queue is back: nothing is lost, nothing fails."""
        try:
            self.queue.enqueue_job(job_id)
        except Exception:
            log.warning("job %d: queue unavailable, the reaper will enqueue it again", job_id, exc_info=True)

    def _shop(self, session: Session, shop_id: int) -> Shop:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise ShopNotFound(f"no shop with id {shop_id}")
        return shop

    def cancel(self, job_id: int) -> Job:
        """Cancel the job if `progress.allowed_actions` allows it (pending, running, held), else refuse."""
        with Session(self.rt.engine, expire_on_commit=False) as session:
            with session.begin():
                status = ledger.lock(session, job_id)
                if Action.CANCEL not in allowed_actions(status, failed=0):
                    allowed = "only pending, running or held jobs can be cancelled"
                    raise ControlError(f"job {job_id} is {status}; {allowed}")
                try:
                    ledger.request_cancel(session, job_id)
                except InvalidTransition as exc:
                    raise ControlError(f"job {job_id} is {exc.current}; only active jobs can be cancelled") from exc
            return queries.get_job(session, job_id)

    def retry(self, job_id: int, *, failed_only: bool = False) -> Job:
        """A new job with the same parameters, or with exactly the failed items, linked by `retry_of`.

        The original row is locked (write-locked on SQLite) while we look for an active
        retry, so two retries clicked at once produce one job and one clear refusal.
        """
        with Session(self.rt.engine, expire_on_commit=False) as session:
            with session.begin():
                bump = update(Job).where(Job.id == job_id).values(version=Job.version + 1)
                if session.execute(bump.execution_options(synchronize_session=False)).rowcount != 1:  # type: ignore[attr-defined]
                    raise JobNotFound(job_id)
                original = queries.get_job(session, job_id)
                self._check_retryable(session, original, failed_only)
                params = self._retry_params(session, original, failed_only)
                shop = session.get(Shop, original.shop_id) if original.shop_id else None
                if shop is None and original.type != JobType.FILE_IMPORT:  # a file import has no shop
                    raise ControlError("the job's shop was deleted; start a new job instead")
                new_id = ledger.create_job(
                    session,
                    type=JobType(original.type),
                    shop=shop,
                    params=params,
                    retry_of=original.id,
                    label=original.shop_name,
                )
            self._enqueue(new_id)
            return queries.get_job(session, new_id)

    def confirm(self, job_id: int) -> Job:
        """Release a job the change guard held: it writes its plan as it stands."""
        with Session(self.rt.engine, expire_on_commit=False) as session:
            with session.begin():
                if ledger.lock(session, job_id) != JobStatus.HELD:
                    status = queries.get_status(session, job_id)
                    raise ControlError(f"job {job_id} is {status}; only a held job can be confirmed")
                job = queries.get_job(session, job_id)
                params = {**job.params, "confirmed": True}
                ledger.transition(session, job_id, JobStatus.PENDING, params=params, error_message=None)
            self._enqueue(job_id)
            return queries.get_job(session, job_id)

    def apply(self, job_id: int, *, confirmed: bool = False) -> Job:
        """Write exactly what a completed preview planned, as a new job (`params.apply_of`).

        Products whose shop record changed since the preview are reported as drift, not written.
        """
        with Session(self.rt.engine, expire_on_commit=False) as session:
            with session.begin():
                ledger.lock(session, job_id)
                preview = queries.get_job(session, job_id)
                if not preview.params.get("dry_run") or preview.status != JobStatus.COMPLETED:
                    raise ControlError(f"job {job_id} is not a completed preview; only those can be applied")
                shop = self._shop(session, preview.shop_id) if preview.shop_id else None
                if shop is None:
                    raise ControlError("the preview's shop was deleted")
                params: dict[str, Any] = {"apply_of": preview.id}
                if confirmed:
                    params["confirmed"] = True
                new_id = ledger.create_job(session, type=JobType(preview.type), shop=shop, params=params)
            self._enqueue(new_id)
            return queries.get_job(session, new_id)

    def _check_retryable(self, session: Session, original: Job, failed_only: bool) -> None:
        """Refuse what `progress.allowed_actions` refuses, then the rule it cannot see: one active retry."""
        if failed_only and original.type == JobType.FILE_IMPORT:
            raise ControlError("a file's failed rows are fixed in the file: correct it and import it again")
        action = Action.RETRY_FAILED if failed_only else Action.RETRY
        preview = bool(original.params.get("dry_run"))
        if action not in allowed_actions(original.status, failed=original.failed, preview=preview, kind=original.type):
            if JobStatus(original.status) in ACTIVE:
                raise ControlError(f"job {original.id} is still {original.status}; cancel it or wait for it to end")
            raise ControlError(f"job {original.id} has no failed items to retry")
        active = session.execute(
            select(Job.id).where(Job.retry_of == original.id, Job.status.in_([s.value for s in ACTIVE]))
        ).scalar()
        if active is not None:
            raise ControlError(f"job {original.id} is already being retried by job {active}")

    def _retry_params(self, session: Session, original: Job, failed_only: bool) -> dict[str, Any]:
        params = {k: v for k, v in original.params.items() if k not in ("sync_started_at", "confirmed")}
        if not failed_only:
            return params
        items = list(
            session.execute(
                select(JobItem.sku, JobItem.remote_id).where(
                    JobItem.job_id == original.id, JobItem.state == ItemState.FAILED.value
                )
            )
        )
        if not items:
            raise ControlError(f"job {original.id} has no failed items to retry")
        if original.type == JobType.IMPORT:
            ids = sorted({rid for _, rid in items if rid is not None})
            if not ids:  # an empty list would import nothing, and look like success
                raise ControlError(f"job {original.id}'s failed items carry no shop product ids to import again")
            return {"remote_ids": ids}
        return {"skus": sorted({sku for sku, _ in items})}
