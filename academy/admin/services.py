"""Admin services: the unit tree and people's records."""

from __future__ import annotations

from sqlalchemy import String, func, literal, select, update

from academy.auth.models import Unit, UnitMembership, User, UserRole
from academy.auth.services import end_sessions
from academy.database import utcnow
from academy.errors import BadRequest
from academy.events import send, user_deactivated
from academy.extensions import db
from academy.reports.assignments import (
    apply_assignments_to,
    apply_assignments_to_subtree,
    assignments_covering,
)


def create_unit(code: str, name: str, kind: str, parent=None):
    """Add a unit under ``parent`` (None: a root) with its materialised path. The caller commits."""
    unit = Unit(
        code=code.strip(), name=name.strip(), kind=kind, parent_id=getattr(parent, "id", None)
    )
    db.session.add(unit)
    db.session.flush()
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    db.session.flush()
    return unit


def move_unit(unit, new_parent) -> None:
    """Re-hang ``unit`` (and its subtree) under ``new_parent``; people below it join the mandates
    of their new ancestors as joiners (that day), and leave those of ancestors that no longer
    reach them. Raises ValueError for a move into its own subtree."""
    if new_parent is not None and unit.contains(new_parent):
        raise ValueError("a unit cannot move below itself")
    old_path = unit.path
    new_path = (new_parent.path if new_parent else "/") + f"{unit.id}/"
    if new_path == old_path:
        return
    before = assignments_covering(unit)
    db.session.execute(
        update(Unit)
        .where(Unit.path.startswith(old_path, autoescape=True))
        .values(
            path=literal(new_path, String) + func.substr(Unit.path, len(old_path) + 1, type_=String)
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Unit)
        .where(Unit.id == unit.id)
        .values(parent_id=getattr(new_parent, "id", None))
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    unit = db.session.get(Unit, unit.id)
    apply_assignments_to_subtree(unit, before)


class LastAdminError(BadRequest):
    """The edit would leave the academy without an active admin."""


def _keep_an_admin(user, roles, is_active) -> None:
    """Refuse to take the role or the account away from the last active admin (themselves
    included): nobody could then manage users, units or certificates."""
    if not (user.is_active and user.has_role("admin")):
        return
    if "admin" in roles and is_active:
        return
    if not active_admins_besides([user.id]):
        raise LastAdminError


def active_admins_besides(user_ids) -> int:
    """How many active admins there are other than ``user_ids``."""
    return db.session.scalar(
        select(func.count(User.id)).where(
            User.id.not_in(list(user_ids)),
            User.is_active.is_(True),
            User.id.in_(select(UserRole.user_id).where(UserRole.role == "admin")),
        )
    )


def update_user(
    user, *, full_name, email, employee_code, position, unit, roles, is_active
) -> list[str]:
    """Apply an admin's edit; returns the names of the changed fields. The caller commits.

    A move to another unit keeps the person's history and binds them to the new unit's mandates
    as a joiner; reactivating starts a new stay in their unit (``UnitMembership``) and binds them
    as a joiner too; deactivating ends their sessions and sends ``user_deactivated``. Raises
    ``LastAdminError``, changing nothing, when the last active admin would lose the role or be
    deactivated.
    """
    _keep_an_admin(user, roles, is_active)
    wanted = {
        "full_name": full_name.strip(),
        "email": email.strip().lower(),
        "employee_code": (employee_code or "").strip() or None,
        "position": (position or "").strip(),
        "unit_id": getattr(unit, "id", None),
        "is_active": bool(is_active),
    }
    changed = [key for key, value in wanted.items() if getattr(user, key) != value]
    for key in changed:
        setattr(user, key, wanted[key])
    if set(roles) != user.roles:
        user.roles = roles
        changed.append("roles")
    deactivated = "is_active" in changed and not user.is_active
    if deactivated:
        end_sessions(user)
    db.session.flush()
    if deactivated:
        send(user_deactivated, user=user)
    reactivated = "is_active" in changed and user.is_active
    if reactivated and "unit_id" not in changed and user.unit_id is not None:
        _new_stay(user)
    if "unit_id" in changed or reactivated:
        db.session.refresh(user, ["unit"])
        apply_assignments_to(user)
    return changed


def _new_stay(user) -> None:
    """A reactivated person starts a new stay in their unit: mandates count them as joining that
    day (a move writes its own stays, by an ORM event on the unit change)."""
    now = utcnow()
    db.session.execute(
        update(UnitMembership)
        .where(UnitMembership.user_id == user.id, UnitMembership.ended_at.is_(None))
        .values(ended_at=now)
    )
    db.session.add(UnitMembership(user_id=user.id, unit_id=user.unit_id, started_at=now))
    db.session.flush()
