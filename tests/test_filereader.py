"""Reading catalogue files: cells and their checks, and every way a file itself can be unreadable."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from prestasync import fields
from prestasync.errors import FileRejected
from prestasync.fields import BadCell, ReadContext, escape, unescape
from prestasync.filereader import ReadOptions, Row, check_encoding, guess_delimiter, rows

PLAIN = ReadContext()


def read(path: Path, **options: object) -> list[Row]:
    kind = "xlsx" if path.suffix == ".xlsx" else "csv"
    settings: dict[str, object] = {"format": kind, "max_rows": 1000, "max_unpacked_bytes": 10_000_000, **options}
    with rows(path, ReadOptions(**settings)) as found:  # type: ignore[arg-type]
        return list(found)


def rejected(path: Path, **options: object) -> str:
    with pytest.raises(FileRejected) as caught:
        read(path, **options)
    return str(caught.value)


@pytest.mark.parametrize(
    ("cell", "ctx", "expected"),
    [
        ("12.50", PLAIN, Decimal("12.5")),
        (" 7 ", PLAIN, Decimal(7)),
        (12.3, PLAIN, Decimal("12.3")),
        (5, PLAIN, Decimal(5)),
        ("12,50", ReadContext(decimal_comma=True), Decimal("12.5")),
        ("0.000001", PLAIN, Decimal("0.000001")),
    ],
)
def test_prices_are_read_exactly(cell: fields.Cell, ctx: ReadContext, expected: Decimal) -> None:
    assert fields.BY_NAME["price"].parse(cell, ctx) == expected


@pytest.mark.parametrize(
    ("cell", "cause"),
    [
        ("12,50", "price is not a number"),
        ("abc", "price is not a number"),
        ("-3", "price is negative"),
        ("1.0000001", "price has more than 6 decimal places"),
        ("100000000000000", "price is too large"),
        ("=B2*1.23", "price is not a number"),
        (True, "price is not a number"),
    ],
)
def test_bad_prices_say_what_is_wrong(cell: fields.Cell, cause: str) -> None:
    with pytest.raises(BadCell) as caught:
        fields.BY_NAME["price"].parse(cell, PLAIN)
    assert caught.value.cause == cause and caught.value.code == "invalid_price"


def test_a_comma_price_without_the_option_hints_at_the_profile() -> None:
    with pytest.raises(BadCell) as caught:
        fields.BY_NAME["price"].parse("12,50", PLAIN)
    assert "decimal_comma" in str(caught.value)


def test_quantities_active_and_lengths() -> None:
    quantity, active, name = fields.BY_NAME["quantity"], fields.BY_NAME["active"], fields.BY_NAME["name"]
    assert [quantity.parse(c, PLAIN) for c in ("12", "-3", 4.0, 7)] == [12, -3, 4, 7]
    assert [active.parse(c, PLAIN) for c in ("1", "no", "TRUE", "tak", False)] == [True, False, True, True, False]
    for bad, field in (("1.5", quantity), ("x", quantity), ("maybe", active), ("n" * 129, name)):
        with pytest.raises(BadCell):
            field.parse(bad, PLAIN)
    with pytest.raises(BadCell, match="longer than 64"):
        fields.BY_NAME["sku"].parse("S" * 65, PLAIN)


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1", "-5 %", "@SUM(A1)", "'=x", "''+y", "'plain", "ok"])
def test_formula_escaping_is_reversible(text: str) -> None:
    escaped = escape(text)
    assert unescape(escaped) == text
    assert escaped[:1] not in ("=", "+", "-", "@")


def test_a_formula_in_a_file_is_kept_as_plain_text() -> None:
    assert fields.BY_NAME["name"].parse('=HYPERLINK("http://evil","x")', PLAIN) == '=HYPERLINK("http://evil","x")'


def test_headers_name_catalogue_columns() -> None:
    assert fields.target(" Price ") == fields.Target(fields.BY_NAME["price"])
    assert fields.target("NAME_PL") == fields.Target(fields.BY_NAME["name"], "pl")
    assert fields.target("name") is None and fields.target("price_en") is None and fields.target("name_xyz") is None


def test_merging_keeps_what_the_row_does_not_give() -> None:
    before = {
        "name": {"en": "A", "pl": "B"},
        "description": {},
        "price": Decimal("1.000000"),
        "quantity": 3,
        "active": True,
    }
    given = {fields.Target(fields.BY_NAME["name"], "en"): "A2", fields.Target(fields.BY_NAME["price"]): Decimal("1.0")}
    after, changes = fields.merged(before, given)
    assert after["name"] == {"en": "A2", "pl": "B"} and after["quantity"] == 3
    assert changes == {"name.en": ["A", "A2"]}


# -- CSV -----------------------------------------------------------------------------------------


def test_csv_with_a_bom_and_a_guessed_semicolon(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes("\ufeffsku;price\r\nA;1,5\r\n\r\n".encode())
    found = read(path)
    assert [(r.number, r.cells) for r in found] == [(1, ("sku", "price")), (2, ("A", "1,5")), (3, ())]
    assert guess_delimiter("a\tb\tc,d") == "\t" and guess_delimiter("abc") == ","


def test_a_bad_byte_is_named_with_its_row(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes('sku,name_pl\nA,ok\nB,"multi\nline"\nC,Zażółć\n'.encode("cp1250"))
    message = rejected(path)
    assert message.startswith("row 4 (line 5): byte 0xBF at position 5 is not utf-8"), message
    assert [r.cells for r in read(path, encoding="cp1250")][3] == ("C", "Zażółć")


def test_a_broken_quote_is_named(tmp_path: Path) -> None:
    unterminated = tmp_path / "a.csv"
    unterminated.write_text('sku,name_en\nA,"fine"\nB,"never closed\nC,x\n')
    assert "row 3" in rejected(unterminated) and "never closed" in rejected(unterminated)
    stray = tmp_path / "b.csv"
    stray.write_text('sku,name_en\nA,"quoted"tail\n')
    assert rejected(stray).startswith("row 2 (line 2): a broken quote")


def test_too_many_rows_and_endless_lines(tmp_path: Path) -> None:
    many = tmp_path / "many.csv"
    many.write_text("sku\n" + "".join(f"S{i}\n" for i in range(11)))
    assert len(read(many, max_rows=11)) == 12
    assert "more than 10 rows" in rejected(many, max_rows=10)
    endless = tmp_path / "endless.csv"
    with endless.open("wb") as out:
        out.write(b"sku,name_en\n")
        out.write(b"A," + b"x" * (5 * 1024 * 1024))
    assert "row 2 (line 2) is longer than 4 MB" in rejected(endless)


def test_encodings_a_csv_cannot_be_read_in_are_refused() -> None:
    assert check_encoding("CP1250") == "cp1250" and check_encoding("utf-8-sig") == "utf-8"
    for name in ("utf-16", "nope"):
        with pytest.raises(FileRejected):
            check_encoding(name)


# -- XLSX ----------------------------------------------------------------------------------------


def test_xlsx_rows_and_sheets(tmp_path: Path) -> None:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "Notes"
    first.append(["ignore me"])
    data = book.create_sheet("Products")
    data.append(["sku", "price"])
    data.append(["A", 1.5])
    data.append(["B", "=1+1"])
    path = tmp_path / "f.xlsx"
    book.save(path)
    assert [r.cells for r in read(path, sheet="products")] == [("sku", "price"), ("A", 1.5), ("B", "=1+1")]
    assert [r.cells for r in read(path)] == [("ignore me",)]
    assert "no sheet named 'Prices'; it has: Notes, Products" in rejected(path, sheet="Prices")


def test_a_zip_bomb_is_refused_from_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            for _ in range(200):
                part.write(b"<row>" + b" " * 100_000 + b"</row>")
    assert path.stat().st_size < 200_000  # 20 MB of XML in a small file
    assert f"unpacks to {200 * 100_011:,} bytes" in rejected(path, max_unpacked_bytes=10_000_000)


def test_not_a_workbook(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_text("sku,price\nA,1\n")
    assert "not an XLSX workbook" in rejected(fake)
    empty_zip = tmp_path / "empty.xlsx"
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert "not a readable XLSX workbook" in rejected(empty_zip)


def test_an_xml_entity_bomb_is_refused(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["sku"])
    path = tmp_path / "laughs.xlsx"
    book.save(path)
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&c;</t></is></c></row></sheetData></worksheet>'
    )
    patched = tmp_path / "patched.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w") as dst:
        for item in src.infolist():
            data = laughs.encode() if item.filename == "xl/worksheets/sheet1.xml" else src.read(item.filename)
            dst.writestr(item, data)
    message = rejected(patched)  # defusedxml refuses the entities when openpyxl first parses the sheet
    assert "not a readable XLSX workbook" in message and str(tmp_path) not in message
