"""Sessions that really end: who a session cookie names, checked on every request."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import defer, joinedload, lazyload

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
    row = db.session.execute(_one_user(), {"user_id": int(user_id)}).unique().first()
    user = row[0] if row is not None else None
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    user.stamps = dict(zip(_STAMPS, row[1:], strict=True))
    for name, value in user.stamps.items():
        if _SEEN.get(name):
            _SEEN[name](value)
    if _lacks_required_second_factor(user):
        return None  # e.g. a session from before two-factor sign-in became required for the role
    return user


# Values read with the signed-in user, in the same statement (``add_session_stamp``).
_STAMPS: dict[str, object] = {}
_SEEN: dict[str, object] = {}
_STATEMENT: list = []


def add_session_stamp(name: str, expression, seen=None) -> None:
    """Read ``expression`` (a scalar subquery, correlated to ``users`` or not) with every
    signed-in user, as ``user.stamps[name]``, and hand it to ``seen(value)`` when given: what a
    feature's kept pages depend on (the bell's notifications, the catalogue's stamp) costs no
    statement of its own."""
    _STAMPS[name] = expression
    _SEEN[name] = seen
    _STATEMENT.clear()


def _one_user():
    """The user, unit, roles and stamps in one statement (the roles' usual selectin load would be
    a second), built once."""
    if not _STATEMENT:
        _STATEMENT.append(
            select(User, *(e.label(f"stamp_{n}") for n, e in _STAMPS.items()))
            .where(User.id == bindparam("user_id"))
            .options(
                joinedload(User.role_rows),
                # not needed by most pages: read when a page asks (HR's scope, the account form)
                lazyload(User.unit),
                defer(User.password_hash),
                defer(User.search_name),
            )
        )
    return _STATEMENT[0]


def _lacks_required_second_factor(user) -> bool:
    return is_required(user) and not is_enrolled(user)
