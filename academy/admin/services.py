"""Admin services: the unit tree and people's records."""

from __future__ import annotations

from sqlalchemy import String, func, literal, select, update

from academy.auth.models import Unit, User, UserRole
from academy.auth.services import end_sessions
from academy.errors import BadRequest
from academy.events import send, user_deactivated
from academy.extensions import db
from academy.reports.assignments import apply_assignments_to, assignments_covering, enrol_subtree


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
    """Re-hang ``unit`` (and its subtree) under ``new_parent``; people below it join the courses
    assigned to their new ancestors. Raises ValueError for a move into its own subtree."""
    if new_parent is not None and unit.contains(new_parent):
        raise ValueError("a unit cannot move below itself")
    old_path = unit.path
    new_path = (new_parent.path if new_parent else "/") + f"{unit.id}/"
    if new_path == old_path:
        return
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
    for assignment in assignments_covering(unit):
        enrol_subtree(assignment, unit)


class LastAdminError(BadRequest):
    """The edit would leave the academy without an active admin."""


def _keep_an_admin(user, roles, is_active) -> None:
    """Refuse to take the role or the account away from the last active admin (themselves
    included): nobody could then manage users, units or certificates."""
    if not (user.is_active and user.has_role("admin")):
        return
    if "admin" in roles and is_active:
        return
    others = select(func.count(User.id)).where(
        User.id != user.id,
        User.is_active.is_(True),
        User.id.in_(select(UserRole.user_id).where(UserRole.role == "admin")),
    )
    if not db.session.scalar(others):
        raise LastAdminError


def update_user(
    user, *, full_name, email, employee_code, position, unit, roles, is_active
) -> list[str]:
    """Apply an admin's edit; returns the names of the changed fields. The caller commits.

    A move to another unit keeps the person's history and enrols them in the new unit's courses;
    deactivating ends their sessions and sends ``user_deactivated``. Raises ``LastAdminError``,
    changing nothing, when the last active admin would lose the role or be deactivated.
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
    if "unit_id" in changed or ("is_active" in changed and user.is_active):
        db.session.refresh(user, ["unit"])
        apply_assignments_to(user)
    return changed
