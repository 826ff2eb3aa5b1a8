"""HR assigns a course to a unit subtree with a due date (routes on the reports blueprint).

Assigning takes two steps without JavaScript: "Xem trước" shows how many people in how many units
the assignment would reach, "Xác nhận giao" creates it. Cancelling goes through a confirmation page.
A mandate set above the HR's own level can be neither re-dated nor cancelled by them.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from academy.auth.access import can_change_assignment, hr_scope, roles_required
from academy.auth.units import unit_choices
from academy.catalog.models import Course
from academy.catalog.services import course_choices
from academy.core.audit import record_audit
from academy.core.errors import render_error
from academy.extensions import db
from academy.learning.models import Assignment
from academy.reports import services
from academy.reports.assignments import (
    assign_course,
    delete_assignment,
    list_assignments,
    preview_assignment,
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
    return render_template(
        "reports/assignments.html",
        form=form,
        preview=preview,
        locked=locked,
        assignments=list_assignments(scope),
        can_change=lambda assignment: can_change_assignment(current_user, assignment),
        set_above_message=_set_above_message(),
    ), status


@bp.route("/reports/assignments", methods=["GET", "POST"])
@roles_required("hr")
def assignments():
    scope = hr_scope(current_user)
    form = _form(scope)
    if not form.validate_on_submit():
        return _page(form, scope, status=400 if form.is_submitted() else 200)
    unit = services.narrow_unit(scope, form.unit.data)
    course = db.session.get(Course, form.course.data) or abort(404)
    preview = preview_assignment(unit, course)
    locked = preview.existing is not None and not can_change_assignment(
        current_user, preview.existing
    )
    if not form.confirm.data:
        return _page(form, scope, preview=preview, locked=locked)
    if locked:
        return _set_above()
    return _assign(unit, course, form.due_date.data)


def _assign(unit, course, due_date):
    try:
        assignment, added = assign_course(
            unit, course, services.due_datetime(due_date), current_user
        )
        record_audit(
            "assignment.save",
            target=f"assignment:{assignment.id}",
            detail={"unit": unit.code, "course": course.slug, "enrolled": added},
        )
        db.session.commit()
    except IntegrityError:  # the same assignment submitted twice at once: one is stored
        db.session.rollback()
        flash(_("Khoá học này đã được giao cho đơn vị."), "warning")
        return redirect(url_for("reports.assignments"))
    flash(_("Đã giao khoá học; %(n)s người được ghi danh mới.", n=added), "success")
    return redirect(url_for("reports.assignments"))


@bp.route("/reports/assignments/<int:assignment_id>/delete", methods=["GET", "POST"])
@roles_required("hr")
def delete_assignment_view(assignment_id: int):
    """GET asks "are you sure?" and changes nothing; POST cancels the assignment."""
    scope = hr_scope(current_user)
    assignment = db.session.get(Assignment, assignment_id) or abort(404)
    above = scope is not None and assignment.unit.contains(scope)
    if scope is not None and not (above or scope.contains(assignment.unit)):
        abort(404)  # another ward's mandate: not one this HR may know of
    if not can_change_assignment(current_user, assignment):
        return _set_above()
    form = DeleteForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template(
            "reports/assignment_delete.html", assignment=assignment, form=form
        ), status
    record_audit(
        "assignment.delete",
        target=f"assignment:{assignment.id}",
        detail={"unit": assignment.unit.code, "course": assignment.course.slug},
    )
    delete_assignment(assignment)
    db.session.commit()
    flash(_("Đã huỷ giao khoá học. Những người đã ghi danh vẫn giữ kết quả học tập."), "info")
    return redirect(url_for("reports.assignments"))
