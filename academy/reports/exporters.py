"""CSV and XLSX writers for the completion report: streamed, flat memory, formula-safe."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice, repeat

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from academy.auth.units import unit_directory

# ``neutralise`` (the one formula rule) lives below every feature; importing it from here works too
from academy.core.cells import BLANKS, FORMULA_AFTER_BREAK, FORMULA_AT_START, neutralise
from academy.i18n import academy_zone

SEPARATORS = {
    "comma": ",",
    "semicolon": ";",
}  # CSV flavours: "semicolon" is what a Vietnamese Excel splits on
BATCH = 2000

COLUMNS = (
    ("unit_name", _l("Đơn vị")),
    ("employee_code", _l("Mã cán bộ")),
    ("full_name", _l("Họ và tên")),
    ("position", _l("Chức vụ")),
    ("course_title", _l("Khoá học")),
    ("source", _l("Hình thức")),
    ("enrolled_at", _l("Ngày ghi danh")),
    ("due_at", _l("Hạn hoàn thành")),
    ("progress", _l("Tiến độ (%)")),
    ("score", _l("Điểm bài kiểm tra trung bình (%)")),
    ("completed_at", _l("Ngày hoàn thành")),
    ("status", _l("Trạng thái")),
    ("certificate_serial", _l("Số chứng chỉ")),
    # appended, so that a script reading older exports by position keeps working
    ("unit_code", _l("Mã đơn vị")),
    ("unit_path", _l("Đơn vị (đầy đủ)")),
    (
        "period",
        _l("Kỳ báo cáo (lọc theo hạn hoàn thành của khoá bắt buộc hoặc ngày hoàn thành)"),
    ),
    ("as_of", _l("Trạng thái và ngày hoàn thành tính đến")),
)
SOURCE_LABELS = {"self": _l("Tự đăng ký"), "assigned": _l("Được giao")}
STATUS_LABELS = {
    "not_started": _l("Chưa bắt đầu"),
    "in_progress": _l("Đang học"),
    "completed": _l("Hoàn thành"),
    "overdue": _l("Quá hạn"),
}


class _PlainFirstChar(dict):
    """Whether text starting with a character needs no look at its start (neither a formula trigger
    nor a blank, control or invisible character), memoised: a million-row export asks six million
    times."""

    def __missing__(self, char: str) -> bool:
        plain = FORMULA_AT_START.match(char) is None and re.match(f"[{BLANKS}]", char) is None
        self[char] = plain
        return plain


_PLAIN_FIRST = _PlainFirstChar()


def neutralised(texts) -> list:
    """A column of free text through ``neutralise``; a missing value is an empty cell.

    The common case costs a dictionary look-up per cell and one regular-expression scan per column.
    """
    plain = _PLAIN_FIRST
    column = [(text if plain[text[0]] else neutralise(text)) if text else "" for text in texts]
    if FORMULA_AFTER_BREAK.search("\ue000".join(column)):  # U+E000 is neither a break nor a blank
        column = [FORMULA_AFTER_BREAK.sub(r"\1'", text) for text in column]
    return column


def xlsx_text(texts) -> list:
    """A column of free text for a workbook: ``neutralised``, less the control characters that XML
    (so XLSX) cannot hold and openpyxl refuses."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415 - 0.5 s, XLSX only

    return [ILLEGAL_CHARACTERS_RE.sub("", text) if text else text for text in neutralised(texts)]


@dataclass(frozen=True)
class ReportHeading:
    """What a report states about itself: its period, the moment its figures are taken at, and
    the sentences a reader sees above the rows (the XLSX's "Thông tin báo cáo" sheet).

    Every data row also carries the period and the "as at" moment in its last two columns: the CSV
    stays one header line and rows (machine-readable), and each row says what it stands for.
    """

    date_from: date | None
    date_to: date | None
    as_of: datetime  # timezone-aware
    lines: tuple[str, ...] = ()

    def period_cell(self, as_text: bool) -> str:
        """The period as one cell ("2026-11-01 – 2026-11-30"); empty without a period."""
        if not (self.date_from or self.date_to):
            return ""

        def day(value):
            if value is None:
                return "…"
            return value.isoformat() if as_text else value.strftime("%d/%m/%Y")

        return f"{day(self.date_from)} – {day(self.date_to)}"

    def as_of_cell(self, as_text: bool):
        """The "as at" moment in local time to the second: text for CSV, a datetime for XLSX."""
        local = self.as_of.astimezone(academy_zone()).replace(microsecond=0, tzinfo=None)
        return local.isoformat(" ") if as_text else local


def headers() -> list[str]:
    return [str(label) for _key, label in COLUMNS]


class LocalDates:
    """UTC times as dates in the academy's time zone, for a million rows.

    A time is a timezone-aware datetime or, straight from SQLite, naive UTC text
    ("2026-05-01 19:20:30.123456"). Text is read per UTC hour: an hour whose start and end fall on
    the same local date with the same offset maps every instant in it to that date, so the
    conversion is done once per hour; the other hours are converted instant by instant.
    """

    def __init__(self, zone, render=None):
        self.zone, self.render = zone, render or (lambda day: day)
        self._hours: dict[str, object] = {}

    def __call__(self, value):
        if value is None:
            return None
        if isinstance(value, str):
            day = self._hours.get(value[:13])
            if day is None:
                day = self._hours[value[:13]] = self._hour(value[:13])
            if day is not False:
                return day
            value = datetime.fromisoformat(value).replace(tzinfo=UTC)
        elif value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return self.render(value.astimezone(self.zone).date())

    def column(self, values) -> list:
        """Dates for a column of times (None stays None); a known hour costs one look-up."""
        hours = self._hours
        return [
            (hours.get(value[:13]) or self(value))
            if value.__class__ is str
            else value and self(value)
            for value in values
        ]

    def _hour(self, hour: str):
        start = datetime.fromisoformat(hour + ":00").replace(tzinfo=UTC).astimezone(self.zone)
        end = (start + timedelta(hours=1, microseconds=-1)).astimezone(self.zone)
        if start.date() != end.date() or start.utcoffset() != end.utcoffset():
            return False
        return self.render(start.date())


