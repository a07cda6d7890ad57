"""A hostile user at the command line: every malformed input ends with one `error:` line (or
click's usage message) and a non-zero exit, 2 for usage errors and invalid input, and never
a traceback or an echoed secret.

Runs `prestasync.cli.main()` in this process with captured streams (a subprocess per case
would cost a second each); `tests/cli/test_cli.py` runs the real executable.
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prestasync import accounts, ledger
from prestasync.cli import main
from prestasync.config import Settings
from prestasync.models import Job
from prestasync.progress import JobType
from prestasync.runtime import Runtime
from tests.conftest import settings_env
from tests.web.seed import KEY, Seeded, seed

HUGE = str(2**63)
HUGER = str(2**64 + 1)
SECRET = "hunter2SECRET"
USAGE, INVALID, FAILED = 2, 2, 1  # the README's exit codes: usage error, invalid input, anything else


@dataclass(frozen=True)
class Bad:
    args: tuple[str, ...]
    code: int
    env: dict[str, str] = field(default_factory=dict)
    stdin: str = ""

    def __str__(self) -> str:
        extra = " ".join(f"{k}={v}" for k, v in self.env.items())
        return (" ".join(self.args) + (f" [{extra}]" if extra else ""))[:100]


def bad(*args: str, code: int, **env: str) -> Bad:
    return Bad(tuple(args), code, env)


def add(name: str = "New", url: str = "http://new.test", key: str = KEY, code: int = INVALID) -> Bad:
    return Bad(("shops", "add", "--name", name, "--url", url), code, {"PRESTASYNC_SHOP_KEY": key})


CASES = [
    # -- job ids: not numbers, out of range, unknown
    bad("jobs", "show", "abc", code=USAGE),
    bad("jobs", "show", "0", code=USAGE),
    bad("jobs", "show", "-1", code=USAGE),
    bad("jobs", "show", HUGE, code=USAGE),
    bad("jobs", "show", HUGER, code=USAGE),
    bad("jobs", "show", "1.5", code=USAGE),
    bad("jobs", "show", code=USAGE),
    bad("jobs", "show", "999999", code=FAILED),
    bad("jobs", "errors", "abc", code=USAGE),
    bad("jobs", "errors", HUGE, "--csv", code=USAGE),
    bad("jobs", "errors", "999999", code=FAILED),
    bad("jobs", "cancel", HUGE, code=USAGE),
    bad("jobs", "cancel", "999999", code=FAILED),
    bad("jobs", "cancel", "{completed}", code=FAILED),
    bad("jobs", "retry", "abc", code=USAGE),
    bad("jobs", "retry", "{running}", code=FAILED),
    bad("jobs", "retry", "{clean_failed}", "--failed-only", code=FAILED),
    bad("jobs", "watch", "abc", code=USAGE),
    bad("jobs", "watch", HUGE, code=USAGE),
    # -- job lists
    bad("jobs", "list", "--status", "weird", code=INVALID),
    bad("jobs", "list", "--limit", "0", code=USAGE),
    bad("jobs", "list", "--limit", "-5", code=USAGE),
    bad("jobs", "list", "--limit", "abc", code=USAGE),
    bad("jobs", "list", "--limit", HUGE, code=USAGE),
    bad("jobs", "list", "--shop", "Nope", code=FAILED),
    bad("cleanup", "--days", "99999999", code=USAGE),
    bad("cleanup", "--days", "-1", code=USAGE),
    bad("cleanup", "--days", "week", code=USAGE),
    # -- starting jobs
    bad("import", code=USAGE),
    bad("import", "--shop", "Nope", code=FAILED),
    bad("import", "--shop", "Seed A", "--since", "last week", code=INVALID),
    bad("import", "--shop", "Seed A", "--since", "", code=INVALID),
    bad("import", "--shop", "Seed A", "--since", "2026-13-45", code=INVALID),
    bad("import", "--shop", "Seed A", "--since", "9999-12-31T23:59:59-05:00", code=INVALID),
    bad("export", "--shop", "Seed A", "--sku", "", code=INVALID),
    bad("export", "--shop", "Seed A", "--sku", " ", code=INVALID),
    bad("export", "--shop", "Seed A", "--sku", "A", "--sku", "", code=INVALID),
    bad("export", "--shop", "Seed A", "--sku", "x" * 65, code=INVALID),
    bad("export", "--shop", "Nope", code=FAILED),
    bad("sync", "--shop", "Nope", code=FAILED),
    bad("sync", "--shop", "Seed A", "--wait", "--bogus", code=USAGE),
    # -- shops: URLs (credentials never echoed), names, keys
    add(url="http://[::1"),
    add(url=f"http://admin:{SECRET}@shop.test"),
    add(url=f"http://shop.test/?ws_key={SECRET}"),
    add(url="ftp://shop.test"),
    add(url="http://shop.test:99999"),
    add(url="shop.test"),
    add(name=""),
    add(name="   "),
    add(name="n" * 101),
    add(key="short"),
    add(key=SECRET * 3),
    add(name="Seed A", code=FAILED),
    Bad(("shops", "add", "--name", "Typed", "--url", "http://t.test"), INVALID, stdin="\n"),
    bad("shops", "add", "--name", "X", "--url", "http://x.test", "--key", f"{SECRET}", code=INVALID),
    bad("shops", "test", "Nope", code=FAILED),
    # -- shops show / edit / remove (shop 1 is Seed A, with active jobs; 2 is Seed B)
    bad("shops", "show", "0", code=USAGE),
    bad("shops", "show", HUGE, code=USAGE),
    bad("shops", "show", "999999", code=FAILED),
    bad("shops", "edit", "1", code=INVALID),
    bad("shops", "edit", "1", "--guard-share", "0", code=USAGE),
    bad("shops", "edit", "1", "--guard-share", HUGER, code=USAGE),
    bad("shops", "edit", "1", "--guard-share", "twenty", code=USAGE),
    bad("shops", "edit", "1", "--guard-price", "1001", code=USAGE),
    bad("shops", "edit", "1", "--tax-group", HUGER, code=INVALID),
    bad("shops", "edit", "1", "--fallback-language", "polski", code=INVALID),
    bad("shops", "edit", "1", "--url", f"http://admin:{SECRET}@shop.test", code=INVALID),
    bad("shops", "edit", "1", "--name", "Seed B", code=FAILED),
    bad("shops", "edit", "999999", "--no-guard", code=FAILED),
    bad("shops", "edit", "1", "--key-env", "PRESTASYNC_NO_SUCH_VAR", code=INVALID),
    Bad(("shops", "edit", "1", "--key-stdin"), INVALID, stdin=SECRET * 3 + "\n"),
    bad("shops", "remove", "1", "--yes", code=FAILED),
    bad("shops", "remove", "2", code=INVALID),
    bad("shops", "remove", HUGE, "--yes", code=USAGE),
    # -- catalogue, tokens, users
    bad("products", "list", "--limit", "0", code=USAGE),
    bad("products", "list", "--limit", "many", code=USAGE),
    bad("tokens", "revoke", "abc", code=USAGE),
    bad("tokens", "revoke", HUGE, code=USAGE),
    bad("tokens", "revoke", "999999", code=FAILED),
    bad("tokens", "create", "--name", " ", code=INVALID),
    Bad(("users", "set-password", "nobody"), FAILED, stdin="a long enough password\n"),
    Bad(("users", "set-password", "admin"), INVALID, stdin="\n"),
    # -- the daily loop: schedules, webhooks, deliveries, notifications
    bad("schedules", "pause", "abc", code=USAGE),
    bad("schedules", "resume", HUGE, code=USAGE),
    bad("schedules", "delete", "999999", code=FAILED),
    bad("schedules", "edit", "999999", "--every", "5", code=FAILED),
    bad("schedules", "add", "--shop", "Seed A", "--kind", "sync", "--cron", "61 * * * *", code=INVALID),
    bad("schedules", "add", "--shop", "Seed A", "--kind", "sync", "--every", "0", code=USAGE),
    bad("schedules", "add", "--shop", "Seed A", "--kind", "export", "--every", "5", code=INVALID),
    bad("schedules", "add", "--shop", "Nope", "--kind", "sync", "--every", "5", code=FAILED),
    bad("webhooks", "add", f"http://u:{SECRET}@h.test", "--events", "failed", code=INVALID),
    bad("webhooks", "add", "http://h.test", "--events", "someday", code=INVALID),
    bad("webhooks", "delete", "999999", code=FAILED),
    bad("deliveries", "list", "--webhook", "999999", code=FAILED),
    bad("notifications", "list", "--user", "nobody", code=FAILED),
    # -- commands, options, values
    bad("frobnicate", code=USAGE),
    bad("jobs", "frobnicate", code=USAGE),
    bad("--bogus", code=USAGE),
    bad("worker", "--concurrency", "-1", code=USAGE),
    bad("serve", "--port", "70000", code=USAGE),
    bad("emulator", "--fail-rate", "2", code=USAGE),
    bad("demo", "--products", "5", code=USAGE),
    # -- settings and remote mode
    bad("jobs", "list", code=FAILED, PRESTASYNC_PAGE_SIZE="0"),
    bad("jobs", "list", code=FAILED, PRESTASYNC_PROGRESS_INTERVAL_S="soon"),
    bad("jobs", "list", code=FAILED, PRESTASYNC_DATABASE_URL="bogus://nowhere"),
    bad("jobs", "list", code=FAILED, PRESTASYNC_DATABASE_URL=f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1/x"),
    bad("jobs", "list", code=FAILED, PRESTASYNC_SERVER_URL="http://[::1", PRESTASYNC_API_TOKEN="t"),
    bad("jobs", "list", code=FAILED, PRESTASYNC_SERVER_URL=f"http://u:{SECRET}@h.test", PRESTASYNC_API_TOKEN="t"),
    bad("jobs", "list", code=FAILED, PRESTASYNC_SERVER_URL="http://127.0.0.1:1"),
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Seeded]:
    base = tmp_path_factory.mktemp("cli")
    settings = Settings(
        data_dir=base / "data",
        secret_key="test-secret-key",
        database_url=f"sqlite:///{base / 'app.db'}",
        queue_url=f"sqlite:///{base / 'queue.db'}",
        admin_password="a long enough password",
    )
    rt = Runtime(settings)
    rt.migrate()
    accounts.ensure_admin(rt.engine, settings)
    return settings, seed(rt)


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], settings: Settings, case: Bad, cwd: Path
) -> Ran:
    """`prestasync ARGS` in this process, with the case's environment and standard input."""
    monkeypatch.chdir(cwd)  # a stray `.env` in the working directory must not change the settings
    for name, value in {**settings_env(settings), **case.env}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["prestasync", *case.args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(case.stdin))
    with pytest.raises(SystemExit) as ended:
        main()
    out = capsys.readouterr()
    code = ended.value.code
    return Ran(code if isinstance(code, int) else 1, out.out, out.err)


