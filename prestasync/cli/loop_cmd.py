"""`schedules …`, `webhooks …`, `deliveries list` and `notifications …`: the operator's daily loop.

Every command works through a `LoopBackend` (loop_backend.py): the local database, or a
remote server when PRESTASYNC_SERVER_URL is set. Input is checked here with the checks the
API itself runs (`schedules.Rule.check`, `webhooks.check_url`/`check_events`), so a bad cron
expression or event ends with the same exit-2 line in both modes, before anything is sent.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

from prestasync import schedules, webhooks
from prestasync.cli.common import cells, print_json, print_json_list, shown
from prestasync.cli.loop_backend import find_shop, loop_backend
from prestasync.contract import ID_MAX, DeliveryOut, ScheduleOut
from prestasync.errors import InvalidInput

schedules_app = typer.Typer(no_args_is_help=True, help="Syncs and imports started by the clock.")
webhooks_app = typer.Typer(no_args_is_help=True, help="Endpoints told about job events (signed POSTs).")
deliveries_app = typer.Typer(no_args_is_help=True, help="The delivery log: webhook calls and e-mails, every try.")
notifications_app = typer.Typer(no_args_is_help=True, help="The notification centre (the bell).")
out = Console(highlight=False, markup=False, soft_wrap=True)  # URLs and shop names are never markup
err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(schedules_app, name="schedules")
    app.add_typer(webhooks_app, name="webhooks")
    app.add_typer(deliveries_app, name="deliveries")
    app.add_typer(notifications_app, name="notifications")


SCHEDULE_ID = typer.Argument(..., min=1, max=ID_MAX, help="A schedule id (see `schedules list`).")
WEBHOOK_ID = typer.Argument(..., min=1, max=ID_MAX, help="A webhook id (see `webhooks list`).")
EVERY = typer.Option(None, "--every", min=1, max=schedules.MAX_EVERY_MIN, help="Run every MINUTES minutes.")
CRON = typer.Option(None, "--cron", help='Five-field cron expression, e.g. "0 3 * * *".')
TIMEZONE = typer.Option(None, "--timezone", help="The zone the cron expression is read in (default UTC).")
AS_JSON = typer.Option(False, "--json", help="The API's JSON shapes, as an array.")
LIMIT = typer.Option(None, min=1, max=1_000_000, help="At most this many (table: 20; --json: all).")


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _rule(row: ScheduleOut) -> str:
    if row.every_min is not None:
        return f"every {row.every_min} min"
    return f"cron {row.cron}" + ("" if row.timezone == "UTC" else f" ({row.timezone})")


def _summary(row: ScheduleOut) -> str:
    return f"{row.type} of {row.shop_name!r} {_rule(row)}; next run {_when(row.next_run_at)}"


def _kind(kind: str) -> str:
    if kind not in {k.value for k in schedules.KINDS}:
        raise InvalidInput(f"--kind: a schedule runs sync or import, not {kind!r}")
    return kind


@schedules_app.command("list")
def list_schedules(
    shop: str = typer.Option("", "--shop", help="Only this shop's (its name or id)."), as_json: bool = AS_JSON
) -> None:
    """Schedules by next run, paused ones last."""
    be = loop_backend()
    rows = be.list_schedules(find_shop(be, shop).id if shop else None)
    if as_json:
        print_json_list(rows)
        return
    table = Table("id", "shop", "kind", "rule", "next run", "state", "last")
    for r in rows:
        last = f"{r.last_outcome} (job {r.last_job_id})" if r.last_job_id else (r.last_outcome or "never ran")
        state, next_run = ("paused", "-") if r.paused else ("active", _when(r.next_run_at))
        table.add_row(*cells(r.id, r.shop_name, r.type, _rule(r), next_run, state, last))
    out.print(table)


@schedules_app.command("add")
def add_schedule(
    shop: str = typer.Option(..., "--shop", help="The shop (its name or id)."),
    kind: str = typer.Option(..., "--kind", help="sync | import"),
    every: int | None = EVERY,
    cron: str | None = CRON,
    timezone: str | None = TIMEZONE,
    as_json: bool = typer.Option(False, "--json", help="The new schedule as JSON."),
) -> None:
    """Add a schedule: `--every MINUTES` or `--cron "EXPR"` (one of the two)."""
    rule = schedules.Rule(every, cron, timezone or "UTC").check()
    kind = _kind(kind)
    be = loop_backend()
    row = be.add_schedule(find_shop(be, shop).id, kind, rule)
    if as_json:
        print_json(row)
        return
    out.print(f"schedule {row.id} added: {_summary(row)}")


@schedules_app.command("edit")
def edit_schedule(
    schedule_id: int = SCHEDULE_ID,
    every: int | None = EVERY,
    cron: str | None = CRON,
    timezone: str | None = TIMEZONE,
    kind: str | None = typer.Option(None, "--kind", help="sync | import (unchanged when left out)."),
    as_json: bool = typer.Option(False, "--json", help="The changed schedule as JSON."),
) -> None:
    """Change the rule (`--every` or `--cron`) or the kind; the next run is computed afresh."""
    if every is not None and cron is not None:
        raise InvalidInput("give either an interval in minutes or a cron expression, not both")
    kind = _kind(kind) if kind is not None else None
    be = loop_backend()
    now = be.get_schedule(schedule_id)  # unknown ids are refused before anything changes
    given = every is not None or cron is not None
    rule = schedules.Rule(
        every if given else now.every_min,
        cron if given else now.cron,
        timezone or now.timezone,
    ).check()
    row = be.edit_schedule(schedule_id, kind, rule)
    if as_json:
        print_json(row)
        return
    out.print(f"schedule {row.id} changed: {_summary(row)}")


@schedules_app.command("pause")
def pause(schedule_id: int = SCHEDULE_ID) -> None:
    """Pause a schedule: no runs until it is resumed."""
    row = loop_backend().pause_schedule(schedule_id, True)
    out.print(f"schedule {row.id} paused")


@schedules_app.command("resume")
def resume(schedule_id: int = SCHEDULE_ID) -> None:
    """Resume a schedule from its next slot (missed slots are not made up for)."""
    row = loop_backend().pause_schedule(schedule_id, False)
    out.print(f"schedule {row.id} resumed; next run {_when(row.next_run_at)}")


@schedules_app.command("delete")
def delete_schedule(schedule_id: int = SCHEDULE_ID) -> None:
    """Delete a schedule (the jobs it started stay)."""
    loop_backend().delete_schedule(schedule_id)
    out.print(f"schedule {schedule_id} deleted")


@webhooks_app.command("list")
def list_webhooks(as_json: bool = AS_JSON) -> None:
    """Webhook endpoints (never their secrets)."""
    rows = loop_backend().list_webhooks()
    if as_json:
        print_json_list(rows)
        return
    table = Table("id", "url", "events", "enabled", "created")
    for r in rows:
        table.add_row(*cells(r.id, r.url, ",".join(r.events), "yes" if r.enabled else "no", _when(r.created_at)))
    out.print(table)


@webhooks_app.command("add")
def add_webhook(
    url: str = typer.Argument(..., help="Where to POST: http(s)://host/…"),
    events: str = typer.Option(..., "--events", help="Comma-separated: completed,failed,held,cancelled."),
    as_json: bool = typer.Option(False, "--json", help="The new webhook as JSON, its secret included."),
) -> None:
    """Add an endpoint. Its signing secret is printed once, on stdout; it is never shown again."""
    chosen = webhooks.check_events([e.strip() for e in events.split(",") if e.strip()])
    row = loop_backend().add_webhook(webhooks.check_url(url), chosen)
    if as_json:
        print_json(row)
        return
    err.print(f"webhook {row.id} added for {row.url} ({', '.join(row.events)}); its signing secret, shown only once:")
    sys.stdout.write(row.secret + "\n")


@webhooks_app.command("delete")
def delete_webhook(webhook_id: int = WEBHOOK_ID) -> None:
    """Delete an endpoint and its delivery log."""
    loop_backend().delete_webhook(webhook_id)
    out.print(f"webhook {webhook_id} deleted")


@deliveries_app.command("list")
def list_deliveries(
    webhook: int | None = typer.Option(None, "--webhook", min=1, max=ID_MAX, help="Only this webhook's."),
    limit: int | None = LIMIT,
    as_json: bool = AS_JSON,
) -> None:
    """Deliveries newest first: state, tries and the last answer (`--json`: every try)."""
    listing = loop_backend().deliveries(webhook, limit if limit or as_json else 20)
    if as_json:
        print_json_list(listing.items)
        return
    table = Table("id", "to", "job", "event", "state", "tries", "last answer", "when")
    count = 0
    for r in listing.items:
        to = f"webhook {r.webhook_id}" if r.webhook_id else f"e-mail, user {r.user_id}"
        answer = f"{r.last_status or '-'} {' '.join((r.last_answer or '').split())[:60]}".strip()
        table.add_row(*cells(r.id, to, r.job_id, r.event, r.state, r.attempts, answer, _delivery_when(r)))
        count += 1
    out.print(table)
    if note := shown(count, listing.total):
        out.print(note)


def _delivery_when(row: DeliveryOut) -> str:
    """When it was delivered, when it is tried next, or when it was last tried (given up)."""
    if row.state == "done":
        return _when(row.delivered_at)
    if row.state == "pending":
        return f"next {_when(row.next_attempt_at)}"
    return _when(row.tries[-1].at if row.tries else row.created_at)


USER = typer.Option(None, "--user", help="Local mode: whose (default: the admin user). Remote: the token's user.")


@notifications_app.command("list")
def list_notifications(
    unread: bool = typer.Option(False, "--unread", help="Only the unread ones."),
    user: str | None = USER,
    limit: int | None = LIMIT,
    as_json: bool = AS_JSON,
) -> None:
    """Notifications newest first, in the user's language."""
    listing = loop_backend().notifications(user, unread, limit if limit or as_json else 20)
    if as_json:
        print_json_list(listing.items)
        return
    table = Table("id", "when", "event", "job", "text", "read")
    count = 0
    for r in listing.items:
        table.add_row(*cells(r.id, _when(r.created_at), r.event, r.job_id, r.text, "yes" if r.read else "no"))
        count += 1
    out.print(table)
    if note := shown(count, listing.total):
        out.print(note)


@notifications_app.command("read-all")
def read_all(user: str | None = USER) -> None:
    """Mark every notification read."""
    marked = loop_backend().read_all(user)
    out.print(f"{marked} notification{'' if marked == 1 else 's'} marked read")
