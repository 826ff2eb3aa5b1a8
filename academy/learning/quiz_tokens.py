"""The one-time token a quiz form carries: who may submit it, for which module, which questions.

The signed payload holds a random nonce; the attempt is stored under a digest of that nonce, and
``QuizAttempt.token`` is unique, so any number of copies of one form store one attempt.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

SALT = "quiz"
DEFAULT_MAX_AGE = 6 * 3600  # a quiz page left open longer than this is offered afresh


class InvalidQuizToken(Exception):
    """The token is malformed, tampered with, expired, or not this learner's for this module."""


@dataclass(frozen=True)
class QuizTicket:
    user_id: int
    module_id: int
    question_ids: list[int]
    attempt_token: str  # what QuizAttempt.token stores
    issued_at: datetime


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def attempt_token_for(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def issue_quiz_token(user, module, question_ids: list[int]) -> str:
    """Sign a fresh token for ``user`` to answer ``question_ids`` of ``module`` once."""
    payload = {"u": user.id, "m": module.id, "q": list(question_ids), "n": secrets.token_urlsafe(24)}
    return _serializer().dumps(payload)


def read_quiz_token(token: str, user, module) -> QuizTicket:
    """Check a submitted token; raise InvalidQuizToken for anything but this user's, this module's."""
    max_age = current_app.config.get("QUIZ_TOKEN_MAX_AGE", DEFAULT_MAX_AGE)
    try:
        payload, issued_at = _serializer().loads(token or "", max_age=max_age, return_timestamp=True)
    except BadData as exc:
        raise InvalidQuizToken(str(exc)) from exc
    if not isinstance(payload, dict):
        raise InvalidQuizToken("payload")
    ids, nonce = payload.get("q"), payload.get("n")
    if (payload.get("u") != user.id or payload.get("m") != module.id or not isinstance(nonce, str)
            or not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids)):
        raise InvalidQuizToken("not for this learner or module")
    return QuizTicket(user.id, module.id, ids, attempt_token_for(nonce), issued_at)
