"""The year-end evaluation as files to attach to the annual evaluation of cadres: an XLSX workbook
(openpyxl write-only: flat memory) and a PDF (WeasyPrint, the package's static files only). A PDF
for more people than ``EVALUATION_PDF_SYNC_MAX_PEOPLE`` is laid out by a background job.

Every text cell of the workbook goes through ``academy.core.cells.neutralise``: a name such as
``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import os
from datetime import date, datetime

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from academy.auth.models import Unit
from academy.core.cells import neutralise
from academy.core.downloads import download_filename
from academy.database import db
from academy.i18n import academy_zone
from academy.jobs import Job, enqueue, export_file, offer_download, report_progress
from academy.pdf import STATIC_SCHEME, make_fetcher
from academy.training.evaluation import Evaluation, build_evaluation
from academy.training.hours import hours_label

JOB_KIND = "training.evaluation"
PDF_FUNC = "academy.training.evaluation_files:export_evaluation_pdf"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SOURCE_LABELS = {
    "course": _l("Khoá học trực tuyến"),
    "session": _l("Buổi học tập trung"),
    "external": _l("Đào tạo bên ngoài"),
}
TARGET_KIND_LABELS = {  # the wording of the targets page
    "course_completion": _l("Tỉ lệ hoàn thành một khoá học bắt buộc"),
    "average_hours": _l("Số giờ học bình quân mỗi người"),
    "attendance_rate": _l("Tỉ lệ tham dự các buổi học trực tiếp"),
    "track_certified": _l("Tỉ lệ có chứng chỉ theo chuyên đề"),
}
TARGET_STATUS_LABELS = {  # the statuses of ``academy.training.targets``
    "met": _l("Đã đạt"),
    "on_track": _l("Đúng tiến độ"),
    "behind": _l("Chậm tiến độ"),
    "overdue": _l("Quá hạn, chưa đạt"),
    "not_started": _l("Chưa bắt đầu"),
    "no_data": _l("Chưa có số liệu"),
}
MET_LABELS = {True: _l("Đạt"), False: _l("Chưa đạt")}
RULES = (
    _l(
        "Cán bộ được tính: người đang hoạt động, thuộc đơn vị đã chọn hoặc các đơn vị cấp dưới, "
        "theo đơn vị công tác hiện tại."
    ),
    _l("Năm tính theo giờ Việt Nam, từ ngày 1/1 đến hết ngày 31/12."),
    _l(
        "Giờ học trong năm gồm: số giờ của các khoá học trực tuyến hoàn thành trong năm; số giờ "
        "được tính của các buổi học tập trung diễn ra trong năm mà cán bộ có điểm danh (buổi đã "
        "huỷ không tính); số giờ đào tạo bên ngoài do bộ phận tổ chức ghi nhận, có ngày hoàn thành "
        "trong năm."
    ),
    _l(
        "Đạt yêu cầu khi tổng số giờ học trong năm bằng hoặc cao hơn số giờ yêu cầu của chức vụ "
        "(nếu chức vụ chưa có quy định riêng thì dùng mức chung)."
    ),
    _l(
        "Điểm trung bình: trung bình điểm cao nhất của các mô-đun đã làm bài, thuộc các khoá học "
        "hoàn thành trong năm."
    ),
    _l("Chứng chỉ: các chứng chỉ được cấp trong năm và chưa bị thu hồi."),
)


def unit_text(evaluation: Evaluation) -> str:
    unit = evaluation.unit
    return f"{unit.code} · {unit.full_name}" if unit else _("Toàn thành phố")


def generated_text(evaluation: Evaluation) -> str:
    return evaluation.generated_at.astimezone(academy_zone()).strftime("%d/%m/%Y %H:%M")


def download_name(evaluation: Evaluation, ext: str) -> str:
    code = evaluation.unit.code if evaluation.unit else "toan-thanh-pho"
    return download_filename("danh-gia-dao-tao", code, evaluation.year, ext=ext)


def hours_number(value: float) -> float | int:
    """Hours as a spreadsheet shows them: whole numbers without a decimal point."""
    value = round(float(value or 0), 2)
    return int(value) if value == int(value) else value


def day_text(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


# ---- XLSX ------------------------------------------------------------------------------------


def write_xlsx(evaluation: Evaluation, target) -> None:
    """Write the workbook to ``target`` (a path or a file): "Thông tin", "Cán bộ", "Chi tiết giờ
    học" and "Chỉ tiêu đơn vị"."""
    from openpyxl import Workbook  # noqa: PLC0415 - 0.5 s to import: only for an XLSX

    workbook = Workbook(write_only=True)
    _Sheets(workbook, evaluation).write()
    workbook.save(target)


