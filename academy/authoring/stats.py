"""How each quiz question performs, so bad questions get fixed.

Discrimination is the point-biserial correlation between answering the question correctly (0/1)
and the score of the attempt it was answered in (the item itself included): near zero or negative
means strong learners do no better on it than weak ones. Computed from one grouped query over
AttemptAnswer rows (count, sums and sums of squares), so it is set-based on every backend.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import contains_eager

from academy.catalog.models import Course, Module, Question
from academy.extensions import db
from academy.learning.models import AttemptAnswer, QuizAttempt

MIN_ATTEMPTS = 5  # below this a discrimination figure is noise, so none is shown


@dataclass
class QuestionStats:
    question: Question
    module: Module
    attempts: int
    share_correct: float | None
    discrimination: float | None


def point_biserial(n: int, correct: int, sum_correct: float, total: float, total_sq: float) -> float | None:
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
        select(AttemptAnswer.question_id, func.count(), func.sum(right),
               func.sum(case((AttemptAnswer.is_correct, QuizAttempt.score), else_=0.0)),
               func.sum(QuizAttempt.score), func.sum(QuizAttempt.score * QuizAttempt.score))
        .join(QuizAttempt, QuizAttempt.id == AttemptAnswer.attempt_id)
        .join(Question, Question.id == AttemptAnswer.question_id)
        .join(Module, Module.id == Question.module_id)
        .where(Module.course_id == course.id, Question.is_active.is_(True))
        .group_by(AttemptAnswer.question_id)
    )
    figures = {row[0]: row[1:] for row in db.session.execute(query)}
    questions = db.session.scalars(
        select(Question).join(Module).options(contains_eager(Question.module))
        .where(Module.course_id == course.id, Question.is_active.is_(True))
        .order_by(Module.position, Question.position))
    rows = []
    for question in questions:
        n, k, s1, sx, sxx = figures.get(question.id, (0, 0, 0.0, 0.0, 0.0))
        rows.append(QuestionStats(question, question.module, n, (k / n) if n else None,
                                  point_biserial(n, int(k or 0), float(s1 or 0), float(sx or 0), float(sxx or 0))))
    return sorted(rows, key=_worst_first)


def _worst_first(row: QuestionStats):
    if row.discrimination is None:
        return (1, -row.attempts, 0.0)
    return (0, row.discrimination, row.share_correct or 0.0)
