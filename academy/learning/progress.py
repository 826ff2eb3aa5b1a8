"""Read side of a learner's progress, computed for many courses in a fixed number of queries."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, func, literal, null, select, union_all
from sqlalchemy.orm import contains_eager

from academy.catalog.models import Course, Lesson, Module
from academy.database import db, utcnow
from academy.learning.lesson_nav import course_outline, next_lesson
from academy.learning.models import Enrollment, LessonProgress, ModuleResult


def _counts(stmt) -> dict[int, int]:
    return {key: count for key, count in db.session.execute(stmt)}


def progress_by_course(
    user, course_ids, enrollments=None, totals=None, rows=None
) -> dict[int, dict]:
    """Progress of ``user`` in each course of ``course_ids`` (three queries whatever the number;
    one when the caller holds the ``totals``: course id → (lessons, modules), as the catalogue's
    cards do; none when it also holds the ``rows`` of ``PROGRESS_ROWS_ALL_COURSES``).
    ``enrollments``, when given, stand in each summary's "enrollment" (else the dates only:
    ``EnrolmentDates``).

    ``fraction`` weighs lessons read and module quizzes passed alike; a completed course is 1.0.
    """
    ids = list(course_ids)
    if not ids:
        return {}
    if totals is None:
        in_courses = Module.course_id.in_(ids)
        lessons_total = _counts(
            select(Module.course_id, func.count(Lesson.id))
            .join(Lesson.module)
            .where(in_courses)
            .group_by(Module.course_id)
        )
        modules_total = _counts(
            select(Module.course_id, func.count(Module.id))
            .where(in_courses)
            .group_by(Module.course_id)
        )
    else:
        lessons_total = {cid: pair[0] for cid, pair in totals.items()}
        modules_total = {cid: pair[1] for cid, pair in totals.items()}
    lessons_done, modules_passed, enrolled = {}, {}, []
    if rows is None:
        rows = db.session.execute(_PROGRESS_ROWS, {"user_id": user.id, "course_ids": ids})
    for kind, course_id, count, completed_at, due_at in rows:  # other courses' go unused
        if kind == "enrolment":
            enrolled.append(EnrolmentDates(course_id, completed_at, due_at))
        else:
            (lessons_done if kind == "lessons" else modules_passed)[course_id] = count
    by_course = {e.course_id: e for e in (enrolled if enrollments is None else enrollments)}
    return {
        cid: _summary(
            by_course.get(cid),
            lessons_done.get(cid, 0),
            lessons_total.get(cid, 0),
            modules_passed.get(cid, 0),
            modules_total.get(cid, 0),
        )
        for cid in ids
    }


class EnrolmentDates(NamedTuple):
    """What progress needs of an enrolment (read with the counts, not as the model)."""

    course_id: int
    completed_at: datetime | None
    due_at: datetime | None


def _progress_rows(in_courses: bool):
    """Per course, in one statement: the learner's enrolment (first, so the date columns keep
    their types), the lessons they read and the modules they passed; in the courses of the
    ``course_ids`` parameter, or in every course (``in_courses`` false)."""

    def among(course_id) -> list:
        return [course_id.in_(bindparam("course_ids", expanding=True))] if in_courses else []

    return union_all(
        select(
            literal("enrolment").label("kind"),
            Enrollment.course_id,
            literal(0).label("count"),
            Enrollment.completed_at,
            Enrollment.due_at,
        ).where(
            Enrollment.user_id == bindparam("user_id"),
            *among(Enrollment.course_id),
        ),
        select(literal("lessons"), Module.course_id, func.count(LessonProgress.id), null(), null())
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Lesson.module)
        .where(*among(Module.course_id), LessonProgress.user_id == bindparam("user_id"))
        .group_by(Module.course_id),
        select(
            literal("modules"), Module.course_id, func.count(ModuleResult.module_id), null(), null()
        )
        .join(Module, Module.id == ModuleResult.module_id)
        .where(
            *among(Module.course_id),
            ModuleResult.user_id == bindparam("user_id"),
            ModuleResult.passed_at.is_not(None),
        )
        .group_by(Module.course_id),
    )


# Built once: for the given courses, and for all of a learner's courses (which the catalogue reads
# with the signed-in user, ``read_with_user``, and passes as ``rows``).
_PROGRESS_ROWS = _progress_rows(in_courses=True)
PROGRESS_ROWS_ALL_COURSES = _progress_rows(in_courses=False)


def _summary(enrollment, lessons_done, lessons_total, modules_passed, modules_total) -> dict:
    steps = lessons_total + modules_total
    completed_at = enrollment.completed_at if enrollment else None
    fraction = 1.0 if completed_at else ((lessons_done + modules_passed) / steps if steps else 0.0)
    due_at = enrollment.due_at if enrollment else None
    return {
        "enrolled": enrollment is not None,
        "enrollment": enrollment,
        "lessons_done": lessons_done,
        "lessons_total": lessons_total,
        "modules_passed": modules_passed,
        "modules_total": modules_total,
        "fraction": fraction,
        "completed_at": completed_at,
        "due_at": due_at,
        "is_overdue": bool(due_at and not completed_at and due_at < utcnow()),
    }


def course_progress(user, course) -> dict:
    """Lessons done/total, modules passed/total, fraction, completed_at, due_at, is_overdue."""
    return progress_by_course(user, [course.id])[course.id]


def course_progress_from_modules(user, course, states: dict[int, dict]) -> dict:
    """``course_progress`` from ``module_progress`` states already read for the course's modules
    (one query, for the enrolment)."""
    mine = [states[m.id] for m in course.modules]
    enrollment = db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )
    return _summary(
        enrollment,
        sum(s["lessons_done"] for s in mine),
        sum(s["lessons_total"] for s in mine),
        sum(1 for s in mine if s["passed"]),
        len(mine),
    )


def module_progress(user, modules) -> dict[int, dict]:
    """Per module: lessons done and total, best score, attempts, passed (two queries).

    ``modules`` may come from several courses (prerequisites); their lessons must be loaded.
    """
    ids = [m.id for m in modules]
    lesson_ids = [lesson.id for m in modules for lesson in m.lessons]
    done = set(
        db.session.scalars(
            select(LessonProgress.lesson_id).where(
                LessonProgress.user_id == user.id, LessonProgress.lesson_id.in_(lesson_ids)
            )
        )
    )
    results = {
        r.module_id: r
        for r in db.session.execute(
            select(
                ModuleResult.module_id,
                ModuleResult.best_score,
                ModuleResult.attempts_count,
                ModuleResult.passed_at,
            ).where(ModuleResult.user_id == user.id, ModuleResult.module_id.in_(ids))
        )
    }
    return {m.id: _module_summary(m, done, results.get(m.id)) for m in modules}


def _module_summary(module, done: set[int], result) -> dict:
    return {
        "lessons_done": sum(1 for lesson in module.lessons if lesson.id in done),
        "lessons_total": len(module.lessons),
        "done_lesson_ids": {lesson.id for lesson in module.lessons if lesson.id in done},
        "best_score": result.best_score if result else None,
        "attempts": result.attempts_count if result else 0,
        "passed": bool(result and result.passed_at),
    }


def learner_overview(user) -> dict:
    """For the home page: enrolled courses with progress (overdue first) and where to continue."""
    enrollments = list(
        db.session.scalars(
            select(Enrollment)
            .join(Enrollment.course)
            .options(contains_eager(Enrollment.course))
            .where(Enrollment.user_id == user.id, Course.status == "published")
        )
    )
    progress = progress_by_course(user, [e.course_id for e in enrollments], enrollments)
    courses = [
        {"course": e.course, "enrollment": e, "progress": progress[e.course_id]}
        for e in enrollments
    ]
    courses.sort(key=_overview_order)
    return {"courses": courses, "continue": _continue_point(user, enrollments)}


def _overview_order(item) -> tuple:
    p, enrollment = item["progress"], item["enrollment"]
    due = p["due_at"].timestamp() if p["due_at"] else float("inf")
    return (not p["is_overdue"], bool(p["completed_at"]), due, -enrollment.enrolled_at.timestamp())


def _continue_point(user, enrollments) -> dict | None:
    """The lesson to open next in the unfinished course touched most recently."""
    open_ones = [e for e in enrollments if not e.completed_at]
    if not open_ones:
        return None
    latest = max(open_ones, key=lambda e: (e.last_visited_at or e.enrolled_at).timestamp())
    lessons = course_outline(latest.course)
    if not lessons:
        return None
    done = set(
        db.session.scalars(
            select(LessonProgress.lesson_id).where(
                LessonProgress.user_id == user.id,
                LessonProgress.lesson_id.in_([lesson.id for lesson in lessons]),
            )
        )
    )
    return {
        "course": latest.course,
        "lesson": next_lesson(lessons, done, latest.last_lesson_id),
        "resumed": latest.last_lesson_id is not None,
    }
