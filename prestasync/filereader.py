"""Reading a catalogue file, CSV or XLSX, as numbered rows of cells: streamed, bounded, and
with an error that names the row (and the byte) when the file itself cannot be read.

Rows are numbered as a spreadsheet shows them: the header is row 1. Nothing is read whole:
a CSV is decoded line by line (a line longer than `LINE_MAX` is refused, so a file with no
line breaks cannot fill the memory), an XLSX is read by openpyxl in read-only mode, one
row at a time, after its zip directory was checked. Whatever makes a file unreadable, as a
whole, raises `FileRejected` with a message for the person who has to fix the file:

- bytes that are not in the file's encoding: the row, the line, the byte and its position;
- a broken quote (a quoted value that never ends, or text after a closing quote);
- a file with more than `max_rows` rows;
- an XLSX that is not a zip, or whose parts unpack to more than `max_unpacked_bytes` (a zip
  bomb): refused from the zip directory, before anything is decompressed. CPython's
  `zipfile` never returns more bytes for a part than its declared size (ZipExtFile._read1
  cuts at `file_size`, and a CRC check fails), so the declared sizes really bound what is read.

XML inside an XLSX is parsed by openpyxl through lxml with entity resolution off, or
defusedxml (installed with prestasync: openpyxl/xml/__init__.py uses it when present), so
entity expansion ("billion laughs") and external entities are refused.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import openpyxl

from prestasync.errors import FileRejected
from prestasync.fields import Cell

FORMATS = ("csv", "xlsx")
LINE_MAX = 4 * 1024 * 1024  # bytes in one physical CSV line
ZIP_PARTS_MAX = 10_000
DELIMITERS = (",", ";", "\t", "|")
BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class ReadOptions:
    """How to read one file. An empty `delimiter` is guessed from the header line; an empty
    `sheet` is the workbook's first."""

    format: str
    max_rows: int
    max_unpacked_bytes: int
    delimiter: str = ""
    encoding: str = "utf-8"
    sheet: str = ""


@dataclass(frozen=True)
class Row:
    number: int  # as a spreadsheet numbers it: the header is row 1
    cells: tuple[Cell, ...]

    @property
    def empty(self) -> bool:
        return all(c is None or (isinstance(c, str) and not c.strip()) for c in self.cells)


def format_of(filename: str) -> str:
    """`csv` or `xlsx` from a file name's extension, or FileRejected."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in FORMATS:
        raise FileRejected(f"{filename!r} is not a .csv or .xlsx file; save it as one of those")
    return ext


def check_encoding(name: str) -> str:
    """The codec's canonical name if a CSV can be read in it line by line, else FileRejected."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise FileRejected(f"unknown encoding {name[:40]!r}; use e.g. utf-8, cp1250 or iso-8859-2") from None
    if info.name == "utf-8-sig":  # a byte order mark is taken off the first line whatever the spelling
        return "utf-8"
    probe = "sku,;\t|\"'\r\n"
    try:
        ascii_compatible = probe.encode(info.name) == probe.encode("ascii")
    except UnicodeError:
        ascii_compatible = False
    if not ascii_compatible:
        raise FileRejected(f"{info.name} files cannot be read; save the file as UTF-8")
    return info.name


class Source:
    """An open file whose rows can be read more than once (a validation pass, then a write pass)."""

    def __init__(self, options: ReadOptions, raw: IO[bytes] | None = None, book: Any = None) -> None:
        self.options, self._raw, self._book = options, raw, book

    def rows(self) -> Iterator[Row]:
        """The rows from the top, header first, read lazily."""
        if self._book is not None:
            return _bounded(_xlsx_rows(self._book, self.options.sheet), self.options.max_rows)
        assert self._raw is not None
        self._raw.seek(0)
        return _bounded(_csv_rows(self._raw, self.options), self.options.max_rows)


@contextmanager
def opened(path: Path, options: ReadOptions) -> Iterator[Source]:
    """The file, open for reading its rows (as often as needed) until the block ends."""
    if options.format == "xlsx":
        with _workbook(path, options.max_unpacked_bytes) as book:
            yield Source(options, book=book)
    else:
        with path.open("rb") as raw:
            yield Source(options, raw=raw)


@contextmanager
def rows(path: Path, options: ReadOptions) -> Iterator[Iterator[Row]]:
    """The file's rows, header first, read lazily (once); the file is closed when the block ends."""
    with opened(path, options) as source:
        yield source.rows()


def _bounded(source: Iterator[Row], max_rows: int) -> Iterator[Row]:
    for row in source:
        if row.number > max_rows + 1:
            raise FileRejected(
                f"the file has more than {max_rows:,} rows below its header; split it (PRESTASYNC_FILE_MAX_ROWS)"
            )
        yield row


# -- CSV ----------------------------------------------------------------------------------------