class RowFormatter:
    """Report rows (SQL result rows) as display-ready rows in column order, free text (names, codes,
    titles, serials, unit paths) neutralised: dates as dates for XLSX and PDF, as ISO text for CSV.

    Units are named from ``units`` (``academy.auth.units.unit_directory()``, read once here if not
    given) by the row's unit id: the full path costs a dictionary look-up, never a query.
    Rows are formatted a batch at a time, column by column: a million-row export spends its time
    here, and per-column passes cost a fraction of per-row, per-cell calls.
    """

    def __init__(
        self,
        as_text: bool = False,
        text=None,
        *,
        heading: ReportHeading | None = None,
        units: dict | None = None,
    ):
        self.day = LocalDates(academy_zone(), date.isoformat if as_text else None)
        self.text = text or neutralised  # the free-text columns: neutralised, or xlsx_text
        self.sources = {k: str(v) for k, v in SOURCE_LABELS.items()}
        self.statuses = {k: str(v) for k, v in STATUS_LABELS.items()}
        directory = unit_directory() if units is None else units
        self.paths = {unit_id: info.full_name for unit_id, info in directory.items()}
        self.period = heading.period_cell(as_text) if heading else ""
        self.as_of = heading.as_of_cell(as_text) if heading else None

    def batch(self, rows: list) -> list[tuple]:
        """Display-ready rows (tuples in column order) for a list of report rows."""
        if not rows:
            return []
        (
            _ids,
            unit_ids,
            units,
            unit_codes,
            codes,
            names,
            positions,
            courses,
            sources,
            enrolled,
            due,
            progress,
            scores,
            completed,
            statuses,
            serials,
        ) = zip(*rows, strict=True)
        day, text, paths = self.day, self.text, self.paths
        return list(
            zip(
                text(units),
                text(codes),
                text(names),
                text(positions),
                text(courses),
                map(self.sources.get, sources, sources),
                day.column(enrolled),
                day.column(due),
                map(int, progress),
                [round(float(score), 1) if score is not None else None for score in scores],
                day.column(completed),
                map(self.statuses.get, statuses, statuses),
                text(serials),
                text(unit_codes),
                text([paths.get(unit_id, "") for unit_id in unit_ids]),
                repeat(text([self.period])[0]),
                repeat(self.as_of),
                strict=False,  # the last two repeat; the others have one value per row
            )
        )


def _batches(rows, size: int = BATCH):
    rows = iter(rows)
    while batch := list(islice(rows, size)):
        yield batch


def csv_chunks(rows, separator: str = ",", *, heading: ReportHeading):
    """Yield the CSV file in pieces: BOM and header at once, then batches of rows.

    The first line is the header and every other line a row (machine-readable); each row states
    the report's period and the moment its status is taken at (``heading``) in its last columns.

    Every text field is quoted (numbers are not), so a ``;`` or ``,`` inside a name can never start
    a new cell in a spreadsheet that splits on the other separator. With ``separator=";"`` (the
    list separator of a Vietnamese Excel) decimals are written with a decimal comma.
    """
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=separator, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n"
    )
    writer.writerow(headers())
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    formatter = RowFormatter(as_text=True, heading=heading)
    for batch in _batches(rows):
        buffer.seek(0)
        buffer.truncate()
        lines = formatter.batch(batch)
        writer.writerows(_decimal_commas(lines) if separator == ";" else lines)
        yield buffer.getvalue().encode("utf-8")


_SCORE = [key for key, _label in COLUMNS].index("score")


def _decimal_commas(lines):
    at = _SCORE
    return [
        line[:at]
        + (None if line[at] is None else str(line[at]).replace(".", ","),)
        + line[at + 1 :]
        for line in lines
    ]


def write_xlsx(rows, target, *, heading: ReportHeading) -> int:
    """Write the report to ``target`` (path or file) with openpyxl's write-only mode.

    Dates are date cells, numbers numbers; the header row is frozen and carries an auto filter.
    A second sheet, "Thông tin báo cáo", states the period and filters in words (``heading``).
    Returns the number of data rows.
    """
    # openpyxl takes 0.5 s to import: loaded for an XLSX export only, not with the app.
    from openpyxl import Workbook  # noqa: PLC0415 - see above
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415 - see above
    from openpyxl.styles import Font  # noqa: PLC0415 - see above
    from openpyxl.utils import get_column_letter  # noqa: PLC0415 - see above

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Hoàn thành khoá học"))
    sheet.freeze_panes = "A2"
    widths = (28, 14, 26, 20, 36, 12, 14, 14, 12, 14, 14, 14, 18, 14, 60, 24, 20)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header = []
    for text in headers():
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    formatter = RowFormatter(text=xlsx_text, heading=heading)
    count = 0
    for batch in _batches(rows):
        for values in formatter.batch(batch):
            sheet.append(values)
        count += len(batch)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count + 1}"
    about = workbook.create_sheet(_("Thông tin báo cáo"))
    about.column_dimensions["A"].width = 120
    for line in xlsx_text(list(heading.lines)):
        about.append([line])
    workbook.save(target)
    return count
