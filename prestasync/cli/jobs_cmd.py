"""`import`, `export`, `sync`, `jobs …` and `cleanup`.

All but `cleanup` work through a `Backend`: the local database, or a remote server when
PRESTASYNC_SERVER_URL is set (see backend.py). Jobs are the API's `JobOut` either way.
"""

from __future__ import annotations

import csv
import sys
import time

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from prestasync import ledger
from prestasync.cli.backend import Backend
from prestasync.cli.common import cells, print_json, print_json_list, runtime, shown
from prestasync.cli.mode import backend, local_only
from prestasync.contract import CHANGES_CSV, FAILURES_CSV, ID_MAX, JobOut, change_rows, failure_row
from prestasync.errors import InvalidInput
from prestasync.models import SKU_MAX
from prestasync.progress import JobStatus, JobType

jobs_app = typer.Typer(no_args_is_help=True, help="Inspect and control jobs.")
out = Console(highlight=False, markup=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
VERBS = {"import": "Importing", "export": "Exporting", "sync": "Syncing", "file_import": "Importing file"}


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
    app.command("sync")(sync)
    app.command("cleanup")(cleanup)
    app.add_typer(jobs_app, name="jobs")


def _start(type: JobType, shop_names: list[str], params: dict[str, object], wait: bool) -> None:
    """One job per shop (grouped when several); with `wait`, exit 0 only if every job completed."""
    be = backend()
    started = be.start(type, list(dict.fromkeys(shop_names)), params)
    if not wait:
        for job in started:
            out.print(f"job {job.id} queued: {type.value} with shop {job.shop_name!r} (watch: jobs watch {job.id})")
        return
    finals = _watch(be, [job.id for job in started])
    for final in finals:
        out.print(_outcome_line(final))
        if final.error_message:
            err.print(f"job {final.id}: {final.error_message}")
        if final.status == JobStatus.HELD:
            err.print(f"job {final.id} waits for confirmation: prestasync jobs confirm {final.id}")
    raise typer.Exit(_exit_code(finals))


def _exit_code(finals: list[JobOut]) -> int:
    """0 when every job completed, 3 when one waits for confirmation (held), else 1."""
    if all(j.status == JobStatus.COMPLETED for j in finals):
        return 0
    return 3 if any(j.status == JobStatus.HELD for j in finals) else 1


def _outcome_line(job: JobOut) -> str:
    line = f"job {job.id} {job.status}: {job.processed}/{job.total} processed, {job.failed} failed"
    if job.type != JobType.IMPORT or job.created or job.updated:
        verbs = ("would create", "would update") if job.preview else ("created", "updated")
        line += f"; {verbs[0]} {job.created}, {verbs[1]} {job.updated}, unchanged {job.unchanged}"
    return line


SHOPS = typer.Option(..., "--shop", help="The shop's name; repeat it for one job per shop.")
WAIT = typer.Option(False, help="Block until the jobs end (or wait held); exit 0 completed, 3 held, 1 otherwise.")
DRY_RUN = typer.Option(False, "--dry-run", help="Preview: read and compare, write nothing (see `jobs changes`).")
CONFIRM = typer.Option(False, "--confirm", help="Approve in advance: the change guard does not hold this job.")


def _flags(dry_run: bool, confirm: bool) -> dict[str, object]:
    return {k: True for k, v in (("dry_run", dry_run), ("confirmed", confirm)) if v}


def import_(
    shop: list[str] = SHOPS,
    since: str | None = typer.Option(None, help="Only products changed since this ISO date/time (UTC)."),
    wait: bool = WAIT,
) -> None:
    """Import shops' products into the catalogue."""
    _start(JobType.IMPORT, shop, {"since": since} if since is not None else {}, wait)


def export(
    shop: list[str] = SHOPS,
    sku: list[str] = typer.Option([], help="Export only these SKUs (repeatable); all when omitted."),
    wait: bool = WAIT,
    dry_run: bool = DRY_RUN,
    confirm: bool = CONFIRM,
) -> None:
    """Push catalogue products to shops: only what differs is written."""
    _start(JobType.EXPORT, shop, {**({"skus": _skus(sku)} if sku else {}), **_flags(dry_run, confirm)}, wait)


def _skus(given: list[str]) -> list[str]:
    """`--sku` values; an empty or blank one is refused rather than read as "everything"."""
    if any(not s.strip() for s in given):
        raise InvalidInput("--sku: a SKU is empty or blank; leave --sku out to export everything")
    if any(len(s.strip()) > SKU_MAX for s in given):
        raise InvalidInput(f"--sku: a SKU is at most {SKU_MAX} characters")
    return [s.strip() for s in given]


def sync(shop: list[str] = SHOPS, wait: bool = WAIT, dry_run: bool = DRY_RUN, confirm: bool = CONFIRM) -> None:
    """Push the products changed since the last successful sync (or full export) with each shop."""
    _start(JobType.SYNC, shop, _flags(dry_run, confirm), wait)


def cleanup(days: int = typer.Option(7, min=0, max=36_500, help="Delete finished jobs older than this.")) -> None:
    """Delete finished jobs (and their item rows) older than DAYS days (on the server only)."""
    local_only("cleanup")
    rt = runtime()
    out.print(f"deleted {ledger.cleanup(rt.engine, days)} finished jobs older than {days} days")


JOB_ID = typer.Argument(..., min=1, max=ID_MAX, help="A job id.")


@jobs_app.command("list")
def list_(
    status: str = typer.Option("", help="pending|running|held|cancelling|completed|failed|cancelled|active|finished"),
    shop: str = typer.Option("", help="Only this shop's jobs."),
    limit: int = typer.Option(None, min=1, max=1_000_000, help="At most this many (tables: 20; --json: all)."),
    as_json: bool = typer.Option(False, "--json", help="Every matching job as a JSON array, unless --limit."),
) -> None:
    """Jobs, newest first."""
    if status and status not in {s.value for s in JobStatus} | {"active", "finished"}:
        raise InvalidInput(f"unknown status {status!r}")
    listing = backend().list_jobs(status or None, shop or None, limit if limit or as_json else 20)
    if as_json:
        print_json_list(listing.items)
        return
    table = Table("id", "type", "shop", "status", "progress", "failed", "created")
    count = 0
    for r in listing.items:
        progress = f"{r.processed}/{r.total} ({r.percent}%)"
        table.add_row(*cells(r.id, r.type, r.shop_name, r.status, progress, r.failed, r.created_at))
        count += 1
    out.print(table)
    if note := shown(count, listing.total):
        out.print(note)


@jobs_app.command("show")
def show(job_id: int = JOB_ID, as_json: bool = typer.Option(False, "--json")) -> None:
    """One job."""
    job = backend().get_job(job_id)
    if as_json:
        print_json(job)
        return
    for key, value in job.model_dump(mode="json").items():
        out.print(f"{key:>16}: {value}")


@jobs_app.command("errors")
def errors(job_id: int = JOB_ID, as_csv: bool = typer.Option(False, "--csv", help="CSV on stdout.")) -> None:
    """Every failed item of a job (the full ledger, page by page)."""
    be = backend()
    be.get_job(job_id)  # an unknown job is an error before any output, not after a CSV header
    writer = csv.writer(sys.stdout) if as_csv else None
    if writer:
        writer.writerow(FAILURES_CSV)
    for item in be.failed_items(job_id):
        if writer:
            writer.writerow(failure_row(item))
        else:
            out.print(f"{item.sku}\t{item.error_code or ''}\t{item.message or ''}")


@jobs_app.command("cancel")
def cancel(job_id: int = JOB_ID) -> None:
    """Cancel a pending, running or held job."""
    job = backend().cancel(job_id)
    out.print(f"job {job.id} is {job.status}")


@jobs_app.command("retry")
def retry(job_id: int = JOB_ID, failed_only: bool = typer.Option(False, help="Only the failed items.")) -> None:
    """Run a finished job again as a new job."""
    job = backend().retry(job_id, failed_only)
    chosen = job.params.get("skus") or job.params.get("remote_ids")
    what = f"the {len(chosen)} failed items" if failed_only and chosen else "same parameters"
    out.print(f"job {job.id} queued: retry of job {job_id} ({what})")


@jobs_app.command("confirm")
def confirm(job_id: int = JOB_ID) -> None:
    """Release a job the change guard held: it writes its plan."""
    job = backend().confirm(job_id)
    out.print(f"job {job.id} confirmed: it writes its plan now (watch: jobs watch {job.id})")


@jobs_app.command("apply")
def apply(job_id: int = JOB_ID, confirm: bool = CONFIRM) -> None:
    """Write exactly what a completed preview (`--dry-run`) planned, as a new job."""
    job = backend().apply(job_id, confirm)
    out.print(f"job {job.id} queued: applies preview {job_id} (watch: jobs watch {job.id})")


@jobs_app.command("changes")
def changes(
    job_id: int = JOB_ID,
    as_csv: bool = typer.Option(False, "--csv", help="One CSV row per changed field on stdout."),
    outcome: str = typer.Option("", help="created | updated | drift"),
    field: str = typer.Option("", help="Only products whose changes touch this field (price, stock, name…)."),
) -> None:
    """What a job changed (a preview: would change), product by product, before → after."""
    if outcome and outcome not in ("created", "updated", "drift"):
        raise InvalidInput(f"unknown outcome {outcome!r}: created, updated or drift")
    be = backend()
    listing = be.changes(job_id, outcome or None, field or None)
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(CHANGES_CSV)
        for item in listing.items:
            writer.writerows(change_rows(item))
        return
    summary = be.change_summary(job_id)
    fields = ", ".join(f"{name} {n}" for name, n in summary.fields.items()) or "none"
    out.print(
        f"new {summary.created}, updated {summary.updated} ({fields}), unchanged {summary.unchanged}, "
        f"drift {summary.drift}, failed {summary.failed}"
    )
    for item in listing.items:
        for row in change_rows(item):
            out.print("\t".join(row))


@jobs_app.command("watch")
def watch(
    job_id: int = typer.Argument(None, min=1, max=ID_MAX, help="A job; all active jobs when omitted."),
) -> None:
    """Live progress bars until the watched jobs end."""
    be = backend()
    if job_id is None:
        ids = [j.id for j in be.list_jobs("active", None, 50).items]
        if not ids:
            out.print("no active jobs")
            return
    else:
        ids = [job_id]
    for job in _watch(be, ids):
        out.print(f"job {job.id} {job.status}: {job.processed}/{job.total}, {job.failed} failed")


def _watch(be: Backend, ids: list[int]) -> list[JobOut]:
    """Poll the jobs until all are terminal, drawing bars when stdout is a terminal."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=out, disable=not out.is_terminal, transient=False) as bars:
        tasks: dict[int, TaskID] = {i: bars.add_task(f"job {i}", total=None, counts="") for i in ids}
        while True:
            current = [be.get_job(i) for i in ids]
            for job in current:
                _draw(bars, tasks[job.id], job)
            if all(j.status.is_terminal or j.status == JobStatus.HELD for j in current):
                return current  # a held job waits for a person: no use watching it
            time.sleep(be.poll_s)


def _draw(bars: Progress, task: TaskID, job: JobOut) -> None:
    verb = VERBS.get(job.type, job.type)
    bars.update(
        task,
        description=f"{verb}… {job.shop_name} [{job.status}]",
        total=job.total or None,
        completed=job.processed,
        counts=f"{job.processed}/{job.total} ({job.failed} failed)",
    )