def test_the_table_has_at_least_the_44_kinds_of_the_issue() -> None:
    assert len(CASES) >= 44 and len({repr(c) for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_malformed_input_fails_cleanly(
    case: Bad,
    seeded: tuple[Settings, Seeded],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    settings, jobs = seeded
    names = {"{clean_failed}": str(jobs.clean_failed), **{f"{{{s.value}}}": str(i) for s, i in jobs.jobs.items()}}
    case = Bad(tuple(names.get(a, a) for a in case.args), case.code, case.env, case.stdin)
    ran = run(monkeypatch, capsys, settings, case, tmp_path)
    assert ran.code == case.code, ran.stderr
    assert "Traceback" not in ran.stderr + ran.stdout
    assert SECRET not in ran.stderr + ran.stdout and KEY not in ran.stderr + ran.stdout
    lines = ran.stderr.strip().splitlines()
    if lines and lines[0].startswith("Usage:"):  # click's usage message: usage, hint, then the error
        assert case.code == USAGE and any(line.startswith("Error: ") for line in lines)
    else:
        assert len(lines) == 1 and lines[0].startswith("error: "), ran.stderr


def test_json_lists_print_every_row_unless_limit(
    seeded: tuple[Settings, Seeded], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The README's promise: a table shows a screenful, `--json` every row unless `--limit`."""
    settings, _ = seeded
    rt = Runtime(settings)
    with Session(rt.engine) as session, session.begin():
        for _ in range(25):
            ledger.create_job(session, type=JobType.SYNC, shop=None)
        total = session.execute(select(func.count(Job.id))).scalar()
    rt.dispose()

    def listed(*args: str) -> Ran:
        ran = run(monkeypatch, capsys, settings, Bad(("jobs", "list", *args), 0), tmp_path)
        assert ran.code == 0, ran.stderr
        return ran

    assert len(json.loads(listed("--json").stdout)) == total > 20
    assert len(json.loads(listed("--json", "--limit", "3").stdout)) == 3
    assert f"showing 20 of {total}" in listed().stdout
