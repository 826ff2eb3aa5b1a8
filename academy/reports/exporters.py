"""CSV and XLSX writers for the completion report: streamed, flat memory, formula-safe."""
from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
BATCH = 2000

COLUMNS = (
    ("unit_name", _l("Đơn vị")), ("employee_code", _l("Mã cán bộ")), ("full_name", _l("Họ và tên")),
    ("position", _l("Chức vụ")), ("course_title", _l("Khoá học")), ("source", _l("Hình thức")),
    ("enrolled_at", _l("Ngày ghi danh")), ("due_at", _l("Hạn hoàn thành")), ("progress", _l("Tiến độ (%)")),
    ("score", _l("Điểm bài kiểm tra trung bình (%)")), ("completed_at", _l("Ngày hoàn thành")),
    ("status", _l("Trạng thái")), ("certificate_serial", _l("Số chứng chỉ")),
)
DATE_COLUMNS = (6, 7, 10)
SOURCE_LABELS = {"self": _l("Tự đăng ký"), "assigned": _l("Được giao")}
STATUS_LABELS = {"not_started": _l("Chưa bắt đầu"), "in_progress": _l("Đang học"),
                 "completed": _l("Hoàn thành"), "overdue": _l("Quá hạn")}


def neutralise(value):
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe (CSV and XLSX)."""
    if isinstance(value, str) and value and value[0] in _FORMULA_FIRST:
        return "'" + value
    return value


def headers() -> list[str]:
    return [str(label) for _key, label in COLUMNS]


class RowFormatter:
    """Report rows (SQL result rows) as typed, display-ready values in column order."""

    def __init__(self):
        self.zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh"))
        self.sources = {k: str(v) for k, v in SOURCE_LABELS.items()}
        self.statuses = {k: str(v) for k, v in STATUS_LABELS.items()}

    def values(self, row) -> list:
        """Typed values in column order; free text (names, codes, titles) already neutralised.

        Positional unpacking: this runs once per row of a million-row export.
        """
        (_id, _unit_id, unit_name, _unit_code, code, full_name, position, course, source, enrolled_at, due_at,
         progress, score, completed_at, status, serial) = row
        zone = self.zone
        return [neutralise(unit_name), neutralise(code or ""), neutralise(full_name), neutralise(position or ""),
                neutralise(course), self.sources.get(source, source),
                enrolled_at.astimezone(zone).date() if enrolled_at is not None else None,
                due_at.astimezone(zone).date() if due_at is not None else None,
                int(progress or 0), round(float(score), 1) if score is not None else None,
                completed_at.astimezone(zone).date() if completed_at is not None else None,
                self.statuses.get(status, status), neutralise(serial or "")]


def csv_chunks(rows):
    """Yield the CSV file in pieces: BOM and header at once, then batches of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers())
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    formatter = RowFormatter()
    count = 0
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        values = formatter.values(row)
        for i in DATE_COLUMNS:
            if values[i] is not None:
                values[i] = values[i].isoformat()
        writer.writerow(values)  # csv writes None as an empty field
        count += 1
        if count % BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def write_xlsx(rows, target) -> int:
    """Write the report to ``target`` (path or file) with openpyxl's write-only mode.

    Dates are date cells, numbers numbers; the header row is frozen and carries an auto filter.
    Returns the number of data rows.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Hoàn thành khoá học"))
    sheet.freeze_panes = "A2"
    for index, width in enumerate((28, 14, 26, 20, 36, 12, 14, 14, 12, 14, 14, 14, 18), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header = []
    for text in headers():
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    formatter = RowFormatter()
    count = 0
    for row in rows:
        sheet.append(formatter.values(row))
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count + 1}"
    workbook.save(target)
    return count
