"""File import jobs end to end: real databases, files written in the test, jobs run as a worker runs them."""

from __future__ import annotations

import os
import re
import signal
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prestasync import catalogue_file, uploads
from prestasync.config import Settings
from prestasync.contract import ProfileOptions, job_out
from prestasync.control import Control
from prestasync.errors import ControlError, FileRejected, TooLarge
from prestasync.filejobs import FileJobs
from prestasync.models import JobItem, Product
from prestasync.profiles import save_profile
from prestasync.queue import make_huey
from prestasync.recovery import reap
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks
from tests.catalogue_files import (
    catalogue,
    counts,
    import_file,
    items,
    job,
    read_csv,
    run,
    seed,
    start,
    write_csv,
    write_xlsx,
)
from tests.conftest import RecordingQueue, WorkerFactory, wait_for


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = Runtime(settings)
    runtime.migrate()
    yield runtime
    runtime.dispose()


@pytest.fixture
def rt_any(settings: Settings, db_url: str) -> Iterator[Runtime]:
    """A runtime on each database engine."""
    runtime = Runtime(settings.model_copy(update={"database_url": db_url}))
    runtime.migrate()
    yield runtime
    runtime.dispose()


def test_three_edited_prices_change_exactly_three_products(rt_any: Runtime, tmp_path: Path) -> None:
    rt = rt_any
    skus = seed(rt, 30)
    exported = tmp_path / "catalogue.csv"
    assert catalogue_file.write(rt.engine, exported) == 30
    rows = read_csv(exported)
    header = rows[0]
    assert header == ["sku", "name_en", "name_pl", "description_en", "price", "quantity", "active"]
    edited = {skus[2]: "99.90", skus[11]: "0.01", skus[29]: "1234.5"}
    for row in rows[1:]:
        if row[0] in edited:
            row[header.index("price")] = edited[row[0]]
    changed_file = write_csv(tmp_path / "edited.csv", rows)
    before = catalogue(rt)

    preview = import_file(rt, changed_file, dry_run=True)
    assert counts(preview) == ("completed", 30, 30, 0, 0, 3, 27)
    assert job_out(preview).preview
    assert catalogue(rt) == before  # a dry run writes nothing
    shown = {i.sku: i.changes for i in items(rt, preview.id)}
    assert shown == {sku: {"price": [f"{before[sku].price:.2f}", _money(price)]} for sku, price in edited.items()}

    done = import_file(rt, changed_file)
    assert counts(done) == ("completed", 30, 30, 0, 0, 3, 27)
    after = catalogue(rt)
    moved = {sku for sku in skus if after[sku] != before[sku]}
    assert moved == set(edited)
    for sku, price in edited.items():
        assert after[sku].price == Decimal(price)
        assert after[sku].updated_at > before[sku].updated_at
        assert (after[sku].name, after[sku].quantity) == (before[sku].name, before[sku].quantity)


def _money(text: str) -> str:
    value = Decimal(text)
    return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_round_trip_changes_nothing(rt: Runtime, tmp_path: Path, kind: str) -> None:
    seed(rt, 40)
    with rt.session() as session, session.begin():  # the awkward values a round trip must keep
        product = session.execute(select(Product).where(Product.sku == "P-00001")).scalar_one()
        product.name = {"en": '=HYPERLINK("http://evil.test","x")', "pl": "-5% zniżki", "de": "'=quoted"}
        product.description = {"en": 'line one\nline two, "quoted"', "pl": "@mention"}
        product.price = Decimal("19.123456")
    before = catalogue(rt)
    exported = tmp_path / f"catalogue.{kind}"
    catalogue_file.write(rt.engine, exported)
    done = import_file(rt, exported)
    assert counts(done) == ("completed", 40, 40, 0, 0, 0, 40)
    assert catalogue(rt) == before
    if kind == "xlsx":  # formula-like texts are text cells, with the leading quote
        sheet = load_workbook(exported, read_only=True).worksheets[0]
        first = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "P-00001")
        assert '\'=HYPERLINK("http://evil.test","x")' in first and "'-5% zniżki" in first and "''=quoted" in first
    else:
        row = next(r for r in read_csv(exported) if r[0] == "P-00001")
        assert '\'=HYPERLINK("http://evil.test","x")' in row and "'@mention" in row


BAD_ROWS = {  # data row index -> (column, bad value, cause)
    10: ("price", "abc", "price is not a number"),
    250: ("price", "-5", "price is negative"),
    999: ("price", "12,50", "price is not a number"),
    1500: ("quantity", "many", "quantity is not a whole number"),
    2000: ("quantity", "1.5", "quantity is not a whole number"),
    2500: ("sku", "", "SKU is empty"),
    3000: ("sku", "   ", "SKU is empty"),
    3333: ("sku", "F-00003", "SKU also in an earlier row"),
    4000: ("sku", "F-00003", "SKU also in an earlier row"),
    4200: ("name_en", "x" * 129, "name is longer than 128 characters"),
    4500: ("active", "perhaps", "active is not yes or no (1/0, true/false)"),
    4999: ("sku", "S" * 65, "SKU is longer than 64 characters"),
}
HEADER = ["sku", "name_en", "name_pl", "price", "quantity", "active"]


