"""Writing rows of cells as CSV or XLSX, streamed: the memory used does not grow with the rows.

CSV comes out as text chunks (for a streamed HTTP answer) or straight into a file; XLSX is
written by openpyxl in write-only mode, which keeps one row at a time and spools the
sheet to a temporary file until the workbook is saved. In both, a text cell a spreadsheet
would run as a formula gets a leading `'` (`fields.escape`, as `contract.as_text`), numbers
stay numbers, times are UTC.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from prestasync.contract import iso, money
from prestasync.errors import InvalidInput
from prestasync.fields import Cell, escape

CHUNK_ROWS = 500  # rows per yielded CSV chunk
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def format_for(filename: str) -> str:
    """`csv` or `xlsx`, the format a file name's extension asks for, or InvalidInput."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in MEDIA_TYPES:
        raise InvalidInput(f"{filename!r}: the file name must end in .csv or .xlsx (the format follows it)")
    return ext


def csv_text(cell: Cell) -> str:
    """One cell as CSV text."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, Decimal):
        return money(cell)
    if isinstance(cell, float):
        return repr(cell)
    if isinstance(cell, datetime):
        return iso(cell) or ""
    if isinstance(cell, str):
        return escape(cell)
    return str(cell)


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """The CSV text of `header` and `rows`, a few hundred rows per chunk.

    It starts with a byte order mark: without one, Excel reads a UTF-8 CSV as the local
    code page and garbles every accented letter (our own reader takes it off again).
    """
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for n, row in enumerate(rows, start=1):
        writer.writerow([csv_text(c) for c in row])
        if n % CHUNK_ROWS == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def write_csv(out: IO[str], header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> int:
    """Write the CSV to `out` (opened with newline=""); returns the rows written."""
    count = 0

    def counted() -> Iterator[Sequence[Cell]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    for chunk in csv_chunks(header, counted()):
        out.write(chunk)
    return count


def write_file(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]], *, title: str) -> int:
    """Write a .csv or .xlsx file (by `path`'s extension); returns the rows written.

    It is written as `<path>.part` and renamed when complete, so a failure halfway leaves
    no half file (and an older file of that name stays as it was).
    """
    kind = format_for(path.name)
    part = path.with_name(path.name + ".part")
    try:
        if kind == "xlsx":
            count = write_xlsx(part, header, rows, title=title)
        else:
            with part.open("w", encoding="utf-8", newline="") as out:
                count = write_csv(out, header, rows)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    part.replace(path)
    return count


def xlsx_value(cell: Cell) -> object:
    """One cell as openpyxl takes it in write-only mode."""
    if isinstance(cell, str):
        # XML 1.0 cannot hold most control characters; openpyxl refuses them outright.
        return ILLEGAL_CHARACTERS_RE.sub("", escape(cell))
    if isinstance(cell, Decimal):
        exact = float(cell)
        return exact if Decimal(repr(exact)) == cell else money(cell)
    if isinstance(cell, datetime):
        return cell.astimezone(UTC).replace(tzinfo=None)  # spreadsheets have no time zones: UTC
    return cell


def write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]], *, title: str) -> int:
    """Write an XLSX workbook of one sheet to `path`; returns the rows written."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])  # Excel's limit on a sheet name
    sheet.append(list(header))
    count = 0
    for row in rows:
        sheet.append([xlsx_value(c) for c in row])
        count += 1
    book.save(path)
    return count
