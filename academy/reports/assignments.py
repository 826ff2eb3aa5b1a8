"""Assignments: a mandatory course for a unit subtree, and the enrolments that follow from it.

``assign_course`` enrols everyone already in the subtree with two set-based statements (thousands
of people cost two round trips, not thousands); ``apply_assignments_to`` enrols one person who
joined or moved into a subtree later. Both are idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, insert, literal, or_, select, update

from academy.auth.models import Unit, User
from academy.catalog.models import Module
from academy.database import UTCDateTime, utcnow
from academy.events import assignment_created, send
from academy.extensions import db
from academy.learning.models import Assignment, Enrollment, ModuleResult
from academy.learning.services import complete_course_if_done, enrol_learner


def assign_course(
    unit: Unit, course, due_at: datetime | None, assigned_by=None
) -> tuple[Assignment, int]:
    """Create (or re-date) the assignment of ``course`` to ``unit``'s subtree and enrol its members.

    Returns the assignment and how many people were newly enrolled; a new assignment sends
    ``assignment_created``. The caller commits.
    """
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.course_id == course.id, Assignment.unit_id == unit.id)
    )
    if assignment is not None:
        if assignment.due_at != due_at:
            assignment.due_at = due_at
            _redate_enrolments(assignment)
        return assignment, enrol_subtree(assignment, unit)
    assignment = Assignment(
        course_id=course.id,
        unit_id=unit.id,
        due_at=due_at,
        assigned_by_id=getattr(assigned_by, "id", None),
    )
    db.session.add(assignment)
    db.session.flush()
    enrolled = enrol_subtree(assignment, unit)
    send(assignment_created, assignment=assignment, enrolled=enrolled)
    return assignment, enrolled


def _redate_enrolments(assignment: Assignment) -> None:
    db.session.execute(
        update(Enrollment)
        .where(Enrollment.assignment_id == assignment.id, Enrollment.completed_at.is_(None))
        .values(due_at=assignment.due_at)
        .execution_options(synchronize_session=False)
    )


def _members(unit: Unit):
    """Active people in ``unit`` and every unit below it (a SELECT of user ids)."""
    return (
        select(User.id)
        .join(Unit, User.unit_id == Unit.id)
        .where(unit.subtree_filter(), User.is_active.is_(True))
    )


def enrol_subtree(assignment: Assignment, unit: Unit) -> int:
    """Enrol every member of the subtree in the assigned course, set-based.

    A self-enrolment already present becomes mandatory (source "assigned", the due date);
    completed enrolments are left as they are. Returns the number of new enrolments.
    """
    course_id, now = assignment.course_id, utcnow()
    db.session.execute(
        update(Enrollment)
        .where(
            Enrollment.course_id == course_id,
            Enrollment.assignment_id.is_(None),
            Enrollment.completed_at.is_(None),
            Enrollment.user_id.in_(_members(unit)),
        )
        .values(source="assigned", assignment_id=assignment.id, due_at=assignment.due_at)
        .execution_options(synchronize_session=False)
    )
    not_enrolled = ~exists().where(
        and_(Enrollment.user_id == User.id, Enrollment.course_id == course_id)
    )
    rows = (
        _members(unit)
        .where(not_enrolled)
        .add_columns(
            literal(course_id),
            literal("assigned"),
            literal(assignment.id),
            literal(now, UTCDateTime),
            literal(assignment.due_at, UTCDateTime),
        )
    )
    result = db.session.execute(
        insert(Enrollment).from_select(
            ["user_id", "course_id", "source", "assignment_id", "enrolled_at", "due_at"], rows
        )
    )
    added = result.rowcount
    if added is None or added < 0:  # the driver did not count (psycopg here)
        added = _enrolled_at(assignment, now)
    db.session.expire_all()
    _complete_already_passed(assignment)
    return added


def _enrolled_at(assignment: Assignment, when: datetime) -> int:
    """How many enrolments ``assignment`` made at ``when`` (one statement stamps them all)."""
    return db.session.scalar(
        select(func.count(Enrollment.user_id)).where(
            Enrollment.assignment_id == assignment.id,
            Enrollment.enrolled_at == literal(when, UTCDateTime),
        )
    )


def _complete_already_passed(assignment: Assignment) -> None:
    """People enrolled by the assignment who had already passed every module (by a test-out or the
    placement quiz) complete now, certificate included, as a single enrolment would."""
    modules = select(Module.id).where(Module.course_id == assignment.course_id)
    total = db.session.scalar(select(func.count()).select_from(modules.subquery()))
    if not total:
        return
    passed_all = (
        select(ModuleResult.user_id)
        .where(ModuleResult.module_id.in_(modules), ModuleResult.passed_at.is_not(None))
        .group_by(ModuleResult.user_id)
        .having(func.count() >= total)
    )
    pending = db.session.scalars(
        select(Enrollment).where(
            Enrollment.assignment_id == assignment.id,
            Enrollment.completed_at.is_(None),
            Enrollment.user_id.in_(passed_all),
        )
    )
    for enrollment in list(pending):
        complete_course_if_done(enrollment.user, assignment.course, enrollment)


def assignments_covering(unit: Unit | None) -> list[Assignment]:
    """Assignments made to ``unit`` or any unit above it."""
    if unit is None:
        return []
    return list(
        db.session.scalars(
            select(Assignment)
            .join(Unit, Assignment.unit_id == Unit.id)
            .where(literal(unit.path).startswith(Unit.path))
            .order_by(Assignment.id)
        )
    )


def apply_assignments_to(user: User) -> int:
    """Enrol ``user`` in every course assigned to their unit's subtree (after creation or a move).

    Idempotent; returns how many assignments applied. The caller commits.
    """
    if not user.is_active or user.unit is None:
        return 0
    assignments = assignments_covering(user.unit)
    for assignment in assignments:
        _enrol(user, assignment)
    return len(assignments)


def _enrol(user: User, assignment: Assignment) -> None:
    enrol_learner(
        user, assignment.course, source="assigned", due_at=assignment.due_at, assignment=assignment
    )


def delete_assignment(assignment: Assignment) -> None:
    """Remove the assignment; enrolments made by it stay (the learners keep their progress)."""
    db.session.execute(
        update(Enrollment)
        .where(Enrollment.assignment_id == assignment.id)
        .values(assignment_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.delete(assignment)
    db.session.flush()


def list_assignments(scope: Unit | None) -> list[Assignment]:
    """Assignments to units inside ``scope`` and to the units above it, which bind its people too
    (all of them for None), newest first."""
    query = (
        select(Assignment)
        .join(Unit, Assignment.unit_id == Unit.id)
        .order_by(Assignment.created_at.desc(), Assignment.id.desc())
    )
    if scope is not None:
        query = query.where(or_(scope.subtree_filter(), literal(scope.path).startswith(Unit.path)))
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class AssignmentPreview:
    """What assigning a course to a unit would do, before anything is written."""

    unit: Unit
    course: object
    people: int  # active people in the unit and below it
    units: int  # the units those people belong to
    existing: Assignment | None  # the same course already assigned to the same unit


def preview_assignment(unit: Unit, course) -> AssignmentPreview:
    """Count who an assignment of ``course`` to ``unit``'s subtree would reach; writes nothing."""
    members = (
        select(User.id, User.unit_id)
        .join(Unit, User.unit_id == Unit.id)
        .where(unit.subtree_filter(), User.is_active.is_(True))
        .subquery()
    )
    people, units = db.session.execute(
        select(func.count(members.c.id), func.count(func.distinct(members.c.unit_id)))
    ).one()
    existing = db.session.scalar(
        select(Assignment).where(Assignment.course_id == course.id, Assignment.unit_id == unit.id)
    )
    return AssignmentPreview(unit, course, people, units, existing)
