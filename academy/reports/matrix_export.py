"""The compliance matrix as a workbook: the same rows and figures as the page (every row, no
pages), the unit's code and full path on each row, the "as at" time in local time and the legend.
Every text cell goes through the one formula-neutralising rule."""

from __future__ import annotations

from flask_babel import gettext as _

from academy.i18n import academy_zone
from academy.reports.exporters import xlsx_text
from academy.reports.matrix import Matrix, UnitRow, legend

FILLS = {"good": "D1E7DD", "watch": "FFF3CD", "alert": "F8D7DA"}
HEADER_ROW = 5  # title, unit, as-at time, a blank line, then the table


def _text(value: str) -> str:
    return xlsx_text([value])[0]


def write_matrix_xlsx(matrix: Matrix, target) -> None:
    """Write ``matrix`` as an XLSX workbook to ``target`` (a path or a binary file)."""
    from openpyxl import Workbook  # noqa: PLC0415 - 0.5 s, XLSX only
    from openpyxl.styles import Font, PatternFill  # noqa: PLC0415 - with the workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Ma trận tuân thủ")[:31]
    bold = Font(bold=True)
    fills = {k: PatternFill("solid", start_color=v, end_color=v) for k, v in FILLS.items()}
    for line in _preamble(matrix):
        sheet.append([_text(line)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append([_text(h) for h in _header(matrix)])
    for cell in sheet[HEADER_ROW]:
        cell.font = bold
    body = _people_lines(matrix) if matrix.shows_people else _unit_lines(matrix)
    for values, levels in body:
        sheet.append(values)
        for cell, level in zip(sheet[sheet.max_row], levels, strict=False):
            if level in fills:
                cell.fill = fills[level]
    sheet[sheet.max_row][0].font = bold  # the totals row
    sheet.append([])
    sheet.append([_text(_("Chú giải"))])
    sheet[sheet.max_row][0].font = bold
    for level, mark, sentence in legend():
        sheet.append([_text(f"{mark} {sentence}")])
        if level in fills:
            sheet[sheet.max_row][0].fill = fills[level]
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=3)
    for column, width in (("A", 16), ("B", 48)):
        sheet.column_dimensions[column].width = width
    book.save(target)


def _preamble(matrix: Matrix) -> list[str]:
    local = matrix.as_of.astimezone(academy_zone())
    unit = (
        f"{matrix.focus.full_name} ({matrix.focus.code})" if matrix.focus else _("Toàn thành phố")
    )
    return [
        _("Ma trận tuân thủ khoá học bắt buộc"),
        _("Đơn vị: %(unit)s", unit=unit),
        _(
            "Số liệu tính đến: %(time)s (giờ Việt Nam, %(zone)s)",
            time=local.strftime("%d/%m/%Y %H:%M"),
            zone=str(academy_zone()),
        ),
    ]


def _header(matrix: Matrix) -> list[str]:
    if matrix.shows_people:
        return [
            _("Mã cán bộ"),
            _("Họ và tên"),
            _("Mã đơn vị"),
            _("Đơn vị (đường dẫn đầy đủ)"),
            *(course.title for course in matrix.courses),
        ]
    head = [_("Mã đơn vị"), _("Đơn vị (đường dẫn đầy đủ)"), _("Số cán bộ")]
    for course in matrix.courses:
        head += [
            _("%(course)s — hoàn thành (%%)", course=course.title),
            _("%(course)s — quá hạn", course=course.title),
        ]
    return head


def _row_name(row: UnitRow) -> str:
    if row.direct:
        return _("%(unit)s — cán bộ trực thuộc", unit=row.unit.full_name)
    return row.unit.full_name


def _unit_lines(matrix: Matrix):
    for row in matrix.rows:
        yield _figures(matrix, [_text(row.unit.code), _text(_row_name(row)), row.people], row)
    yield _figures(matrix, ["", _text(_("Tổng cộng")), matrix.total.people], matrix.total)


def _figures(matrix: Matrix, lead: list, row: UnitRow):
    values, levels = list(lead), [None] * len(lead)
    for course in matrix.courses:
        cell = row.cell(course.id)
        values += [cell.share, cell.overdue if cell.enrolled else None]
        levels += [cell.level, cell.level]
    return values, levels


def _people_lines(matrix: Matrix):
    unit = matrix.focus
    for person in matrix.people or []:
        values = [
            _text(person.employee_code or ""),
            _text(person.full_name),
            _text(unit.code),
            _text(unit.full_name),
        ]
        levels: list = [None] * 4
        for course in matrix.courses:
            status = person.statuses.get(course.id)
            values.append(_text(status.text) if status else "—")
            levels.append(status.level if status else None)
        yield values, levels
    values, levels = ["", _text(_("Tổng cộng")), "", ""], [None] * 4
    for course in matrix.courses:
        cell = matrix.total.cell(course.id)
        values.append(
            _(
                "%(share)s%% hoàn thành · %(overdue)s quá hạn",
                share=cell.share,
                overdue=cell.overdue,
            )
            if cell.enrolled
            else "—"
        )
        levels.append(cell.level)
    yield values, levels
