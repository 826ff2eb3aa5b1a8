"""Reading an uploaded staff list (CSV or XLSX) defensively, row by row, within configured limits.

Whatever the bytes hold, reading either yields rows or raises ``ImportFileError`` with a message
naming the place (``Sheet1!C7``, ``Dòng 7``): a malformed file is the uploader's problem to fix,
never a server error. Limits are checked while reading, so a file cannot make a worker read or hold
more than they allow:

* XLSX: the archive's directory is checked first (total uncompressed size, compression ratio,
  member count); a member whose data does not match its declared size fails zipfile's own checks.
  The first sheet is streamed (openpyxl read-only mode) with its declared dimension ignored, so rows
  beyond a wrong ``<dimension>`` are read and a huge declared range costs nothing.
* CSV: UTF-8 (BOM or not), delimiter sniffed among ``,``, ``;`` and tab.
* Both: a cell of more than ``IMPORT_MAX_CELL_CHARS`` characters, a value beyond column
  ``IMPORT_MAX_COLUMNS`` and a row past twice ``IMPORT_MAX_ROWS`` (blank rows count here) are
  refused where they occur; ``read_rows`` refuses the data row past ``IMPORT_MAX_ROWS``.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _

SHEET_MAX_COLUMNS = 16_384  # the last column (XFD)
ZIP_MAX_MEMBERS = 1_000  # an XLSX written by a spreadsheet holds a few dozen parts
RATIO_CHECK_FROM = 1024 * 1024  # small members may compress very well without being a bomb


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, limits, a malformed cell, missing columns)."""


@dataclass(frozen=True)
class ImportLimits:
    """How much of an import file is read: the ``IMPORT_*`` settings in ``academy/config.py``."""

    rows: int = 50_000
    columns: int = 50
    cell_chars: int = 1_000
    uncompressed_bytes: int = 32 * 1024 * 1024
    compression_ratio: int = 200

    @classmethod
    def from_config(cls, config) -> ImportLimits:
        """The limits set in an app's config (defaults for any missing key)."""
        keys = {
            "rows": "IMPORT_MAX_ROWS",
            "columns": "IMPORT_MAX_COLUMNS",
            "cell_chars": "IMPORT_MAX_CELL_CHARS",
            "uncompressed_bytes": "IMPORT_MAX_UNCOMPRESSED_BYTES",
            "compression_ratio": "IMPORT_MAX_COMPRESSION_RATIO",
        }
        return cls(**{name: int(config[key]) for name, key in keys.items() if key in config})


def iter_table(filename: str, data: bytes, limits: ImportLimits) -> Iterator[tuple[int, list]]:
    """(row number, cell values) for every row of the file, the header included, in order."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return _xlsx_rows(data, limits)
    if name.endswith(".csv"):
        return _csv_rows(data, limits)
    raise ImportFileError(_("Chỉ nhận tệp .csv hoặc .xlsx."))


def _check_length(number: int, limits: ImportLimits, where) -> None:
    """Rows are read, blank ones included, up to twice the data-row limit: a file (or a sheet that
    jumps from row 2 to row 1,000,000) cannot keep a worker counting empty rows."""
    if number > 2 * limits.rows + 1:
        raise ImportFileError(
            _(
                "%(where)s: tệp dài quá %(n)s dòng (kể cả dòng trống).",
                where=where(),
                n=2 * limits.rows + 1,
            )
        )


def _checked(values, limits: ImportLimits, where) -> list:
    """``values`` if every cell is within the limits; ``where(column)`` names the cell in error."""
    for column, value in enumerate(values, start=1):
        if value is None or value == "":
            continue
        if column > limits.columns:
            raise ImportFileError(
                _(
                    "%(where)s: dòng có dữ liệu quá cột thứ %(n)s.",
                    where=where(column),
                    n=limits.columns,
                )
            )
        if isinstance(value, str) and len(value) > limits.cell_chars:
            raise ImportFileError(
                _("%(where)s: ô dài quá %(n)s ký tự.", where=where(column), n=limits.cell_chars)
            )
        if (
            isinstance(value, str) and "\x00" in value
        ):  # no database stores it (PostgreSQL refuses it)
            raise ImportFileError(_("%(where)s: ô chứa ký tự NUL.", where=where(column)))
    return list(values)


# ---- CSV -----------------------------------------------------------------------------------


def _csv_rows(data: bytes, limits: ImportLimits) -> Iterator[tuple[int, list]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("Tệp CSV phải dùng bảng mã UTF-8.")) from exc
    # csv.field_size_limit() is process-wide, so it is left at Python's 128 KiB (which bounds what
    # the parser buffers for one field); the configured per-cell limit is checked on every field.
    reader = csv.reader(io.StringIO(text, newline=""), _sniff(text))
    number = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileError(
                _("%(where)s: dòng CSV sai định dạng hoặc có ô quá dài.", where=_line(number + 1))
            ) from exc
        number += 1
        _check_length(number, limits, lambda n=number: _line(n))
        yield number, _checked(values, limits, lambda _column, n=number: _line(n))


def _sniff(text: str):
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except Exception:  # noqa: BLE001 - the sniffer only guesses; on any failure read plain CSV
        return csv.excel


def _line(number: int) -> str:
    return _("Dòng %(line)s", line=number)


# ---- XLSX ----------------------------------------------------------------------------------


def _xlsx_rows(data: bytes, limits: ImportLimits) -> Iterator[tuple[int, list]]:
    check_archive(data, limits)
    from openpyxl import load_workbook  # noqa: PLC0415 - heavy (0.5 s), only for an XLSX upload

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl errors alike: an unreadable file
        raise ImportFileError(_("Không đọc được tệp XLSX.")) from exc
    try:
        yield from _sheet_rows(book, limits)
    finally:
        book.close()


def check_archive(data: bytes, limits: ImportLimits) -> None:
    """Refuse an XLSX that would take more than the limits to read, before openpyxl sees it.

    The ZIP directory is checked first (a zip bomb declares its size there; zipfile never returns
    more than a member's declared size and fails when the data does not match it). Then every member
    is streamed once through a tag counter: a row element with more cells than a sheet has columns
    would otherwise be built whole in memory by the XML parser.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _check_sizes(members, limits)
            for member in members:
                with archive.open(member) as stream:
                    if _widest_row(stream) > SHEET_MAX_COLUMNS:
                        raise ImportFileError(
                            _(
                                "Tệp XLSX có dòng chứa quá %(n)s ô (%(name)s).",
                                n=SHEET_MAX_COLUMNS,
                                name=member.filename[:100],
                            )
                        )
    except ImportFileError:
        raise
    except Exception as exc:  # BadZipFile, CRC, zlib, struct errors: a damaged archive
        raise ImportFileError(_("Không đọc được tệp XLSX.")) from exc


def _check_sizes(members, limits: ImportLimits) -> None:
    if len(members) > ZIP_MAX_MEMBERS:
        raise ImportFileError(_("Tệp XLSX có quá nhiều thành phần (%(n)s).", n=len(members)))
    if sum(member.file_size for member in members) > limits.uncompressed_bytes:
        raise ImportFileError(
            _(
                "Tệp XLSX giải nén ra quá %(mb)s MB.",
                mb=round(limits.uncompressed_bytes / 1024 / 1024, 1),
            )
        )
    for member in members:
        if (
            member.file_size > RATIO_CHECK_FROM
            and member.file_size > limits.compression_ratio * max(member.compress_size, 1)
        ):
            raise ImportFileError(
                _(
                    "Tệp XLSX bị nén bất thường (%(name)s); tệp này không được đọc.",
                    name=member.filename[:100],
                )
            )


_ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s/>]")


