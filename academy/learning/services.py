"""Quiz attempts: the write side of a learner's journey, with enrolments and lessons read
(``academy.learning.enrolment``) re-exported here.

Public contract used by other features: ``enrol_learner``, ``submit_attempt``, ``grade_attempt``,
``course_progress`` and ``learner_overview``. Services flush; the caller commits once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

from flask import current_app
from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    bindparam,
    case,
    column,
    func,
    literal,
    null,
    select,
    true,
)
from sqlalchemy.orm import aliased, joinedload

from academy.cache import local_cache, remembered
from academy.catalog.models import Choice, Question
from academy.catalog.stamps import course_stamp
from academy.database import db, utcnow
from academy.events import attempt_recorded, module_passed, send
from academy.learning.enrolment import (  # noqa: F401 - public contract
    INSERTS,
    VISIT_REFRESH,
    complete_course_if_done,
    dialect_insert,
    dialect_name,
    enrol_learner,
    find_enrollment,
    mark_lesson_done,
    note_lesson_visit,
    visit_is_news,
)
from academy.learning.grants import extra_attempts
from academy.learning.models import AttemptAnswer, AttemptGrant, ModuleResult, QuizAttempt
from academy.learning.progress import course_progress, learner_overview  # noqa: F401 - public contract


class AttemptLimitReached(Exception):
    """The learner has used every attempt allowed on this module (QUIZ_MAX_ATTEMPTS and grants)."""


# ---- quizzes ----------------------------------------------------------------------------


def shown_questions(module) -> list[Question]:
    """The questions a learner opening the quiz now is shown: active ones, by position."""
    return (
        db.session.scalars(
            select(Question)
            .where(Question.module_id == module.id, Question.is_active.is_(True))
            .options(joinedload(Question.choices))
            .order_by(Question.position, Question.id)
        )
        .unique()
        .all()
    )


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


def quiz_standing(user, module, *, with_last: bool = False) -> tuple:
    """(attempts used, attempts granted, last attempt's submitted_at, whether it passed) on
    ``module``'s quiz, in one query; the last attempt's fields are None unless ``with_last``."""
    mine = (
        QuizAttempt.user_id == user.id,
        QuizAttempt.module_id == module.id,
        QuizAttempt.kind == "module",
    )
    last = select().where(*mine).order_by(QuizAttempt.submitted_at.desc(), QuizAttempt.id.desc())
    columns = [
        select(func.count()).select_from(QuizAttempt).where(*mine).scalar_subquery(),
        select(func.coalesce(func.sum(AttemptGrant.extra), 0))
        .where(AttemptGrant.user_id == user.id, AttemptGrant.module_id == module.id)
        .scalar_subquery(),
    ]
    if with_last:
        columns += [
            last.add_columns(QuizAttempt.submitted_at).limit(1).scalar_subquery(),
            last.add_columns(QuizAttempt.passed).limit(1).scalar_subquery(),
        ]
    row = db.session.execute(select(*columns)).one()
    return (int(row[0]), int(row[1] or 0), *(tuple(row[2:]) if with_last else (None, None)))


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
    allowed = attempts_allowed(user, module) if kind == "module" else None
    if allowed is not None and attempts_used(user, module) >= allowed:
        raise AttemptLimitReached()
    questions = questions_by_ids(module, question_ids)
    return record_attempt(
        user,
        module,
        token,
        answers,
        questions,
        kind=kind,
        allowed=allowed,
        started_at=started_at,
        choice_order=choice_order,
    )


def record_attempt(
    user,
    module,
    token: str,
    answers: dict[int, list[int]],
    questions: list[GradedQuestion],
    *,
    kind="module",
    allowed: int | None = None,
    started_at=None,
    choice_order: dict | None = None,
) -> tuple[QuizAttempt, bool]:
    """Grade ``answers`` on ``questions`` (as ``questions_by_ids`` loads them) and store the
    attempt once per ``token``, in a fixed number of statements; returns (attempt, newly created).

    The caller has checked its own rules; ``allowed`` (None: unlimited) is checked here once the
    attempt is stored, so concurrent different forms never exceed it (AttemptLimitReached).
    """
    if not questions:
        raise ValueError("no question to grade")
    score, correct = grade_attempt(questions, answers)
    passed = score >= module.course.pass_threshold
    now = utcnow()
    values = {
        "user_id": user.id,
        "module_id": module.id,
        "token": token,
        "kind": kind,
        "question_ids": [q.id for q in questions],
        "started_at": started_at or now,
        "submitted_at": now,
        "choice_order": _shown_order(questions, choice_order or {}),
        "score": score,
        "passed": passed,
    }
    attempt, passed_at = _store(values, _answer_rows(questions, answers, correct))
    if attempt is None:  # the token was used already: a resent form, or a concurrent copy
        return owned_attempt(attempt_by_token(token), user), False
    newly_passed = passed and passed_at == now
    # The upsert above holds this learner's result row (PostgreSQL) or the write lock (SQLite) until
    # commit, so a concurrent submission counts after this one is settled: never one past the limit.
    if allowed is not None and kind == "module" and attempts_used(user, module) > allowed:
        raise AttemptLimitReached()
    if passed:
        send(module_passed, user=user, module=module, attempt=attempt)
    if newly_passed:  # only a module passed now can complete its course
        complete_course_if_done(user, module.course)
    send(attempt_recorded, attempt=attempt)
    return attempt, True


def owned_attempt(attempt: QuizAttempt, user) -> QuizAttempt:
    """``attempt``, if it is ``user``'s (a token is never another learner's to reuse)."""
    if attempt.user_id != user.id:
        raise ValueError("token belongs to another learner's attempt")
    return attempt


@dataclass(frozen=True)
class GradedChoice:
    id: int
    question_id: int
    position: int
    is_correct: bool


@dataclass(frozen=True)
class GradedQuestion:
    """What grading reads of a question (the prompt and explanation stay in the database)."""

    id: int
    module_id: int
    position: int
    kind: str
    choices: tuple[GradedChoice, ...]

    @property
    def correct_choice_ids(self) -> set[int]:
        return {c.id for c in self.choices if c.is_correct}


def questions_by_ids(module, question_ids) -> list[GradedQuestion]:
    """``module``'s questions among ``question_ids`` (retired ones too), in that order, with their
    choices in order. Every question of the module is read in one query and kept per course
    version (any saved change to a question or a choice moves it: catalog.stamps), so a quiz
    submit usually reads none."""
    found = remembered(
        local_cache,
        f"grading:{course_stamp(module.course)}:{module.id}",
        lambda: _graded_questions(module.id),
    )
    return [found[qid] for qid in dict.fromkeys(question_ids) if qid in found]


def _graded_questions(module_id: int) -> dict[int, GradedQuestion]:
    choices: dict[int, list[GradedChoice]] = {}
    rows = db.session.execute(
        select(Question.id, Question.position, Question.kind, Choice.id, Choice.position)
        .add_columns(Choice.is_correct)
        .outerjoin(Choice, Choice.question_id == Question.id)
        .where(Question.module_id == module_id)
        .order_by(Question.id, Choice.position, Choice.id)
    ).all()
    shape = {}
    for question_id, position, kind, choice_id, choice_position, is_correct in rows:
        shape[question_id] = (position, kind)
        listed = choices.setdefault(question_id, [])
        if choice_id is not None:
            listed.append(GradedChoice(choice_id, question_id, choice_position, bool(is_correct)))
    return {
        qid: GradedQuestion(qid, module_id, position, kind, tuple(choices[qid]))
        for qid, (position, kind) in shape.items()
    }


def _shown_order(questions, choice_order: dict) -> dict[str, list[int]]:
    """{"<question id>": [choice ids as shown]}: the order given, else the authored one."""
    return {str(q.id): list(choice_order.get(q.id) or [c.id for c in q.choices]) for q in questions}


def _answer_rows(questions, answers, correct) -> list[dict]:
    """Each shown question's answer: the valid choices chosen, and whether they are right."""
    rows = []
    for question in questions:
        valid = {c.id for c in question.choices}
        chosen = sorted({int(c) for c in (answers.get(question.id) or ()) if int(c) in valid})
        rows.append(
            {"question_id": question.id, "choice_ids": chosen, "is_correct": correct[question.id]}
        )
    return rows


