"""Mandates, completions, certificates, paths and progress through the API, read through the
services the pages use (``academy.reports``, ``academy.learning.progress``, ``academy.paths``)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from academy.api.errors import ApiError
from academy.auth.access import can_change_assignment
from academy.auth.models import Unit, User
from academy.catalog.models import Course
from academy.certificates.models import Certificate
from academy.core.audit import before_after, record_audit
from academy.extensions import db
from academy.learning.models import Assignment
from academy.learning.progress import learner_overview
from academy.paths.services import build_path
from academy.reports.assignments import assign_course, list_assignments, snapshot
from academy.reports.queries import ReportFilters
from academy.reports.services import due_datetime, record_download, report_page


def assignments_in(scope, unit: Unit | None) -> list:
    return list_assignments(unit or scope)


def add_assignment(scope, actor, unit: Unit, data: dict):
    """Assign a published course to ``unit`` (inside the caller's subtree), as the page does:
    a mandate set above the caller stays theirs to change. Audited; the caller commits."""
    course = db.session.scalar(
        select(Course).where(Course.slug == data["course_slug"], Course.status == "published")
    )
    if course is None:
        raise ApiError(
            422, errors=[{"field": "course_slug", "reason": _("Không có khoá học này.")}]
        )
    if bool(data.get("due_date")) == bool(data.get("due_days")):
        reason = _("Cho đúng một trong hai: hạn theo ngày hoặc số ngày.")
        raise ApiError(422, errors=[{"field": "due_date", "reason": reason}])
    due_at = due_datetime(data["due_date"]) if data.get("due_date") else None
    existing = db.session.scalar(
        select(Assignment).where(Assignment.course_id == course.id, Assignment.unit_id == unit.id)
    )
    if existing is not None and existing.is_active and not can_change_assignment(actor, existing):
        raise ApiError(403, _("Khoá học này do cấp trên giao; bạn không thể đổi hạn."))
    done = assign_course(unit, course, due_at, actor, due_days=data.get("due_days"))
    record_audit(
        "assignment.save",
        target=f"assignment:{done.assignment.id}",
        detail={
            "unit": unit.code,
            "course": course.slug,
            "enrolled": done.enrolled,
            "via": "api",
            **before_after(done.before, snapshot(done.assignment)),
        },
        actor=actor,
    )
    return done


def completions_page(scope, unit, args: dict, actor):
    """One page of the completion report (as the report page counts it) and its total.
    Audited as a report download: it is personal data leaving the platform."""
    filters = ReportFilters(
        scope=scope, unit=unit, date_from=args.get("date_from"), date_to=args.get("date_to")
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        reason = _("Ngày bắt đầu phải trước ngày kết thúc.")
        raise ApiError(422, errors=[{"field": "date_from", "reason": reason}])
    rows, _totals, page = report_page(filters, "unit", False, args["page"], args["per_page"])
    record_download("api", filters, actor=actor, via="api")
    return rows, page.total


def certificates_query(scope, unit, args: dict):
    top = unit or scope
    query = (
        select(Certificate, User, Course, Unit)
        .join(User, User.id == Certificate.user_id)
        .join(Course, Course.id == Certificate.course_id)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .order_by(Certificate.issued_at, Certificate.id)
    )
    if top is not None:
        query = query.where(top.subtree_filter())
    period = ReportFilters(date_from=args.get("date_from"), date_to=args.get("date_to"))
    if period.period_start is not None:
        query = query.where(Certificate.issued_at >= period.period_start)
    if period.period_end is not None:
        query = query.where(Certificate.issued_at < period.period_end)
    return query


def certificate_item(row) -> dict:
    certificate, user, course, unit = row
    return {
        "serial": certificate.serial,
        "verify_url": url_for("certificates.verify", code=certificate.verify_code, _external=True),
        "employee_code": user.employee_code,
        "full_name": user.full_name,
        "unit_code": unit.code if unit else None,
        "course_slug": course.slug,
        "course_title": course.title,
        "issued_at": certificate.issued_at,
        "revoked_at": certificate.revoked_at,
    }


def path_of(user) -> dict:
    path = build_path(user)
    return {"track": path.track, "needs_placement": path.needs_placement, "items": path.items}


def progress_of(person) -> dict:
    courses = []
    for item in learner_overview(person)["courses"]:
        course, progress = item["course"], item["progress"]
        courses.append({"course_slug": course.slug, "course_title": course.title, **progress})
    return {"person_id": person.id, "courses": courses}
