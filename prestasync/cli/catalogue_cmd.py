"""`catalogue import|export`, `catalogue profiles list|save|delete`, and `jobs report`.

They work through a `FilesBackend` (files_backend.py): the local database, or a remote
server when PRESTASYNC_SERVER_URL is set. A file to import becomes a `file_import` job like
any other (`jobs watch`, `jobs errors`, the dashboard); the format of a file written follows
its extension (.csv or .xlsx).
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from prestasync.cli.common import cells, print_json, print_json_list
from prestasync.cli.files_backend import files_backend
from prestasync.cli.jobs_cmd import _watch, jobs_app
from prestasync.contract import JobOut, ProfileOptions
from prestasync.errors import InvalidInput
from prestasync.progress import JobStatus, JobType

catalogue_app = typer.Typer(no_args_is_help=True, help="The catalogue as CSV/XLSX files: import, export, profiles.")
profiles_app = typer.Typer(no_args_is_help=True, help="Saved column mappings for files of one shape.")
out = Console(highlight=False, markup=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
STATUSES = {s.value for s in JobStatus} | {"active", "finished"}


def register(app: typer.Typer) -> None:
    app.add_typer(catalogue_app, name="catalogue")
    catalogue_app.add_typer(profiles_app, name="profiles")
    jobs_app.command("report")(report)


@catalogue_app.command("import")
def import_file(
    file: Path = typer.Argument(..., help="A .csv or .xlsx file.", dir_okay=False),
    profile: str = typer.Option("", help="Read it with this saved profile (see `catalogue profiles`)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only compare: show the changes, write nothing."),
    wait: bool = typer.Option(False, help="Block until the job ends; exit 1 unless it completed."),
    as_json: bool = typer.Option(False, "--json", help="Print the job as JSON."),
) -> None:
    """Import a CSV or XLSX file into the catalogue, as a job (watch it with `jobs watch`)."""
    be = files_backend()
    job = be.import_file(file, profile or None, dry_run)
    ignored = job.params.get("ignored_columns") or []
    if ignored:
        err.print("note: these columns are not catalogue columns and are ignored: " + ", ".join(map(repr, ignored)))
    if not wait:
        if as_json:
            print_json(job)
        else:
            what = "dry run" if dry_run else "import"
            out.print(f"job {job.id} queued: {what} of {job.shop_name!r} (watch: jobs watch {job.id})")
        return
    (final,) = _watch(be, [job.id])
    if as_json:
        print_json(final)
    else:
        _summary(final)
    raise typer.Exit(0 if final.status == JobStatus.COMPLETED else 1)


def _summary(job: JobOut) -> None:
    verb = "would create" if job.preview else "created"
    out.print(
        f"job {job.id} {job.status}: {job.processed}/{job.total} rows, {job.failed} rejected; "
        f"{verb} {job.created}, {'would update' if job.preview else 'updated'} {job.updated}, unchanged {job.unchanged}"
    )
    if job.failed:
        out.print(f"rejected rows: prestasync jobs errors {job.id}")
    if job.preview and (job.created or job.updated):
        out.print(f"nothing was written; the API's POST /api/catalogue/imports/{job.id}/apply imports it")
    if job.error_message:
        err.print(f"job {job.id}: {job.error_message}")


@catalogue_app.command("export")
def export(file: Path = typer.Argument(..., help="Where to write: .csv or .xlsx (the format follows).")) -> None:
    """Write the whole catalogue to a CSV or XLSX file that `catalogue import` reads back as it is."""
    files_backend().export_catalogue(file)
    out.print(f"catalogue written to {file}")


@profiles_app.command("list")
def list_profiles(as_json: bool = typer.Option(False, "--json")) -> None:
    """Saved profiles with their mappings."""
    found = files_backend().profiles()
    if as_json:
        print_json_list(iter(found))
        return
    table = Table("name", "mapping", "options")
    for p in found:
        mapping = ", ".join(f"{k} -> {v or '(ignored)'}" for k, v in p.mapping.items())
        table.add_row(*cells(p.name, mapping, _options_text(p.options)))
    out.print(table)


def _options_text(options: ProfileOptions) -> str:
    shown = options.model_dump(exclude_defaults=True)
    return ", ".join(f"{k}={v!r}" for k, v in shown.items()) or "defaults"


@profiles_app.command("save")
def save_profile(
    name: str = typer.Argument(..., help="The profile's name (an existing one is replaced)."),
    map_: list[str] = typer.Option(
        [], "--map", help="FILE_COLUMN=CATALOGUE_COLUMN, e.g. 'Cena netto=price' (repeat; empty right side ignores)."
    ),
    delimiter: str = typer.Option("", help="CSV delimiter (one character; guessed when left out)."),
    encoding: str = typer.Option("utf-8", help="CSV encoding, e.g. utf-8, cp1250, iso-8859-2."),
    decimal_comma: bool = typer.Option(False, "--decimal-comma", help="Numbers are written 12,50."),
    sheet: str = typer.Option("", help="XLSX sheet to read (the first when left out)."),
) -> None:
    """Save a column mapping and reading options under a name."""
    mapping: dict[str, str] = {}
    for pair in map_:
        column, sep, target = pair.partition("=")
        if not sep or not column.strip():
            raise InvalidInput(f"--map {pair!r}: write FILE_COLUMN=CATALOGUE_COLUMN")
        mapping[column.strip()] = target.strip()
    if delimiter == "\\t":
        delimiter = "\t"
    if len(delimiter) > 1:
        raise InvalidInput("--delimiter is one character")
    options = ProfileOptions(delimiter=delimiter, encoding=encoding, decimal_comma=decimal_comma, sheet=sheet)
    saved = files_backend().save_profile(name, mapping, options)
    out.print(f"profile {saved.name!r} saved: {len(saved.mapping)} mapped columns, {_options_text(saved.options)}")


@profiles_app.command("delete")
def delete_profile(name: str = typer.Argument(...)) -> None:
    """Delete a saved profile (jobs started with it keep their copy)."""
    files_backend().delete_profile(name)
    out.print(f"profile {name!r} deleted")


def report(
    file: Path = typer.Argument(..., help="Where to write: .csv or .xlsx (the format follows)."),
    status: str = typer.Option("", help="pending|running|…|completed|failed|cancelled|active|finished"),
    shop: str = typer.Option("", help="Only this shop's jobs."),
    type: str = typer.Option("", "--type", help="import|export|sync|file_import"),
) -> None:
    """Job history, one row per job matching the filters, as CSV or XLSX."""
    if status and status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}")
    if type and type not in {t.value for t in JobType}:
        raise InvalidInput(f"unknown type {type!r}; one of {', '.join(t.value for t in JobType)}")
    files_backend().jobs_report(file, status or None, shop or None, type or None)
    sys.stdout.write(f"report written to {file}\n")
