"""The command line as a user runs it: real processes, exit codes, one-line errors."""

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from prestasync import shops as shop_registry
from prestasync.config import Settings
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from prestasync.queue import JobQueue
from prestasync.runtime import Runtime
from prestasync.web.app import create_app
from tests.conftest import RecordingQueue, WorkerFactory, settings_env
from tests.web.conftest import PASSWORD, LiveServer, make_token

KEY = "CLIKEY" + "1" * 26


def cli(settings: Settings, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prestasync", *args],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["shops", "add", "--name", "A", "--url", "ftp://shop", "--key", KEY], "must start with http"),
        (["shops", "add", "--name", "A", "--url", "http://shop.test", "--key", "short"], "32 letters and digits"),
        (["import", "--shop", "Nope"], "no shop named 'Nope'"),
        (["jobs", "show", "42"], "job 42 does not exist"),
        (["jobs", "list", "--status", "weird"], "unknown status"),
    ],
)
def test_bad_input_exits_non_zero_with_one_clear_line(settings: Settings, args: list[str], expected: str) -> None:
    assert expected in one_error_line(cli(settings, *args))


def test_bad_since_is_refused(settings: Settings) -> None:
    assert cli(settings, "shops", "add", "--name", "A", "--url", "http://a.test", "--key", KEY).returncode == 0
    assert "ISO date" in one_error_line(cli(settings, "import", "--shop", "A", "--since", "last week"))


def test_import_wait_shows_the_outcome_and_exit_code(settings: Settings, start_worker: WorkerFactory) -> None:
    shop = EmulatedShop(ShopConfig(key=KEY, products=120, broken={3: {"price": "-1"}}))
    with RunningEmulator({"": shop}) as running:
        assert cli(settings, "shops", "add", "--name", "Shop <A>", "--url", running.url, "--key", KEY).returncode == 0
        tested = cli(settings, "shops", "test", "Shop <A>")
        assert tested.returncode == 0 and "languages" in tested.stdout
        start_worker(settings)
        result = cli(settings, "import", "--shop", "Shop <A>", "--wait")
    assert result.returncode == 0, result.stderr
    assert "completed: 120/120 processed, 1 failed" in result.stdout
    listed = json.loads(cli(settings, "jobs", "list", "--json").stdout)
    assert [(j["type"], j["status"], j["failed"]) for j in listed] == [("import", "completed", 1)]
    errors = cli(settings, "jobs", "errors", str(listed[0]["id"]), "--csv")
    assert errors.stdout.splitlines()[1].startswith("SKU-00003,3,invalid_price,")
    shops_json = json.loads(cli(settings, "shops", "list", "--json").stdout)
    assert KEY not in json.dumps(shops_json)


def test_wait_exits_1_when_the_job_fails(settings: Settings, start_worker: WorkerFactory) -> None:
    assert cli(settings, "shops", "add", "--name", "Down", "--url", "http://127.0.0.1:9", "--key", KEY).returncode == 0
    start_worker(settings)
    result = cli(settings, "import", "--shop", "Down", "--wait", timeout=120)
    assert result.returncode == 1
    assert "failed" in result.stdout and "connection failed" in result.stderr


