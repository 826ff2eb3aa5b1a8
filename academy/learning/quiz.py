"""A module's quiz as one learner meets it: the draw, the rules of submitting, and the review.

Each opening draws ``Module.quiz_draw`` of the module's active questions (all when None) in a
random order, each with its choices shuffled around the pinned ones; the signed form carries what
was shown, and the stored attempt records it, so grading and review use exactly that. A submission
is refused (and counts nothing) while a question is unanswered, before the waiting period after a
failed attempt is over, or once the attempts allowed (``QUIZ_MAX_ATTEMPTS`` plus granted ones) are
used up. A timed quiz follows Moodle's default: when the time is up the open attempt is submitted
as it stands (the page's script sends it; unanswered questions count as wrong); answers arriving
later than the limit plus ``QUIZ_TIME_GRACE`` are not graded, and the attempt counts with none.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from academy.catalog.models import Choice, Question
from academy.database import db, utcnow
from academy.learning import services as svc
from academy.learning.grants import attempt_limit
from academy.learning.models import ModuleResult, QuizAttempt

_random = random.SystemRandom()


class QuizNotYetOpen(Exception):
    """The waiting period after a failed attempt is not over; ``opens_at`` says until when."""

    def __init__(self, opens_at: datetime):
        super().__init__(opens_at.isoformat())
        self.opens_at = opens_at


class UnansweredQuestions(Exception):
    """Questions left unanswered, by their number on the page (1-based)."""

    def __init__(self, numbers: list[int]):
        super().__init__(", ".join(map(str, numbers)))
        self.numbers = numbers


@dataclass(frozen=True)
class ShownQuestion:
    number: int  # 1-based, as on the page
    question: Question
    choices: list[Choice]  # in the order shown


@dataclass(frozen=True)
class QuizAccess:
    """Where a learner stands before opening a module's quiz."""

    used: int
    allowed: int | None  # None: unlimited
    opens_at: datetime | None  # set while the wait after a failed attempt lasts

    @property
    def left(self) -> int | None:
        return None if self.allowed is None else max(0, self.allowed - self.used)


@dataclass(frozen=True)
class SubmitOutcome:
    attempt: QuizAttempt
    created: bool
    late: bool  # sent after the time limit and its grace: its answers were not graded


# ---- the draw ------------------------------------------------------------------------------


def draw_quiz(module, rng: random.Random | None = None):
    """Draw one attempt's questions: (question ids in the order shown, {question id: choice ids in
    the order shown}, the questions drawn, loaded with their choices)."""
    rng = rng or _random
    pool = svc.shown_questions(module)
    count = len(pool) if not module.quiz_draw or module.quiz_draw <= 0 else module.quiz_draw
    drawn = rng.sample(pool, min(count, len(pool)))
    return [q.id for q in drawn], {q.id: shuffled_choice_ids(q, rng) for q in drawn}, drawn


def shuffled_choice_ids(question, rng: random.Random) -> list[int]:
    """Choice ids shuffled, each pinned choice kept at its authored place. True/false keeps its
    authored order ("Đúng", "Sai"): swapping it hides nothing and only slows a reader down."""
    choices = question.choices
    if question.kind == "true_false":
        return [c.id for c in choices]
    free = [c.id for c in choices if not c.is_pinned]
    rng.shuffle(free)
    rest = iter(free)
    return [c.id if c.is_pinned else next(rest) for c in choices]


def questions_as_shown(question_ids, choice_order: dict) -> list[ShownQuestion]:
    """The questions of ``question_ids`` (retired ones too) in that order, each with its choices in
    the order ``choice_order`` ({id or "id": [choice ids]}) gives, else the authored order."""
    ids = list(question_ids)
    found = db.session.scalars(
        select(Question).where(Question.id.in_(ids)).options(joinedload(Question.choices))
    ).unique()
    return shown_in_order(list(found), ids, choice_order)


def shown_in_order(questions, question_ids, choice_order: dict) -> list[ShownQuestion]:
    """``questions`` (loaded) numbered in the order of ``question_ids``, their choices as shown."""
    found = {q.id: q for q in questions}
    shown = []
    for qid in question_ids:
        if qid in found:
            order = choice_order.get(qid) or choice_order.get(str(qid)) or []
            shown.append(ShownQuestion(len(shown) + 1, found[qid], _ordered(found[qid], order)))
    return shown


def _ordered(question: Question, order: list[int]) -> list[Choice]:
    rank = {cid: i for i, cid in enumerate(order)}
    return sorted(question.choices, key=lambda c: (rank.get(c.id, len(rank)), c.position, c.id))


# ---- before and at submitting ---------------------------------------------------------------


