"""`shops show`, `shops edit` and `shops remove` as a user runs them: real processes on the local
database and against a server, exit codes (2: a bad value, 1: unknown shop or refused), one-line
errors, and the key read only from stdin or a named variable and never printed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from prestasync import ledger
from prestasync import shops as shop_registry
from prestasync.config import Settings
from prestasync.contract import ShopOut, shop_out
from prestasync.progress import JobType
from prestasync.runtime import Runtime
from tests.cli.test_cli import client_home, one_error_line, remote_cli, served  # noqa: F401 - client_home: a fixture
from tests.conftest import RecordingQueue, settings_env
from tests.web.conftest import make_token

KEY = "CLIKEY" + "1" * 26
NEW_KEY = "NEWKEY" + "2" * 26


def run(
    settings: Settings, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prestasync", *args],
        env={**settings_env(settings), **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def registered(settings: Settings, name: str = "Shop A") -> int:
    rt = Runtime(settings)
    rt.migrate()
    try:
        with rt.session() as session, session.begin():
            return shop_registry.add_shop(session, rt.vault, name=name, url="http://a.test", key=KEY).id
    finally:
        rt.dispose()


def as_stored(settings: Settings, shop_id: int) -> tuple[ShopOut, str]:
    rt = Runtime(settings)
    try:
        with rt.session() as session:
            shop = shop_registry.get_shop(session, shop_id)
            return shop_out(shop), shop.api_key_encrypted
    finally:
        rt.dispose()


def stored_key(settings: Settings, shop_id: int) -> str:
    rt = Runtime(settings)
    try:
        with rt.session() as session:
            return rt.vault.open(shop_registry.get_shop(session, shop_id).api_key_encrypted)
    finally:
        rt.dispose()


def test_show_edit_and_remove_a_shop_locally(settings: Settings) -> None:
    shop_id = str(registered(settings))
    shown = json.loads(run(settings, "shops", "show", shop_id, "--json").stdout)
    assert (shown["guard_enabled"], shown["guard_share_pct"], shown["guard_price_pct"]) == (True, 20, 50)
    table = run(settings, "shops", "show", shop_id)
    assert table.returncode == 0 and "more than 20 % of the products" in table.stdout and KEY not in table.stdout

    args = ["--no-guard", "--guard-share", "35", "--guard-price", "80", "--tax-group", "4", "--fallback-language", "PL"]
    edited = run(settings, "shops", "edit", shop_id, *args)
    assert edited.returncode == 0, edited.stderr
    assert "saved: default_tax_group, fallback_language, guard_enabled, guard_price_pct, guard_share_pct" in (
        edited.stdout
    )
    after = json.loads(run(settings, "shops", "show", shop_id, "--json").stdout)
    assert {k: after[k] for k in ("guard_enabled", "guard_share_pct", "guard_price_pct", "name")} == {
        "guard_enabled": False,
        "guard_share_pct": 35,
        "guard_price_pct": 80,
        "name": "Shop A",
    }
    assert (after["default_tax_group"], after["fallback_language"]) == (4, "pl")
    cleared = run(settings, "shops", "edit", shop_id, "--tax-group", "auto", "--fallback-language", "AUTO", "--guard")
    assert cleared.returncode == 0, cleared.stderr
    again = json.loads(run(settings, "shops", "show", shop_id, "--json").stdout)
    assert (again["default_tax_group"], again["fallback_language"], again["guard_enabled"]) == (None, None, True)

    from_env = run(settings, "shops", "edit", shop_id, "--key-env", "MY_KEY", env={"MY_KEY": NEW_KEY})
    assert from_env.returncode == 0 and NEW_KEY not in from_env.stdout + from_env.stderr
    assert stored_key(settings, int(shop_id)) == NEW_KEY
    from_stdin = run(settings, "shops", "edit", shop_id, "--key-stdin", "--name", "Renamed", stdin=KEY + "\n")
    assert from_stdin.returncode == 0 and "shop 'Renamed'" in from_stdin.stdout and KEY not in from_stdin.stdout
    assert stored_key(settings, int(shop_id)) == KEY

    unasked = run(settings, "shops", "remove", shop_id)  # stdin is not a terminal: nobody to ask
    assert unasked.returncode == 2 and "add --yes" in one_error_line(unasked)
    removed = run(settings, "shops", "remove", shop_id, "--yes")
    assert removed.returncode == 0 and "shop 'Renamed'" in removed.stdout and "removed" in removed.stdout
    gone = run(settings, "shops", "show", shop_id)
    assert gone.returncode == 1 and f"no shop with id {shop_id}" in one_error_line(gone)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--guard-share", "0"], "--guard-share"),
        (["--guard-share", "101"], "--guard-share"),
        (["--guard-share", str(2**70)], "--guard-share"),
        (["--guard-share", "abc"], "--guard-share"),
        (["--guard-price", "1001"], "--guard-price"),
        (["--guard-price", "-5"], "--guard-price"),
        (["--tax-group", "abc"], "default_tax_group must be a whole number"),
        (["--tax-group", str(2**70)], "default_tax_group must be a whole number"),
        (["--fallback-language", "english"], "two-letter language code"),
        (["--name", "  "], "shop name must be 1 to 100 characters"),
        (["--url", "ftp://a.test"], "must start with http"),
        ([], "nothing to change"),
        (["--key-env", "UNSET_VAR"], "'UNSET_VAR' is not set or is empty"),
        (["--key-env", "MY_KEY", "--key-stdin"], "not both"),
        (["--key-stdin"], "the API key is empty"),
    ],
)
def test_a_bad_value_exits_2_and_changes_nothing(settings: Settings, args: list[str], expected: str) -> None:
    shop_id = registered(settings)
    before = as_stored(settings, shop_id)
    result = run(settings, "shops", "edit", str(shop_id), *args, env={"MY_KEY": NEW_KEY})
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert as_stored(settings, shop_id) == before


def test_unknown_shops_and_refusals_exit_1(settings: Settings) -> None:
    shop_id = registered(settings)
    registered(settings, "Taken")
    rt = Runtime(settings)
    with rt.session() as session, session.begin():
        ledger.create_job(session, type=JobType.EXPORT, shop=shop_registry.get_shop(session, shop_id), params={})
    rt.dispose()
    busy = run(settings, "shops", "remove", str(shop_id), "--yes")
    assert busy.returncode == 1 and "1 active job" in one_error_line(busy)
    taken = run(settings, "shops", "edit", str(shop_id), "--name", "Taken")
    assert taken.returncode == 1 and "a shop named 'Taken' already exists" in one_error_line(taken)
    for command in (["show", "424242"], ["edit", "424242", "--no-guard"], ["remove", "424242", "--yes"]):
        missing = run(settings, "shops", *command)
        assert missing.returncode == 1 and "no shop with id 424242" in one_error_line(missing)
    assert run(settings, "shops", "show", "0").returncode == 2


def test_remote_mode_shows_edits_and_removes_shops(settings: Settings, client_home: Path) -> None:  # noqa: F811
    with served(settings, RecordingQueue()) as server:
        with server.rt.session() as session, session.begin():
            shop_id = str(shop_registry.add_shop(session, server.rt.vault, name="R", url="http://r.test", key=KEY).id)
        token = make_token(server.rt)

        def remote(*args: str) -> subprocess.CompletedProcess[str]:
            return remote_cli(server.url, token, client_home, "shops", *args)

        edited = remote("edit", shop_id, "--guard-share", "45", "--fallback-language", "en")
        assert edited.returncode == 0, edited.stderr
        shown = json.loads(remote("show", shop_id, "--json").stdout)
        assert (shown["guard_share_pct"], shown["fallback_language"]) == (45, "en") and KEY not in json.dumps(shown)
        bad = remote("edit", shop_id, "--guard-price", "5000")
        assert bad.returncode == 2  # checked before it is sent
        assert "no shop with id 424242" in one_error_line(remote("show", "424242"))
        removed = remote("remove", shop_id, "--yes")
        assert removed.returncode == 0, removed.stderr
        assert "no shop with id" in one_error_line(remote("show", shop_id))
    assert list(client_home.iterdir()) == [], "remote mode must create nothing locally"
