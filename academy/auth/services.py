"""Accounts: signing in and out, passwords, creating users."""
from __future__ import annotations

from sqlalchemy import func, select

from academy.auth.models import Unit, User
from academy.database import utcnow
from academy.extensions import db

# A real hash to compare against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = "scrypt:32768:8:1$Xq3sKw1B$" + "0" * 128


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        from werkzeug.security import check_password_hash

        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.is_active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user


def end_sessions(user: User) -> None:
    """Invalidate every session cookie issued to this user so far."""
    user.session_version = (user.session_version or 1) + 1


def change_password(user: User, new_password: str) -> None:
    user.set_password(new_password)
    end_sessions(user)


def create_user(email: str, full_name: str, password: str | None = None, *, roles=("learner",),
                unit: Unit | None = None, employee_code: str | None = None, position: str = "") -> User:
    """Add a user; the caller commits."""
    user = User(email=email.strip().lower(), full_name=full_name.strip(), unit=unit,
                employee_code=employee_code or None, position=position)
    user.roles = roles
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