def _widest_row(stream) -> int:
    """The most ``<c>`` elements after one ``<row>`` start in an XML stream (read by the MiB)."""
    widest = cells = 0
    tail = b""
    while chunk := stream.read(1 << 20):
        text = tail + chunk
        cut = text.rfind(b"<")  # a tag cut by the chunk's end is counted with the next chunk
        text, tail = (text[:cut], text[cut : cut + 256]) if cut >= 0 else (text, b"")
        for match in _ROW_OR_CELL.finditer(text):
            cells = 0 if match[1] == b"row" else cells + 1
            widest = max(widest, cells)
    return widest


def _sheet_rows(book, limits: ImportLimits) -> Iterator[tuple[int, list]]:
    if not book.worksheets:
        raise ImportFileError(_("Tệp XLSX không có trang tính nào."))
    sheet = book.worksheets[0]
    title = str(sheet.title)[:31]
    sheet.reset_dimensions()  # read every row there is, not the range the file declares
    rows = sheet.iter_rows(values_only=True)
    number = 0
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a malformed cell or row, whatever openpyxl raised
            raise ImportFileError(
                _(
                    "%(where)s: ô không đọc được (sai kiểu dữ liệu hoặc tham chiếu hỏng).",
                    where=_failing_place(exc, title, number),
                )
            ) from exc
        number += 1
        _check_length(number, limits, lambda n=number: _sheet_line(title, n))
        yield number, _checked(values, limits, lambda column, n=number: _cell(title, n, column))


def _cell(title: str, row: int, column: int) -> str:
    from openpyxl.utils import get_column_letter  # noqa: PLC0415 - as load_workbook

    if column > SHEET_MAX_COLUMNS:  # only a malformed row gets here (cells without a reference)
        return f"{title}!R{row}C{column}"
    return f"{title}!{get_column_letter(column)}{row}"


def _sheet_line(title: str, number: int) -> str:
    return _("%(sheet)s, dòng %(line)s", sheet=title, line=number)


def _failing_place(exc: BaseException, title: str, last_row: int) -> str:
    """Where openpyxl stopped: the exact cell when the error came from reading one (its sheet
    parser records the row and column of the cell it is converting), else the row after the last
    one read."""
    from openpyxl.worksheet._reader import WorkSheetParser  # noqa: PLC0415 - as load_workbook

    frame = exc.__traceback__
    place = None
    while frame is not None:
        parser = frame.tb_frame.f_locals.get("self")
        if isinstance(parser, WorkSheetParser):
            place = frame.tb_frame.f_code.co_name, parser.row_counter, parser.col_counter
        frame = frame.tb_next
    if place and place[0] == "parse_cell" and place[1] > 0 and place[2] > 0:
        return _cell(title, place[1], place[2])
    return _sheet_line(title, last_row + 1)