def test_export_to_two_shops_in_one_command_makes_grouped_jobs(settings: Settings, start_worker: WorkerFactory) -> None:
    from decimal import Decimal

    from prestasync.models import Product, utcnow
    from prestasync.runtime import Runtime

    rt = Runtime(settings)
    rt.migrate()
    with rt.session() as session, session.begin():
        now = utcnow()
        for i in range(1, 21):
            session.add(
                Product(
                    sku=f"G-{i}",
                    name={"en": f"G {i}"},
                    description={},
                    price=Decimal(3),
                    quantity=i,
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
    shops = {"a": EmulatedShop(ShopConfig(key=KEY)), "b": EmulatedShop(ShopConfig(key=KEY))}
    with RunningEmulator(shops) as running:
        for name in shops:
            assert (
                cli(settings, "shops", "add", "--name", name, "--url", f"{running.url}/{name}", "--key", KEY).returncode
                == 0
            )
        start_worker(settings, "--concurrency", "4")
        result = cli(settings, "export", "--shop", "a", "--shop", "b", "--wait")
    assert result.returncode == 0, result.stderr
    listed = json.loads(cli(settings, "jobs", "list", "--json").stdout)
    assert sorted((j["shop_name"], j["status"], j["processed"]) for j in listed) == [
        ("a", "completed", 20),
        ("b", "completed", 20),
    ]
    assert listed[0]["group_uuid"] and listed[0]["group_uuid"] == listed[1]["group_uuid"]
    assert all(len(s.products()) == 20 for s in shops.values())


# Remote mode: the CLI on a machine with no database, talking to a server over its API.


def remote_cli(url: str, token: str, home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The CLI with only the remote settings and an empty data dir (also its working dir, so no .env)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESTASYNC_")}
    env |= {"PRESTASYNC_SERVER_URL": url, "PRESTASYNC_API_TOKEN": token, "PRESTASYNC_DATA_DIR": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "prestasync", *args],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextmanager
def served(settings: Settings, queue: JobQueue | None = None) -> Iterator[LiveServer]:
    """The web app on a loopback port; without `queue`, jobs go to the real Huey queue."""
    rt = Runtime(settings.model_copy(update={"admin_password": PASSWORD}))
    server = LiveServer.start(create_app(rt, queue=queue))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client_home(tmp_path: Path) -> Path:
    home = tmp_path / "client"
    home.mkdir()
    return home


def test_remote_mode_runs_jobs_on_the_server(
    settings: Settings, start_worker: WorkerFactory, client_home: Path
) -> None:
    shop = EmulatedShop(ShopConfig(key=KEY, products=50, broken={3: {"price": "abc"}}))
    with RunningEmulator({"": shop}) as emulator, served(settings) as server:
        with server.rt.session() as session, session.begin():
            shop_registry.add_shop(session, server.rt.vault, name="Remote shop", url=emulator.url, key=KEY)
        token = make_token(server.rt)
        start_worker(settings)
        results: list[subprocess.CompletedProcess[str]] = []

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            results.append(remote_cli(server.url, token, client_home, *args))
            return results[-1]

        imported = run("import", "--shop", "Remote shop", "--wait")
        assert imported.returncode == 0, imported.stderr
        assert "completed: 50/50 processed, 1 failed" in imported.stdout
        listed = json.loads(run("jobs", "list", "--json").stdout)
        assert [(j["type"], j["shop_name"], j["status"], j["failed"]) for j in listed] == [
            ("import", "Remote shop", "completed", 1)
        ]
        job_id = listed[0]["id"]
        errors = run("jobs", "errors", str(job_id), "--csv").stdout.splitlines()
        assert errors[0] == "sku,remote_id,error_code,message,at"
        assert len(errors) == 2 and errors[1].startswith("SKU-00003,3,invalid_price,")
        retried = run("jobs", "retry", str(job_id), "--failed-only")
        assert f"retry of job {job_id} (the 1 failed items)" in retried.stdout, retried.stderr
        retry_id = retried.stdout.split()[1]
        assert f"job {retry_id} completed: 1/1, 1 failed" in run("jobs", "watch", retry_id).stdout
        assert json.loads(run("jobs", "show", retry_id, "--json").stdout)["retry_of"] == job_id
        products = json.loads(run("products", "list", "--search", "sku-0001", "--json").stdout)
        assert [p["sku"] for p in products] == [f"SKU-000{i}" for i in range(10, 20)]
        assert "job 999999 does not exist" in one_error_line(run("jobs", "show", "999999"))
        assert "no shop named 'Nope' (known: Remote shop)" in one_error_line(run("import", "--shop", "Nope"))
        assert "runs on the server only" in one_error_line(run("cleanup"))
        assert "runs on the server only" in one_error_line(run("shops", "test", "Remote shop"))
    assert all(token not in r.stdout + r.stderr for r in results)
    assert list(client_home.iterdir()) == [], "remote mode must create nothing locally"


def test_remote_mode_adds_and_lists_shops(settings: Settings, client_home: Path) -> None:
    with served(settings, RecordingQueue()) as server:
        token = make_token(server.rt)
        added = remote_cli(
            server.url, token, client_home, "shops", "add", "--name", "B", "--url", "http://b.test", "--key", KEY
        )
        assert added.returncode == 0 and "shop 'B' added" in added.stdout, added.stderr
        again = remote_cli(
            server.url, token, client_home, "shops", "add", "--name", "B", "--url", "http://b.test", "--key", KEY
        )
        assert "a shop named 'B' already exists" in one_error_line(again)
        listed = json.loads(remote_cli(server.url, token, client_home, "shops", "list", "--json").stdout)
    assert [(s["name"], s["url"]) for s in listed] == [("B", "http://b.test")]
    assert KEY not in json.dumps(listed)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens once the socket is closed


def test_remote_mode_refuses_a_wrong_token_and_names_a_dead_server(settings: Settings, client_home: Path) -> None:
    wrong = "pst_" + "Wr0ng" * 9
    with served(settings, RecordingQueue()) as server:
        make_token(server.rt)  # a real token exists; this one is not it
        refused = remote_cli(server.url, wrong, client_home, "jobs", "list")
        no_token = remote_cli(server.url, "", client_home, "jobs", "list")
    assert one_error_line(refused) == "error: the server refused the API token (PRESTASYNC_API_TOKEN)"
    assert "PRESTASYNC_API_TOKEN is not" in one_error_line(no_token)
    dead_url = f"http://127.0.0.1:{closed_port()}"
    down = remote_cli(dead_url, wrong, client_home, "import", "--shop", "A", "--wait")
    assert one_error_line(down).startswith(f"error: cannot reach the server at {dead_url}: ")
    assert all(wrong not in r.stdout + r.stderr for r in (refused, down))
    assert list(client_home.iterdir()) == []


def test_json_lists_print_every_row_and_tables_say_when_they_are_cut(settings: Settings) -> None:
    """CONTRACT: `products list --json` prints the catalogue, all of it, unless --limit is given."""
    from tests.export.harness import add_products

    rt = Runtime(settings)
    rt.migrate()
    add_products(rt, 3000)
    rt.dispose()
    listed = cli(settings, "products", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == 3000 and len({r["sku"] for r in rows}) == 3000
    limited = json.loads(cli(settings, "products", "list", "--json", "--limit", "7").stdout)
    assert [r["sku"] for r in limited] == [f"P-{i:05d}" for i in range(1, 8)]
    table = cli(settings, "products", "list")
    assert "showing 50 of 3000" in table.stdout
    assert "showing" not in cli(settings, "products", "list", "--search", "P-00001").stdout
