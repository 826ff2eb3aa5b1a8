"""Completion report services: who may see which rows, running the query, recording downloads."""

from __future__ import annotations

from datetime import UTC, datetime, time
from itertools import groupby

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam

from academy.auth.models import Unit
from academy.auth.units import unit_directory, unit_full_name
from academy.catalog.models import Course
from academy.core.audit import record_audit
from academy.core.downloads import download_filename
from academy.core.pagination import Page, clamp_page
from academy.errors import NotFound
from academy.extensions import db
from academy.i18n import academy_zone
from academy.reports.exporters import STATUS_LABELS, ReportHeading
from academy.reports.pdf import render_pdf
from academy.reports.queries import (
    ReportFilters,
    completion_select,
    export_unit_groups,
    totals_select,
    unit_summary_select,
)

STREAM_BATCH = 2000


def narrow_unit(scope: Unit | None, unit_id: int | None) -> Unit | None:
    """The unit a filter asks for, which must lie inside the reader's scope (else ``NotFound``)."""
    if not unit_id:
        return None
    if not 0 < unit_id < 2**63:  # no such id; beyond the integer range SQLite cannot bind it
        raise NotFound
    unit = db.session.get(Unit, unit_id)
    if unit is None or (scope is not None and not scope.contains(unit)):
        raise NotFound
    return unit


def filters_from_form(form, scope: Unit | None) -> ReportFilters:
    """Filters that can narrow the reader's scope, never widen it."""
    return ReportFilters(
        scope=scope,
        unit=narrow_unit(scope, form.unit.data),
        course_id=form.course.data or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        status=form.status.data or None,
        kind=form.kind.data or None,
    )


