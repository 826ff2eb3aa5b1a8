"""How each quiz question performs, so bad questions get fixed.

Discrimination is the point-biserial correlation between answering the question correctly (0/1)
and the score of the attempt it was answered in (the item itself included): near zero or negative
means strong learners do no better on it than weak ones. Computed from one grouped query over
AttemptAnswer rows (count, sums and sums of squares), so it is set-based on every backend.

Distractor analysis: per choice, the share of the attempts that showed the question in which it
was picked (from AttemptAnswer.choice_ids, unnested in SQL). A question is flagged when a wrong
choice is picked more often than the right one (for several right choices: than the least-picked
of them), a sign that the key is wrong or that the lesson leads learners astray.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import Integer, case, cast, func, select, true
from sqlalchemy.orm import contains_eager, selectinload

from academy.catalog.models import Choice, Course, Module, Question
from academy.extensions import db
from academy.learning.models import AttemptAnswer, QuizAttempt

MIN_ATTEMPTS = 5  # below this a discrimination figure is noise, so none is shown


@dataclass
class ChoiceStats:
    choice: Choice
    picks: int
    share: float | None  # of the attempts that showed the question; None before any
    beats_key: bool = False  # a wrong choice picked more often than a right one


@dataclass
class QuestionStats:
    question: Question
    module: Module
    attempts: int
    share_correct: float | None
    discrimination: float | None
    choices: list[ChoiceStats] = field(default_factory=list)

    @property
    def strong_distractor(self) -> bool:
        """A wrong choice beats the key (only judged from MIN_ATTEMPTS answers on)."""
        return self.attempts >= MIN_ATTEMPTS and any(c.beats_key for c in self.choices)


def point_biserial(
    n: int, correct: int, sum_correct: float, total: float, total_sq: float
) -> float | None:
    """r_pb = (M1 - M0) / s * sqrt(p q) from aggregates; None when undefined or too few answers."""
    if n < MIN_ATTEMPTS or correct in (0, n):
        return None
    variance = total_sq / n - (total / n) ** 2
    if variance <= 1e-12:
        return None
    mean_right = sum_correct / correct
    mean_wrong = (total - sum_correct) / (n - correct)
    p = correct / n
    return (mean_right - mean_wrong) / math.sqrt(variance) * math.sqrt(p * (1 - p))


def question_stats(course: Course) -> list[QuestionStats]:
    """Every active question of the (live) course, worst discrimination first; no data last."""
    right = case((AttemptAnswer.is_correct, 1), else_=0)
    query = (
        select(
            AttemptAnswer.question_id,
            func.count(),
            func.sum(right),
            func.sum(case((AttemptAnswer.is_correct, QuizAttempt.score), else_=0.0)),
            func.sum(QuizAttempt.score),
            func.sum(QuizAttempt.score * QuizAttempt.score),
        )
        .join(QuizAttempt, QuizAttempt.id == AttemptAnswer.attempt_id)
        .join(Question, Question.id == AttemptAnswer.question_id)
        .join(Module, Module.id == Question.module_id)
        .where(Module.course_id == course.id, Question.is_active.is_(True))
        .group_by(AttemptAnswer.question_id)
    )
    figures = {row[0]: row[1:] for row in db.session.execute(query)}
    picks = pick_counts(course)
    questions = db.session.scalars(
        select(Question)
        .join(Module)
        .options(contains_eager(Question.module), selectinload(Question.choices))
        .where(Module.course_id == course.id, Question.is_active.is_(True))
        .order_by(Module.position, Question.position)
    )
    rows = []
    for question in questions:
        n, k, s1, sx, sxx = figures.get(question.id, (0, 0, 0.0, 0.0, 0.0))
        r_pb = point_biserial(n, int(k or 0), float(s1 or 0), float(sx or 0), float(sxx or 0))
        rows.append(
            QuestionStats(
                question,
                question.module,
                n,
                (k / n) if n else None,
                r_pb,
                choice_stats(question, n, picks),
            )
        )
    return sorted(rows, key=_worst_first)


def pick_counts(course: Course) -> dict[int, int]:
    """How often each choice of the course's active questions was picked: {choice id: picks}.

    One grouped query that unnests the JSON lists of picked ids (json_each on SQLite,
    json_array_elements_text on PostgreSQL; both may read the row beside them).
    """
    unnest = (
        func.json_each
        if db.session.get_bind().dialect.name == "sqlite"
        else func.json_array_elements_text
    )
    picked = unnest(AttemptAnswer.choice_ids).table_valued("value")
    choice_id = cast(picked.c.value, Integer)
    query = (
        select(choice_id, func.count())
        .select_from(AttemptAnswer)
        .join(picked, true())
        .join(Question, Question.id == AttemptAnswer.question_id)
        .join(Module, Module.id == Question.module_id)
        .where(Module.course_id == course.id, Question.is_active.is_(True))
        .group_by(choice_id)
    )
    return {int(cid): int(count) for cid, count in db.session.execute(query)}


def choice_stats(question: Question, attempts: int, picks: dict[int, int]) -> list[ChoiceStats]:
    """Each choice in its authored order with its pick share; wrong ones picked more often than
    the least-picked right one are marked."""
    rows = [
        ChoiceStats(c, picks.get(c.id, 0), picks.get(c.id, 0) / attempts if attempts else None)
        for c in question.choices
    ]
    right = [r.picks for r in rows if r.choice.is_correct]
    if right and attempts:
        for row in rows:
            row.beats_key = not row.choice.is_correct and row.picks > min(right)
    return rows


def _worst_first(row: QuestionStats):
    if row.discrimination is None:
        return (1, -row.attempts, 0.0)
    return (0, row.discrimination, row.share_correct or 0.0)
