"""HR assigns a course to a unit subtree with a due date (routes on the reports blueprint)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from academy.auth.access import hr_scope, roles_required
from academy.auth.units import unit_choices
from academy.catalog.models import Course
from academy.catalog.services import course_choices
from academy.core.audit import record_audit
from academy.extensions import db
from academy.learning.models import Assignment
from academy.reports import services
from academy.reports.assignments import assign_course, delete_assignment, list_assignments
from academy.reports.forms import AssignmentForm, DeleteForm
from academy.reports.views import bp


def _form(scope):
    form = AssignmentForm()
    form.unit.choices = unit_choices(scope)
    form.course.choices = course_choices()
    return form


@bp.route("/reports/assignments", methods=["GET", "POST"])
@roles_required("hr")
def assignments():
    scope = hr_scope(current_user)
    form = _form(scope)
    if form.validate_on_submit():
        unit = services.narrow_unit(scope, form.unit.data)
        course = db.session.get(Course, form.course.data) or abort(404)
        try:
            assignment, added = assign_course(
                unit, course, services.due_datetime(form.due_date.data), current_user
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
    status = 400 if form.is_submitted() else 200
    return render_template(
        "reports/assignments.html",
        form=form,
        delete_form=DeleteForm(),
        assignments=list_assignments(scope),
    ), status


@bp.post("/reports/assignments/<int:assignment_id>/delete")
@roles_required("hr")
def delete_assignment_view(assignment_id: int):
    scope = hr_scope(current_user)
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or (scope is not None and not scope.contains(assignment.unit)):
        abort(404)
    if not DeleteForm().validate_on_submit():
        abort(400)
    record_audit(
        "assignment.delete",
        target=f"assignment:{assignment.id}",
        detail={"unit": assignment.unit.code, "course": assignment.course.slug},
    )
    delete_assignment(assignment)
    db.session.commit()
    flash(_("Đã huỷ giao khoá học. Những người đã ghi danh vẫn giữ kết quả học tập."), "info")
    return redirect(url_for("reports.assignments"))
