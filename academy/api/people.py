"""People through the API: list, create, update, deactivate, and the bulk upsert by employee code.

Writes reuse the staff import's rules (``academy.admin.imports``: matching by employee code, then
e-mail; a moved person keeps their history and joins the new unit's mandates) and the admin
edit (``academy.admin.services.update_user``). An HR caller writes only inside their subtree and
sets no role but "learner"."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from academy.admin.imports import ImportResult, check_rows, import_users
from academy.admin.services import update_user
from academy.api.bulk import create_people
from academy.api.errors import ApiError
from academy.api.units import in_scope
from academy.auth.access import can_see_person
from academy.auth.models import Unit, User
from academy.core.audit import record_audit
from academy.extensions import db

HR_ROLES = {"learner"}  # what an HR token may give; the other roles are an admin's to give
CHUNK = 900  # ids per IN (SQLite's limit on bound values)


def people_query(scope, unit: Unit | None = None, active: bool | None = None):
    top = unit or scope
    query = select(User).order_by(User.id)
    if top is not None:
        query = query.join(Unit, User.unit_id == Unit.id).where(top.subtree_filter())
    if active is not None:
        query = query.where(User.is_active.is_(active))
    return query


def get_person(actor, person_id: int) -> User:
    person = db.session.get(User, person_id)
    if person is None or not can_see_person(actor, person):
        raise ApiError(404, _("Không có người này trong phạm vi của bạn."))
    return person


def _problem(index: int | None, field: str, reason: str) -> dict:
    name = f"people.{index}.{field}" if index is not None else field
    return {"field": name, "reason": reason}


def _units(codes) -> dict[str, Unit]:
    codes, found = sorted(set(codes)), {}
    for start in range(0, len(codes), CHUNK):
        for unit in db.session.scalars(
            select(Unit).where(Unit.code.in_(codes[start : start + CHUNK]))
        ):
            found[unit.code] = unit
    return found


def _existing(column, values) -> dict[str, User]:
    values, found = sorted(set(values)), {}
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        for user in db.session.scalars(select(User).where(column.in_(chunk))):
            found[(user.employee_code if column is User.employee_code else user.email.lower())] = (
                user
            )
    return found


def check_people(
    scope, is_admin: bool, rows: list[dict], indexed: bool = True, matched: set | None = None
) -> list[dict]:
    """Every problem of ``rows`` that needs the caller's reach to see: units unknown or outside
    the subtree, people outside it, roles an HR may not give, codes or e-mails twice."""
    units = _units(r["unit_code"] for r in rows)
    by_code = _existing(User.employee_code, (r["employee_code"] for r in rows))
    by_email = _existing(func.lower(User.email), (r["email"].lower() for r in rows))
    problems, seen = [], {"employee_code": {}, "email": {}}
    for index, row in enumerate(rows):
        at = index if indexed else None
        if not in_scope(scope, units.get(row["unit_code"])):
            problems.append(_problem(at, "unit_code", _("Không có đơn vị này trong phạm vi.")))
        for key in seen:
            value = row[key].lower() if key == "email" else row[key]
            if value in seen[key]:
                reason = _("Trùng với dòng %(n)s.", n=seen[key][value])
                problems.append(_problem(at, key, reason))
            seen[key].setdefault(value, index)
        if matched is not None and (
            row["employee_code"] in by_code or row["email"].lower() in by_email
        ):
            matched.add(index)
        for key, person in (
            ("employee_code", by_code.get(row["employee_code"])),
            ("email", by_email.get(row["email"].lower())),
        ):
            if person is not None and not (scope is None or scope.contains(person.unit)):
                reason = _("Người này thuộc đơn vị ngoài phạm vi của bạn.")
                problems.append(_problem(at, key, reason))
            elif person is not None and not is_admin and not person.roles <= HR_ROLES:
                reason = _("Chỉ quản trị viên được sửa tài khoản có vai trò khác learner.")
                problems.append(_problem(at, key, reason))
        if not is_admin and row.get("roles") and not set(row["roles"]) <= HR_ROLES:
            reason = _("Chỉ quản trị viên được giao vai trò khác learner.")
            problems.append(_problem(at, "roles", reason))
    return problems


def upsert_people(scope, actor, rows: list[dict]) -> dict:
    """Create or update every row (matched by employee code, then e-mail), all or nothing:
    raises ``ApiError`` 422 listing each bad row's index and field, writing nothing. Returns the
    counts. Audited; the caller commits."""
    known: set[int] = set()
    problems = check_people(scope, actor.has_role("admin"), rows, matched=known)
    if problems:
        raise ApiError(422, _("Không có dòng nào được ghi."), problems)
    plain = [(index, _as_import_row(row)) for index, row in enumerate(rows)]
    # New people are checked here and written set-based; known ones go through the staff import
    # (which checks them itself): every row is checked once.
    found, plan = check_rows([pair for pair in plain if pair[0] not in known])
    _refuse(found)
    updates = [pair for pair in plain if pair[0] in known]
    result = import_users(updates, dry_run=False) if updates else ImportResult()
    _refuse(result.problems)
    created = create_people(plan)
    counts = {
        "rows": len(rows),
        "created": created,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }
    record_audit("users.import", "api", {**counts, "via": "api"}, actor=actor)
    return counts


def _refuse(found: list[tuple[int, str]]) -> None:
    if found:
        errors = [_problem(index, _field_of(message), message) for index, message in found]
        raise ApiError(422, _("Không có dòng nào được ghi."), errors)


def _as_import_row(row: dict) -> dict:
    return {
        "employee_code": row["employee_code"],
        "full_name": row["full_name"].strip(),
        "email": row["email"].strip().lower(),
        "unit_code": row["unit_code"],
        "position": (row.get("position") or "").strip(),
        "roles": ",".join(row.get("roles") or ()),
    }


def _field_of(message: str) -> str:
    lowered = message.lower()
    if "email" in lowered:
        return "email"
    if "admin" in lowered or "vai trò" in lowered:
        return "roles"
    if "đơn vị" in lowered:
        return "unit_code"
    return "employee_code"


def create_person(scope, actor, data: dict) -> User:
    """One new person; 409 when the employee code or e-mail is taken already."""
    problems = check_people(scope, actor.has_role("admin"), [data], indexed=False)
    if problems:
        raise ApiError(422, errors=problems)
    taken = db.session.scalar(
        select(User.id).where(
            (User.employee_code == data["employee_code"])
            | (func.lower(User.email) == data["email"].lower())
        )
    )
    if taken:
        raise ApiError(409, _("Mã cán bộ hoặc email đã được dùng."))
    upsert_people(scope, actor, [data])
    return db.session.scalar(select(User).where(User.employee_code == data["employee_code"]))


def change_person(scope, actor, person: User, data: dict) -> list[str]:
    """Apply a partial edit (``update_user``'s rules: the last admin stays). Audited."""
    merged = {
        "employee_code": person.employee_code or "",
        "email": data.get("email", person.email),
        "full_name": data.get("full_name", person.full_name),
        "position": data.get("position", person.position),
        "unit_code": data.get("unit_code", person.unit.code if person.unit else ""),
        "roles": data.get("roles"),
    }
    problems = check_people(scope, actor.has_role("admin"), [merged], indexed=False)
    clash = db.session.scalar(
        select(User.id).where(
            func.lower(User.email) == merged["email"].lower(), User.id != person.id
        )
    )
    if clash:
        problems.append({"field": "email", "reason": _("Email đã được dùng.")})
    if problems:
        raise ApiError(422, errors=problems)
    unit = db.session.scalar(select(Unit).where(Unit.code == merged["unit_code"]))
    changed = update_user(
        person,
        full_name=merged["full_name"],
        email=merged["email"],
        employee_code=person.employee_code,
        position=merged["position"],
        unit=unit,
        roles=set(merged["roles"]) if merged["roles"] else person.roles,
        is_active=data.get("is_active", person.is_active),
    )
    if changed:
        record_audit(
            "user.update", f"user:{person.id}", {"changed": changed, "via": "api"}, actor=actor
        )
    return changed