def five_thousand_rows(numbers: bool) -> list[list[object]]:
    rows: list[list[object]] = [HEADER]
    for i in range(5000):
        price: object = (i % 500) + 0.99 if numbers else f"{i % 500}.99"
        quantity: object = i % 40 if numbers else str(i % 40)
        rows.append([f"F-{i:05d}", f"Name {i}", f"Nazwa {i}", price, quantity, 1])
    for index, (column, value, _) in BAD_ROWS.items():
        rows[index + 1][HEADER.index(column)] = value
    return rows


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_five_thousand_rows_with_twelve_bad_ones(rt: Runtime, tmp_path: Path, kind: str) -> None:
    rows = five_thousand_rows(numbers=kind == "xlsx")
    path = write_csv(tmp_path / "big.csv", rows) if kind == "csv" else write_xlsx(tmp_path / "big.xlsx", rows)

    preview = import_file(rt, path, dry_run=True)
    assert counts(preview) == ("completed", 5000, 5000, 12, 4988, 0, 0)
    assert catalogue(rt) == {}

    done = import_file(rt, path)
    assert counts(done) == ("completed", 5000, 5000, 12, 4988, 0, 0)
    with Session(rt.engine) as session:
        assert session.execute(select(func.count(Product.id))).scalar() == 4988
    failed = {i.sku: i for i in items(rt, done.id, "failed")}
    assert set(failed) == {f"row {index + 2}" for index in BAD_ROWS}
    for index, (column, _, cause) in BAD_ROWS.items():
        item = failed[f"row {index + 2}"]
        assert item.cause == cause
        if cause != "SKU also in an earlier row":
            assert f"column {column!r}" in (item.message or "")
    assert "SKU also in row 5" in (failed["row 3335"].message or "")
    assert "SKU also in row 5" in (failed["row 4002"].message or "")
    assert "SKU 'F-00010'" in (failed["row 12"].message or "")


def test_only_the_languages_and_fields_in_the_file_change(rt: Runtime, tmp_path: Path) -> None:
    seed(rt, 3)
    before = catalogue(rt)
    path = write_csv(tmp_path / "names.csv", [["SKU", "Name_EN"], ["P-00001", "New name"], ["P-00002", ""]])
    done = import_file(rt, path)
    assert counts(done) == ("completed", 2, 2, 0, 0, 1, 1)
    after = catalogue(rt)
    assert after["P-00001"].name == {"en": "New name", "pl": "Produkt 1"}
    assert (after["P-00001"].price, after["P-00001"].quantity) == (before["P-00001"].price, before["P-00001"].quantity)
    assert after["P-00002"] == before["P-00002"] and after["P-00003"] == before["P-00003"]
    (item,) = items(rt, done.id)
    assert (item.sku, item.outcome, item.changes) == ("P-00001", "updated", {"name.en": ["Product 1", "New name"]})


def test_new_products_need_a_price(rt: Runtime, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "new.csv", [["sku", "price", "name_en"], ["N-1", "5", "One"], ["N-2", "", "Two"]])
    done = import_file(rt, path)
    assert counts(done) == ("completed", 2, 2, 1, 1, 0, 0)
    assert set(catalogue(rt)) == {"N-1"}
    (failure,) = items(rt, done.id, "failed")
    assert failure.sku == "row 3" and failure.cause == "price is empty; a new product needs one"


# -- hostile files ----------------------------------------------------------------------------------


def test_a_bad_byte_fails_the_job_before_anything_is_written(rt: Runtime, tmp_path: Path) -> None:
    seed(rt, 2)
    before = catalogue(rt)
    text = "sku,name_pl,price\nP-00001,Nowa,1\nP-00002,Zażółć,2\n"
    path = tmp_path / "cp1250.csv"
    path.write_bytes(text.encode("cp1250"))
    done = import_file(rt, path)
    assert done.status == "failed"
    assert done.error_message == (
        "row 3 (line 3): byte 0xBF at position 11 is not utf-8; save the file as UTF-8, or name its encoding "
        "in a profile (e.g. cp1250); nothing was imported"
    )
    assert catalogue(rt) == before  # row 2 was fine, and is not written either
    with rt.session() as session, session.begin():
        save_profile(session, "windows", {}, ProfileOptions(encoding="cp1250"))
    fixed = import_file(rt, path, profile="windows")
    assert counts(fixed) == ("completed", 2, 2, 0, 0, 2, 0)
    assert catalogue(rt)["P-00002"].name["pl"] == "Zażółć"


