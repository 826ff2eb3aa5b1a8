"""Creating thousands of people in a few statements, for the bulk upsert.

``create_user`` adds one person through the ORM: one INSERT, plus the first stay in their unit
written by ``User``'s ``after_insert`` listener, per person. For a batch of 10,000 that is 20,000
round trips; here the same rows are written set-based (ORM bulk INSERT, which runs no per-row
listeners, so what ``_fold_search_name`` and ``_first_membership`` in ``academy.auth.models`` do is
done here for the batch), then the people are bound to their units' mandates unit by unit, as
``apply_assignments_to`` does for one."""

from __future__ import annotations

from sqlalchemy import insert

from academy.auth.models import Unit, UnitMembership, User, UserRole, search_key
from academy.database import utcnow
from academy.extensions import db
from academy.reports.assignments import assignments_covering, settle

CHUNK = 1000  # rows per INSERT statement


def create_people(plan: list[dict]) -> int:
    """Add the new people of a checked import plan (``academy.admin.imports.check_rows`` entries
    with no matching user). Returns how many. The caller commits."""
    if not plan:
        return 0
    now = utcnow()
    ids = []
    for start in range(0, len(plan), CHUNK):
        rows = [_user_row(entry, now) for entry in plan[start : start + CHUNK]]
        ids += db.session.scalars(
            insert(User).returning(User.id, sort_by_parameter_order=True), rows
        )
    people = list(zip(ids, plan, strict=True))
    _insert(
        UserRole,
        [
            {"user_id": uid, "role": role}
            for uid, entry in people
            for role in sorted(set(entry["roles"] or ("learner",)))
        ],
    )
    _insert(
        UnitMembership,
        [{"user_id": uid, "unit_id": entry["unit"].id, "started_at": now} for uid, entry in people],
    )
    by_unit: dict[int, list[int]] = {}
    for uid, entry in people:
        by_unit.setdefault(entry["unit"].id, []).append(uid)
    for unit_id, unit_people in by_unit.items():
        courses = {a.course_id for a in assignments_covering(db.session.get(Unit, unit_id))}
        if courses:
            settle(courses, unit_people)
    return len(people)


def _user_row(entry: dict, now) -> dict:
    full_name = entry["full_name"].strip()
    return {
        "email": entry["email"],
        "full_name": full_name,
        "employee_code": entry["employee_code"],
        "search_name": search_key(full_name, entry["email"], entry["employee_code"]),
        "unit_id": entry["unit"].id,
        "position": entry.get("position", ""),
        "created_at": now,
    }


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model), rows[start : start + CHUNK])
