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
# How the signed-in session began, kept in it: {"via": "sso", "id_token": …} after single sign-on
# (sso.py reads it at sign-out); absent after a password.
SIGN_IN_KEY = "signin_via"


def begin_second_step(user: User, carry: dict | None = None) -> None:
    """Remember, in a fresh session, that ``user`` passed the first step just now (the password,
    or the identity provider: ``carry`` then goes on to the signed-in session)."""
    session.clear()
    session[PENDING_KEY] = {"user": user.get_id(), "at": int(time.time())}
    if carry:
        session[PENDING_KEY]["carry"] = carry


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


def finish_sign_in(user: User, carry: dict | None = None) -> None:
    """Every factor passed: a fresh session, signed in. ``carry`` (or what begin_second_step put
    aside) says how the sign-in began; it is kept in the session and its ``via`` audited."""
    if carry is None:
        pending = session.get(PENDING_KEY)
        if isinstance(pending, dict) and pending.get("user") == user.get_id():
            carry = pending.get("carry")
    complete_sign_in(user)
    detail = {"via": carry["via"]} if carry and carry.get("via") else None
    record_audit("auth.signin", target=f"user:{user.id}", actor=user, detail=detail)
    session.clear()
    login_user(user)
    if carry:
        session[SIGN_IN_KEY] = carry