class _Lines:
    """A binary file's lines, decoded one at a time; a bad byte is reported with the row being read."""

    def __init__(self, raw: IO[bytes], encoding: str) -> None:
        self.raw, self.encoding = raw, encoding
        self.row = 1  # the row the CSV reader is reading (set by the caller before each record)
        self.line = 0
        self._pending: str | None = None

    def __iter__(self) -> _Lines:
        return self

    def first(self) -> str | None:
        """The first line, kept to be returned again by `next` (for guessing the delimiter)."""
        if self._pending is None:
            try:
                self._pending = next(self)
            except StopIteration:
                return None
            self.line -= 1
        return self._pending

    def __next__(self) -> str:
        if self._pending is not None:
            line, self._pending = self._pending, None
            self.line += 1
            return line
        data = self.raw.readline(LINE_MAX + 1)
        if not data:
            raise StopIteration
        self.line += 1
        if len(data) > LINE_MAX:
            raise FileRejected(
                f"row {self.row} (line {self.line}) is longer than {LINE_MAX // (1024 * 1024)} MB; "
                "is this a CSV file with line breaks?"
            )
        if self.line == 1 and data.startswith(BOM):
            if self.encoding != "utf-8":
                raise FileRejected(f"the file starts with a UTF-8 byte order mark but is read as {self.encoding}")
            data = data[len(BOM) :]
        try:
            return data.decode(self.encoding)
        except UnicodeDecodeError as exc:
            byte = data[exc.start]
            raise FileRejected(
                f"row {self.row} (line {self.line}): byte 0x{byte:02X} at position {exc.start + 1} is not "
                f"{self.encoding}; save the file as UTF-8, or name its encoding in a profile (e.g. cp1250)"
            ) from None


def _csv_rows(raw: IO[bytes], options: ReadOptions) -> Iterator[Row]:
    lines = _Lines(raw, options.encoding)
    first = lines.first()
    if first is None:
        return
    delimiter = options.delimiter or guess_delimiter(first)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    number = 0
    while True:
        lines.row = number + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileRejected(f"row {number + 1} (line {lines.line}): {_csv_problem(str(exc))}") from None
        number += 1
        yield Row(number, tuple(cells))


def guess_delimiter(header: str) -> str:
    """The most frequent of `, ; TAB |` in the header line (a comma when none occurs)."""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_problem(text: str) -> str:
    if "unexpected end of data" in text:
        return "a quoted value is never closed (a broken quote): it runs to the end of the file"
    if "field larger than field limit" in text:
        return "a value is longer than 131,072 characters; probably a quote that is never closed"
    if "expected after" in text:
        return f"a broken quote: text follows a closing quote ({text})"
    if "NUL" in text:
        return "the line holds a NUL byte; is this a text file?"
    if "new-line character" in text:
        return "a line break inside an unquoted value (old Mac line endings?); save the file again as CSV"
    return text


# -- XLSX ---------------------------------------------------------------------------------------


@contextmanager
def _workbook(path: Path, max_unpacked: int) -> Iterator[Any]:
    _check_archive(path, max_unpacked)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # a hostile file can make the parser raise anything: the file's fault, not a bug
        raise FileRejected(f"the file is not a readable XLSX workbook ({_short(exc, path)})") from None
    try:
        yield book
    finally:
        book.close()


def _check_archive(path: Path, max_unpacked: int) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        reason = _short(exc, path)
        raise FileRejected(f"the file is not an XLSX workbook ({reason}); save it as .xlsx or .csv") from None
    if len(parts) > ZIP_PARTS_MAX:
        raise FileRejected(f"the workbook has {len(parts):,} parts; a real one has a few dozen")
    unpacked = sum(p.file_size for p in parts)
    strings = sum(p.file_size for p in parts if p.filename.lower().endswith("sharedstrings.xml"))
    if unpacked > max_unpacked or strings > max_unpacked // 4:
        raise FileRejected(
            f"the workbook unpacks to {unpacked:,} bytes, over the limit of {max_unpacked:,} "
            "(a zip bomb?); save it as CSV or raise PRESTASYNC_FILE_MAX_UNPACKED_BYTES"
        )


def _xlsx_rows(book: Any, sheet_name: str) -> Iterator[Row]:
    sheet = _sheet(book, sheet_name)
    # The sheet's <dimension> can claim any size; without it rows are as wide as their cells.
    sheet.reset_dimensions()
    values = sheet.iter_rows(values_only=True)
    number = 0
    while True:
        try:
            row = next(values)
        except StopIteration:
            return
        except Exception as exc:  # as in _workbook: the file's XML, not our code
            raise FileRejected(f"row {number + 1} of the workbook cannot be read ({_short(exc)})") from None
        number += 1
        yield Row(number, tuple(_cell(v) for v in row))


def _sheet(book: Any, name: str) -> Any:
    names: list[str] = list(book.sheetnames)
    if not name:
        if not book.worksheets:
            raise FileRejected("the workbook has no worksheet")
        return book.worksheets[0]
    for candidate in names:
        if candidate.strip().lower() == name.strip().lower():
            return book[candidate]
    raise FileRejected(f"the workbook has no sheet named {name!r}; it has: {', '.join(names)}")


def _cell(value: object) -> Cell:
    if value is None or isinstance(value, str | int | float | Decimal | bool | datetime | date | time):
        return value
    return str(getattr(value, "text", value))  # an array formula, a duration…: its text


def _short(exc: BaseException, path: Path | None = None) -> str:
    """The exception in one short line, without the file's path on this server."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text.replace(str(path), "the file")[:200] if path is not None else text[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
