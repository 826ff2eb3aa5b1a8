"""The placement quiz of a track: about two questions from each module of its published courses.

The form carries the signed quiz ticket of ``academy.learning.quiz_tokens`` (learner, track, the
questions shown, a random nonce); answers are stored as one ``placement`` attempt per module
covered, so they count for those modules.
"""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from academy.catalog.models import Course, Module, Question
from academy.database import db
from academy.learning.quiz_tokens import QuizTicket
from academy.learning.services import submit_attempt

QUESTIONS_PER_MODULE = 2


def track_modules(track: str) -> list:
    """Modules of the track's published courses, in course and module order, with their questions
    and choices (the page shows choices of questions from every module)."""
    return list(
        db.session.scalars(
            select(Module)
            .join(Course)
            .where(Course.track == track, Course.status == "published")
            .options(selectinload(Module.questions).selectinload(Question.choices))
            .order_by(Course.id, Module.position)
        )
    )


def draw_questions(track: str, rng: random.Random | None = None) -> list:
    """About ``QUESTIONS_PER_MODULE`` active questions from each module, modules in order."""
    rng = rng or random.Random()
    drawn = []
    for module in track_modules(track):
        active = module.active_questions
        drawn.extend(
            sorted(
                rng.sample(active, min(QUESTIONS_PER_MODULE, len(active))), key=lambda q: q.position
            )
        )
    return drawn


def submit_placement(user, track: str, ticket: QuizTicket, answers: dict[int, list[int]]) -> list:
    """Grade and store one placement attempt per module covered. Returns the attempts.

    A resent form stores nothing new: each attempt's token is derived from the ticket's.
    """
    questions = db.session.scalars(
        select(Question).where(Question.id.in_(ticket.question_ids))
    ).all()
    by_module: dict[int, list[int]] = {}
    for question in sorted(questions, key=lambda q: ticket.question_ids.index(q.id)):
        by_module.setdefault(question.module_id, []).append(question.id)
    digest = ticket.attempt_token[:40]
    modules = {m.id: m for m in track_modules(track)}
    attempts = []
    for module_id, question_ids in by_module.items():
        if module_id not in modules:
            continue  # a course left the track or was unpublished since the quiz was shown
        module_answers = {q: answers.get(q, []) for q in question_ids}
        attempt, _created = submit_attempt(
            user,
            modules[module_id],
            f"{digest}:{module_id}",
            module_answers,
            question_ids=question_ids,
            kind="placement",
        )
        attempts.append(attempt)
    return attempts
