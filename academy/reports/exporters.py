"""CSV and XLSX writers for the completion report: streamed, flat memory, formula-safe."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 2000

COLUMNS = (
    ("unit_name", _l("Đơn vị")), ("employee_code", _l("Mã cán bộ")), ("full_name", _l("Họ và tên")),
    ("position", _l("Chức vụ")), ("course_title", _l("Khoá học")), ("source", _l("Hình thức")),
    ("enrolled_at", _l("Ngày ghi danh")), ("due_at", _l("Hạn hoàn thành")), ("progress", _l("Tiến độ (%)")),
    ("score", _l("Điểm bài kiểm tra trung bình (%)")), ("completed_at", _l("Ngày hoàn thành")),
    ("status", _l("Trạng thái")), ("certificate_serial", _l("Số chứng chỉ")),
)
SOURCE_LABELS = {"self": _l("Tự đăng ký"), "assigned": _l("Được giao")}
STATUS_LABELS = {"not_started": _l("Chưa bắt đầu"), "in_progress": _l("Đang học"),
                 "completed": _l("Hoàn thành"), "overdue": _l("Quá hạn")}


def neutralise(value):
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe (CSV and XLSX)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
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

    def local_date(self, value: datetime | None) -> date | None:
        return value.astimezone(self.zone).date() if value is not None else None

    def values(self, row) -> list:
        score = round(float(row.score), 1) if row.score is not None else None
        return [row.unit_name, row.employee_code or "", row.full_name, row.position or "", row.course_title,
                self.sources.get(row.source, row.source), self.local_date(row.enrolled_at),
                self.local_date(row.due_at), int(row.progress or 0), score,
                self.local_date(row.completed_at), self.statuses.get(row.status, row.status),
                row.certificate_serial or ""]


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


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
        writer.writerow([_csv_cell(v) for v in formatter.values(row)])
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
        sheet.append([neutralise(v) for v in formatter.values(row)])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count + 1}"
    workbook.save(target)
    return count
