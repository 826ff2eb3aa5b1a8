"""Enrolments, lessons read and quiz attempts: the write side of a learner's journey.

Public contract used by other features: ``enrol_learner``, ``submit_attempt``, ``grade_attempt``,
``course_progress`` and ``learner_overview``. Services flush; the caller commits once.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from academy.catalog.models import Module, Question
from academy.database import db, utcnow
from academy.events import attempt_recorded, course_completed, lesson_viewed, module_passed, send
from academy.learning.grants import extra_attempts
from academy.learning.models import (
    AttemptAnswer,
    Enrollment,
    LessonProgress,
    ModuleResult,
    QuizAttempt,
)
from academy.learning.progress import course_progress, learner_overview  # noqa: F401 - public contract

INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


class AttemptLimitReached(Exception):
    """The learner has used every attempt allowed on this module (QUIZ_MAX_ATTEMPTS and grants)."""


def dialect_insert(model):
    """INSERT with ON CONFLICT support, for the two databases we run on (on the Core table, so
    RETURNING tells reliably whether a row was written)."""
    name = db.session.get_bind().dialect.name
    if name not in INSERTS:  # pragma: no cover - configuration error
        raise RuntimeError(f"unsupported database dialect: {name}")
    return INSERTS[name](model.__table__)


# ---- enrolment and lessons ----------------------------------------------------------------


def find_enrollment(user, course) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
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


def note_lesson_visit(enrollment: Enrollment, lesson) -> bool:
    """Remember the lesson to offer under "continue where you left off"; sends ``lesson_viewed``.

    Rereading the same lesson within a few minutes writes nothing (a page view should not queue
    behind writers); returns whether anything changed.
    """
    send(lesson_viewed, user=enrollment.user, lesson=lesson, enrollment=enrollment)
    now = utcnow()
    if (
        enrollment.last_lesson_id == lesson.id
        and enrollment.last_visited_at is not None
        and now - enrollment.last_visited_at < VISIT_REFRESH
    ):
        return False
    enrollment.last_lesson_id = lesson.id
    enrollment.last_visited_at = now
    db.session.flush()
    return True


def complete_course_if_done(user, course, enrollment: Enrollment | None = None) -> bool:
    """Once every module of the course is passed: mark the enrolment complete and send
    ``course_completed`` (the certificates feature issues the certificate)."""
    enrollment = enrollment or find_enrollment(user, course)
    if enrollment is None or enrollment.completed_at is not None:
        return False
    module_ids = select(Module.id).where(Module.course_id == course.id)
    total = db.session.scalar(select(func.count()).select_from(module_ids.subquery()))
    passed = db.session.scalar(
        select(func.count())
        .select_from(ModuleResult)
        .where(
            ModuleResult.user_id == user.id,
            ModuleResult.module_id.in_(module_ids),
            ModuleResult.passed_at.is_not(None),
        )
    )
    if not total or passed < total:
        return False
    enrollment.completed_at = utcnow()
    db.session.flush()
    send(course_completed, user=user, course=course, enrollment=enrollment)
    return True


# ---- quizzes ----------------------------------------------------------------------------


def shown_questions(module) -> list[Question]:
    """The questions a learner opening the quiz now is shown: active ones, by position."""
    return db.session.scalars(
        select(Question)
        .where(Question.module_id == module.id, Question.is_active.is_(True))
        .options(selectinload(Question.choices))
        .order_by(Question.position, Question.id)
    ).all()


def attempts_used(user, module) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(QuizAttempt)
        .where(
            QuizAttempt.user_id == user.id,
            QuizAttempt.module_id == module.id,
            QuizAttempt.kind == "module",
        )
    )


def _attempt_limit() -> int:
    return max(0, int(current_app.config.get("QUIZ_MAX_ATTEMPTS") or 0))


def attempts_allowed(user, module) -> int | None:
    """QUIZ_MAX_ATTEMPTS plus the attempts granted to ``user`` on ``module``; None: unlimited."""
    limit = _attempt_limit()
    return limit + extra_attempts(user, module) if limit else None


def attempts_left(user, module) -> int | None:
    """Attempts the learner still has on this module's quiz, or None when unlimited."""
    allowed = attempts_allowed(user, module)
    return None if allowed is None else max(0, allowed - attempts_used(user, module))


def attempt_by_token(token: str) -> QuizAttempt | None:
    return db.session.scalar(select(QuizAttempt).where(QuizAttempt.token == token))


def grade_attempt(questions, answers) -> tuple[float, dict[int, bool]]:
    """Score ``answers`` ({question id: [choice ids]}) on ``questions``: each question all or
    nothing (the exact set of correct choices), the score the share of questions right."""
    per_question = {q.id: set(answers.get(q.id) or ()) == q.correct_choice_ids for q in questions}
    score = sum(per_question.values()) / len(per_question) if per_question else 0.0
    return score, per_question


