"""Units' yearly targets (routes on the training blueprint): HR lists a unit's targets of a year
with the progress of the unit and of each unit under it, sets, changes and deletes them (audited).
HR sees the units of its scope only (another unit answers 404); admins see every unit."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import DateField, FloatField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, ValidationError

from academy.auth.access import hr_scope, roles_required
from academy.auth.models import Unit
from academy.auth.units import unit_directory, unit_full_name
from academy.catalog.models import TRACK_LABELS, Course
from academy.core.audit import before_after, record_audit
from academy.extensions import db
from academy.forms import Form, int_or_none
from academy.learning.models import Assignment
from academy.training import targets
from academy.training.models import UnitTarget
from academy.training.views import bp

KIND_LABELS = {
    "course_completion": _l("Tỉ lệ hoàn thành một khoá học bắt buộc"),
    "average_hours": _l("Số giờ học bình quân mỗi người"),
    "attendance_rate": _l("Tỉ lệ tham dự các buổi học trực tiếp"),
    "track_certified": _l("Tỉ lệ có chứng chỉ theo chuyên đề"),
}
MAX_HOURS = 1000


class TargetForm(Form):
    """A target of a unit for a year: its kind, the course or track it needs, the level (a share
    in %, or hours) and the due day (inside the year)."""

    kind = SelectField(
        _l("Loại chỉ tiêu"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()]
    )
    course = SelectField(
        _l("Khoá học (với chỉ tiêu hoàn thành khoá học)"),
        coerce=int_or_none,
    )
    track = SelectField(
        _l("Chuyên đề (với chỉ tiêu chứng chỉ)"),
        choices=[SelectChoice("", _l("— Chọn chuyên đề —"))]
        + [SelectChoice(k, v) for k, v in TRACK_LABELS.items()],
    )
    target = FloatField(
        _l("Mức chỉ tiêu (% với tỉ lệ, số giờ với giờ học)"),
        validators=[InputRequired(_l("Hãy nhập mức chỉ tiêu."))],
    )
    due_on = DateField(_l("Hạn đạt"), validators=[DataRequired(_l("Hãy chọn hạn đạt."))])
    submit = SubmitField(_l("Lưu chỉ tiêu"))

    def __init__(self, unit: Unit, year: int, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_obj, self.year = unit, year

    def validate_course(self, field):
        if self.kind.data != "course_completion":
            return
        if not field.data:
            raise ValidationError(_l("Hãy chọn khoá học."))
        if targets.mandate_start(self.unit_obj, field.data) is None:
            raise ValidationError(
                _l("Khoá học này không bắt buộc với đơn vị (chưa giao cho đơn vị hay cấp trên).")
            )

    def validate_track(self, field):
        if self.kind.data == "track_certified" and not field.data:
            raise ValidationError(_l("Hãy chọn chuyên đề."))

    def validate_target(self, field):
        if field.data is None:
            return
        if self.kind.data == "average_hours":
            if not 0 < field.data <= MAX_HOURS:
                raise ValidationError(_l("Số giờ phải lớn hơn 0 và không quá %(n)s.", n=MAX_HOURS))
        elif not 1 <= field.data <= 100:
            raise ValidationError(_l("Tỉ lệ phải từ 1% đến 100%."))

    def validate_due_on(self, field):
        if field.data and field.data.year != self.year:
            raise ValidationError(_l("Hạn đạt phải nằm trong năm %(year)s.", year=self.year))

    def values(self) -> dict:
        kind = self.kind.data
        return {
            "kind": kind,
            "course_id": self.course.data if kind == "course_completion" else None,
            "track": self.track.data if kind == "track_certified" else None,
            "target": self.target.data if kind == "average_hours" else self.target.data / 100,
            "due_on": self.due_on.data,
        }


def _course_choices(unit: Unit) -> list[tuple]:
    """The courses mandatory for ``unit`` (a mandate on it or a unit above it, not cancelled)."""
    above = Unit.path.in_(_ancestor_paths(unit))
    rows = db.session.execute(
        select(Course.id, Course.title)
        .join(Assignment, Assignment.course_id == Course.id)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(above, Assignment.cancelled_at.is_(None))
        .distinct()
        .order_by(Course.title)
    )
    return [("", _("— Chọn khoá học —"))] + [(cid, title) for cid, title in rows]


def _ancestor_paths(unit: Unit) -> list[str]:
    parts = [p for p in unit.path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _unit_in_scope(scope, unit_id) -> Unit:
    """The unit asked for, or the reader's own (admins: the single top unit); 404 outside scope."""
    if unit_id is None:
        if scope is not None:
            return scope
        roots = list(db.session.scalars(select(Unit).where(Unit.parent_id.is_(None)).limit(2)))
        return roots[0] if roots else abort(404)
    unit = db.session.get(Unit, unit_id)
    if unit is None or (scope is not None and not scope.contains(unit)):
        abort(404)
    return unit


