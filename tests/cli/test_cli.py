"""The command line as a user runs it: real processes, exit codes, one-line errors."""

import json
import subprocess
import sys

import pytest

from prestasync.config import Settings
from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig
from tests.conftest import WorkerFactory, settings_env

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
