"""The daily loop from the command line: schedules, webhooks, deliveries and notifications,
on the local database (in this process, like test_cli_malformed.py) and against a live server."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from prestasync import accounts, deliveries, messages, outbox, shops
from prestasync.cli import main
from prestasync.config import Settings
from prestasync.contract import DeliveryOut, NotificationOut, ScheduleOut, WebhookCreated, WebhookOut
from prestasync.models import Job, Webhook
from prestasync.runtime import Runtime
from tests.cli.test_cli import remote_cli, served
from tests.conftest import RecordingQueue, settings_env
from tests.web.conftest import make_token
from tests.web.seed import KEY, seed


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


Cli = Callable[..., Ran]


def error_line(ran: Ran) -> str:
    """The one `error: …` line a failed command prints."""
    assert ran.returncode != 0
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), ran.stderr
    return lines[0]


@pytest.fixture
def local(settings: Settings) -> Runtime:
    """A migrated local database with the admin user and one shop, `Loop shop`."""
    rt = Runtime(settings.model_copy(update={"admin_password": "a long enough password"}))
    rt.migrate()
    accounts.ensure_admin(rt.engine, rt.settings)
    with rt.session() as session, session.begin():
        shops.add_shop(session, rt.vault, name="Loop shop", url="http://127.0.0.1:9/", key=KEY)
    return rt


def in_process(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str]) -> Cli:
    """`prestasync ARGS` run by `main()` in this process (a process each costs seconds on a busy
    machine) with exactly the PRESTASYNC_ variables of `env`: exit code, stdout, stderr."""
    for name in [n for n in os.environ if n.startswith("PRESTASYNC_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> Ran:
        monkeypatch.setattr(sys, "argv", ["prestasync", *args])
        with pytest.raises(SystemExit) as ended:
            main()
        out = capsys.readouterr()
        code = ended.value.code
        ran = Ran(code if isinstance(code, int) else 1, out.out, out.err)
        assert "Traceback" not in ran.stdout + ran.stderr
        return ran

    return run


@pytest.fixture
def cli(local: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Cli:
    """The CLI on the local database."""
    monkeypatch.chdir(tmp_path)  # no stray `.env`
    return in_process(monkeypatch, capsys, settings_env(local.settings))


def listed(cli: Cli, *args: str) -> list[ScheduleOut]:
    ran = cli("schedules", "list", "--json", *args)
    assert ran.returncode == 0, ran.stderr
    return [ScheduleOut.model_validate(row) for row in json.loads(ran.stdout)]


def test_schedules_add_list_pause_resume_edit_delete(cli: Cli) -> None:
    before = datetime.now(UTC)
    added = cli("schedules", "add", "--shop", "Loop shop", "--kind", "sync", "--every", "30")
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("schedule 1 added: sync of 'Loop shop' every 30 min; next run ")
    as_json = cli("schedules", "add", "--shop", "1", "--kind", "import", "--cron", "0 3 * * *", "--json")
    second = ScheduleOut.model_validate_json(as_json.stdout)
    assert (second.type, second.cron, second.every_min, second.shop_name) == ("import", "0 3 * * *", None, "Loop shop")

    rows = listed(cli)
    assert sorted(r.id for r in rows) == [1, second.id]
    assert [r.next_run_at for r in rows] == sorted(r.next_run_at for r in rows)
    first = next(r for r in rows if r.id == 1)
    assert not first.paused and before + timedelta(minutes=30) <= first.next_run_at <= datetime.now(UTC) + timedelta(
        minutes=30
    )
    assert [r.id for r in listed(cli, "--shop", "Loop shop")] == [r.id for r in rows]

    assert cli("schedules", "pause", "1").stdout == "schedule 1 paused\n"
    assert [(r.id, r.paused) for r in listed(cli)] == [(second.id, False), (1, True)]  # paused ones last
    table = cli("schedules", "list").stdout
    assert "paused" in table and "every 30" in table and "cron 0 3" in table  # cells wrap at 80 columns

    resumed = cli("schedules", "resume", "1")
    assert resumed.stdout.startswith("schedule 1 resumed; next run ")
    assert not next(r for r in listed(cli) if r.id == 1).paused

    edited = cli("schedules", "edit", "1", "--cron", "0 3 * * *", "--timezone", "Europe/Warsaw", "--json")
    changed = ScheduleOut.model_validate_json(edited.stdout)
    assert (changed.every_min, changed.cron, changed.timezone, changed.type) == (
        None,
        "0 3 * * *",
        "Europe/Warsaw",
        "sync",
    )
    assert changed.next_run_at.astimezone(ZoneInfo("Europe/Warsaw")).hour == 3
    kind_only = ScheduleOut.model_validate_json(cli("schedules", "edit", "1", "--kind", "import", "--json").stdout)
    assert (kind_only.type, kind_only.cron, kind_only.timezone) == ("import", "0 3 * * *", "Europe/Warsaw")

    assert cli("schedules", "delete", "1").stdout == "schedule 1 deleted\n"
    assert [r.id for r in listed(cli)] == [second.id]
    again = cli("schedules", "delete", "1")
    assert again.returncode == 1 and error_line(again) == "error: no schedule with id 1"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["add", "--shop", "Loop shop", "--kind", "sync", "--cron", "61 * * * *"], 2, "'61 * * * *' is not a cron"),
        (["add", "--shop", "Loop shop", "--kind", "sync", "--cron", "0 3 * *"], 2, "five fields"),
        (["add", "--shop", "Loop shop", "--kind", "sync"], 2, "either an interval in minutes or a cron"),
        (["add", "--shop", "Loop shop", "--kind", "sync", "--every", "5", "--cron", "* * * * *"], 2, "not both"),
        (["add", "--shop", "Loop shop", "--kind", "export", "--every", "5"], 2, "sync or import, not 'export'"),
        (["add", "--shop", "Loop shop", "--kind", "sync", "--every", "5", "--timezone", "Mars/Base"], 2, "time zone"),
        (["add", "--shop", "Nope", "--kind", "sync", "--every", "5"], 1, "no shop named or numbered 'Nope'"),
        (["pause", "42"], 1, "no schedule with id 42"),
        (["resume", "42"], 1, "no schedule with id 42"),
        (["edit", "42", "--every", "5"], 1, "no schedule with id 42"),
        (["list", "--shop", "7"], 1, "known: Loop shop (1)"),
    ],
)
def test_bad_schedule_input_is_error_line(cli: Cli, args: list[str], code: int, message: str) -> None:
    ran = cli("schedules", *args)
    assert ran.returncode == code
    assert message in error_line(ran)
    assert listed(cli) == []


def test_a_bad_cron_in_edit_changes_nothing(cli: Cli) -> None:
    assert cli("schedules", "add", "--shop", "Loop shop", "--kind", "sync", "--every", "10").returncode == 0
    ran = cli("schedules", "edit", "1", "--cron", "every day")
    assert ran.returncode == 2 and "is not a cron expression" in error_line(ran)
    assert [(r.every_min, r.cron) for r in listed(cli)] == [(10, None)]


def test_webhooks_deliveries_and_notifications(cli: Cli, local: Runtime) -> None:
    added = cli("webhooks", "add", "http://127.0.0.1:9/hook", "--events", "failed, completed")
    assert added.returncode == 0, added.stderr
    secret = added.stdout.strip()
    assert "\n" not in secret and "shown only once" in added.stderr
    with local.session() as session:
        stored = session.get(Webhook, 1)
        assert stored is not None and local.vault.open(stored.secret_encrypted) == secret
    hooks = [WebhookOut.model_validate(w) for w in json.loads(cli("webhooks", "list", "--json").stdout)]
    assert [(h.id, h.url, h.events) for h in hooks] == [(1, "http://127.0.0.1:9/hook", ["completed", "failed"])]
    assert secret not in cli("webhooks", "list", "--json").stdout + cli("webhooks", "list").stdout
    other = WebhookCreated.model_validate_json(
        cli("webhooks", "add", "http://127.0.0.1:9/other", "--events", "held", "--json").stdout
    )
    assert len(other.secret) >= 16

    seed(local)  # jobs in every state, the ended and held ones announced below as a worker does
    outbox.claim(local.engine, local.settings)
    with local.session() as session:
        announced = session.execute(select(Job.id, Job.status).where(Job.status.in_(messages.EVENTS)))
        ended = {row.id: row.status for row in announced}  # dict(result) would read it as a mapping
    owed = sorted((1 if e != "held" else 2, e) for e in ended.values() if e != "cancelled")
    assert deliveries.send_due(local) == len(owed)  # each tried once; nothing listens on port 9

    log = [DeliveryOut.model_validate(d) for d in json.loads(cli("deliveries", "list", "--json").stdout)]
    assert sorted((d.webhook_id, d.event) for d in log) == owed
    assert all(d.state == "pending" and len(d.tries) == 1 and d.tries[0].status is None for d in log)
    only = json.loads(cli("deliveries", "list", "--webhook", "2", "--json").stdout)
    assert [(d["webhook_id"], d["event"], len(d["tries"])) for d in only] == [(2, "held", 1)]
    table = cli("deliveries", "list").stdout
    assert "webhook 1" in table and "pending" in table
    unknown = cli("deliveries", "list", "--webhook", "9")
    assert unknown.returncode == 1 and "no webhook with id 9" in error_line(unknown)

    notes = [NotificationOut.model_validate(n) for n in json.loads(cli("notifications", "list", "--json").stdout)]
    assert sorted((n.job_id, n.event) for n in notes) == sorted(ended.items())
    assert all(not n.read for n in notes) and all(n.text for n in notes)
    assert len(json.loads(cli("notifications", "list", "--unread", "--json").stdout)) == len(notes)
    assert cli("notifications", "read-all").stdout == f"{len(notes)} notifications marked read\n"
    assert json.loads(cli("notifications", "list", "--unread", "--json").stdout) == []
    assert "yes" in cli("notifications", "list").stdout
    nobody = cli("notifications", "list", "--user", "nobody")
    assert nobody.returncode == 1 and "no user named 'nobody'" in error_line(nobody)

    assert cli("webhooks", "delete", "1").stdout == "webhook 1 deleted\n"
    assert [d["webhook_id"] for d in json.loads(cli("deliveries", "list", "--json").stdout)] == [2]
    gone = cli("webhooks", "delete", "1")
    assert gone.returncode == 1 and "no webhook with id 1" in error_line(gone)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["http://a.test", "--events", "finished"], "choose events among: completed, failed, held, cancelled"),
        (["http://a.test", "--events", ","], "choose events among"),
        (["ftp://a.test", "--events", "failed"], "a webhook URL is http(s)://host/"),
        (["http://user:pw@a.test", "--events", "failed"], "must not carry a user or password"),
    ],
)
def test_bad_webhook_input_is_refused(cli: Cli, args: list[str], message: str) -> None:
    ran = cli("webhooks", "add", *args)
    assert ran.returncode == 2 and message in error_line(ran)
    assert "pw" not in ran.stderr
    assert json.loads(cli("webhooks", "list", "--json").stdout) == []


def test_remote_mode_runs_the_loop_on_the_server(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "client"
    home.mkdir()
    monkeypatch.chdir(home)
    with served(settings, RecordingQueue()) as server:
        with server.rt.session() as session, session.begin():
            shops.add_shop(session, server.rt.vault, name="Far shop", url="http://127.0.0.1:9/", key=KEY)
        token = make_token(server.rt)
        env = {"PRESTASYNC_SERVER_URL": server.url, "PRESTASYNC_API_TOKEN": token, "PRESTASYNC_DATA_DIR": str(home)}
        cli = in_process(monkeypatch, capsys, env)

        def run(*args: str) -> Ran:
            done = cli(*args)
            assert token not in done.stdout + done.stderr
            return done

        # Once as a real process, like a user runs it; the rest in this process (same code, faster).
        real = remote_cli(server.url, token, home, "schedules", "list", "--json")
        assert (real.returncode, json.loads(real.stdout)) == (0, []), real.stderr
        added = run("schedules", "add", "--shop", "Far shop", "--kind", "import", "--every", "60", "--json")
        assert added.returncode == 0, added.stderr
        schedule = ScheduleOut.model_validate_json(added.stdout)
        assert run("schedules", "pause", str(schedule.id)).returncode == 0
        rows = [ScheduleOut.model_validate(r) for r in json.loads(run("schedules", "list", "--json").stdout)]
        assert [(r.id, r.shop_name, r.every_min, r.paused) for r in rows] == [(schedule.id, "Far shop", 60, True)]
        edited = run("schedules", "edit", str(schedule.id), "--cron", "30 2 * * 1", "--json")
        assert ScheduleOut.model_validate_json(edited.stdout).cron == "30 2 * * 1"
        bad = run("schedules", "add", "--shop", "Far shop", "--kind", "sync", "--cron", "nope")
        assert bad.returncode == 2 and "is not a cron expression" in error_line(bad)
        missing = run("schedules", "resume", "999")
        assert missing.returncode == 1 and "no schedule with id 999" in error_line(missing)
        assert run("schedules", "delete", str(schedule.id)).returncode == 0
        assert json.loads(run("schedules", "list", "--json").stdout) == []

        hook = run("webhooks", "add", "http://127.0.0.1:9/h", "--events", "failed")
        secret = hook.stdout.strip()
        with server.rt.session() as session:
            row = session.get(Webhook, 1)
            assert row is not None and server.rt.vault.open(row.secret_encrypted) == secret
        assert [w["url"] for w in json.loads(run("webhooks", "list", "--json").stdout)] == ["http://127.0.0.1:9/h"]
        assert json.loads(run("deliveries", "list", "--webhook", "1", "--json").stdout) == []
        assert "no webhook with id 5" in error_line(run("deliveries", "list", "--webhook", "5"))
        assert run("webhooks", "delete", "1").returncode == 0

        assert json.loads(run("notifications", "list", "--json").stdout) == []
        seed(server.rt)
        outbox.claim(server.rt.engine, server.rt.settings)  # the token's user (the admin) is told of each event
        notes = [NotificationOut.model_validate(n) for n in json.loads(run("notifications", "list", "--json").stdout)]
        assert notes and all(not n.read and n.text for n in notes)
        assert run("notifications", "read-all").stdout == f"{len(notes)} notifications marked read\n"
        assert json.loads(run("notifications", "list", "--unread", "--json").stdout) == []
        assert "remote mode" in error_line(run("notifications", "list", "--user", "x"))
    assert list(home.iterdir()) == [], "remote mode must create nothing locally"