def report_page(filters: ReportFilters, sort: str, descending: bool, page: int, per_page: int = 50):
    """One page of rows plus the totals of the whole filtered report."""
    totals = db.session.execute(totals_select(filters)).one()
    page = clamp_page(page, int(totals.rows), per_page)
    rows = db.session.execute(
        completion_select(filters, sort, descending).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return rows, totals, Page(items=rows, page=page, per_page=per_page, total=int(totals.rows))


def count_rows(filters: ReportFilters) -> int:
    return int(db.session.execute(totals_select(filters)).one().rows)


def stream_rows(filters: ReportFilters, progress=None):
    """The report rows in report order (unit, learner, course), streamed with flat memory.

    One query per unit name in the reader's scope: the database never sorts the whole city's rows
    before the first one goes out, and the number of queries grows with units, not with learners.
    Times come as the driver gives them (see ``exporters.LocalDates``). ``progress(unit name,
    number of unit names)`` hears of each unit name whose rows have all gone out.
    """
    connection = db.session.connection()
    units = connection.execute(export_unit_groups(filters)).all()
    names = len({unit.name for unit in units})
    stmt = completion_select(
        filters, unit_ids=bindparam("unit_ids", expanding=True), raw_times=True
    )
    stmt = stmt.execution_options(yield_per=STREAM_BATCH)
    for name, group in groupby(units, key=lambda unit: unit.name):
        result = connection.execute(stmt, {"unit_ids": [unit.id for unit in group]})
        try:
            for batch in result.partitions():
                yield from batch
        finally:  # a client that goes away mid-download must not leave a server-side cursor open
            result.close()
        if progress is not None:
            progress(name, names)


def record_download(fmt: str, filters: ReportFilters, actor=None, via: str = "web") -> None:
    """Audit a report download (the caller commits before sending any data)."""
    record_audit(
        "report.download",
        target=f"completion.{fmt}",
        detail={**filters.describe(), "format": fmt, "via": via},
        actor=actor,
    )


def pdf_bytes(filters: ReportFilters) -> bytes:
    limit = int(current_app.config["REPORT_PDF_MAX_ROWS"])
    summary = db.session.execute(unit_summary_select(filters)).all()
    total_rows = sum(int(unit.rows) for unit in summary)  # every row belongs to one unit
    generated = _local(filters.now).strftime("%d/%m/%Y %H:%M")
    detail = db.session.execute(completion_select(filters).limit(limit)).all()
    return render_pdf(
        summary,
        detail,
        total_rows,
        describe_filters(filters),
        generated,
        limit,
        period_text=period_statement(filters),
        units=unit_directory(),
    )


def _local(moment: datetime) -> datetime:
    return moment.astimezone(academy_zone())


def _day(day) -> str:
    return day.strftime("%d/%m/%Y")


def as_at_text(filters: ReportFilters) -> str:
    """When the report's figures are taken: "hết 30/11/2026" (the end of a past period) or
    "14:03 05/12/2026" (now)."""
    if filters.in_the_past:
        return _("hết %(day)s", day=_day(_local(filters.as_of)))
    return _local(filters.as_of).strftime("%H:%M %d/%m/%Y")


def period_statement(filters: ReportFilters) -> str:
    """The period rule in words, as every report states it in its header."""
    as_at = as_at_text(filters)
    if not (filters.date_from or filters.date_to):
        return _("Không lọc theo kỳ: mọi dòng; trạng thái tính đến %(as_at)s", as_at=as_at)
    if filters.date_from and filters.date_to:
        period = f"{_day(filters.date_from)} – {_day(filters.date_to)}"
    elif filters.date_from:
        period = _("từ %(day)s", day=_day(filters.date_from))
    else:
        period = _("đến hết %(day)s", day=_day(filters.date_to))
    return _(
        "Kỳ: %(period)s · lọc theo hạn hoàn thành (khoá bắt buộc) hoặc ngày hoàn thành; "
        "trạng thái tính đến %(as_at)s",
        period=period,
        as_at=as_at,
    )


def report_heading(filters: ReportFilters) -> ReportHeading:
    """What the CSV and XLSX state about the report (its period, "as at", filters)."""
    return ReportHeading(
        date_from=filters.date_from,
        date_to=filters.date_to,
        as_of=filters.as_of,
        lines=(
            _("Báo cáo hoàn thành khoá học"),
            period_statement(filters),
            describe_filters(filters),
            _(
                "Chỉ tính người đang hoạt động; mỗi người tính ở đơn vị hiện tại của họ. "
                "Quá hạn: hạn hoàn thành đã qua mà chưa hoàn thành (dòng không có hạn không "
                "bao giờ quá hạn)."
            ),
            _("Lập lúc: %(time)s", time=_local(filters.now).strftime("%H:%M %d/%m/%Y")),
        ),
    )


def describe_filters(filters: ReportFilters) -> str:
    unit = filters.subtree
    parts = [
        _("Đơn vị: %(unit)s (%(code)s)", unit=unit_full_name(unit), code=unit.code)
        if unit
        else _("Toàn thành phố")
    ]
    if filters.course_id:
        course = db.session.get(Course, filters.course_id)
        parts.append(_("Khoá học: %(title)s", title=course.title if course else "?"))
    if filters.kind:
        parts.append(
            _("Chỉ khoá bắt buộc") if filters.kind == "mandatory" else _("Chỉ khoá tự chọn")
        )
    if filters.status:
        parts.append(
            _("Trạng thái: %(status)s", status=STATUS_LABELS.get(filters.status, filters.status))
        )
    return " · ".join(str(p) for p in parts)


def due_datetime(day) -> datetime:
    """A due date means the end of that day in the academy's time zone."""
    return datetime.combine(day, time(23, 59, 59), academy_zone()).astimezone(UTC)


def download_name(fmt: str, filters: ReportFilters) -> str:
    """The report's file name: a safe slug of the unit code and the time, whatever the code is."""
    unit = filters.subtree.code if filters.subtree else "toan-thanh-pho"
    return download_filename(
        "bao-cao-hoan-thanh", unit, filters.now.strftime("%Y%m%d-%H%M"), ext=fmt
    )
