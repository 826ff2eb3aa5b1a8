"""Enrolments and lessons read: the write side of a learner's journey before and around the quizzes,
and the course completed once every module is passed.

Re-exported by ``academy.learning.services`` (the public contract); services flush, the caller
commits once.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from academy.catalog.models import Module
from academy.database import db, utcnow
from academy.events import course_completed, lesson_viewed, send
from academy.learning.models import Enrollment, LessonProgress, ModuleResult

INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def dialect_name() -> str:
    """The database we run on: "postgresql" or "sqlite"."""
    name = db.session.get_bind().dialect.name
    if name not in INSERTS:  # pragma: no cover - configuration error
        raise RuntimeError(f"unsupported database dialect: {name}")
    return name


def dialect_insert(model):
    """INSERT with ON CONFLICT support, for the two databases we run on (on the Core table, so
    RETURNING tells reliably whether a row was written)."""
    return INSERTS[dialect_name()](model.__table__)


# ---- enrolment and lessons ----------------------------------------------------------------


def find_enrollment(user, course) -> Enrollment | None:
    return db.session.scalar(_ENROLMENT, {"user_id": user.id, "course_id": course.id})


_ENROLMENT = select(Enrollment).where(
    Enrollment.user_id == bindparam("user_id"), Enrollment.course_id == bindparam("course_id")
)


def enrol_learner(user, course, *, source="self", due_at=None, assignment=None) -> Enrollment:
    """Enrol ``user`` in ``course`` once, however often (or concurrently) this is called.

    An assignment arriving for an existing self enrolment turns it into an assigned one with
    the assignment's due date.
    """
    enrollment = find_enrollment(user, course)
    if enrollment is None:
        db.session.execute(
            dialect_insert(Enrollment)
            .values(
                user_id=user.id,
                course_id=course.id,
                source=source,
                due_at=due_at,
                assignment_id=assignment.id if assignment else None,
                enrolled_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["user_id", "course_id"])
        )
        enrollment = find_enrollment(user, course)
        # Modules may be passed already (test-out).
        complete_course_if_done(user, course, enrollment)
    elif source == "assigned":
        enrollment.source = "assigned"
        enrollment.due_at = due_at or enrollment.due_at
        if assignment is not None:
            enrollment.assignment_id = assignment.id
        db.session.flush()
    return enrollment


def mark_lesson_done(user, lesson) -> bool:
    """Record that ``user`` has read ``lesson``; True the first time only."""
    stmt = dialect_insert(LessonProgress).values(
        user_id=user.id, lesson_id=lesson.id, completed_at=utcnow()
    )
    written = db.session.execute(
        stmt.on_conflict_do_nothing(index_elements=["user_id", "lesson_id"]).returning(
            stmt.table.c.id
        )
    ).scalar()
    return written is not None


VISIT_REFRESH = timedelta(minutes=10)


def visit_is_news(last_lesson_id: int | None, last_visited_at, lesson_id: int) -> bool:
    """Whether opening ``lesson_id`` changes "continue where you left off": another lesson than
    the last one, or the same one after ``VISIT_REFRESH``."""
    return (
        last_lesson_id != lesson_id
        or last_visited_at is None
        or utcnow() - last_visited_at >= VISIT_REFRESH
    )


def note_lesson_visit(enrollment: Enrollment, lesson) -> bool:
    """Remember the lesson to offer under "continue where you left off" and send
    ``lesson_viewed``; returns whether anything changed.

    Rereading the same lesson within a few minutes writes and sends nothing (a page view should not
    queue behind writers, and a statement of it would not be committed).
    """
    if not visit_is_news(enrollment.last_lesson_id, enrollment.last_visited_at, lesson.id):
        return False
    send(lesson_viewed, user=enrollment.user, lesson=lesson, enrollment=enrollment)
    enrollment.last_lesson_id = lesson.id
    enrollment.last_visited_at = utcnow()
    db.session.flush()
    return True


def complete_course_if_done(user, course, enrollment: Enrollment | None = None) -> bool:
    """Once every module of the course is passed: mark the enrolment complete and send
    ``course_completed`` (the certificates feature issues the certificate)."""
    enrollment = enrollment or find_enrollment(user, course)
    if enrollment is None or enrollment.completed_at is not None:
        return False
    module_ids = select(Module.id).where(Module.course_id == course.id)
    total, passed = db.session.execute(
        select(
            select(func.count()).select_from(module_ids.subquery()).scalar_subquery(),
            select(func.count())
            .select_from(ModuleResult)
            .where(
                ModuleResult.user_id == user.id,
                ModuleResult.module_id.in_(module_ids),
                ModuleResult.passed_at.is_not(None),
            )
            .scalar_subquery(),
        )
    ).one()
    if not total or passed < total:
        return False
    enrollment.completed_at = utcnow()
    db.session.flush()
    send(course_completed, user=user, course=course, enrollment=enrollment)
    return True
