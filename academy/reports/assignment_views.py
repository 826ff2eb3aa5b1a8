"""HR assigns a course to a unit subtree with a due date (routes on the reports blueprint).

Assigning takes two steps without JavaScript: "Xem trước" shows how many people in how many units
the assignment would reach and its due rule, "Xác nhận giao" creates it (or re-dates it, or
revives a cancelled one). Cancelling goes through a confirmation page and keeps the mandate's row,
shown apart as cancelled. A mandate set above the HR's own level can be neither re-dated nor
cancelled by them; a cancelled one binds nobody, so any HR of the unit may assign the course again.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from academy.auth.access import can_change_assignment, hr_scope, roles_required
from academy.auth.units import unit_choices, unit_directory, unit_full_name
from academy.catalog.models import Course
from academy.catalog.services import course_choices
from academy.core.audit import before_after, record_audit
from academy.core.errors import render_error
from academy.extensions import db
from academy.learning.models import Assignment
from academy.reports import services
from academy.reports.assignments import (
    MAX_DAYS,
    assign_course,
    cancel_assignment,
    due_rule_text,
    joiner_min_days,
    list_assignments,
    local_today,
    preview_assignment,
    snapshot,
)
from academy.reports.forms import AssignmentForm, DeleteForm
from academy.reports.views import bp


def _form(scope):
    form = AssignmentForm()
    form.unit.choices = unit_choices(scope, blank=_("— Chọn đơn vị —"), blank_value="")
    form.course.choices = course_choices()
    return form


def _set_above_message() -> str:
    return _(
        "Khoá học này do cấp trên giao cho đơn vị của bạn; chỉ cấp đã giao hoặc quản trị viên "
        "mới được đổi hạn hay huỷ giao."
    )


def _set_above():
    return render_error(403, _set_above_message())


def _page(form, scope, preview=None, locked=False, status=200):
    mandates = list_assignments(scope)
    return render_template(
        "reports/assignments.html",
        form=form,
        preview=preview,
        locked=locked,
        active=[a for a in mandates if a.is_active],
        cancelled=[a for a in mandates if not a.is_active],
        units=unit_directory(),
        rule=lambda assignment: due_rule_text(assignment.due_at, assignment.due_days),
        today_iso=local_today().isoformat(),
        max_days=MAX_DAYS,
        joiner_min_days=joiner_min_days(),
        can_change=lambda assignment: can_change_assignment(current_user, assignment),
        set_above_message=_set_above_message(),
    ), status


def _due(form):
    """The form's due rule as (due_at, due_days): a fixed day (its end, local time) or N days."""
    if form.relative:
        return None, form.due_days.data
    return services.due_datetime(form.due_date.data), None


@bp.route("/reports/assignments", methods=["GET", "POST"])
@roles_required("hr")
def assignments():
    scope = hr_scope(current_user)
    form = _form(scope)
    if not form.validate_on_submit():
        return _page(form, scope, status=400 if form.is_submitted() else 200)
    unit = services.narrow_unit(scope, form.unit.data)
    course = db.session.get(Course, form.course.data) or abort(404)
    due_at, due_days = _due(form)
    preview = preview_assignment(unit, course, due_at, due_days)
    existing = preview.existing
    locked = (
        existing is not None
        and existing.is_active
        and not can_change_assignment(current_user, existing)
    )
    if not form.confirm.data:
        return _page(form, scope, preview=preview, locked=locked)
    if locked:
        return _set_above()
    return _assign(unit, course, due_at, due_days)


def _assign(unit, course, due_at, due_days):
    try:
        done = assign_course(unit, course, due_at, current_user, due_days=due_days)
        if done.change == "unchanged" and not done.enrolled:
            db.session.rollback()
            flash(
                _("Khoá học này đã được giao cho đơn vị với cùng hạn; không có gì thay đổi."),
                "info",
            )
            return redirect(url_for("reports.assignments"))
        assignment = done.assignment
        record_audit(
            "assignment.save",
            target=f"assignment:{assignment.id}",
            detail={
                "unit": unit.code,
                "course": course.slug,
                "enrolled": done.enrolled,
                **before_after(done.before, snapshot(assignment)),
            },
        )
        db.session.commit()
    except IntegrityError:  # the same assignment submitted twice at once: one is stored
        db.session.rollback()
        flash(_("Khoá học này đã được giao cho đơn vị."), "warning")
        return redirect(url_for("reports.assignments"))
    messages = {
        "created": _("Đã giao khoá học; %(n)s người được ghi danh mới.", n=done.enrolled),
        "revived": _(
            "Đã giao lại khoá học đã huỷ trước đây; %(n)s người được ghi danh mới.",
            n=done.enrolled,
        ),
        "redated": _(
            "Đã đổi hạn hoàn thành; các ghi danh chưa hoàn thành được tính lại hạn, "
            "%(n)s người được ghi danh mới.",
            n=done.enrolled,
        ),
        "unchanged": _("Hạn không đổi; %(n)s người được ghi danh mới.", n=done.enrolled),
    }
    flash(messages[done.change], "success")
    return redirect(url_for("reports.assignments"))


@bp.route("/reports/assignments/<int:assignment_id>/delete", methods=["GET", "POST"])
@roles_required("hr")
def delete_assignment_view(assignment_id: int):
    """GET asks "are you sure?" and changes nothing; POST cancels the mandate (its row stays)."""
    scope = hr_scope(current_user)
    assignment = db.session.get(Assignment, assignment_id) or abort(404)
    above = scope is not None and assignment.unit.contains(scope)
    if scope is not None and not (above or scope.contains(assignment.unit)):
        abort(404)  # another ward's mandate: not one this HR may know of
    if not assignment.is_active:
        flash(_("Khoá học này đã được huỷ giao trước đó; không có gì thay đổi."), "info")
        return redirect(url_for("reports.assignments"))
    if not can_change_assignment(current_user, assignment):
        return _set_above()
    form = DeleteForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template(
            "reports/assignment_delete.html",
            assignment=assignment,
            unit_name=unit_full_name(assignment.unit),
            form=form,
        ), status
    before = snapshot(assignment)
    rebound = cancel_assignment(assignment, current_user)
    record_audit(
        "assignment.delete",
        target=f"assignment:{assignment.id}",
        detail={
            "unit": assignment.unit.code,
            "course": assignment.course.slug,
            "rebound": rebound,
            **before_after(before, snapshot(assignment)),
        },
    )
    db.session.commit()
    flash(
        _(
            "Đã huỷ giao khoá học. Những người đã ghi danh vẫn giữ kết quả học tập; khoá học "
            "không còn bắt buộc với họ, trừ %(n)s người vẫn được một đơn vị khác giao.",
            n=rebound,
        )
        if rebound
        else _("Đã huỷ giao khoá học. Những người đã ghi danh vẫn giữ kết quả học tập."),
        "info",
    )
    return redirect(url_for("reports.assignments"))