def _store(values: dict, answers: list[dict]) -> tuple:
    """Store the attempt (``values``), its ``answers`` and the learner's result, in a fixed number
    of statements (one on PostgreSQL); (the attempt, the result's passed_at: the attempt's
    submitted_at when it passed the module first), or (None, None) when the token was used
    already and nothing was written. The result's upsert keeps concurrent submits from losing a
    count."""
    statements = _statements(dialect_name())
    if statements.at_once is not None:
        row = db.session.execute(statements.at_once, {**values, "answers": answers}).first()
        return (row[0], row[1]) if row is not None else (None, None)
    attempt = db.session.scalar(statements.attempt, values)
    if attempt is None:
        return None, None
    db.session.execute(
        AttemptAnswer.__table__.insert(), [{**a, "attempt_id": attempt.id} for a in answers]
    )
    now = values["submitted_at"]
    passed_at = db.session.scalar(
        statements.result,
        {
            "user_id": values["user_id"],
            "module_id": values["module_id"],
            "best_score": values["score"],
            "passed_at": now if values["passed"] else None,
            "updated_at": now,
        },
    )
    return attempt, passed_at


class _SubmitStatements(NamedTuple):
    attempt: object  # the attempt, once per token
    result: object  # the learner's result in the module
    at_once: object | None  # PostgreSQL: the attempt, its answers and the result in one statement


