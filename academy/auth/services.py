"""Accounts: signing in and out, passwords, creating users."""

from __future__ import annotations

from sqlalchemy import func, select

from academy.auth.models import Unit, User
from academy.auth.passwords import check_password_rule, verify_nothing
from academy.auth.throttle import count_attempt, forget_attempts
from academy.auth.tokens import revoke_tokens
from academy.auth.two_factor import confirm_enrolment, verify_second_factor
from academy.database import utcnow
from academy.extensions import db


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None.

    The attempt is counted against the account first (AccountThrottled while it must wait,
    ThrottleUnavailable when the shared counts cannot be reached). Every outcome costs exactly one
    hash verification (unknown e-mail and inactive account included), so timing tells nothing.
    """
    count_attempt(email)
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        verify_nothing(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def complete_sign_in(user: User) -> None:
    """Every factor passed: note the time and forget the failed attempts."""
    user.last_login_at = utcnow()
    forget_attempts(user.email)


def check_sign_in_code(user: User, code: str) -> bool:
    """The second step of signing in: count the attempt against the account (as for passwords),
    then accept an authenticator or recovery code (InvalidCode otherwise). True when a recovery
    code was spent."""
    count_attempt(user.email)
    return verify_second_factor(user, code)


def enrol_at_sign_in(user: User, code: str) -> list[str]:
    """The second step for a user who must enrol first: the attempt is counted, then the code from
    the newly scanned secret confirms enrolment. Returns the recovery codes to show once."""
    count_attempt(user.email)
    return confirm_enrolment(user, code)


def end_sessions(user: User) -> None:
    """Invalidate every session cookie issued to this user so far."""
    user.session_version = (user.session_version or 1) + 1


def check_new_password(user: User, new_password: str) -> None:
    """Raise WeakPasswordError when ``new_password`` breaks the rule for ``user``."""
    check_password_rule(
        new_password,
        email=user.email,
        full_name=user.full_name,
        employee_code=user.employee_code or "",
    )


def change_password(user: User, new_password: str) -> None:
    """Set a new password that follows the rule (WeakPasswordError otherwise), end every other
    session and every open reset or invitation link (a link mailed before no longer works)."""
    check_new_password(user, new_password)
    user.set_password(new_password)
    end_sessions(user)
    revoke_tokens([user.id])


def create_user(
    email: str,
    full_name: str,
    password: str | None = None,
    *,
    roles=("learner",),
    unit: Unit | None = None,
    employee_code: str | None = None,
    position: str = "",
) -> User:
    """Add a user; the caller commits. The password is stored as given: callers taking one from a
    person check it first with ``check_password_rule``."""
    user = User(
        email=email.strip().lower(),
        full_name=full_name.strip(),
        unit=unit,
        employee_code=employee_code or None,
        position=position,
    )
    user.roles = roles
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