def submit_attempt(
    user,
    module,
    token: str,
    answers: dict[int, list[int]],
    *,
    question_ids: list[int],
    kind="module",
    started_at=None,
    choice_order: dict | None = None,
) -> tuple[QuizAttempt, bool]:
    """Store one graded attempt per ``token``; returns (attempt, newly created).

    A token already used (a resent form, a double click, concurrent copies) returns the stored
    attempt. Graded against ``question_ids`` — what the learner was shown, with its choices in
    ``choice_order`` — even if some have been retired since. Raises AttemptLimitReached for a
    module quiz with no attempts left (checked again once this attempt is stored, so concurrent
    different forms cannot exceed the limit).
    """
    existing = attempt_by_token(token)
    if existing is not None:
        return owned_attempt(existing, user), False
    if kind == "module" and attempts_left(user, module) == 0:
        raise AttemptLimitReached()
    questions = _questions_by_ids(module, question_ids)
    if not questions:
        raise ValueError("no question to grade")
    score, correct = grade_attempt(questions, answers)
    passed = score >= module.course.pass_threshold
    now = utcnow()
    stmt = dialect_insert(QuizAttempt).values(
        user_id=user.id,
        module_id=module.id,
        token=token,
        kind=kind,
        question_ids=[q.id for q in questions],
        started_at=started_at or now,
        submitted_at=now,
        choice_order=_shown_order(questions, choice_order or {}),
        score=score,
        passed=passed,
    )
    inserted = db.session.execute(
        stmt.on_conflict_do_nothing(index_elements=["token"]).returning(stmt.table.c.id)
    ).scalar()
    attempt = attempt_by_token(token)
    if inserted is None:  # a concurrent copy of the same form got there first
        return owned_attempt(attempt, user), False
    _store_answers(attempt, questions, answers, correct)
    _record_result(user, module, score, passed, now)
    # The upsert above holds this learner's result row (PostgreSQL) or the write lock (SQLite) until
    # commit, so a concurrent submission counts after this one is settled: never one past the limit.
    allowed = attempts_allowed(user, module) if kind == "module" else None
    if allowed is not None and attempts_used(user, module) > allowed:
        raise AttemptLimitReached()
    if passed:
        send(module_passed, user=user, module=module, attempt=attempt)
    complete_course_if_done(user, module.course)
    send(attempt_recorded, attempt=attempt)
    return attempt, True


def owned_attempt(attempt: QuizAttempt, user) -> QuizAttempt:
    """``attempt``, if it is ``user``'s (a token is never another learner's to reuse)."""
    if attempt.user_id != user.id:
        raise ValueError("token belongs to another learner's attempt")
    return attempt


def _questions_by_ids(module, question_ids) -> list[Question]:
    found = {
        q.id: q
        for q in db.session.scalars(
            select(Question)
            .where(Question.id.in_(list(question_ids)), Question.module_id == module.id)
            .options(selectinload(Question.choices))
        )
    }
    return [found[qid] for qid in dict.fromkeys(question_ids) if qid in found]


def _shown_order(questions, choice_order: dict) -> dict[str, list[int]]:
    """{"<question id>": [choice ids as shown]}: the order given, else the authored one."""
    return {str(q.id): list(choice_order.get(q.id) or [c.id for c in q.choices]) for q in questions}


def _store_answers(attempt, questions, answers, correct) -> None:
    for question in questions:
        valid = {c.id for c in question.choices}
        chosen = sorted({int(c) for c in (answers.get(question.id) or ()) if int(c) in valid})
        db.session.add(
            AttemptAnswer(
                attempt_id=attempt.id,
                question_id=question.id,
                choice_ids=chosen,
                is_correct=correct[question.id],
            )
        )
    db.session.flush()


def _record_result(user, module, score: float, passed: bool, now) -> None:
    """Upsert the best result in one statement, so concurrent submits never lose a count."""
    table = ModuleResult.__table__
    stmt = dialect_insert(ModuleResult).values(
        user_id=user.id,
        module_id=module.id,
        best_score=score,
        attempts_count=1,
        passed_at=now if passed else None,
        updated_at=now,
    )
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.user_id, table.c.module_id],
            set_={
                "best_score": case(
                    (stmt.excluded.best_score > table.c.best_score, stmt.excluded.best_score),
                    else_=table.c.best_score,
                ),
                "attempts_count": table.c.attempts_count + 1,
                "passed_at": func.coalesce(table.c.passed_at, stmt.excluded.passed_at),
                "updated_at": stmt.excluded.updated_at,
            },
        )
    )


def active_question_counts(module_ids) -> dict[int, int]:
    """How many questions each module's quiz shows now (one query)."""
    ids = list(module_ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(Question.module_id, func.count(Question.id))
            .where(Question.module_id.in_(ids), Question.is_active.is_(True))
            .group_by(Question.module_id)
        ).all()
    )