def _year() -> int:
    year = request.args.get("year", type=int) or targets.local_today().year
    if not 2000 <= year <= 2100:
        abort(404)
    return year


def _target_in_scope(target_id: int):
    scope = hr_scope(current_user)
    target = db.session.get(UnitTarget, target_id)
    if target is None or (scope is not None and not scope.contains(target.unit)):
        abort(404)
    if not targets.can_change_target(current_user, target, scope):
        abort(403)
    return target


@bp.get("/targets")
@roles_required("hr")
def targets_page():
    scope = hr_scope(current_user)
    unit = _unit_in_scope(scope, request.args.get("unit", type=int))
    year = _year()
    reports = targets.unit_reports(unit, year, children=True)
    parent = unit.parent if unit.parent and (scope is None or scope.contains(unit.parent)) else None
    return render_template(
        "training/targets.html",
        unit=unit,
        unit_name=unit_full_name(unit),
        parent=parent,
        year=year,
        reports=reports,
        plain=targets.plain,
        can_change=lambda t: targets.can_change_target(current_user, t, scope),
        directory=unit_directory(),
    )


def _form_page(form, unit, year, target=None, status=200):
    return render_template(
        "training/target_form.html",
        form=form,
        unit=unit,
        unit_name=unit_full_name(unit),
        year=year,
        target=target,
        mode="edit" if target else "new",
    ), status


def _save(form, unit, year, target=None):
    before = targets.snapshot(target) if target else {}
    try:
        saved = targets.save_target(target, unit, year, form.values(), current_user)
    except targets.DuplicateTarget:
        db.session.rollback()
        form.kind.errors = list(form.kind.errors) + [
            _("Đơn vị đã có chỉ tiêu này cho năm %(year)s; hãy sửa chỉ tiêu đó.", year=year)
        ]
        return _form_page(form, unit, year, target, status=400)
    record_audit(
        "target.save",
        target=f"unit_target:{saved.id}",
        detail={"unit": unit.code, "year": year, **before_after(before, targets.snapshot(saved))},
    )
    db.session.commit()
    flash(_("Đã lưu chỉ tiêu."), "success")
    return redirect(url_for("training.targets_page", unit=unit.id, year=year))


@bp.route("/targets/new", methods=["GET", "POST"])
@roles_required("hr")
def target_new():
    scope = hr_scope(current_user)
    unit = _unit_in_scope(scope, request.args.get("unit", type=int))
    year = _year()
    form = TargetForm(unit, year)
    form.course.choices = _course_choices(unit)
    if not form.validate_on_submit():
        return _form_page(form, unit, year, status=400 if form.is_submitted() else 200)
    return _save(form, unit, year)


@bp.route("/targets/<int:target_id>/edit", methods=["GET", "POST"])
@roles_required("hr")
def target_edit(target_id: int):
    target = _target_in_scope(target_id)
    form = TargetForm(target.unit, target.year, data=_form_data(target))
    form.course.choices = _course_choices(target.unit)
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return _form_page(form, target.unit, target.year, target, status=status)
    return _save(form, target.unit, target.year, target)


def _form_data(target: UnitTarget) -> dict:
    share = target.kind != "average_hours"
    return {
        "kind": target.kind,
        "course": target.course_id,
        "track": target.track or "",
        "target": round(target.target * 100, 2) if share else target.target,
        "due_on": target.due_on,
    }


class DeleteTargetForm(Form):
    submit = SubmitField(_l("Xoá chỉ tiêu"))


@bp.route("/targets/<int:target_id>/delete", methods=["GET", "POST"])
@roles_required("hr")
def target_delete(target_id: int):
    """GET asks "are you sure?" and changes nothing; POST deletes the target (audited)."""
    target = _target_in_scope(target_id)
    unit, year = target.unit, target.year
    form = DeleteTargetForm()
    if not form.validate_on_submit():
        return render_template(
            "training/target_form.html",
            form=form,
            unit=unit,
            unit_name=unit_full_name(unit),
            year=year,
            target=target,
            item=targets.plain(targets.TargetReport(target, targets.Progress(None, None, ""))),
            mode="delete",
        ), 400 if form.is_submitted() else 200
    record_audit(
        "target.delete",
        target=f"unit_target:{target.id}",
        detail={"unit": unit.code, "year": year, "before": targets.snapshot(target)},
    )
    db.session.delete(target)
    db.session.commit()
    flash(_("Đã xoá chỉ tiêu."), "info")
    return redirect(url_for("training.targets_page", unit=unit.id, year=year))
