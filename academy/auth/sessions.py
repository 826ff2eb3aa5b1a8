"""Sessions that really end: who a session cookie names, checked on every request."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from academy.auth.models import User
from academy.auth.two_factor import is_enrolled, is_required
from academy.extensions import db, login_manager


def init_sessions(app) -> None:
    """Let Flask-Login find the signed-in user through ``load_user``."""
    login_manager.user_loader(load_user)


def load_user(session_id: str):
    """The session names a user and the session version it was issued under; a version
    bumped by logout or a password change makes every older cookie worthless."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.scalars(_ONE_USER, {"user_id": int(user_id)}).unique().first()
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    if _lacks_required_second_factor(user):
        return None  # e.g. a session from before two-factor sign-in became required for the role
    return user


# The user, unit and roles in one statement (the roles' usual selectin load would be a second).
_ONE_USER = select(User).where(User.id == bindparam("user_id")).options(joinedload(User.role_rows))


def _lacks_required_second_factor(user) -> bool:
    return is_required(user) and not is_enrolled(user)