class _Sheets:
    def __init__(self, workbook, evaluation: Evaluation):
        from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415 - 0.5 s, only for an XLSX
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415 - as above
        from openpyxl.styles import Font  # noqa: PLC0415 - as above
        from openpyxl.utils import get_column_letter  # noqa: PLC0415 - as above

        self.workbook, self.e = workbook, evaluation
        self.cell, self.illegal, self.letter = (
            WriteOnlyCell,
            ILLEGAL_CHARACTERS_RE,
            get_column_letter,
        )
        self.bold = Font(bold=True)

    def text(self, value) -> str:
        return self.illegal.sub("", neutralise(str(value))) if value else ""

    def day(self, sheet, value: date | None):
        if value is None:
            return None
        cell = self.cell(sheet, value=value)
        cell.number_format = "DD/MM/YYYY"
        return cell

    def sheet(self, title: str, headers: list[str], widths: tuple[int, ...]):
        sheet = self.workbook.create_sheet(title)
        sheet.freeze_panes = "A2"
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[self.letter(index)].width = width
        row = []
        for header in headers:
            cell = self.cell(sheet, value=str(header))
            cell.font = self.bold
            row.append(cell)
        sheet.append(row)
        return sheet

    def write(self) -> None:
        self.info()
        self.people()
        self.items()
        self.targets()

    def info(self) -> None:
        sheet = self.workbook.create_sheet(_("Thông tin"))
        sheet.column_dimensions["A"].width = 28
        sheet.column_dimensions["B"].width = 110
        e = self.e
        lines = [
            (_("Đánh giá kết quả đào tạo, bồi dưỡng năm"), e.year),
            (_("Đơn vị (gồm đơn vị cấp dưới)"), self.text(unit_text(e))),
            (_("Lập lúc (giờ Việt Nam)"), generated_text(e)),
            (_("Số cán bộ"), len(e.people)),
            (_("Số cán bộ đạt yêu cầu"), e.met_count),
            (_("Số giờ học bình quân"), hours_number(e.average())),
        ]
        for label, value in lines:
            sheet.append([self.cell(sheet, value=label), value])
        sheet.append([])
        sheet.append([_("Quy tắc")])
        for rule in RULES:
            sheet.append(["", str(rule)])

    def people(self) -> None:
        headers = [
            _("Họ và tên"), _("Mã cán bộ"), _("Chức vụ"), _("Mã đơn vị"), _("Đơn vị (đầy đủ)"),
            _("Giờ khoá học trực tuyến"), _("Giờ buổi học tập trung"), _("Giờ đào tạo bên ngoài"),
            _("Tổng số giờ"), _("Số giờ yêu cầu"), _("Kết quả"),
            _("Số khoá học hoàn thành"), _("Các khoá học hoàn thành"),
            _("Điểm trung bình (%)"), _("Chứng chỉ cấp trong năm"),
            _("Số buổi học tập trung đã dự"), _("Các buổi học tập trung"), _("Đào tạo bên ngoài"),
        ]  # fmt: skip
        widths = (26, 14, 20, 12, 50, 12, 12, 12, 10, 10, 10, 10, 50, 12, 30, 10, 50, 50)
        sheet = self.sheet(_("Cán bộ"), headers, widths)
        for p in self.e.people:
            sheet.append([
                self.text(p.full_name), self.text(p.employee_code), self.text(p.position),
                self.text(p.unit.code if p.unit else ""),
                self.text(p.unit.full_name if p.unit else ""),
                hours_number(p.courses_hours), hours_number(p.sessions_hours),
                hours_number(p.external_hours), hours_number(p.total), hours_number(p.required),
                str(MET_LABELS[p.met]),
                len(p.courses), self.text("; ".join(c.title for c in p.courses)),
                round(p.average_score * 100, 1) if p.average_score is not None else None,
                self.text("; ".join(p.certificates)),
                len(p.sessions),
                self.text("; ".join(f"{s.title} ({day_text(s.day)})" for s in p.sessions)),
                self.text("; ".join(
                    _("%(title)s (%(hours)s giờ, %(day)s)", title=x.title,
                      hours=hours_number(x.hours), day=day_text(x.day))
                    for x in p.external
                )),
            ])  # fmt: skip
        sheet.auto_filter.ref = f"A1:{self.letter(len(headers))}{len(self.e.people) + 1}"

    def items(self) -> None:
        headers = [
            _("Họ và tên"), _("Mã cán bộ"), _("Mã đơn vị"), _("Nguồn giờ học"), _("Nội dung"),
            _("Đơn vị tổ chức"), _("Ngày"), _("Số giờ"),
        ]  # fmt: skip
        sheet = self.sheet(_("Chi tiết giờ học"), headers, (26, 14, 12, 22, 50, 30, 12, 10))
        sources = {key: str(label) for key, label in SOURCE_LABELS.items()}
        count = 0
        for p in self.e.people:
            name, code = self.text(p.full_name), self.text(p.employee_code)
            unit = self.text(p.unit.code if p.unit else "")
            for item in p.items:
                sheet.append([
                    name, code, unit, sources[item.source], self.text(item.title),
                    self.text(item.provider), self.day(sheet, item.day), hours_number(item.hours),
                ])  # fmt: skip
                count += 1
        sheet.auto_filter.ref = f"A1:{self.letter(len(headers))}{count + 1}"

    def targets(self) -> None:
        headers = [
            _("Mã đơn vị"), _("Đơn vị (đầy đủ)"), _("Loại chỉ tiêu"), _("Khoá học / lĩnh vực"),
            _("Chỉ tiêu"), _("Kết quả"), _("Đơn vị đo"), _("Hạn"), _("Trạng thái"),
        ]  # fmt: skip
        sheet = self.sheet(_("Chỉ tiêu đơn vị"), headers, (12, 50, 34, 34, 10, 10, 10, 12, 16))
        for t in self.e.targets:
            hours = t.kind == "average_hours"
            scale = 1 if hours else 100
            sheet.append([
                self.text(t.unit.code if t.unit else ""),
                self.text(t.unit.full_name if t.unit else ""),
                str(TARGET_KIND_LABELS.get(t.kind, t.kind)), self.text(t.subject),
                hours_number(t.target * scale),
                hours_number(t.result * scale) if t.result is not None else None,
                _("giờ") if hours else "%", self.day(sheet, t.due_on),
                str(TARGET_STATUS_LABELS[t.status]) if t.status in TARGET_STATUS_LABELS else "",
            ])  # fmt: skip


