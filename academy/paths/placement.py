"""The placement quiz of a track: about two questions from each module of its published courses.

The form carries a signed ticket (learner, track, the questions shown, a random nonce); answers
are stored as one ``placement`` attempt per module covered, so they count for those modules.
"""
from __future__ import annotations

import hashlib
import random
import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from academy.database import db

QUESTIONS_PER_MODULE = 2
MAX_AGE = 6 * 3600
SALT = "placement"


class InvalidPlacement(Exception):
    """A ticket that is tampered with, expired, or another learner's or track's."""


@dataclass(frozen=True)
class PlacementTicket:
    question_ids: list[int]
    nonce: str


def track_modules(track: str) -> list:
    """Modules of the track's published courses, in course and module order, with their questions
    and choices (the page shows choices of questions from every module)."""
    from academy.catalog.models import Course, Module, Question

    return list(db.session.scalars(
        select(Module).join(Course).where(Course.track == track, Course.status == "published")
        .options(selectinload(Module.questions).selectinload(Question.choices))
        .order_by(Course.id, Module.position)))


def draw_questions(track: str, rng: random.Random | None = None) -> list:
    """About ``QUESTIONS_PER_MODULE`` active questions from each module, modules in order."""
    rng = rng or random.Random()
    drawn = []
    for module in track_modules(track):
        active = module.active_questions
        drawn.extend(sorted(rng.sample(active, min(QUESTIONS_PER_MODULE, len(active))), key=lambda q: q.position))
    return drawn


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def issue_ticket(user, track: str, questions) -> str:
    payload = {"u": user.id, "t": track, "q": [q.id for q in questions], "n": secrets.token_urlsafe(16)}
    return _serializer().dumps(payload)


def read_ticket(raw: str, user, track: str) -> PlacementTicket:
    try:
        payload = _serializer().loads(raw or "", max_age=MAX_AGE)
    except BadData as exc:
        raise InvalidPlacement(str(exc)) from exc
    if not isinstance(payload, dict) or payload.get("u") != user.id or payload.get("t") != track:
        raise InvalidPlacement("ticket for another learner or track")
    return PlacementTicket([int(q) for q in payload.get("q", [])], str(payload.get("n", "")))


def submit_placement(user, track: str, ticket: PlacementTicket, answers: dict[int, list[int]]) -> list:
    """Grade and store one placement attempt per module covered. Returns the attempts.

    A resent form stores nothing new: each attempt's token is derived from the ticket's nonce.
    """
    from academy.catalog.models import Question
    from academy.learning.services import submit_attempt

    questions = db.session.scalars(select(Question).where(Question.id.in_(ticket.question_ids))).all()
    by_module: dict[int, list[int]] = {}
    for question in sorted(questions, key=lambda q: ticket.question_ids.index(q.id)):
        by_module.setdefault(question.module_id, []).append(question.id)
    digest = hashlib.sha256(ticket.nonce.encode()).hexdigest()[:40]
    modules = {m.id: m for m in track_modules(track)}
    attempts = []
    for module_id, question_ids in by_module.items():
        if module_id not in modules:
            continue  # a course left the track or was unpublished since the quiz was shown
        module_answers = {q: answers.get(q, []) for q in question_ids}
        attempt, _created = submit_attempt(user, modules[module_id], f"{digest}:{module_id}", module_answers,
                                           question_ids=question_ids, kind="placement")
        attempts.append(attempt)
    return attempts


def answers_from_form(form_data, question_ids) -> dict[int, list[int]]:
    """{question id: [choice ids]} from fields named ``q<id>`` (radio or checkboxes)."""
    answers = {}
    for qid in question_ids:
        chosen = []
        for raw in form_data.getlist(f"q{qid}"):
            if raw.isdigit():
                chosen.append(int(raw))
        answers[qid] = chosen
    return answers