@functools.cache
def _statements(dialect: str) -> _SubmitStatements:
    """A submit's writes, built once per database kind (their values are bound parameters, so
    building and compiling them is not paid on every submit)."""
    insert = INSERTS[dialect]
    attempt = _new_attempt(insert)
    table = ModuleResult.__table__
    values = {
        name: bindparam(name, type_=table.c[name].type)
        for name in ("user_id", "module_id", "best_score", "passed_at", "updated_at")
    }
    result = _keep_best(insert(table).values(attempts_count=1, **values))
    return _SubmitStatements(
        attempt.returning(QuizAttempt),
        result.returning(table.c.passed_at),
        _at_once(attempt) if dialect == "postgresql" else None,
    )


_ATTEMPT_VALUES = (
    "user_id",
    "module_id",
    "token",
    "kind",
    "question_ids",
    "started_at",
    "submitted_at",
    "choice_order",
    "score",
    "passed",
)


def _new_attempt(insert):
    """INSERT the attempt, unless its token was used already."""
    table = QuizAttempt.__table__
    values = {name: bindparam(name, type_=table.c[name].type) for name in _ATTEMPT_VALUES}
    return insert(QuizAttempt).values(values).on_conflict_do_nothing(index_elements=["token"])


def _keep_best(upsert):
    """The result upsert's conflict rule: the best score kept, one more attempt counted, the first
    pass kept."""
    table = ModuleResult.__table__
    return upsert.on_conflict_do_update(
        index_elements=[table.c.user_id, table.c.module_id],
        set_={
            "best_score": case(
                (upsert.excluded.best_score > table.c.best_score, upsert.excluded.best_score),
                else_=table.c.best_score,
            ),
            "attempts_count": table.c.attempts_count + 1,
            "passed_at": func.coalesce(table.c.passed_at, upsert.excluded.passed_at),
            "updated_at": upsert.excluded.updated_at,
        },
    )


def _at_once(new_attempt):
    """On PostgreSQL, a submit's three writes in one statement (data-modifying CTEs): the attempt;
    its answers (``answers``: a JSON list of rows); and the upsert of the learner's result, read
    back with the attempt. When the token was used already the attempt CTE is empty: nothing
    else is written and no row comes back."""
    attempt = new_attempt.returning(*QuizAttempt.__table__.c).cte("new_attempt")
    given = (
        func.json_to_recordset(bindparam("answers", type_=JSON))
        .table_valued(
            column("question_id", Integer),
            column("choice_ids", JSON),
            column("is_correct", Boolean),
        )
        .render_derived(name="given", with_types=True)
    )
    answers = (
        INSERTS["postgresql"](AttemptAnswer.__table__)
        .from_select(
            ["attempt_id", "question_id", "choice_ids", "is_correct"],
            select(attempt.c.id, given.c.question_id, given.c.choice_ids, given.c.is_correct)
            .select_from(attempt)
            .join(given, true()),
        )
        .cte("new_answers")
    )
    result = (
        _keep_best(
            INSERTS["postgresql"](ModuleResult.__table__).from_select(
                ["user_id", "module_id", "best_score", "attempts_count", "passed_at", "updated_at"],
                select(
                    attempt.c.user_id,
                    attempt.c.module_id,
                    attempt.c.score,
                    literal(1),
                    case((attempt.c.passed, attempt.c.submitted_at), else_=null()),
                    attempt.c.submitted_at,
                ),
            )
        )
        .returning(ModuleResult.__table__.c.passed_at)
        .cte("new_result")
    )
    return (
        select(aliased(QuizAttempt, attempt), result.c.passed_at)
        .outerjoin(result, true())
        .add_cte(answers)
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