# ---- PDF -------------------------------------------------------------------------------------


def render_pdf(evaluation: Evaluation) -> bytes:
    """The evaluation as an A4 PDF: the unit's summary and targets, then one block per person."""
    from weasyprint import HTML  # noqa: PLC0415 - 2 s to import: only when a PDF is asked for

    html = render_template(
        "training/evaluation_pdf.html",
        e=evaluation,
        unit_text=unit_text(evaluation),
        generated_at=generated_text(evaluation),
        rules=[str(rule) for rule in RULES],
        sources=SOURCE_LABELS,
        kinds=TARGET_KIND_LABELS,
        statuses=TARGET_STATUS_LABELS,
        met_labels=MET_LABELS,
        hours=hours_label,  # "11,6" in Vietnamese
        day=day_text,
        static_prefix=STATIC_SCHEME,
    )
    return HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=make_fetcher()).write_pdf()


def start_pdf_job(scope: Unit | None, year: int, now: datetime, user) -> Job:
    """Queue the PDF of a large scope; the caller commits (the job starts after the commit)."""
    params = {
        "format": "pdf",
        "unit_id": scope.id if scope is not None else None,
        "unit_code": scope.code if scope is not None else None,
        "year": year,
        "now": now.isoformat(),
    }
    return enqueue(PDF_FUNC, kind=JOB_KIND, params=params, user_id=user.id)


def export_evaluation_pdf(job_id: str) -> None:
    """The job: build the evaluation as at the moment it was asked for, lay out the PDF, write
    the file whole (or not at all) and record where it is and when its link expires."""
    job = db.session.get(Job, job_id)
    params = job.params
    scope = None
    if params.get("unit_id") is not None:
        scope = db.session.get(Unit, params["unit_id"])
        if scope is None:  # the unit is gone: never fall back to the whole city
            raise LookupError("the evaluated unit no longer exists")
    evaluation = build_evaluation(scope, int(params["year"]), datetime.fromisoformat(params["now"]))
    report_progress(job_id, 0, len(evaluation.people))
    data = render_pdf(evaluation)
    path = export_file(f"{job_id}.pdf")
    partial = path + ".part"
    with open(partial, "wb") as out:
        out.write(data)
    os.replace(partial, path)
    job = db.session.get(Job, job_id)
    job.progress = job.total = len(evaluation.people)
    offer_download(job, path)
    db.session.commit()
