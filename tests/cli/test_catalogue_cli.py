"""`catalogue …` and `jobs report` as a user runs them: real processes, a real worker, a real server."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from prestasync.config import Settings
from prestasync.runtime import Runtime
from tests.catalogue_files import catalogue, read_csv, seed, write_csv
from tests.cli.test_cli import cli, one_error_line, remote_cli, served
from tests.conftest import RecordingQueue, WorkerFactory
from tests.web.conftest import make_token


def test_export_edit_and_import_with_a_worker(settings: Settings, tmp_path: Path, start_worker: WorkerFactory) -> None:
    rt = Runtime(settings)
    rt.migrate()
    seed(rt, 30)
    before = catalogue(rt)
    exported = tmp_path / "catalogue.csv"
    done = cli(settings, "catalogue", "export", str(exported))
    assert done.returncode == 0, done.stderr
    rows = read_csv(exported)
    rows[1][rows[0].index("price")] = "77.70"
    rows[2][rows[0].index("quantity")] = "999"
    edited = write_csv(tmp_path / "edited.csv", [[*rows[0], "Colour"]] + [[*r, "red"] for r in rows[1:]])
    start_worker(settings, "--concurrency", "1", "--no-periodic")

    preview = cli(settings, "catalogue", "import", str(edited), "--dry-run", "--wait")
    assert preview.returncode == 0, preview.stderr
    assert "completed: 30/30 rows, 0 rejected; would create 0, would update 2, unchanged 28" in preview.stdout
    assert "ignored: 'Colour'" in preview.stderr
    assert catalogue(rt) == before

    real = cli(settings, "catalogue", "import", str(edited), "--wait")
    assert real.returncode == 0, real.stderr
    assert "created 0, updated 2, unchanged 28" in real.stdout
    after = catalogue(rt)
    assert (after["P-00001"].price, after["P-00002"].quantity) == (Decimal("77.70"), 999)
    assert {sku for sku in before if after[sku] != before[sku]} == {"P-00001", "P-00002"}

    report = tmp_path / "jobs.csv"
    assert cli(settings, "jobs", "report", str(report), "--type", "file_import").returncode == 0
    with report.open(encoding="utf-8-sig", newline="") as src:
        jobs = list(csv.DictReader(src))
    assert [(j["type"], j["shop"], j["status"], j["updated"]) for j in jobs] == [
        ("file_import", "edited.csv", "completed", "2"),
        ("file_import", "edited.csv", "completed", "2"),
    ]


def test_profiles_and_bad_input_from_the_command_line(settings: Settings, tmp_path: Path) -> None:
    saved = cli(
        settings, "catalogue", "profiles", "save", "ERP", "--map", "Cena=price", "--map", "Kod=sku", "--delimiter", ";"
    )
    assert saved.returncode == 0 and "2 mapped columns, delimiter=';'" in saved.stdout
    assert "Cena -> price" in cli(settings, "catalogue", "profiles", "list").stdout
    assert cli(settings, "catalogue", "profiles", "delete", "ERP").returncode == 0

    huge = tmp_path / "huge.csv"
    with huge.open("wb") as out:
        out.truncate(1024**3)  # sparse: 1 GB that takes no disk
    too_large = cli(settings, "catalogue", "import", str(huge))
    assert too_large.returncode == 2
    assert "the file is too large (1,073,741,824 bytes): the limit is 104,857,600 bytes" in one_error_line(too_large)
    no_sku = cli(settings, "catalogue", "import", str(write_csv(tmp_path / "x.csv", [["code"], ["A"]])))
    assert no_sku.returncode == 2 and "no sku column" in one_error_line(no_sku)
    assert "must end in .csv or .xlsx" in one_error_line(
        cli(settings, "catalogue", "export", str(tmp_path / "out.ods"))
    )


def test_remote_mode_uploads_and_downloads(settings: Settings, tmp_path: Path) -> None:
    queue = RecordingQueue()
    with served(settings, queue) as server:
        seed(server.rt, 5)
        token = make_token(server.rt)
        home = tmp_path / "home"
        home.mkdir()
        exported = tmp_path / "catalogue.xlsx"
        assert remote_cli(server.url, token, home, "catalogue", "export", str(exported)).returncode == 0
        sheet = load_workbook(exported, read_only=True).worksheets[0]
        assert [r[0] for r in sheet.iter_rows(values_only=True)] == ["sku", *(f"P-0000{i}" for i in range(1, 6))]
        started = remote_cli(server.url, token, home, "catalogue", "import", str(exported), "--dry-run")
        assert started.returncode == 0, started.stderr
        assert f"job {queue.ids[0]} queued: dry run of 'catalogue.xlsx'" in started.stdout
        saved = remote_cli(server.url, token, home, "catalogue", "profiles", "save", "Tabs", "--delimiter", "\\t")
        assert saved.returncode == 0, saved.stderr
        report = tmp_path / "jobs.xlsx"
        assert remote_cli(server.url, token, home, "jobs", "report", str(report), "--status", "active").returncode == 0
        values = list(load_workbook(report, read_only=True).worksheets[0].iter_rows(values_only=True))
        assert [(v[0], v[1], v[3]) for v in values[1:]] == [(queue.ids[0], "file_import", "pending")]
        assert list(home.iterdir()) == []  # remote mode leaves nothing local
