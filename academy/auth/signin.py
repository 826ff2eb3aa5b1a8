"""The sign-in between its two steps: the password is right, the second factor not yet given.

Nothing is signed in meanwhile; the session only names the user (by id and session version, so a
password change or a logout elsewhere voids it) and when the password was accepted.
"""

from __future__ import annotations

import time

from flask import session
from flask_login import login_user

from academy.auth.models import User
from academy.auth.services import complete_sign_in
from academy.core.audit import record_audit
from academy.extensions import db

PENDING_KEY = "signin_pending"
PENDING_SECONDS = 300  # time to type the code after the password


def begin_second_step(user: User) -> None:
    """Remember, in a fresh session, that ``user`` gave the right password just now."""
    session.clear()
    session[PENDING_KEY] = {"user": user.get_id(), "at": int(time.time())}


def pending_user() -> User | None:
    """The user half-way through signing in, or None (none, expired, or voided since)."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user_id, _, version = str(pending.get("user", "")).partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.is_active or str(user.session_version) != version:
        return None
    return user


def finish_sign_in(user: User) -> None:
    """Every factor passed: a fresh session, signed in."""
    complete_sign_in(user)
    record_audit("auth.signin", target=f"user:{user.id}", actor=user)
    session.clear()
    login_user(user)