def test_a_broken_quote_fails_the_job_and_loses_nothing(rt: Runtime, tmp_path: Path) -> None:
    seed(rt, 3)
    before = catalogue(rt)
    path = tmp_path / "quote.csv"
    path.write_text('sku,price,name_en\nP-00001,5,ok\nP-00002,6,"never closed\nP-00003,7,x\n')
    done = import_file(rt, path)
    assert done.status == "failed" and done.processed == 0
    assert (done.error_message or "").startswith("row 3 (line 4): a quoted value is never closed")
    assert catalogue(rt) == before


def test_too_many_rows_fails_the_job_and_loses_nothing(rt: Runtime, tmp_path: Path) -> None:
    small = Runtime(rt.settings.model_copy(update={"file_max_rows": 3}))
    path = write_csv(tmp_path / "rows.csv", [["sku", "price"]] + [[f"S{i}", "1"] for i in range(4)])
    done = import_file(small, path)
    assert done.status == "failed" and "more than 3 rows" in (done.error_message or "")
    assert catalogue(rt) == {}
    small.dispose()


def test_files_refused_at_the_start_leave_nothing_behind(rt: Runtime, tmp_path: Path) -> None:
    cases = {
        "no_sku.csv": ([["code", "price"], ["A", "1"]], "the file has no sku column (its columns: 'code', 'price')"),
        "twice.csv": ([["sku", "price", "Price"], ["A", "1", "2"]], "the header names 'Price' twice"),
        "empty.csv": ([], "is empty"),
    }
    for name, (rows, expected) in cases.items():
        with pytest.raises(FileRejected, match=re.escape(expected)):
            start(rt, write_csv(tmp_path / name, rows))
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<a>" + b"0" * 30_000_000 + b"</a>")
    small = Runtime(rt.settings.model_copy(update={"file_max_unpacked_bytes": 10_000_000}))
    with pytest.raises(FileRejected, match="a zip bomb"):
        start(small, bomb)
    with pytest.raises(FileRejected, match="not a .csv or .xlsx"):
        uploads.store_file(rt.settings, write_csv(tmp_path / "prices.ods", [["sku"]]))
    assert list((rt.settings.data_dir / uploads.FOLDER).iterdir()) == []
    assert catalogue(rt) == {}


def test_a_huge_file_is_refused_before_it_is_read(rt: Runtime, tmp_path: Path) -> None:
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as out:  # a sparse 1 GB file: nothing is really written
        out.truncate(1024**3)
    with pytest.raises(TooLarge, match="the limit is 104,857,600 bytes"):
        uploads.store_file(rt.settings, huge)
    assert not (rt.settings.data_dir / uploads.FOLDER).exists() or not list(
        (rt.settings.data_dir / uploads.FOLDER).iterdir()
    )


def test_unknown_columns_are_reported_once(rt: Runtime, tmp_path: Path) -> None:
    rows = [["sku", "price", "Colour", "Notes"]] + [[f"U-{i}", "1", "red", "n"] for i in range(5)]
    started = start(rt, write_csv(tmp_path / "extra.csv", rows))
    assert started.params["ignored_columns"] == ["Colour", "Notes"]
    done = run(rt, started.id)
    assert counts(done) == ("completed", 5, 5, 0, 5, 0, 0)
    assert items(rt, done.id, "failed") == []


def test_formula_cells_are_stored_as_plain_text(rt: Runtime, tmp_path: Path) -> None:
    rows = [
        ["sku", "price", "name_en"],
        ["X-1", "1", '=HYPERLINK("http://evil.test","click")'],
        ["X-2", "1", "+48 123"],
        ["X-3", "=1+1", "@cmd"],
    ]
    done = import_file(rt, write_xlsx(tmp_path / "formulas.xlsx", rows))
    assert counts(done) == ("completed", 3, 3, 1, 2, 0, 0)
    names = {sku: snap.name["en"] for sku, snap in catalogue(rt).items()}
    assert names == {"X-1": '=HYPERLINK("http://evil.test","click")', "X-2": "+48 123"}
    (failure,) = items(rt, done.id, "failed")
    assert failure.cause == "price is not a number" and "'=1+1'" in (failure.message or "")
    exported = tmp_path / "out.csv"
    catalogue_file.write(rt.engine, exported)
    assert [r[1] for r in read_csv(exported)[1:]] == ['\'=HYPERLINK("http://evil.test","click")', "'+48 123"]


# -- profiles, retries, previews ----------------------------------------------------------------------


