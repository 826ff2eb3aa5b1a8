"""Completion report services: who may see which rows, running the query, recording downloads."""
from __future__ import annotations

from datetime import datetime, time, timezone
from itertools import groupby

from flask import abort, current_app
from sqlalchemy import bindparam, select

from academy.admin.services import record_audit
from academy.auth.models import Unit
from academy.catalog.models import Course
from academy.core.downloads import download_filename
from academy.extensions import db
from academy.reports.exporters import academy_zone
from academy.reports.queries import (
    ReportFilters, completion_select, export_unit_groups, totals_select, unit_summary_select,
)

STREAM_BATCH = 2000


def units_in_scope(scope: Unit | None) -> list[Unit]:
    """Units the reader may pick, in tree order."""
    query = select(Unit).order_by(Unit.path)
    if scope is not None:
        query = query.where(scope.subtree_filter())
    return list(db.session.scalars(query))


def unit_label(unit: Unit) -> str:
    """Name and code, indented by depth, so a select box shows the tree."""
    return "\u2003" * (unit.path.count("/") - 2) + f"{unit.name} ({unit.code})"


def unit_choices(scope: Unit | None, blank=None) -> list[tuple]:
    units = units_in_scope(scope)
    choices = [(None, blank)] if blank is not None else []
    return choices + [(u.id, unit_label(u)) for u in units]


def course_choices(blank=None) -> list[tuple]:
    courses = db.session.execute(select(Course.id, Course.title).where(Course.status != "draft")
                                 .order_by(Course.title)).all()
    return ([(None, blank)] if blank is not None else []) + [(c.id, c.title) for c in courses]


def narrow_unit(scope: Unit | None, unit_id: int | None) -> Unit | None:
    """The unit a filter asks for, which must lie inside the reader's scope (else 404)."""
    if not unit_id:
        return None
    unit = db.session.get(Unit, unit_id)
    if unit is None or (scope is not None and not scope.contains(unit)):
        abort(404)
    return unit


def filters_from_form(form, scope: Unit | None) -> ReportFilters:
    """Filters that can narrow the reader's scope, never widen it."""
    return ReportFilters(scope=scope, unit=narrow_unit(scope, form.unit.data), course_id=form.course.data or None,
                         date_from=form.date_from.data, date_to=form.date_to.data,
                         status=form.status.data or None)


def report_page(filters: ReportFilters, sort: str, descending: bool, page: int, per_page: int = 50):
    """One page of rows plus the totals of the whole filtered report."""
    totals = db.session.execute(totals_select(filters)).one()
    pages = max(1, -(-int(totals.rows) // per_page))
    page = min(max(page, 1), pages)
    rows = db.session.execute(completion_select(filters, sort, descending)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return rows, totals, Pagination(page, pages)


class Pagination:
    """Enough of Flask-SQLAlchemy's pagination for the ``pagination`` macro."""

    def __init__(self, page: int, pages: int):
        self.page, self.pages = page, pages

    def iter_pages(self, edge=2, around=2):
        last = 0
        for number in range(1, self.pages + 1):
            if number <= edge or abs(number - self.page) <= around or number > self.pages - edge:
                if last + 1 != number:
                    yield None
                yield number
                last = number


def count_rows(filters: ReportFilters) -> int:
    return int(db.session.execute(totals_select(filters)).one().rows)


def own_job(job_id: str, user):
    """A report job started by ``user`` (anyone else's is a 404)."""
    from academy.jobs import Job

    job = db.session.get(Job, job_id)
    if job is None or job.kind != "report.completion" or job.created_by_id != user.id:
        abort(404)
    return job


def job_expired(job) -> bool:
    from academy.database import utcnow

    return job.expires_at is not None and job.expires_at < utcnow()


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
    stmt = completion_select(filters, unit_ids=bindparam("unit_ids", expanding=True), raw_times=True)
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
    record_audit("report.download", target=f"completion.{fmt}",
                 detail={**filters.describe(), "format": fmt, "via": via}, actor=actor)


def pdf_bytes(filters: ReportFilters) -> bytes:
    from academy.reports.pdf import DEFAULT_MAX_ROWS, render_pdf

    limit = int(current_app.config.get("REPORT_PDF_MAX_ROWS", DEFAULT_MAX_ROWS))
    summary = db.session.execute(unit_summary_select(filters)).all()
    total_rows = sum(int(unit.rows) for unit in summary)  # every row belongs to one unit
    generated = filters.now.astimezone(academy_zone()).strftime("%d/%m/%Y %H:%M")
    detail = db.session.execute(completion_select(filters).limit(limit)).all()
    return render_pdf(summary, detail, total_rows, describe_filters(filters), generated, limit)


def describe_filters(filters: ReportFilters) -> str:
    from flask_babel import gettext as _

    from academy.reports.exporters import STATUS_LABELS

    parts = [_("Đơn vị: %(unit)s", unit=filters.subtree.name) if filters.subtree else _("Toàn thành phố")]
    if filters.course_id:
        course = db.session.get(Course, filters.course_id)
        parts.append(_("Khoá học: %(title)s", title=course.title if course else "?"))
    if filters.date_from or filters.date_to:
        parts.append(_("Thời gian: %(start)s – %(end)s",
                       start=filters.date_from.strftime("%d/%m/%Y") if filters.date_from else "…",
                       end=filters.date_to.strftime("%d/%m/%Y") if filters.date_to else "…"))
    if filters.status:
        parts.append(_("Trạng thái: %(status)s", status=STATUS_LABELS.get(filters.status, filters.status)))
    return " · ".join(str(p) for p in parts)


def due_datetime(day) -> datetime:
    """A due date means the end of that day in the academy's time zone."""
    return datetime.combine(day, time(23, 59, 59), academy_zone()).astimezone(timezone.utc)


def download_name(fmt: str, filters: ReportFilters) -> str:
    """The report's file name: a safe slug of the unit code and the time, whatever the code holds."""
    unit = filters.subtree.code if filters.subtree else "toan-thanh-pho"
    return download_filename("bao-cao-hoan-thanh", unit, filters.now.strftime("%Y%m%d-%H%M"), ext=fmt)
