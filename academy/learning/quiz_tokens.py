"""The signed ticket a quiz form carries, and the answers the form sends back.

One scheme serves both quizzes: a module's quiz (the ticket is for a module id) and a track's
placement quiz (for a track). The ticket says who may submit it, for what, and which questions
were shown (for a module quiz also each question's choices in the order shown: ``c``, aligned
with ``q``); its random nonce names the attempt: ``QuizAttempt.token`` stores a digest of it and is
unique, so any number of copies of one form store one attempt. Answers come in fields named
``q-<question id>``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

# What a ticket may be for (the serializer's salt) → the payload key naming its subject.
SUBJECT_KEYS = {"quiz": "m", "placement": "t"}


class InvalidQuizToken(Exception):
    """The ticket is malformed, tampered with, expired, or not this learner's for this subject."""


@dataclass(frozen=True)
class QuizTicket:
    user_id: int
    subject: int | str  # a module id, or a placement quiz's track
    question_ids: list[int]
    attempt_token: str  # what QuizAttempt.token stores
    issued_at: datetime
    # {question id: [choice ids in the order shown]}; empty when the order was the authored one.
    choice_order: dict[int, list[int]] = field(default_factory=dict)


def _serializer(kind: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=kind)


def attempt_token_for(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def issue_quiz_token(
    user,
    subject: int | str,
    question_ids: list[int],
    *,
    kind: str = "quiz",
    choice_order: dict[int, list[int]] | None = None,
) -> str:
    """Sign a fresh ticket for ``user`` to answer ``question_ids`` once, for ``subject`` (a module
    id; a track with ``kind="placement"``), with the choices of each shown in ``choice_order``."""
    payload = {
        "u": user.id,
        SUBJECT_KEYS[kind]: subject,
        "q": list(question_ids),
        "n": secrets.token_urlsafe(24),
    }
    if choice_order:
        payload["c"] = [list(choice_order.get(qid, ())) for qid in question_ids]
    return _serializer(kind).dumps(payload)


def read_quiz_token(token: str, user, subject: int | str, *, kind: str = "quiz") -> QuizTicket:
    """Check a submitted ticket; InvalidQuizToken for anything but this user's, for ``subject``."""
    max_age = current_app.config["QUIZ_TOKEN_MAX_AGE"]  # a page left open longer is offered afresh
    try:
        payload, issued_at = _serializer(kind).loads(
            token or "", max_age=max_age, return_timestamp=True
        )
    except BadData as exc:
        raise InvalidQuizToken(str(exc)) from exc
    if not isinstance(payload, dict):
        raise InvalidQuizToken("payload")
    ids, nonce = payload.get("q"), payload.get("n")
    if (
        payload.get("u") != user.id
        or payload.get(SUBJECT_KEYS[kind]) != subject
        or not isinstance(nonce, str)
        or not isinstance(ids, list)
        or not ids
        or not all(isinstance(i, int) for i in ids)
    ):
        raise InvalidQuizToken("not for this learner or subject")
    return QuizTicket(
        user.id,
        subject,
        ids,
        attempt_token_for(nonce),
        issued_at,
        _choice_order(ids, payload.get("c", [])),
    )


def _choice_order(question_ids: list[int], orders) -> dict[int, list[int]]:
    if not isinstance(orders, list) or (orders and len(orders) != len(question_ids)):
        raise InvalidQuizToken("choice order")
    if not all(isinstance(o, list) and all(isinstance(c, int) for c in o) for o in orders):
        raise InvalidQuizToken("choice order")
    return {qid: order for qid, order in zip(question_ids, orders, strict=False) if order}


def answers_from_form(form_data, question_ids) -> dict[int, list[int]]:
    """{question id: [choice ids]} from fields named ``q-<id>`` (radio or checkboxes)."""
    return {
        qid: [int(value) for value in form_data.getlist(f"q-{qid}") if value.isdigit()]
        for qid in question_ids
    }