def test_a_profile_maps_columns_and_reads_a_polish_export(rt: Runtime, tmp_path: Path) -> None:
    seed(rt, 2)
    rows = [["Kod", "Nazwa", "Cena netto", "Stan", "Uwagi"], ["P-00001", "Krzesło", "12,50", "3", "x"]]
    path = write_csv(tmp_path / "erp.csv", rows, encoding="cp1250", delimiter=";")
    mapping = {"Kod": "sku", "Nazwa": "name_pl", "Cena netto": "price", "Stan": "quantity", "Uwagi": ""}
    with rt.session() as session, session.begin():
        save_profile(session, "ERP", mapping, ProfileOptions(encoding="cp1250", decimal_comma=True))
    started = start(rt, path, profile="ERP")
    assert started.params["ignored_columns"] == [] and started.params["mapping"]["Cena netto"] == "price"
    done = run(rt, started.id)
    assert counts(done) == ("completed", 1, 1, 0, 0, 1, 0)
    product = catalogue(rt)["P-00001"]
    assert (product.name, product.price, product.quantity) == ({"en": "Product 1", "pl": "Krzesło"}, Decimal("12.5"), 3)
    sheet = write_xlsx(tmp_path / "erp.xlsx", [["Kod", "Cena netto"], ["P-00002", "7,5"]], sheet="Cennik")
    with rt.session() as session, session.begin():
        save_profile(
            session,
            "ERP xlsx",
            {"Kod": "sku", "Cena netto": "price"},
            ProfileOptions(decimal_comma=True, sheet="Cennik"),
        )
    assert counts(import_file(rt, sheet, profile="ERP xlsx"))[5] == 1
    assert catalogue(rt)["P-00002"].price == Decimal("7.5")


def test_retry_reads_the_same_file_and_a_dry_run_can_be_applied(rt: Runtime, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [["sku", "price"], ["R-1", "1"], ["R-2", "oops"]])
    preview = import_file(rt, path, dry_run=True)
    assert counts(preview) == ("completed", 2, 2, 1, 1, 0, 0)
    assert "retry_failed" not in job_out(preview).actions and "apply" in job_out(preview).actions
    files = FileJobs(rt, RecordingQueue())
    applied = run(rt, files.apply(preview.id).id)
    assert counts(applied) == ("completed", 2, 2, 1, 1, 0, 0) and applied.params["preview_of"] == preview.id
    assert set(catalogue(rt)) == {"R-1"}
    with pytest.raises(ControlError, match="not a dry run"):
        files.apply(applied.id)
    control = Control(rt, RecordingQueue())
    again = control.retry(applied.id)
    assert (again.shop_name, again.retry_of) == ("f.csv", applied.id)
    assert counts(run(rt, again.id)) == ("completed", 2, 2, 1, 0, 0, 1)
    with pytest.raises(ControlError, match="fixed in the file"):
        control.retry(applied.id, failed_only=True)


def test_a_killed_worker_resumes_with_exact_counts(
    settings: Settings, tmp_path: Path, start_worker: WorkerFactory
) -> None:
    slow = settings.model_copy(update={"file_batch_rows": 25, "heartbeat_timeout_s": 1.0, "heartbeat_every_s": 0.2})
    rt = Runtime(slow)
    rt.migrate()
    seed(rt, 500, prefix="K")  # the first 500 rows update existing products, the rest create new ones
    rows = [["sku", "price", "quantity"]] + [[f"K-{i:05d}", f"{i}.5", "1"] for i in range(1, 3001)]
    rows[2000][1] = "bad"
    queue = Tasks(make_huey(slow.resolved_queue_url, slow.queue_name), rt)
    stored = uploads.store_file(slow, write_csv(tmp_path / "big.csv", rows))
    started = FileJobs(rt, queue).start(stored)
    first = start_worker(slow, "--concurrency", "1", "--no-periodic")
    wait_for(lambda: _writing(rt, started.id), 60, "the first batches to be written")
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    stopped = job(rt, started.id)
    assert stopped.status == "running" and 0 < stopped.processed < 3000
    wait_for(lambda: started.id in reap(rt, queue).resumed, 30, "the reaper to hand the job back")
    start_worker(slow, "--concurrency", "1", "--no-periodic")
    wait_for(lambda: job(rt, started.id).status == "completed", 120, "the resumed job to complete")
    done = job(rt, started.id)
    assert counts(done) == ("completed", 3000, 3000, 1, 2499, 500, 0)
    assert done.attempts == 2
    with Session(rt.engine) as session:
        assert session.execute(select(func.count(Product.id))).scalar() == 500 + 2499
        per_key = select(JobItem.sku, func.count()).where(JobItem.job_id == done.id).group_by(JobItem.sku)
        assert all(n == 1 for _, n in session.execute(per_key))
        assert session.execute(select(func.count(JobItem.id)).where(JobItem.job_id == done.id)).scalar() == 3000
    rt.dispose()


def _writing(rt: Runtime, job_id: int) -> bool:
    current = job(rt, job_id)
    return (current.checkpoint or "").startswith("w:") and current.processed > 300