def quiz_access(user, module, now: datetime | None = None) -> QuizAccess:
    """Attempts used and allowed on ``module``'s quiz, and when the next opens if waiting (one
    query)."""
    wait = module.course.attempt_wait_minutes or 0
    used, extra, last_at, last_passed = svc.quiz_standing(user, module, with_last=wait > 0)
    limit = attempt_limit()
    opens_at = None
    if wait > 0 and last_at is not None and not last_passed:
        opens_at = last_at + timedelta(minutes=wait)
        opens_at = opens_at if opens_at > (now or utcnow()) else None
    return QuizAccess(used, limit + extra if limit else None, opens_at)


def _rules_allow(user, module, now: datetime) -> int | None:
    """Refuse a submission the attempt limit or the wait after a failed attempt forbids now;
    returns the attempts allowed (None: unlimited). No query when the quiz has neither rule."""
    if not attempt_limit() and (module.course.attempt_wait_minutes or 0) <= 0:
        return None
    access = quiz_access(user, module, now)
    if access.left == 0:
        raise svc.AttemptLimitReached()
    if access.opens_at is not None:
        raise QuizNotYetOpen(access.opens_at)
    return access.allowed


def deadline(module, issued_at: datetime) -> datetime | None:
    """When a quiz form issued at ``issued_at`` runs out of time (None: no time limit)."""
    if not module.quiz_time_limit or module.quiz_time_limit <= 0:
        return None
    return issued_at + timedelta(minutes=module.quiz_time_limit)


def _grace() -> timedelta:
    return timedelta(seconds=max(0, int(current_app.config.get("QUIZ_TIME_GRACE") or 0)))


def unanswered_numbers(shown: list[ShownQuestion], answers: dict[int, list[int]]) -> list[int]:
    """Numbers of the shown questions without an answer naming one of their own choices."""
    return [
        s.number
        for s in shown
        if not {c.id for c in s.choices} & set(answers.get(s.question.id) or ())
    ]


def submit_module_quiz(
    user, module, ticket, answers: dict[int, list[int]], now: datetime | None = None
) -> SubmitOutcome:
    """Grade and store the attempt ``ticket`` names, under the rules of the module's quiz.

    A ticket already used returns its stored attempt. Raises svc.AttemptLimitReached,
    QuizNotYetOpen or UnansweredQuestions (nothing written, nothing counted), and ValueError when
    none of the questions shown exists any more. The questions are read once, for the checks and
    the grading; a used ticket is looked up only when the insert or a refusal says so.
    """
    now = now or utcnow()
    questions = svc.questions_by_ids(module, ticket.question_ids)
    try:
        allowed = _rules_allow(user, module, now)
        due = deadline(module, ticket.issued_at)
        if due is None or now <= due:  # time is up: the attempt is graded as it stands
            shown = shown_in_order(questions, ticket.question_ids, ticket.choice_order)
            missing = unanswered_numbers(shown, answers)
            if missing:
                raise UnansweredQuestions(missing)
        if not questions:
            raise ValueError("no question to grade")
    except (svc.AttemptLimitReached, QuizNotYetOpen, UnansweredQuestions, ValueError):
        existing = svc.attempt_by_token(ticket.attempt_token)
        if existing is None:
            raise
        return SubmitOutcome(svc.owned_attempt(existing, user), False, False)
    late = due is not None and now > due + _grace()
    attempt, created = svc.record_attempt(
        user,
        module,
        ticket.attempt_token,
        {} if late else answers,
        questions,
        allowed=allowed,
        choice_order=ticket.choice_order,
        started_at=ticket.issued_at,
    )
    return SubmitOutcome(attempt, created, late and created)


# ---- after: the review ---------------------------------------------------------------------


def answer_key_visible(attempt: QuizAttempt, access: QuizAccess | None = None) -> bool:
    """Whether the attempt's review shows the correct choices and explanations, under the course's
    review policy: "always", "never", or "settled" (default) once the learner has passed the
    module or used up its attempts (``access``: the learner's standing, when read already)."""
    policy = attempt.module.course.review_policy or "settled"
    if policy in ("always", "never"):
        return policy == "always"
    if access is not None and access.left == 0:
        return True
    passed_at = db.session.scalar(
        select(ModuleResult.passed_at).where(
            ModuleResult.user_id == attempt.user_id, ModuleResult.module_id == attempt.module_id
        )
    )
    if access is not None:
        return passed_at is not None
    return passed_at is not None or svc.attempts_left(attempt.user, attempt.module) == 0


def attempt_review(attempt: QuizAttempt) -> list[dict]:
    """Each question of an attempt as it was shown, with the learner's and the correct choices."""
    answers = {a.question_id: a for a in attempt.answers}
    rows = []
    for shown in questions_as_shown(attempt.question_ids or [], attempt.choice_order or {}):
        answer = answers.get(shown.question.id)
        rows.append(
            {
                "number": shown.number,
                "question": shown.question,
                "choices": shown.choices,
                "chosen": set(answer.choice_ids if answer else ()),
                "correct": shown.question.correct_choice_ids,
                "is_correct": bool(answer and answer.is_correct),
            }
        )
    return rows
