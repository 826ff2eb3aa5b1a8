"""Units through the API: read and change the tree within the caller's subtree."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from academy.admin.services import create_unit, move_unit
from academy.api.errors import ApiError
from academy.auth.models import Unit
from academy.core.audit import record_audit
from academy.extensions import db


def in_scope(scope, unit) -> bool:
    return unit is not None and (scope is None or scope.contains(unit))


def get_unit(scope, unit_id: int) -> Unit:
    """The unit ``unit_id`` if the caller's ``scope`` holds it; 404 otherwise."""
    unit = db.session.get(Unit, unit_id)
    if not in_scope(scope, unit):
        raise ApiError(404, _("Không có đơn vị này trong phạm vi của bạn."))
    return unit


def units_query(scope, unit_id: int | None = None):
    top = get_unit(scope, unit_id) if unit_id else scope
    query = select(Unit).order_by(Unit.path)
    return query.where(top.subtree_filter()) if top is not None else query


def _parent_for(scope, parent_id):
    if parent_id is None:
        if scope is not None:
            raise ApiError(422, errors=[_field("parent_id", _("Hãy chọn đơn vị cấp trên."))])
        return None
    parent = db.session.get(Unit, parent_id)
    if not in_scope(scope, parent):
        raise ApiError(422, errors=[_field("parent_id", _("Không có đơn vị này trong phạm vi."))])
    return parent


def _field(name: str, reason: str) -> dict:
    return {"field": name, "reason": reason}


def add_unit(scope, data: dict, actor) -> Unit:
    """A new unit under a unit of the caller's subtree (admins may add a root). 409 for a code
    already used. Audited; the caller commits."""
    parent = _parent_for(scope, data.get("parent_id"))
    if db.session.scalar(select(Unit.id).where(Unit.code == data["code"])):
        raise ApiError(409, errors=[_field("code", _("Mã đơn vị đã được dùng."))])
    unit = create_unit(data["code"], data["name"], data["kind"], parent)
    record_audit("unit.create", f"unit:{unit.code}", {"via": "api"}, actor=actor)
    return unit


def change_unit(scope, unit: Unit, data: dict, actor) -> Unit:
    """Rename, re-kind or re-hang a unit of the caller's subtree. The top of an HR's subtree
    stays where it is (it would leave their reach). Audited; the caller commits."""
    if "name" in data:
        unit.name = data["name"].strip()
    if "kind" in data:
        unit.kind = data["kind"]
    if "parent_id" in data and data["parent_id"] != unit.parent_id:
        if scope is not None and unit.id == scope.id:
            raise ApiError(403, _("Không thể chuyển đơn vị gốc của phạm vi bạn quản lý."))
        parent = _parent_for(scope, data["parent_id"])
        if parent is not None and unit.contains(parent):
            raise ApiError(
                422, errors=[_field("parent_id", _("Không thể chuyển đơn vị vào chính nó."))]
            )
        move_unit(unit, parent)
        unit = db.session.get(Unit, unit.id)
    db.session.flush()
    record_audit("unit.update", f"unit:{unit.code}", {"via": "api", **data}, actor=actor)
    return unit
