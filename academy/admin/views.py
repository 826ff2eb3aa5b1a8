"""Administration: overview, the unit tree (users: users_views.py; audit log: audit_views.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from academy.admin.audit_log import FIELD_LABELS, show_value, unit_snapshot
from academy.admin.forms import KIND_LABELS, UnitForm
from academy.admin.services import create_unit, move_unit
from academy.auth.access import roles_required, units_in_scope
from academy.auth.models import Unit, User
from academy.auth.units import unit_label
from academy.core.audit import AuditEvent, before_after, record_audit
from academy.extensions import db

bp = Blueprint("admin", __name__, template_folder="templates")


@bp.get("/admin/")
@roles_required("admin")
def index():
    counts = {
        "users": db.session.scalar(select(func.count(User.id))),
        "active": db.session.scalar(select(func.count(User.id)).where(User.is_active.is_(True))),
        "units": db.session.scalar(select(func.count(Unit.id))),
    }
    recent = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(10)).all()
    return render_template(
        "admin/index.html", counts=counts, recent=recent, fields=FIELD_LABELS, show_value=show_value
    )


def _unit_form(unit=None):
    form = UnitForm(obj=unit)
    units = units_in_scope(None)
    form.parent.choices = [(None, _("— Không (đơn vị gốc) —"))] + [
        (u.id, unit_label(u)) for u in units if unit is None or not unit.contains(u)
    ]
    if unit is not None and request.method == "GET":
        form.parent.data = unit.parent_id
    return form, units


@bp.route("/admin/units", methods=["GET", "POST"])
@roles_required("admin")
def units():
    form, all_units = _unit_form()
    if form.validate_on_submit():
        parent = db.session.get(Unit, form.parent.data) if form.parent.data else None
        try:
            unit = create_unit(form.code.data, form.name.data, form.kind.data, parent)
            record_audit("unit.create", target=f"unit:{unit.code}", detail={"name": unit.name})
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            form.code.errors.append(_("Mã đơn vị đã được dùng."))
        else:
            flash(_("Đã thêm đơn vị %(name)s.", name=unit.name), "success")
            return redirect(url_for("admin.units"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "admin/units.html", form=form, units=all_units, kinds=KIND_LABELS
    ), status


@bp.route("/admin/units/<int:unit_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_unit(unit_id: int):
    unit = db.session.get(Unit, unit_id) or abort(404)
    form, _units = _unit_form(unit)
    if form.validate_on_submit():
        parent = db.session.get(Unit, form.parent.data) if form.parent.data else None
        before = unit_snapshot(unit)
        try:
            unit.code, unit.name, unit.kind = (
                form.code.data.strip(),
                form.name.data.strip(),
                form.kind.data,
            )
            db.session.flush()
            if parent != unit.parent:
                move_unit(unit, parent)
                unit = db.session.get(Unit, unit_id)
            record_audit(
                "unit.update",
                target=f"unit:{unit.code}",
                detail=before_after(before, unit_snapshot(unit)),
            )
            db.session.commit()
        except (IntegrityError, ValueError):
            db.session.rollback()
            flash(
                _("Không lưu được: mã đơn vị đã được dùng hoặc đơn vị cha không hợp lệ."), "danger"
            )
            return render_template("admin/unit_edit.html", form=form, unit=unit), 409
        flash(_("Đã lưu đơn vị."), "success")
        return redirect(url_for("admin.units"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/unit_edit.html", form=form, unit=unit), status


from academy.admin import (  # noqa: E402,F401 - routes on the same blueprint
    audit_views,
    invite_views,
    outbox_views,
    users_views,
)
